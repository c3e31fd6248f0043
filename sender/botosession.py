"""The one botocore session of a process, with a data loader that only looks at the services
the sender uses.

Creating the first client is most of what building the app costs. Two parts of it are work for
services the sender never calls: botocore lists every folder of its data path (~400 services)
to check a name exists, and it parses ``endpoints.json`` (1.2 MB, every service in every
partition). The loader here looks only at the named services' folders, and reads a trimmed
copy of ``endpoints.json`` (``sender/data/endpoints.json``, a build product of ``make setup``
and of the Lambda bundle) when it was made from this very botocore version.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Final

import botocore
import botocore.session
from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader

# Every client the sender builds: the Encryption SDK's KMS client, SES v2, and Cognito for
# account-takeover alerts without an email attribute.
SERVICES: Final = ("cognito-idp", "kms", "sesv2")
TRIMMED_ENDPOINTS: Final = Path(__file__).parent / "data" / "endpoints.json"
_ENDPOINTS: Final = "endpoints"


class ServiceLoader(Loader):
    """Botocore's loader, except that it only knows a fixed set of services."""

    def __init__(
        self, services: tuple[str, ...], *, trimmed: Path = TRIMMED_ENDPOINTS, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._services = services
        self._trimmed = trimmed

    def list_available_services(self, type_name: str) -> list[str]:
        found = []
        for service in self._services:
            try:
                self.list_api_versions(service, type_name)
            except DataNotFoundError:
                continue
            found.append(service)
        return sorted(found)

    def load_data_with_path(self, name: str) -> tuple[Any, str]:
        if name == _ENDPOINTS:
            trimmed = self.trimmed_endpoints()
            if trimmed is not None:
                # The path botocore would report: the data is its own, only filtered.
                return trimmed, os.path.join(self.BUILTIN_DATA_PATH, _ENDPOINTS)
        found: tuple[Any, str] = super().load_data_with_path(name)
        return found

    def trimmed_endpoints(self) -> dict[str, Any] | None:
        """The trimmed data, if it matches this botocore and nothing overrides its data."""
        if not self._trimmed.is_file():
            return None
        for path in self.search_paths:
            if path != self.BUILTIN_DATA_PATH and self.file_loader.exists(
                os.path.join(path, _ENDPOINTS)
            ):
                return None
        data = json.loads(self._trimmed.read_bytes())
        if data.get("botocore") != botocore.__version__ or tuple(data.get("services", ())) != (
            self._services
        ):
            return None
        endpoints: dict[str, Any] = data["endpoints"]
        return endpoints


def new_session(services: tuple[str, ...] = SERVICES) -> botocore.session.Session:
    """A botocore session whose data loader only knows ``services``."""
    session = botocore.session.Session()
    # The same search path as botocore's own loader: ~/.aws/models, then AWS_DATA_PATH.
    data_path = session.get_config_variable("data_path")
    extra = (
        [os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)]
        if data_path
        else []
    )
    session.register_component("data_loader", ServiceLoader(services, extra_search_paths=extra))
    return session


def trim_endpoints(endpoints: dict[str, Any], prefixes: set[str]) -> dict[str, Any]:
    """``endpoints.json`` with every partition's services filtered to ``prefixes``."""
    return {
        **endpoints,
        "partitions": [
            {
                **partition,
                "services": {
                    k: v for k, v in partition.get("services", {}).items() if k in prefixes
                },
            }
            for partition in endpoints["partitions"]
        ],
    }


def write_trimmed_endpoints(
    data_dir: Path, version: str, out: Path, services: tuple[str, ...] = SERVICES
) -> None:
    """Write the trimmed copy of ``data_dir/endpoints.json`` (botocore ``version``) to ``out``."""
    loader = Loader(extra_search_paths=[str(data_dir)], include_default_search_paths=False)
    prefixes = set(services)
    for service in services:
        model = loader.load_service_model(service, "service-2")
        prefixes.add(model["metadata"]["endpointPrefix"])
    full = loader.load_data(_ENDPOINTS)
    document = {
        "botocore": version,
        "services": list(services),
        "endpoints": trim_endpoints(full, prefixes),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")


if __name__ == "__main__":
    # make setup: the trimmed copy for the installed botocore.
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else TRIMMED_ENDPOINTS
    write_trimmed_endpoints(Path(botocore.__file__).parent / "data", botocore.__version__, target)
