"""The one botocore session of a process, with a data loader that only looks at the services
and operations the sender uses.

Creating the clients is most of what building the app costs, and much of it is work for
services and operations the sender never calls: a session registers ~130 built-in event
handlers, all but 9 of them for other services (S3, EC2, Glacier...), and copies them into
every client it creates; botocore lists every folder of its data path (~400 services) to check
a name exists, parses ``endpoints.json`` (1.2 MB, every service in every partition) and parses
each service's whole model (~120 operations for KMS, with their documentation). The loader
here looks only at the named services' folders and, when there is a trimmed copy of that data
made from this very botocore version (``sender/data/botocore.json``, a build product of
``make setup`` and of the Lambda bundle), reads the endpoints of those services and the models
of the operations the sender calls from it instead. The session only registers the built-in
handlers that can fire for those services: the generic ones and those of the services
themselves, in botocore's own order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import botocore
import botocore.session
from botocore import handlers
from botocore.exceptions import DataNotFoundError
from botocore.hooks import EventAliaser, HierarchicalEmitter
from botocore.loaders import Loader

# Every operation the sender calls, by service: the Encryption SDK's KMS Decrypt, the SES v2
# send, and Cognito's user lookup for account-takeover alerts without an email attribute.
OPERATIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "cognito-idp": ("AdminGetUser",),
    "kms": ("Decrypt",),
    "sesv2": ("SendEmail",),
}
SERVICES: Final = tuple(sorted(OPERATIONS))
# The name each service has in event names (its hyphenated service id), e.g.
# "before-call.cognito-identity-provider.AdminGetUser".
EVENT_NAMES: Final[Mapping[str, str]] = {
    "cognito-idp": "cognito-identity-provider",
    "kms": "kms",
    "sesv2": "sesv2",
}
TRIMMED: Final = Path(__file__).parent / "data" / "botocore.json"
ENDPOINTS: Final = "endpoints"
MODEL: Final = "service-2"


class ServiceLoader(Loader):
    """Botocore's loader, except that it only knows a fixed set of services."""

    def __init__(
        self,
        operations: Mapping[str, tuple[str, ...]] = OPERATIONS,
        *,
        trimmed: Path = TRIMMED,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._operations = {k: tuple(v) for k, v in operations.items()}
        self._trimmed_path = trimmed
        self._trimmed: dict[str, Any] | None = None
        self._trimmed_read = False

    def list_available_services(self, type_name: str) -> list[str]:
        found = []
        for service in sorted(self._operations):
            try:
                self.list_api_versions(service, type_name)
            except DataNotFoundError:
                continue
            found.append(service)
        return found

    def load_data_with_path(self, name: str) -> tuple[Any, str]:
        if name == ENDPOINTS:
            trimmed = self.trimmed()
            if trimmed is not None:
                # The path botocore would report: the data is its own, only filtered.
                return trimmed["endpoints"], os.path.join(self.BUILTIN_DATA_PATH, ENDPOINTS)
        found: tuple[Any, str] = super().load_data_with_path(name)
        return found

    def load_service_model(
        self, service_name: str, type_name: str, api_version: str | None = None
    ) -> Any:
        if type_name == MODEL:
            trimmed = self.trimmed()
            model = trimmed["models"].get(service_name) if trimmed is not None else None
            if model is not None and api_version in (None, model["metadata"]["apiVersion"]):
                return model
        return super().load_service_model(service_name, type_name, api_version)

    def trimmed(self) -> dict[str, Any] | None:
        """The trimmed data, if made from this botocore for these operations, and nothing in
        a custom data path (~/.aws/models, AWS_DATA_PATH) overrides botocore's own."""
        if not self._trimmed_read:
            self._trimmed_read = True
            self._trimmed = self._read_trimmed()
        return self._trimmed

    def _read_trimmed(self) -> dict[str, Any] | None:
        if not self._trimmed_path.is_file():
            return None
        for path in self.search_paths:
            if path == self.BUILTIN_DATA_PATH:
                continue
            if self.file_loader.exists(os.path.join(path, ENDPOINTS)):
                return None
            if any(os.path.isdir(os.path.join(path, s)) for s in self._operations):
                return None
        data: dict[str, Any] = json.loads(self._trimmed_path.read_bytes())
        if data.get("botocore") != botocore.__version__:
            return None
        if {k: tuple(v) for k, v in data.get("operations", {}).items()} != self._operations:
            return None
        return data


def new_session(
    operations: Mapping[str, tuple[str, ...]] = OPERATIONS,
) -> botocore.session.Session:
    """A botocore session whose data loader and event handlers only know ``operations``'
    services."""
    session = botocore.session.Session(
        event_hooks=builtin_handlers(operations), include_builtin_handlers=False
    )
    # The same search path as botocore's own loader: ~/.aws/models, then AWS_DATA_PATH.
    data_path = session.get_config_variable("data_path")
    extra = (
        [os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)]
        if data_path
        else []
    )
    loader = ServiceLoader(operations, trimmed=TRIMMED, extra_search_paths=extra)
    session.register_component("data_loader", loader)
    return session


def builtin_handlers(operations: Mapping[str, tuple[str, ...]]) -> HierarchicalEmitter:
    """Botocore's built-in handlers that can fire for ``operations``' services, registered as
    ``Session._register_builtin_handlers`` registers them; all of them for an unknown service."""
    names = {EVENT_NAMES.get(service) for service in operations}
    emitter = HierarchicalEmitter()
    aliased = EventAliaser(emitter)
    for spec in handlers.BUILTIN_HANDLERS:
        service = _service_of(spec[0])
        if None not in names and service not in (None, "*", *names):
            continue
        if len(spec) == 2:
            aliased.register(spec[0], spec[1])
        elif spec[2] is handlers.REGISTER_FIRST:
            aliased.register_first(spec[0], spec[1])
        elif spec[2] is handlers.REGISTER_LAST:
            aliased.register_last(spec[0], spec[1])
    return emitter


def _service_of(event_name: str) -> str | None:
    """The service part of an event name: "before-call.kms.Decrypt" -> "kms", and
    "docs.request-params.s3.PutObject.complete-section" -> "s3"; ``None`` for a generic event."""
    parts = event_name.split(".")
    index = 2 if parts[0] == "docs" else 1
    return parts[index] if len(parts) > index else None
