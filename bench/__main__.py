"""``python -m bench``: run every benchmark script of this folder, one after another.

A benchmark script is a module here with a ``main()``; ``data`` is the shared generator and has
none. ``python -m bench billing_month`` runs just the ones named; ``--quick`` is passed on to
each script. A script with a ``run(argv)`` returns its figures, and the table of them all is
printed at the end with the machine they were measured on.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path


def scripts() -> list[str]:
    """The names of the benchmark modules, in alphabetical order."""
    found = []
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "main", None)):
            found.append(info.name)
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    from bench.common import machine_markdown, markdown_table, summary

    args = list(sys.argv[1:] if argv is None else argv)
    flags = [a for a in args if a.startswith("--")]
    wanted = [a for a in args if not a.startswith("--")]
    names = scripts()
    unknown = [n for n in wanted if n not in names]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; known: {', '.join(names)}", file=sys.stderr)
        return 2
    failures = 0
    figures = []
    started = time.monotonic()
    for name in wanted or names:
        print(f"== bench.{name}", flush=True)
        began = time.monotonic()
        module = importlib.import_module(f"bench.{name}")
        try:
            if callable(getattr(module, "run", None)):
                found = module.run(flags)
                figures += found
                print(summary(name, found))
                status = 0
            else:
                status = module.main(flags)
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others
            traceback.print_exc()
            status = 1
        failures += bool(status)
        print(f"== bench.{name} done in {time.monotonic() - began:.0f} s\n", flush=True)
    if figures:
        print(markdown_table(figures))
        print()
        print(machine_markdown())
        print(f"- all benchmarks took {time.monotonic() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
