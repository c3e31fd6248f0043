"""Cold start: what a fresh Lambda process pays before and during its first email, against the
floor every Python function using KMS through the Encryption SDK pays anyway.

    .venv/bin/python bench/coldstart.py --runs 15

Each run is a fresh interpreter. Measured inside it, from its first statement:
- sender: ``import sender.handler``, then ``get_app()`` (configuration, clients, key provider,
  catalogs, templates), then the first invocation against a real moto_server;
- floor: ``import boto3, aws_encryption_sdk``;
- floor with clients: the floor plus the Encryption SDK client, its strict KMS provider and an
  SES client, built the usual way: what any sender must build before its first email.
Also ``python -X importtime`` totals (sum of every module's self time) for both imports, and
the wall time of each whole process. Medians over the runs; the budget is 1.25x the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sender import localaws
from sender.event import Trigger

BUDGET = 1.25

SENDER = """
import io, json, sys, time
t0 = time.perf_counter()
import sender.handler as h
t1 = time.perf_counter()
app = h.get_app()
t2 = time.perf_counter()
event = json.load(open(sys.argv[1]))
out, sys.stdout = sys.stdout, io.StringIO()
h.lambda_handler(event, None)
t3 = time.perf_counter()
h.lambda_handler(event, None)
t4 = time.perf_counter()
sys.stdout = out
print(json.dumps({"import": t1 - t0, "build": t2 - t1, "first": t3 - t2, "second": t4 - t3}))
"""

FLOOR = """
import json, time
t0 = time.perf_counter()
import boto3, aws_encryption_sdk
t1 = time.perf_counter()
print(json.dumps({"import": t1 - t0}))
"""

# What any hand-written sender must build before its first email, written the usual way: the
# floor's imports plus an Encryption SDK client, its strict KMS provider and an SES client.
FLOOR_WITH_CLIENTS = """
import json, os, time
t0 = time.perf_counter()
import boto3, aws_encryption_sdk
t1 = time.perf_counter()
from aws_encryption_sdk import CommitmentPolicy, StrictAwsKmsMasterKeyProvider
sdk = aws_encryption_sdk.EncryptionSDKClient(
    commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT
)
provider = StrictAwsKmsMasterKeyProvider(key_ids=[os.environ["KMS_KEY_ARN"]])
ses = boto3.client("sesv2")
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "build": t2 - t1}))
"""

_IMPORTTIME = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|", re.M)


def run_python(code: str, *args: str, env: dict[str, str]) -> tuple[dict[str, float], float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    wall = time.perf_counter() - started
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def importtime_total(statement: str, env: dict[str, str]) -> float:
    """Seconds: the sum of every module's self time reported by ``-X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return sum(int(m.group(1)) for m in _IMPORTTIME.finditer(done.stderr)) / 1e6


def top_imports(statement: str, env: dict[str, str], n: int = 12) -> list[tuple[str, float]]:
    """The slowest top-level packages by cumulative import time, for finding what to trim."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found: dict[str, float] = {}
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].rstrip()
        depth = (len(name) - len(name.lstrip())) // 2
        if depth <= 1:
            found[name.strip()] = int(parts[1]) / 1e6
    return sorted(found.items(), key=lambda kv: -kv[1])[:n]


def med(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per variant")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--top", action="store_true", help="list the slowest imports")
    args = parser.parse_args()

    with localaws.moto_server() as server, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(server.environment())
        stack = localaws.provision()
        event = localaws.cognito_event(
            Trigger.SIGN_UP.value,
            user_pool_id=stack.user_pool_id,
            encrypted_code=localaws.cognito_encrypt(
                "123456", key_arn=stack.key_arn, user_pool_id=stack.user_pool_id
            ),
            user_attributes={"email": "ada@example.com", "name": "Ada"},
        )
        event_file = Path(tmp) / "event.json"
        event_file.write_text(json.dumps(event), encoding="utf-8")
        env = {
            **os.environ,
            "KMS_KEY_ARN": stack.key_arn,
            "EMAIL_FROM": stack.email_from,
            "PYTHONDONTWRITEBYTECODE": "",
        }
        env.pop("PYTHONDONTWRITEBYTECODE")
        # One discarded run of each, so every .pyc exists (Lambda ships them compiled).
        run_python(SENDER, str(event_file), env=env)
        run_python(FLOOR, env=env)
        run_python(FLOOR_WITH_CLIENTS, env=env)

        sender_runs, floor_runs, sender_walls, floor_walls = [], [], [], []
        clients_runs = []
        sender_it, floor_it = [], []
        for i in range(args.runs):
            # Interleaved, so a noisy neighbour hurts both sides alike.
            figures, wall = run_python(SENDER, str(event_file), env=env)
            sender_runs.append(figures)
            sender_walls.append(wall)
            figures, wall = run_python(FLOOR, env=env)
            floor_runs.append(figures)
            floor_walls.append(wall)
            clients_runs.append(run_python(FLOOR_WITH_CLIENTS, env=env)[0])
            sender_it.append(importtime_total("import sender.handler", env))
            floor_it.append(importtime_total("import boto3, aws_encryption_sdk", env))
            print(f"  run {i + 1}/{args.runs}", file=sys.stderr)
        top = top_imports("import sender.handler", env) if args.top else []

    floor = med([r["import"] for r in floor_runs])
    s_import = med([r["import"] for r in sender_runs])
    s_ready = med([r["import"] + r["build"] for r in sender_runs])
    s_first = med([r["import"] + r["build"] + r["first"] for r in sender_runs])
    floor_clients = med([r["import"] + r["build"] for r in clients_runs])
    figures = {
        "runs": args.runs,
        "python": sys.version.split()[0],
        "floor_import_ms": round(floor * 1e3, 1),
        "sender_import_ms": round(s_import * 1e3, 1),
        "sender_build_app_ms": round(med([r["build"] for r in sender_runs]) * 1e3, 1),
        "sender_first_invocation_ms": round(med([r["first"] for r in sender_runs]) * 1e3, 1),
        "sender_second_invocation_ms": round(med([r["second"] for r in sender_runs]) * 1e3, 1),
        "floor_with_clients_ms": round(floor_clients * 1e3, 1),
        "ratio_import": round(s_import / floor, 3),
        "ratio_import_and_build": round(s_ready / floor, 3),
        "ratio_import_build_first_invocation": round(s_first / floor, 3),
        "ratio_import_and_build_vs_floor_with_clients": round(s_ready / floor_clients, 3),
        "importtime_sender_ms": round(med(sender_it) * 1e3, 1),
        "importtime_floor_ms": round(med(floor_it) * 1e3, 1),
        "importtime_ratio": round(med(sender_it) / med(floor_it), 3),
        "process_wall_sender_ms": round(med(sender_walls) * 1e3, 1),
        "process_wall_floor_ms": round(med(floor_walls) * 1e3, 1),
        "budget": BUDGET,
    }
    if top:
        figures["slowest_imports_ms"] = {name: round(s * 1e3, 1) for name, s in top}
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    within = figures["ratio_import_and_build"] <= BUDGET
    print(
        f"import + build: {figures['ratio_import_and_build']}x the floor "
        f"({'within' if within else 'OVER'} the {BUDGET}x budget)",
        file=sys.stderr,
    )
    return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())
