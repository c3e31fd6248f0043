"""The doctor's AWS plumbing: one client per service and region, each read made once for every
check that needs it, every page of a list call."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

from botocore.config import Config
from botocore.exceptions import BotoCoreError

from sendertools.awscall import AwsError, call
from sendertools.doctor.finding import Skip

if TYPE_CHECKING:
    from boto3.session import Session

# A diagnosis should answer in seconds, also when an endpoint is down or a call unimplemented.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=5,
    read_timeout=20,
    user_agent_extra="cognito-sender-doctor",
)
_T = TypeVar("_T")


class Reader:
    """Clients from one session (in ``region`` unless told otherwise) and the reads made."""

    def __init__(self, session: Session, region: str) -> None:
        self.session = session
        self.region = region
        self._clients: dict[tuple[str, str], Any] = {}
        self._memo: dict[str, tuple[bool, Any]] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        """The ``service`` client in ``region``; a client that cannot be made is an AwsError."""
        key = (service, region or self.region)
        if key not in self._clients:
            # The session's overloads want a literal service name; the services vary here.
            make: Callable[..., Any] = self.session.client
            try:
                self._clients[key] = make(service, region_name=key[1] or None, config=CLIENT_CONFIG)
            except BotoCoreError as err:
                reason = type(err).__name__
                raise AwsError(
                    f"{service} client", key[1] or "no region", reason, str(err)
                ) from err
        return self._clients[key]

    def once(self, key: str, compute: Callable[[], _T]) -> _T:
        """``compute()``'s value, or its failure, computed once for every check that reads it."""
        if key not in self._memo:
            try:
                self._memo[key] = (True, compute())
            except (AwsError, Skip, ValueError) as err:
                self._memo[key] = (False, err)
        done, value = self._memo[key]
        if not done:
            raise value
        return cast(_T, value)


def pages(
    client: Any, method: str, resource: str, items: str, token: str, **kwargs: Any
) -> Iterator[Any]:
    """Every item of a paginated list call (``token`` names the request's page marker)."""
    while True:
        page = call(client, method, resource, **kwargs)
        yield from page.get(items, [])
        marker = page.get(token)
        if not marker or page.get("IsTruncated") is False:
            return
        kwargs[token] = marker
