"""One AWS call as the tools make it: a failure becomes an ``AwsError`` whose message names the
call, the resource and the cause on one line, never a traceback."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError


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
    except BotoCoreError as err:
        raise AwsError(operation, resource, type(err).__name__, str(err)) from err
    return response
