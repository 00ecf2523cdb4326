"""OpenAPI post-processing: the error answers every operation can give, and wall-clock times.

drf-spectacular documents the success answer of each operation. The API also answers with
the error envelope of ``core.errors`` (400 invalid input, 401/403 authentication and roles, 404
unknown ids and pages, 409 conflicts, 413/415 bodies, 429 rate limits, 503 a broker that is
down), and a client generated from the schema must know those answers exist and their shape.
Which codes an operation declares follows from what the operation has (a body, parameters, an
id in the path, a method that writes), so the schema stays true as views are added.
"""

from __future__ import annotations

from typing import Any

ERROR_COMPONENT = "ErrorEnvelope"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error of the API: a stable code, a message for people, details.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "example": "validation_error"},
                "message": {"type": "string", "example": "Invalid input."},
                "details": {"type": "object", "additionalProperties": True},
            },
        }
    },
}

DESCRIPTIONS = {
    "400": "Invalid input (field errors in `details`).",
    "401": "Not authenticated, or the credentials are invalid or expired.",
    "403": "Authenticated, but the role or the key's scope does not allow this.",
    "404": "No such object in this tenant, no such page, or nothing computed yet.",
    "409": "Conflicts with the current state (still used, wrong status, already running).",
    "413": "The request body is too large.",
    "415": "The body's media type or content is not accepted.",
    "429": "Too many requests; `Retry-After` says when to try again.",
    "503": "A service the operation needs (the task broker) is unavailable; nothing was done.",
}

WRITE_METHODS = {"post", "put", "patch", "delete"}
BODY_METHODS = {"post", "put", "patch"}

# The wire format of times of day (``08:00:00``): a wall-clock time without a zone, which is
# not JSON Schema's ``format: time`` (RFC 3339 full-time, zone required).
CLOCK_TIME = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$"}


def error_codes(method: str, operation: dict[str, Any]) -> list[str]:
    """The error answers an operation can give, from what it has."""
    parameters = operation.get("parameters", [])
    in_path = any(parameter.get("in") == "path" for parameter in parameters)
    in_query = any(parameter.get("in") == "query" for parameter in parameters)
    codes = ["401", "403", "429"]
    if method in BODY_METHODS or in_query or in_path:
        codes.append("400")
    # Unknown ids and pages, and results that do not exist yet (no forecast run).
    codes.append("404")
    if method in WRITE_METHODS:
        codes += ["409", "503"]
    if method in BODY_METHODS:
        codes += ["413", "415"]
    return sorted(codes)


def _wall_clock_times(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            node.setdefault("pattern", CLOCK_TIME["pattern"])
        for value in node.values():
            _wall_clock_times(value)
    elif isinstance(node, list):
        for value in node:
            _wall_clock_times(value)


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular ``POSTPROCESSING_HOOKS`` entry."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in error_codes(method, operation):
                responses.setdefault(
                    code,
                    {
                        "description": DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    _wall_clock_times(result)
    return result
