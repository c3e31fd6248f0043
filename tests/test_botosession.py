"""The sender's botocore session: only its own services, endpoints and operation models read
from a trimmed copy of botocore's data that must behave exactly like the full data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

import botocore
import botocore.exceptions
import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError
from botocore.hooks import HierarchicalEmitter
from botocore.model import ServiceModel, Shape
from botocore.regions import EndpointResolver

from sender.botosession import (
    EVENT_NAMES,
    OPERATIONS,
    SERVICES,
    ServiceLoader,
    new_session,
)
from sendertools.prebuild import write_trimmed

DATA = Path(botocore.__file__).parent / "data"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1")


@pytest.fixture
def trimmed(tmp_path: Path) -> Path:
    out = tmp_path / "botocore.json"
    write_trimmed(DATA, botocore.__version__, out)
    return out


def plain_loader() -> Any:
    return botocore.session.Session().get_component("data_loader")


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
    data = ServiceLoader(trimmed=trimmed).load_data("endpoints")
    full_data = plain_loader().load_data("endpoints")
    assert len(data["partitions"][0]["services"]) < 10 < len(full_data["partitions"][0]["services"])
    full, small = EndpointResolver(full_data), EndpointResolver(data)
    checked = 0
    for partition in full_data["partitions"]:
        for region in partition["regions"]:
            assert small.get_partition_for_region(region) == full.get_partition_for_region(region)
            for prefix in ("kms", "email", "cognito-idp", "sesv2"):
                for fips in (False, True):
                    for dualstack in (False, True):
                        args = (prefix, region, fips, dualstack)
                        assert outcome(small, *args) == outcome(full, *args), args
                        checked += 1
    assert checked > 100


def shape_tree(shape: Shape | None, depth: int = 0) -> Any:
    """Everything botocore serializes and parses by: names, types, members, traits."""
    if shape is None or depth > 12:
        return None
    tree: dict[str, Any] = {"name": shape.name, "type": shape.type_name}
    tree["serialization"] = shape.serialization
    tree["metadata"] = shape.metadata
    for attr in ("members", "required_members"):
        value = getattr(shape, attr, None)
        if isinstance(value, dict):
            tree[attr] = {k: shape_tree(v, depth + 1) for k, v in value.items()}
        elif value is not None:
            tree[attr] = list(value)
    for attr in ("member", "key", "value"):
        if hasattr(shape, attr):
            tree[attr] = shape_tree(getattr(shape, attr), depth + 1)
    return tree


@pytest.mark.parametrize("service", SERVICES)
def test_trimmed_models_describe_the_senders_operations_exactly(
    trimmed: Path, service: str
) -> None:
    small = ServiceModel(ServiceLoader(trimmed=trimmed).load_service_model(service, "service-2"))
    full = ServiceModel(plain_loader().load_service_model(service, "service-2"))
    assert small.operation_names == sorted(OPERATIONS[service])
    assert len(full.operation_names) > len(small.operation_names)
    assert small.metadata == full.metadata
    for name in OPERATIONS[service]:
        ours, theirs = small.operation_model(name), full.operation_model(name)
        assert ours.http == theirs.http
        assert ours.metadata == theirs.metadata
        assert shape_tree(ours.input_shape) == shape_tree(theirs.input_shape)
        assert shape_tree(ours.output_shape) == shape_tree(theirs.output_shape)
        assert [shape_tree(e) for e in ours.error_shapes] == [
            shape_tree(e) for e in theirs.error_shapes
        ]


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("service", SERVICES)
def test_clients_match_those_of_a_plain_session(
    trimmed: Path, monkeypatch: pytest.MonkeyPatch, service: str, region: str
) -> None:
    monkeypatch.setattr("sender.botosession.TRIMMED", trimmed)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    ours = new_session().create_client(service, region_name=region)
    plain = botocore.session.Session().create_client(service, region_name=region)
    assert ours.meta.endpoint_url == plain.meta.endpoint_url
    assert ours.meta.region_name == plain.meta.region_name
    assert ours.meta.partition == plain.meta.partition
    assert ours.meta.config.signature_version == plain.meta.config.signature_version
    for operation in OPERATIONS[service]:
        method = botocore.xform_name(operation)
        assert ours.meta.method_to_api_mapping[method] == operation
        assert hasattr(ours, method)


def test_only_the_senders_services_are_known() -> None:
    session = new_session()
    loader = session.get_component("data_loader")
    assert loader.list_available_services("service-2") == sorted(SERVICES)
    with pytest.raises(UnknownServiceError):
        session.create_client("s3", region_name="eu-west-1")


def test_a_copy_made_from_another_botocore_is_ignored(tmp_path: Path) -> None:
    stale = tmp_path / "botocore.json"
    write_trimmed(DATA, "0.0.1", stale)
    loader = ServiceLoader(trimmed=stale)
    assert loader.trimmed() is None
    assert "s3" in loader.load_data("endpoints")["partitions"][0]["services"]
    assert "Encrypt" in loader.load_service_model("kms", "service-2")["operations"]


def test_a_copy_for_other_operations_is_ignored(tmp_path: Path) -> None:
    other = tmp_path / "botocore.json"
    write_trimmed(DATA, botocore.__version__, other, operations={"kms": ("Decrypt",)})
    assert ServiceLoader(trimmed=other).trimmed() is None


def test_data_from_a_custom_data_path_wins(trimmed: Path, tmp_path: Path) -> None:
    custom = tmp_path / "models"
    custom.mkdir()
    (custom / "endpoints.json").write_text(
        json.dumps(plain_loader().load_data("endpoints")), encoding="utf-8"
    )
    loader = ServiceLoader(trimmed=trimmed, extra_search_paths=[str(custom)])
    assert loader.trimmed() is None
    _, path = loader.load_data_with_path("endpoints")
    assert path.startswith(str(custom))


def _handlers(session: botocore.session.Session, event_name: str) -> list[str]:
    # botocore has no public way to list an event's handlers: read its emitter's trie. Named,
    # not compared by identity: session initializers (Powertools') add a closure per session.
    aliaser = session.get_component("event_emitter")
    name = aliaser._alias_event_name(event_name)
    found = aliaser._emitter._handlers.prefix_search(name)
    return [f"{getattr(h, '__module__', '')}.{getattr(h, '__qualname__', type(h))}" for h in found]


def test_every_event_of_the_senders_calls_has_botocores_own_handlers(local_aws: Any) -> None:
    """The session leaves out the built-in handlers of other services: every event the
    sender's three operations emit must still reach exactly the handlers it reaches in a
    plain session, in the same order."""
    emitted: set[str] = set()
    original = HierarchicalEmitter._emit

    def record(self: HierarchicalEmitter, event_name: str, *args: Any, **kwargs: Any) -> Any:
        emitted.add(event_name)
        return original(self, event_name, *args, **kwargs)

    with patch.object(HierarchicalEmitter, "_emit", record):
        session = new_session()
        kms = session.create_client("kms")
        kms.decrypt(
            CiphertextBlob=botocore.session.Session()
            .create_client("kms")
            .encrypt(KeyId=local_aws.stack.key_arn, Plaintext=b"x")["CiphertextBlob"]
        )
        session.create_client("sesv2").send_email(
            FromEmailAddress=local_aws.stack.email_from,
            Destination={"ToAddresses": ["ada@example.com"]},
            Content={"Raw": {"Data": b"Subject: x\r\n\r\nx\r\n"}},
        )
        with pytest.raises(botocore.exceptions.ClientError):
            session.create_client("cognito-idp").admin_get_user(
                UserPoolId=local_aws.stack.user_pool_id, Username="nobody"
            )
    ids = set(EVENT_NAMES.values())
    ours = [n for n in emitted if any(f".{i}" in n for i in ids)]
    assert {f"after-call.{i}" for i in ids} <= {n.rsplit(".", 1)[0] for n in ours}
    ours_session, plain = new_session(), botocore.session.Session()
    for name in sorted(emitted):
        assert _handlers(ours_session, name) == _handlers(plain, name), name
    dropped = len(_handlers(plain, "before-parameter-build.s3.PutObject"))
    assert dropped > len(_handlers(ours_session, "before-parameter-build.s3.PutObject"))


def test_event_names_are_the_services_hyphenated_ids() -> None:
    loader = botocore.session.Session().get_component("data_loader")
    for service in SERVICES:
        model = ServiceModel(loader.load_service_model(service, "service-2"), service)
        assert EVENT_NAMES[service] == model.service_id.hyphenize()
