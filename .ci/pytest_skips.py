"""pytest plugin (nox loads it with ``-p pytest_skips``): one line per skip *reason*
with its count at the end of the run, whatever file or line it came from, and the full
list in ``build/test-reports/<name>-skips.txt`` (``<name>`` from ``MINPY_REPORT_NAME``).

pytest itself prints only the number of skipped tests, or with ``-rs`` one line per
(file, line, reason): thousands of lines for the parametrised conformance suite.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from pathlib import Path

REPORT_DIR = Path(__file__).resolve().parent.parent / "build" / "test-reports"
SHOWN = 12  # reasons printed on the terminal; the file has all of them

_reasons: Counter = Counter()


def _reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        text = str(longrepr[2])
    else:
        text = str(longrepr)
    for prefix in ("Skipped: ", "SKIPPED: "):
        if text.startswith(prefix):
            text = text[len(prefix):]
    text = " ".join(text.split())
    if hasattr(report, "wasxfail"):
        return f"xfail: {report.wasxfail or text}"
    return text or "(no reason given)"


def _grouped(reasons: Counter) -> list:
    """(count, text) per line: reasons that differ only in their first word (``fmax has
    no MXNet kernel: ...``, ``fmin has no ...``) share one line when 3 or more do."""
    heads = defaultdict(list)
    for reason in reasons:
        head, _, tail = reason.partition(" ")
        if tail:
            heads[tail].append(head)
    lines = Counter()
    for reason, n in reasons.items():
        head, _, tail = reason.partition(" ")
        if tail and len(heads[tail]) >= 3:
            names = sorted(heads[tail])
            shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
            reason = f"{{{shown}}} ({len(names)} names) {tail}"
        lines[reason] += n
    return [(n, text) for text, n in lines.most_common()]


def pytest_runtest_logreport(report):
    if report.skipped:
        _reasons[_reason(report)] += 1


def pytest_terminal_summary(terminalreporter):
    if not _reasons:
        return
    name = os.environ.get("MINPY_REPORT_NAME", "pytest")
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORT_DIR / f"{name}-skips.txt"
    ranked = _reasons.most_common()
    path.write_text("".join(f"{n:7d}  {reason}\n" for reason, n in ranked))
    tr = terminalreporter
    lines = _grouped(_reasons)
    tr.section(f"skipped: {sum(_reasons.values())} tests, {len(ranked)} reasons", sep="-")
    for n, text in lines[:SHOWN]:
        tr.write_line(f"{n:7d}  {text[:200]}")
    if len(lines) > SHOWN:
        rest = sum(n for n, _ in lines[SHOWN:])
        tr.write_line(f"         ... {len(lines) - SHOWN} more lines ({rest} tests)")
    tr.write_line(f"         all reasons: {os.path.relpath(path)}")
