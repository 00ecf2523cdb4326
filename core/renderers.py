"""JSON rendering with orjson (ADR 27): the same JSON as DRF's ``JSONRenderer``, several times
faster on a page of 50 rows.

Types orjson does not write the way DRF does (datetimes, decimals, lazy strings, NumPy values,
…) go through DRF's own encoder, so their text is unchanged; what orjson refuses (an integer
beyond 64 bits) falls back to DRF's renderer. Two differences in text, not in value: a float
may be spelled differently (``0.00001`` for ``1e-05``), and NaN or infinity, which DRF refused
with a 500, is written as ``null``. Indented output (``Accept: application/json; indent=2``)
is DRF's.
"""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_ENCODER = JSONEncoder()
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# DRF escapes these two (valid JSON, invalid JavaScript string literals) and so do we.
_LINE_SEPARATOR = "\u2028".encode()
_PARAGRAPH_SEPARATOR = "\u2029".encode()


def _default(value: Any) -> Any:
    return _ENCODER.default(value)


class FastJSONRenderer(JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=_default, option=_OPTIONS)
        except (orjson.JSONEncodeError, TypeError):
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80" in rendered:
            rendered = rendered.replace(_LINE_SEPARATOR, b"\\u2028").replace(
                _PARAGRAPH_SEPARATOR, b"\\u2029"
            )
        return rendered
