"""One AWS call as the tools make it: a failure becomes an ``AwsError`` whose message names the
call, the resource and the cause on one line, never a traceback."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError


class AwsError(Exception):
    """An AWS call failed; ``code`` is the service's error code (or botocore's error class)."""

    def __init__(self, operation: str, resource: str, code: str, message: str) -> None:
        self.operation = operation
        self.resource = resource
        self.code = code
        self.message = message
        super().__init__(f"{operation} on {resource} failed: {code}: {message}".rstrip(": "))


def call(client: Any, method: str, resource: str, **kwargs: Any) -> dict[str, Any]:
    """``client.method(**kwargs)``; any failure raised as an ``AwsError`` about ``resource``."""
    service = client.meta.service_model.service_name
    operation = f"{service} {client.meta.method_to_api_mapping.get(method, method)}"
    try:
        response: dict[str, Any] = getattr(client, method)(**kwargs)
    except ClientError as err:
        error = err.response.get("Error", {})
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = str(error.get("Code") or f"HTTP {status}")
        message = " ".join(str(error.get("Message") or "").split())
        raise AwsError(operation, resource, code, message) from err
    # ResponseParserError is not a BotoCoreError: an endpoint answered with something that is
    # not an AWS response (a proxy's or moto_server's HTML page for a call it lacks).
    except (BotoCoreError, ResponseParserError) as err:
        message = " ".join(str(err).split())
        raise AwsError(operation, resource, type(err).__name__, message) from err
    return response


def call_if_found(
    client: Any, method: str, resource: str, *, missing: str, **kwargs: Any
) -> dict[str, Any] | None:
    """``call``, or None when the service answers with the error code ``missing``."""
    try:
        return call(client, method, resource, **kwargs)
    except AwsError as err:
        if err.code == missing:
            return None
        raise
