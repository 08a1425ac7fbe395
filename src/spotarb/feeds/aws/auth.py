"""AWS credentials: detection through boto3's chain, and reading botocore errors.

Never reads, returns or logs the secrets themselves.
"""

from __future__ import annotations

import re
from typing import Final


def detect_credentials() -> tuple[bool, str]:
    """(found?, why) from boto3's standard chain; never reads or returns the secrets."""
    try:
        import boto3
    except ImportError:
        return False, "boto3 is not installed (pip install 'spotarb[aws]')"
    try:
        credentials = boto3.Session().get_credentials()
    except Exception as exc:  # a broken profile must not break credential-free mode
        return False, f"no usable AWS credentials ({type(exc).__name__})"
    if credentials is None:
        return False, "no AWS credentials in boto3's standard chain"
    method = getattr(credentials, "method", "") or "boto3 chain"
    return True, f"credentials from {method}"


#: Error codes that mean "these credentials are not accepted", not a regional outage.
_AUTH_CODES: Final = (
    "AuthFailure",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "ExpiredToken",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
)


def is_auth_error(message: str) -> bool:
    return any(code in message for code in _AUTH_CODES)


def client_error_message(exc: BaseException) -> str:
    """One line from a botocore error: ``Code: message``, or the type and a scrubbed text."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        code = error.get("Code", "")
        message = str(error.get("Message", "")).replace("\n", " ")[:200]
        if code:
            return f"{code}: {message}" if message else str(code)
    name = type(exc).__name__
    if name in {"ReadTimeoutError", "ConnectTimeoutError"}:
        return f"timed out ({name})"
    return f"{name}: {scrub(str(exc))[:200]}"


_USERINFO: Final = re.compile(r"(\w+://[^/@\s:]+):[^/@\s]+@")


def scrub(text: str) -> str:
    """Hide passwords of any URL inside an error message (``user:***@host``)."""
    return _USERINFO.sub(r"\1:***@", text)
