"""The benchmark scripts still run and report what the README quotes (tiny runs: figures from
runs this small mean nothing, so none is asserted)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_bench(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_coldstart_reports_every_figure_and_never_loads_a_template_engine(
    tmp_path: Path,
) -> None:
    out = tmp_path / "coldstart.json"
    result = run_bench("coldstart.py", "--runs", "3", "--json", str(out))
    # 0 within the budget, 1 over it: either way a verdict, never a crash.
    assert result.returncode in (0, 1), result.stderr
    assert "the floor" in result.stderr
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["template_engines_imported"] == []
    for key in ("import_build", "import_build_first_invocation"):
        assert figures["same_interpreter_ratio_to_floor"][key]["median"] > 1.0
    assert len(figures["raw"]["pairs"]) == 3 and len(figures["raw"]["same_interpreter"]) == 3
    assert figures["ms"]["of_which_endpoint_round_trips"]["median"] > 0


def test_load_accounts_for_every_email(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    result = run_bench("load.py", "--count", "60", "--warmup", "10", "--json", str(out))
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["emails_captured"] == 60
    assert figures["missing"] == 0 and figures["duplicated"] == 0
    assert figures["logged_failed"] == 0


def test_burst_accounts_for_every_invocation_under_throttling(tmp_path: Path) -> None:
    out = tmp_path / "burst.json"
    result = run_bench(
        "burst.py", "--count", "20", "--rate", "5", "--concurrency", "1,4", "--json", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert "recommendation:" in result.stdout
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["accounting_ok"] is True
    settings = {s["concurrency"]: s for s in figures["settings"]}
    assert sorted(settings) == [1, 4]
    for s in settings.values():
        assert s["invoked"] == 20
        assert s["sent_first"] + s["sent_after_retry"] + s["failed"] == s["invoked"]
        assert s["failures_without_reason"] == 0
        assert sum(s["failures_by_reason"].values()) == s["failed"]
        assert set(s["failures_by_reason"]) <= {"ses_throttled"}
        assert s["logged_failures_by_reason"] == s["failures_by_reason"]
        assert s["logged_sent"] == s["sent"] == s["captured"]
        assert s["missing"] == 0 and s["duplicated"] == 0 and s["captured_for_failed"] == 0
        assert s["ses_attempts"] == s["sent"] + s["throttled_responses"]
    # Four workers outrun 5 sends/s: SES throttled them and the sender's retries ran.
    busy = settings[4]
    assert busy["throttled_responses"] > 0
    assert busy["ses_attempts"] > busy["sent"]
    assert busy["sent_after_retry"] + busy["failed"] > 0


def test_sandbox_prints_the_ratio_and_blocks_nothing_the_templates_use(tmp_path: Path) -> None:
    out = tmp_path / "sandbox.json"
    result = run_bench("sandbox.py", "--reps", "1", "--samples", "default", "--json", str(out))
    assert result.returncode == 0, result.stderr
    for variant in ("sandboxed", "immutable"):
        assert re.search(rf"ratio {variant}/plain .*: render \d+\.\d+x", result.stdout)
    assert "SecurityError:" not in result.stdout
    assert "both sandboxes refuse" in result.stdout
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["emails"] == 7 * 6
    assert figures["blocked"] == {"sandboxed": [], "immutable": []}
    assert figures["different_from_plain"] == {"sandboxed": 0, "immutable": 0}
