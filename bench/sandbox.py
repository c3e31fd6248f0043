"""Jinja's sandbox, measured: every shipped kind × locale × sample rendered through the project's
own ``Renderer`` with the project's Jinja environment, then with a sandboxed one.

    .venv/bin/python bench/sandbox.py [--reps 7] [--samples all|default] [--json FILE]

The sandboxed environments come from the project's own code: ``Renderer.environment`` calls
``sender.templating.environment`` (same loader, autoescape, undefined class, extensions,
options, globals, catalog installed the same way) while that module's ``jinja2.Environment``
is ``SandboxedEnvironment`` or ``ImmutableSandboxedEnvironment``; the result is compared with
the plain environment attribute by attribute. No environment has a bytecode cache, so a
sandboxed one (its calls go through ``environment.call``) never loads code a plain one compiled.

Figures, CPU time of this one process (other jobs on the machine move it less than wall time),
the variants interleaved repetition by repetition, ratios paired within a repetition:

- ``compile``: every template file compiled from source in a fresh environment, the cost a
  cold process pays before its first skeleton;
- ``render``: ``Renderer.render`` with its skeleton cache emptied first, so Jinja, MJML, CSS
  inlining and the token checks all run (what an email of a new shape costs), and the part of it
  spent in Jinja; ms per email, the median over repetitions of each repetition's mean;
- a warm render (a cached or prebuilt skeleton: what the Lambda does for almost every email)
  runs no Jinja at all, so the sandbox costs it nothing.

Then what the sandbox blocks that the templates use today: every email rendered under each
sandbox, each ``SecurityError`` listed, and the output compared with the plain environment's.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from sender import templating
from sender.config import DEFAULT_TEMPLATES_DIR
from sender.errors import RenderError
from sender.event import EmailKind
from sender.i18n import LocaleInfo
from sender.model import build_model
from sender.render import RenderedEmail, Renderer, kinds_in
from sendertools.samples import FALLBACK_RECIPIENT, Sample, Workbench

VARIANTS: dict[str, type[jinja2.Environment] | None] = {
    "plain": None,
    "sandboxed": SandboxedEnvironment,
    "immutable": ImmutableSandboxedEnvironment,
}
# What must be equal between the project's environment and its twin for the comparison to hold.
_SAME = (
    "autoescape",
    "undefined",
    "trim_blocks",
    "lstrip_blocks",
    "keep_trailing_newline",
    "auto_reload",
    "newline_sequence",
    "block_start_string",
    "variable_start_string",
    "comment_start_string",
    "line_statement_prefix",
    "optimized",
    "finalize",
    "newstyle_gettext",
)


@contextmanager
def environment_class(cls: type[jinja2.Environment]) -> Iterator[None]:
    """While inside, ``sender.templating.environment`` builds a ``cls`` instead of a
    ``jinja2.Environment``, everything else as the project builds it."""
    proxy = types.SimpleNamespace(
        **{name: getattr(jinja2, name) for name in dir(jinja2) if not name.startswith("__")}
    )
    proxy.Environment = cls
    namespace = vars(templating)
    saved = namespace["jinja2"]
    namespace["jinja2"] = proxy
    try:
        yield
    finally:
        namespace["jinja2"] = saved


def same_as(env: jinja2.Environment, plain: jinja2.Environment) -> None:
    """``AssertionError`` naming what differs between two environments, other than the class."""
    differs = [a for a in _SAME if getattr(env, a, None) != getattr(plain, a, None)]
    differs += [
        f"{part} {sorted(set(getattr(env, part)) ^ set(getattr(plain, part)))}"
        for part in ("extensions", "filters", "tests", "globals")
        if set(getattr(env, part)) != set(getattr(plain, part))
    ]
    assert not differs, (
        f"the {type(env).__name__} differs from the project's environment: {differs}"
    )


class Bench:
    """One ``Renderer`` per variant over the same templates, catalogs and samples."""

    def __init__(self, templates_dir: Path, samples: str) -> None:
        self.wb = Workbench(templates_dir)
        self.templates_dir = templates_dir
        self.emails: list[tuple[EmailKind, str, Sample]] = [
            (kind, locale, sample)
            for kind in kinds_in(templates_dir)
            for name, sample in sorted(self.wb.samples.get(kind, {}).items())
            if samples == "all" or name == "default"
            for locale in self.wb.catalogs.locales
        ]
        self.models = [
            build_model(
                s.event(),
                s.secret(),
                s.event().user_attributes.get("email", FALLBACK_RECIPIENT),
                self.wb.brand,
                LocaleInfo(locale),
            )
            for _, locale, s in self.emails
        ]
        self.renderers: dict[str, Renderer] = {}
        for name, cls in VARIANTS.items():
            self.renderers[name] = self._renderer(cls)
        self.jinja_seconds = dict.fromkeys(VARIANTS, 0.0)

    def _renderer(self, cls: type[jinja2.Environment] | None) -> Renderer:
        renderer = Renderer(self.templates_dir, self.wb.catalogs)
        for locale in self.wb.catalogs.locales:
            if cls is None:
                renderer.environment(locale)  # the project's own environment
                continue
            with environment_class(cls):
                env = renderer.environment(locale)
            assert type(env) is cls, f"expected a {cls.__name__}, got {type(env).__name__}"
            same_as(env, self.renderers["plain"].environment(locale))
        return renderer

    def instrument(self) -> None:
        """Count the time each renderer spends in Jinja (its ``_render``)."""
        for name, renderer in self.renderers.items():
            inner = renderer._render

            def timed(*args: Any, _inner: Callable[..., str] = inner, _name: str = name) -> str:
                start = time.process_time()
                try:
                    return _inner(*args)
                finally:
                    self.jinja_seconds[_name] += time.process_time() - start

            renderer._render = timed  # type: ignore[method-assign,assignment]

    def render_all(self, name: str) -> Iterator[tuple[int, RenderedEmail | Exception]]:
        """Every email once, skeleton cache emptied first (so Jinja runs every time)."""
        renderer = self.renderers[name]
        for i, ((kind, locale, _), model) in enumerate(zip(self.emails, self.models, strict=True)):
            renderer._skeletons.clear()
            try:
                yield i, renderer.render(kind, LocaleInfo(locale), model)
            except (SecurityError, RenderError) as err:
                yield i, err

    def compile_ms(self, cls: type[jinja2.Environment] | None) -> float:
        """Compile every template file from source in a fresh environment."""
        renderer = Renderer(self.templates_dir, self.wb.catalogs)
        locale = self.wb.catalogs.locales[0]
        if cls is None:
            env = renderer.environment(locale)
        else:
            with environment_class(cls):
                env = renderer.environment(locale)
        env.bytecode_cache = None
        names = [
            n
            for n in env.list_templates()
            if n.endswith(templating.TEMPLATE_SUFFIXES) and not n.startswith("locales/")
        ]
        start = time.process_time()
        for n in names:
            env.get_template(n)
        return (time.process_time() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7, help="repetitions (default 7)")
    parser.add_argument(
        "--samples", choices=("all", "default"), default="all", help="every sample or one a kind"
    )
    parser.add_argument("--templates", type=Path, default=DEFAULT_TEMPLATES_DIR)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    bench = Bench(args.templates, args.samples)
    count = len(bench.emails)
    print(
        f"Jinja sandbox: {count} emails ({len(kinds_in(args.templates))} kinds × "
        f"{len(bench.wb.catalogs.locales)} locales, samples: {args.samples}), "
        f"{args.reps} repetitions; Python {platform.python_version()}, Jinja2 {jinja2.__version__}"
    )

    # The sandboxes are live: what a hostile template author would try is refused.
    probe = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    locale = bench.wb.catalogs.locales[0]
    for name in ("sandboxed", "immutable"):
        try:
            bench.renderers[name].environment(locale).from_string(probe).render()
        except SecurityError:
            continue
        print(f"{name}: the probe {probe} was not refused: not a sandbox")
        return 1
    print(f"both sandboxes refuse {probe}")

    # What each sandbox blocks: every email rendered once, outputs compared with plain's.
    plain = dict(bench.render_all("plain"))
    broken = [(bench.emails[i], r) for i, r in plain.items() if isinstance(r, Exception)]
    if broken:
        for (kind, locale, sample), err in broken:
            print(f"plain render failed: {kind.value}/{locale}/{sample.name}: {err}")
        return 1
    blocked: dict[str, list[str]] = {}
    different: dict[str, int] = {}
    for name in ("sandboxed", "immutable"):
        blocked[name], different[name] = [], 0
        for i, result in bench.render_all(name):
            kind, locale, sample = bench.emails[i]
            where = f"{kind.value}/{locale}/{sample.name}"
            if isinstance(result, Exception):
                cause = result if isinstance(result, SecurityError) else result.__cause__
                label = "SecurityError" if isinstance(cause, SecurityError) else "error"
                blocked[name].append(f"{where}: {label}: {result}")
            elif result != plain[i]:
                different[name] += 1
        for line in blocked[name]:
            print(f"{name}: {line}")
        security = sum("SecurityError" in line for line in blocked[name])
        print(
            f"{name}: {security} SecurityError, {len(blocked[name]) - security} other error(s), "
            f"{different[name]} email(s) different from plain, "
            f"{count - len(blocked[name]) - different[name]} identical"
        )

    # Timing: compile, then render with Jinja's share, the variants interleaved.
    bench.instrument()
    compile_runs: dict[str, list[float]] = {n: [] for n in VARIANTS}
    render_runs: dict[str, list[float]] = {n: [] for n in VARIANTS}
    jinja_runs: dict[str, list[float]] = {n: [] for n in VARIANTS}
    for rep in range(args.reps + 1):
        for name, cls in VARIANTS.items():
            compiled = bench.compile_ms(cls)
            bench.jinja_seconds[name] = 0.0
            start = time.process_time()
            for _i, _result in bench.render_all(name):
                pass
            elapsed = time.process_time() - start
            if rep == 0:
                continue  # a warm-up round: first calls pay for imports and caches
            compile_runs[name].append(compiled)
            render_runs[name].append(elapsed * 1000 / count)
            jinja_runs[name].append(bench.jinja_seconds[name] * 1000 / count)

    figures: dict[str, Any] = {"emails": count, "reps": args.reps, "variants": {}}
    print()
    print("CPU time of this process, median over the repetitions:")
    print(f"{'variant':<11} {'compile ms':>11} {'render ms/email':>16} {'of it Jinja':>12}")
    for name in VARIANTS:
        row = {
            "compile_ms": statistics.median(compile_runs[name]),
            "render_ms_per_email": statistics.median(render_runs[name]),
            "jinja_ms_per_email": statistics.median(jinja_runs[name]),
        }
        figures["variants"][name] = row
        print(
            f"{name:<11} {row['compile_ms']:>11.2f} {row['render_ms_per_email']:>16.3f} "
            f"{row['jinja_ms_per_email']:>12.3f}"
        )
    print()
    runs = {"render_ms_per_email": render_runs, "jinja_ms_per_email": jinja_runs}
    runs["compile_ms"] = compile_runs
    for name in ("sandboxed", "immutable"):
        # Each repetition's variant over plain from the same repetition: drift cancels.
        paired = {
            key: sorted(v / p for v, p in zip(r[name], r["plain"], strict=True))
            for key, r in runs.items()
        }
        figures["variants"][name]["ratio_to_plain"] = {
            key: {"median": statistics.median(v), "min": v[0], "max": v[-1]}
            for key, v in paired.items()
        }
        print(
            f"ratio {name}/plain (median of {args.reps} paired repetitions, min-max): "
            + ", ".join(
                f"{label} {statistics.median(paired[key]):.2f}x "
                f"({paired[key][0]:.2f}-{paired[key][-1]:.2f})"
                for label, key in (
                    ("render", "render_ms_per_email"),
                    ("Jinja", "jinja_ms_per_email"),
                    ("compile", "compile_ms"),
                )
            )
        )
    print("warm render (cached or prebuilt skeleton): no Jinja runs, 1.00x by construction")
    figures["blocked"] = blocked
    figures["different_from_plain"] = different
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
