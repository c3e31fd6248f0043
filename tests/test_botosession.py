"""The sender's botocore session: only its own services, endpoints from a trimmed copy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore
import botocore.exceptions
import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError
from botocore.regions import EndpointResolver

from sender.botosession import SERVICES, ServiceLoader, new_session, write_trimmed_endpoints

DATA = Path(botocore.__file__).parent / "data"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1")


@pytest.fixture
def trimmed(tmp_path: Path) -> Path:
    out = tmp_path / "endpoints.json"
    write_trimmed_endpoints(DATA, botocore.__version__, out)
    return out


def full_endpoints() -> Any:
    return botocore.session.Session().get_component("data_loader").load_data("endpoints")


def outcome(
    resolver: EndpointResolver, prefix: str, region: str, fips: bool, dualstack: bool
) -> Any:
    """What resolving gives: the endpoint, or the error raised."""
    try:
        return resolver.construct_endpoint(
            prefix, region, use_fips_endpoint=fips, use_dualstack_endpoint=dualstack
        )
    except botocore.exceptions.BotoCoreError as err:
        return (type(err).__name__, str(err))


def test_trimmed_endpoints_resolve_every_region_like_the_full_data(trimmed: Path) -> None:
    data = ServiceLoader(SERVICES, trimmed=trimmed).trimmed_endpoints()
    assert data is not None
    full, small = EndpointResolver(full_endpoints()), EndpointResolver(data)
    prefixes = {"kms", "email", "cognito-idp", "sesv2"}
    checked = 0
    for partition in full_endpoints()["partitions"]:
        for region in partition["regions"]:
            assert small.get_partition_for_region(region) == full.get_partition_for_region(region)
            for prefix in prefixes:
                for fips in (False, True):
                    for dualstack in (False, True):
                        args = (prefix, region, fips, dualstack)
                        assert outcome(small, *args) == outcome(full, *args), args
                        checked += 1
    assert checked > 100


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("service", SERVICES)
def test_clients_match_those_of_a_plain_session(
    trimmed: Path, monkeypatch: pytest.MonkeyPatch, service: str, region: str
) -> None:
    monkeypatch.setattr("sender.botosession.TRIMMED_ENDPOINTS", trimmed)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    ours = new_session().create_client(service, region_name=region)
    plain = botocore.session.Session().create_client(service, region_name=region)
    assert ours.meta.endpoint_url == plain.meta.endpoint_url
    assert ours.meta.region_name == plain.meta.region_name
    assert ours.meta.partition == plain.meta.partition
    assert ours.meta.config.signature_version == plain.meta.config.signature_version


def test_only_the_senders_services_are_known() -> None:
    session = new_session()
    loader = session.get_component("data_loader")
    assert loader.list_available_services("service-2") == sorted(SERVICES)
    with pytest.raises(UnknownServiceError):
        session.create_client("s3", region_name="eu-west-1")


def test_a_copy_made_from_another_botocore_is_ignored(tmp_path: Path) -> None:
    stale = tmp_path / "endpoints.json"
    write_trimmed_endpoints(DATA, "0.0.1", stale)
    loader = ServiceLoader(SERVICES, trimmed=stale)
    assert loader.trimmed_endpoints() is None
    assert "s3" in loader.load_data("endpoints")["partitions"][0]["services"]


def test_a_copy_for_other_services_is_ignored(tmp_path: Path) -> None:
    other = tmp_path / "endpoints.json"
    write_trimmed_endpoints(DATA, botocore.__version__, other, services=("kms",))
    assert ServiceLoader(SERVICES, trimmed=other).trimmed_endpoints() is None


def test_endpoints_from_a_custom_data_path_win(trimmed: Path, tmp_path: Path) -> None:
    custom = tmp_path / "models"
    custom.mkdir()
    (custom / "endpoints.json").write_text(json.dumps(full_endpoints()), encoding="utf-8")
    loader = ServiceLoader(SERVICES, trimmed=trimmed, extra_search_paths=[str(custom)])
    assert loader.trimmed_endpoints() is None
    _, path = loader.load_data_with_path("endpoints")
    assert path.startswith(str(custom))
