"""A local spam score: SpamAssassin's offline rules over the encoded message, as a receiver
without network tests runs them (``spamassassin --local``; Bayes, auto-learning and user
preferences off, so the figure depends only on the message and the installed rules).

A message built here has not travelled yet: no ``Received`` header, no DKIM signature, no
envelope for SPF or DMARC, and SES replaces its ``Message-ID`` and ``Date``. The rules that
fire only for that reason are *discounted*: reported apart, never counted. Every other rule
counts, and an email whose counted score reaches ``THRESHOLD`` fails ``cognito-sender check``.

SpamAssassin takes ~1.3 s of CPU to start (loading and compiling its rules), then ~0.05-0.1 s
per email. A batch is therefore written as mbox and fed to one process per CPU core, never one
process per email (measured: ~15x the CPU). Scores are cached on disk by message, SpamAssassin
version, rule files and options, so an unchanged email is scored once.

Entry points: ``score_message(raw)`` for one email (the preview), ``score_messages(raws)``
for many, ``SpamBatch`` for the check.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sendertools.check.finding import Finding

# SpamAssassin's own default is 5.0, with network tests, Bayes and the sender's reputation
# adding points a local run cannot see; a transactional email should score near zero on
# content alone, so fail well before, leaving that headroom.
THRESHOLD = 2.0
RULE = "spam_score"
NOT_INSTALLED = (
    "spam score: not checked (SpamAssassin is not installed; apt-get install spamassassin)"
)

# Rules that say a message has not been relayed yet, not what it contains.
UNTRAVELLED = {
    "NO_RECEIVED": "no Received header until a server relays the message",
    "NO_RELAYS": "not relayed through SMTP yet",
    "ALL_TRUSTED": "depends on the relays the message passes",
    "MISSING_MID": "SES sets the Message-ID (it replaces any given)",
    "MISSING_DATE": "SES sets the Date (it replaces any given)",
    "RDNS_NONE": "depends on the relays the message passes",
    "RDNS_DYNAMIC": "depends on the relays the message passes",
}
UNTRAVELLED_PREFIXES = {
    "__": "a sub-rule without a score of its own",
    "DKIM_": "SES signs with DKIM when it sends",
    "T_DKIM_": "SES signs with DKIM when it sends",
    "SPF_": "SPF needs the envelope and the relaying server",
    "T_SPF_": "SPF needs the envelope and the relaying server",
    "DMARC_": "DMARC needs DKIM and SPF results",
    "RCVD_": "about the Received headers relays add",
}

_RULES_HEADER = "Checkscore"
_REPORT_HEADER = "Checkreport"
_ARGS = (
    "--local",
    "--mbox",
    "--nocreate-prefs",
    "--prefspath=/dev/null",
    "--cf=report_safe 0",
    "--cf=use_bayes 0",
    "--cf=bayes_auto_learn 0",
    f"--cf=add_header all {_RULES_HEADER} _VERSION_ _TESTSSCORES(,)_",
    f"--cf=add_header all {_REPORT_HEADER} _REPORT_",
)
# Below this many emails per process, a second process's start costs more than it saves.
_MIN_PER_PROCESS = 20
_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)
_MARK = re.compile(rb"^From spamscore-(\d+) ", re.MULTILINE)
_REPORT_LINE = re.compile(r"^\*\s+(-?\d+(?:\.\d+)?)\s+(\S+)\s*(.*)$")
_REPORT_MORE = re.compile(r"^\*\s+(\S.*)$")
_MESSAGE_ID = re.compile(rb"^Message-ID:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*", re.I | re.M)
_BOUNDARY = re.compile(rb'boundary="?([^";\r\n]+)"?', re.I)


class SpamScoreError(Exception):
    """SpamAssassin could not score a message (missing, failed, or answered unreadably)."""


class SpamAssassinMissing(SpamScoreError):
    """SpamAssassin is not installed."""


@dataclass(frozen=True)
class Rule:
    """One SpamAssassin rule that fired, its score and its description."""

    name: str
    score: float
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {"rule": self.name, "score": self.score, "description": self.description}


@dataclass(frozen=True)
class SpamScore:
    """One email's local spam score: the rules that count and those discounted."""

    counted: tuple[Rule, ...]
    discounted: tuple[Rule, ...]
    version: str

    @property
    def score(self) -> float:
        """The sum of the counted rules' scores."""
        return round(sum(r.score for r in self.counted), 3)

    @property
    def passes(self) -> bool:
        """Whether the email stays under ``THRESHOLD``."""
        return self.score < THRESHOLD

    def summary(self) -> str:
        """``0.1 (TVD_PH_SEC 0.1, HTML_MESSAGE 0.001); discounted: NO_RECEIVED, NO_RELAYS``."""
        counted = ", ".join(f"{r.name} {r.score:g}" for r in _by_weight(self.counted)) or "none"
        discounted = ", ".join(r.name for r in self.discounted) or "none"
        return f"{self.score:g} ({counted}); discounted: {discounted}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "score": self.score,
            "threshold": THRESHOLD,
            "passes": self.passes,
            "spamassassin": self.version,
            "counted": [r.to_dict() for r in _by_weight(self.counted)],
            "discounted": [
                {**r.to_dict(), "why": discount_reason(r.name)} for r in self.discounted
            ],
        }


def spamassassin() -> str | None:
    """The ``spamassassin`` executable on ``PATH``, if any."""
    return shutil.which("spamassassin")


def available() -> bool:
    """Whether SpamAssassin is installed."""
    return spamassassin() is not None


def discount_reason(name: str) -> str | None:
    """Why a rule is discounted, or ``None`` when it counts."""
    if name in UNTRAVELLED:
        return UNTRAVELLED[name]
    return next((why for p, why in UNTRAVELLED_PREFIXES.items() if name.startswith(p)), None)


def classify(rules: Iterable[Rule], version: str) -> SpamScore:
    """Split the rules that fired into counted and discounted."""
    fired = sorted(rules, key=lambda r: r.name)
    return SpamScore(
        counted=tuple(r for r in fired if discount_reason(r.name) is None),
        discounted=tuple(r for r in fired if discount_reason(r.name) is not None),
        version=version,
    )


def score_message(raw: bytes, *, cache: bool | Path = True) -> SpamScore:
    """The spam score of one encoded message (its ``.eml`` bytes).

    One SpamAssassin process, ~1.5-2.5 s unless cached; raises ``SpamAssassinMissing``
    (its message is ``NOT_INSTALLED``) or ``SpamScoreError``."""
    return score_messages([raw], cache=cache)[0]


def score_messages(
    raws: Sequence[bytes],
    *,
    workers: int | None = None,
    cache: bool | Path = True,
) -> list[SpamScore]:
    """The spam score of each encoded message, in order.

    ``cache``: ``True`` for the default folder (``default_cache_dir()``), a folder, or
    ``False`` to score everything afresh."""
    exe = spamassassin()
    if exe is None:
        raise SpamAssassinMissing(NOT_INSTALLED)
    folder = default_cache_dir() if cache is True else cache or None
    fingerprint = _fingerprint(exe) if folder else ""
    keys = [_cache_key(fingerprint, raw) for raw in raws]
    scores: list[SpamScore | None] = [_cached(folder, k) if folder else None for k in keys]
    todo = [i for i, s in enumerate(scores) if s is None]
    if todo:
        count = workers or _idle_cpus()
        processes = max(1, min(count, math.ceil(len(todo) / _MIN_PER_PROCESS)))
        chunks = [todo[n::processes] for n in range(processes)]
        with ThreadPoolExecutor(processes) as pool:
            done = pool.map(lambda chunk: _run(exe, [(i, raws[i]) for i in chunk]), chunks)
            for found in done:
                for i, (version, rules) in found.items():
                    scores[i] = classify(rules, version)
                    if folder:
                        _store(folder, keys[i], version, rules)
    lost = [i for i, s in enumerate(scores) if s is None]
    if lost:
        raise SpamScoreError(f"no score for message(s) {lost}")
    return [s for s in scores if s is not None]


class SpamBatch:
    """The emails of one check run, scored together when their findings are asked for."""

    def __init__(self, *, cache: bool | Path = True, workers: int | None = None) -> None:
        self.installed = available()
        self.cache = cache
        self.workers = workers
        self.scores: dict[tuple[str, str, str], SpamScore] = {}
        self.error: str | None = None
        self._pending: dict[tuple[str, str, str], bytes] = {}

    def add(self, kind: str, locale: str, sample: str, raw: bytes) -> None:
        """Queue one email's encoded message."""
        if self.installed:
            self._pending[(kind, locale, sample)] = raw

    def score(self) -> None:
        """Score every queued email (nothing to do when SpamAssassin is missing)."""
        if not self._pending:
            return
        keys, raws = list(self._pending), list(self._pending.values())
        self._pending.clear()
        try:
            scores = score_messages(raws, workers=self.workers, cache=self.cache)
        except SpamScoreError as err:
            self.error = f"spam score: not checked: {err}"
            return
        self.scores.update(zip(keys, scores, strict=True))

    def findings(self) -> list[Finding]:
        """One error per email at or over ``THRESHOLD``; one warning when SpamAssassin is not
        installed; one error when it failed."""
        from sendertools.check.finding import Finding

        self.score()
        if not self.installed:
            return [Finding("warning", RULE, "-", NOT_INSTALLED)]
        if self.error:
            return [Finding("error", RULE, "-", self.error)]
        return [
            Finding(
                "error",
                RULE,
                kind,
                f"SpamAssassin {s.version} local score {s.score:g} >= {THRESHOLD:.1f}: "
                + s.summary(),
                kind,
                locale,
                sample,
            )
            for (kind, locale, sample), s in sorted(self.scores.items())
            if not s.passes
        ]

    def report(self) -> dict[str, Any]:
        """Every email's score, for ``check --json``."""
        self.score()
        if not self.installed or self.error:
            return {"checked": False, "reason": self.error or NOT_INSTALLED}
        versions = sorted({s.version for s in self.scores.values()})
        return {
            "checked": True,
            "threshold": THRESHOLD,
            "spamassassin": ", ".join(versions),
            "emails": [
                {"kind": kind, "locale": locale, "sample": sample, **s.to_dict()}
                for (kind, locale, sample), s in sorted(self.scores.items())
            ],
        }

    def summary(self) -> str:
        """One line for the check's table: the range of scores and the rules that fired."""
        self.score()
        if not self.installed or self.error:
            return self.error or NOT_INSTALLED
        if not self.scores:
            return "spam score: no email to score"
        values = [s.score for s in self.scores.values()]
        counted = _tally(r for s in self.scores.values() for r in s.counted)
        discounted = _tally(r for s in self.scores.values() for r in s.discounted)
        versions = ", ".join(sorted({s.version for s in self.scores.values()}))
        return (
            f"spam score (SpamAssassin {versions}, local rules): {len(values)} emails, "
            f"{min(values):g} to {max(values):g}, threshold {THRESHOLD:.1f}; "
            f"counted: {counted or 'none'}; discounted: {discounted or 'none'}"
        )


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/cognito-sender/spamscore`` (``~/.cache`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cognito-sender" / "spamscore"


def parse_output(output: bytes) -> dict[int, tuple[str, list[Rule]]]:
    """``index -> (version, rules)`` from ``spamassassin --mbox`` output of messages marked
    ``From spamscore-<index>`` (SpamAssassin writes them back in reverse order)."""
    found: dict[int, tuple[str, list[Rule]]] = {}
    marks = list(_MARK.finditer(output))
    for mark, after in zip(marks, [*marks[1:], None], strict=True):
        piece = output[mark.end() : after.start() if after else len(output)]
        head = piece.split(b"\n\n", 1)[0].decode("utf-8", "replace")
        rules_value = _header(head, f"X-Spam-{_RULES_HEADER}")
        if rules_value is None:
            continue
        version, _, tests = " ".join(rules_value.split()).partition(" ")
        descriptions = _descriptions(_header(head, f"X-Spam-{_REPORT_HEADER}", unfold=False))
        rules = []
        for item in tests.replace(" ", "").split(","):
            if not item or item == "none":
                continue
            name, _, value = item.partition("=")
            try:
                score = float(value)
            except ValueError:
                raise SpamScoreError(f"unreadable rule score {item!r} from SpamAssassin") from None
            rules.append(Rule(name, score, descriptions.get(name, "")))
        found[int(mark.group(1))] = (version, rules)
    return found


def _run(exe: str, messages: list[tuple[int, bytes]]) -> dict[int, tuple[str, list[Rule]]]:
    mbox = b"".join(_mbox_entry(i, raw) for i, raw in messages)
    timeout = 60 + 2 * len(messages)
    try:
        # Descriptions are translated when LANG names a language SpamAssassin knows.
        env = {**os.environ, "LANG": "C", "LC_ALL": "C"}
        result = subprocess.run(
            [exe, *_ARGS], input=mbox, capture_output=True, env=env, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise SpamScoreError(
            f"{exe} took over {timeout} s for {len(messages)} message(s)"
        ) from None
    except OSError as err:
        raise SpamScoreError(f"{exe} could not run: {err}") from err
    if result.returncode != 0:
        tail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise SpamScoreError(f"{exe} exited with status {result.returncode}: {' | '.join(tail)}")
    found = parse_output(result.stdout)
    missing = sorted({i for i, _ in messages} - set(found))
    if missing:
        raise SpamScoreError(
            f"{exe} returned no X-Spam-{_RULES_HEADER} header for {len(missing)} of "
            f"{len(messages)} message(s)"
        )
    return found


def _mbox_entry(index: int, raw: bytes) -> bytes:
    body = _FROM_LINE.sub(rb">\1", raw.replace(b"\r\n", b"\n"))
    if not body.endswith(b"\n"):
        body += b"\n"
    return b"From spamscore-%d Thu Jan  1 00:00:00 1970\n%s\n" % (index, body)


def _header(head: str, name: str, *, unfold: bool = True) -> str | None:
    """The first header ``name`` of a header block (SpamAssassin puts its own first)."""
    lines = head.split("\n")
    prefix = f"{name.lower()}:"
    for n, line in enumerate(lines):
        if line.lower().startswith(prefix):
            value = [line[len(prefix) :]]
            for more in lines[n + 1 :]:
                if more[:1] not in (" ", "\t"):
                    break
                value.append(more)
            return " ".join(value) if unfold else "\n".join(value)
    return None


def _descriptions(report: str | None) -> dict[str, str]:
    """``rule -> description`` from a ``_REPORT_`` header (``* pts RULE text``, continued on
    ``*      text`` lines)."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in (report or "").split("\n"):
        line = line.strip()
        if match := _REPORT_LINE.match(line):
            current = found.setdefault(match.group(2), [])
            current.append(match.group(3))
        elif (more := _REPORT_MORE.match(line)) and current is not None:
            current.append(more.group(1))
    return {name: " ".join(" ".join(parts).split()) for name, parts in found.items()}


def _tally(rules: Iterable[Rule]) -> str:
    counts: dict[str, tuple[int, float]] = {}
    for r in rules:
        counts[r.name] = (counts.get(r.name, (0, r.score))[0] + 1, r.score)
    return ", ".join(
        f"{name} {score:g} ({n} emails)"
        for name, (n, score) in sorted(counts.items(), key=lambda kv: (-abs(kv[1][1]), kv[0]))
    )


def _by_weight(rules: Iterable[Rule]) -> list[Rule]:
    return sorted(rules, key=lambda r: (-abs(r.score), r.name))


def _idle_cpus() -> int:
    """The cores no other job keeps busy, this process's own counted as idle.

    On a 2-core machine already loaded by other jobs (load 4-7), two SpamAssassin processes
    took 1.3-2x the time of one (measured, 80 and 240 emails): a process beyond the idle cores
    only adds its start-up and contention."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cpus = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this platform
        return cpus
    return max(1, min(cpus, math.floor(cpus + 1 - load)))


def _fingerprint(exe: str) -> str:
    """What, besides the message, decides its score: the executable, the options and every
    rule and configuration file (compiled rules and sa-update's included)."""
    digest = hashlib.sha256("\0".join((exe, *_ARGS)).encode())
    prefix = Path(exe).resolve().parent.parent
    folders = {
        Path("/etc/spamassassin"),
        Path("/etc/mail/spamassassin"),
        Path("/usr/share/spamassassin"),
        Path("/var/lib/spamassassin"),
        prefix / "share" / "spamassassin",
        prefix / "etc" / "mail" / "spamassassin",
        prefix / "var" / "lib" / "spamassassin",
    }
    files = sorted(p for folder in sorted(folders) if folder.is_dir() for p in folder.rglob("*"))
    for path in (Path(exe).resolve(), *files):
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.is_file():
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _cache_key(fingerprint: str, raw: bytes) -> str:
    # Message-ID and MIME boundary are random on every build; nothing else is.
    normal = _MESSAGE_ID.sub(b"Message-ID:", raw)
    for boundary in set(_BOUNDARY.findall(raw)):
        normal = normal.replace(boundary, b"BOUNDARY")
    return hashlib.sha256(fingerprint.encode() + b"\0" + normal).hexdigest()


def _cached(folder: Path, key: str) -> SpamScore | None:
    try:
        data = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        rules = [Rule(str(n), float(s), str(d)) for n, s, d in data["rules"]]
        return classify(rules, str(data["version"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store(folder: Path, key: str, version: str, rules: list[Rule]) -> None:
    data = {"version": version, "rules": [[r.name, r.score, r.description] for r in rules]}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=folder, suffix=".tmp", delete=False
        ) as fh:
            json.dump(data, fh)
        os.replace(fh.name, folder / f"{key}.json")
    except OSError:
        pass  # a cache that cannot be written only costs time
