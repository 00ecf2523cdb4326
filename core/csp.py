"""django-csp's middleware with the static policy built once per process (issue 17, ADR 37).

django-csp 4.0 builds the header from the settings on every response (a dict copy, a sort and
a join per directive, twice: the policy and the report-only one). Our settings are static, so
a response with no per-view ``@csp_update``/``@csp_replace``/``@csp`` and no nonce asked for
gets the same string every time: it is built once and kept until a setting changes
(``setting_changed``: tests that override the policy get the new one). Anything else (a
decorator's parts, a nonce, an exempt or excluded response) takes the library's own path
unchanged, so no page's policy is weakened.
"""

from __future__ import annotations

from typing import Any

from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.core.signals import setting_changed
from django.dispatch import receiver

_POLICY_SETTINGS = frozenset(
    {"CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY", "DEBUG"}
)
_ATTRS = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt",
    "_csp_exempt_ro",
)
# (policy, report-only policy); None until first built.
_static: tuple[str, str] | None = None


@receiver(setting_changed)
def _forget_static_policy(*, setting: str, **_kwargs: Any) -> None:
    global _static
    if setting in _POLICY_SETTINGS:
        _static = None


def static_policies() -> tuple[str, str]:
    """The settings' policy and report-only policy, built once."""
    global _static
    if _static is None:
        _static = (build_policy(), build_policy(report_only=True))
    return _static


class StaticCSPMiddleware(CSPMiddleware):
    """``csp.middleware.CSPMiddleware``, with the settings-only policy built once."""

    def process_response(self, request, response):  # type: ignore[no-untyped-def]
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, attr, None) is not None for attr in _ATTRS
        ):
            return super().process_response(request, response)
        from django.conf import settings

        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        policy_ro = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {}
        if policy.get("EXCLUDE_URL_PREFIXES") or policy_ro.get("EXCLUDE_URL_PREFIXES"):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        csp, csp_ro = static_policies()
        if csp and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = csp
        if csp_ro and "Content-Security-Policy-Report-Only" not in response:
            response["Content-Security-Policy-Report-Only"] = csp_ro
        # As the library does: a nonce read after the header is written is an error.
        if getattr(request, "_csp_nonce", None) is None:
            from csp.middleware import CheckableLazyObject

            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
