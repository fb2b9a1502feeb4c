"""HIPS Autograd's own test suite, run on HIPS Autograd and retargeted at MinPy.

Measures issue 22's goal: the tests of HIPS Autograd's release (``tests/`` of PyPI's
``autograd`` sdist, ``test_scipy.py`` included) are run twice, unchanged on HIPS
Autograd and with only their import lines rewritten for MinPy:

* ``import autograd.numpy`` / ``from autograd.numpy ...`` -> ``minpy.numpy``;
* every other ``autograd`` in an import line -> ``minpy.autograd`` (``autograd.scipy``
  becomes ``minpy.autograd.scipy``, the alias of ``minpy.scipy``);
* ``import autograd`` and a bare ``import autograd.x.y`` (which bind the name
  ``autograd``) bind it to MinPy's: ``from minpy import autograd``, ``import
  minpy.autograd.x.y; from minpy import autograd``.

Lines that are not imports are never touched. The report lists the tests that pass on
HIPS Autograd and not on MinPy; the target is that MinPy passes at least 98% of them.

``python conformance/hips_suite.py [--version 1.9.1] [--sdist PATH] [--workers N]``
downloads the sdist with pip (or takes ``--sdist``), unpacks it under ``build/hips/``
(never into the repository's sources: HIPS Autograd's files are not committed) and
writes ``build/hips/report.txt``. Needs ``autograd`` (the HIPS release measured),
``scipy``, ``pytest`` and ``pytest-xdist`` installed (``nox -s hips_suite`` installs
them).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "hips"
TARGET = 0.98

_IMPORT = re.compile(r"^(\s*)(import|from)\s")
_BARE = re.compile(r"^(\s*)import autograd\.([\w.]+)\s*$")
_TOP = re.compile(r"^(\s*)import autograd\s*$")


def retarget_line(line: str) -> str:
    """One source line with its HIPS Autograd imports renamed for MinPy."""
    m = _TOP.match(line)
    if m:
        return f"{m.group(1)}from minpy import autograd\n"
    m = _BARE.match(line)
    if m:
        return f"{m.group(1)}import minpy.autograd.{m.group(2)}; from minpy import autograd\n"
    if _IMPORT.match(line):
        line = re.sub(r"\bautograd\.numpy\b", "minpy.numpy", line)
        line = re.sub(r"(?<![.\w])autograd\b", "minpy.autograd", line)
    return line


def retarget(src: Path, dst: Path) -> int:
    """Copy the tests in ``src`` to ``dst`` with their imports retargeted; return the
    number of lines changed."""
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    changed = 0
    for path in sorted(src.iterdir()):
        if path.suffix != ".py":
            continue
        lines = path.read_text().splitlines(True)
        new = [retarget_line(s) for s in lines]
        changed += sum(a != b for a, b in zip(lines, new))
        (dst / path.name).write_text("".join(new))
    return changed


def fetch_tests(version: str, sdist: Path | None) -> Path:
    """The sdist's ``tests`` directory, unpacked under ``build/hips``."""
    OUT.mkdir(parents=True, exist_ok=True)
    if sdist is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--no-binary", ":all:", f"autograd=={version}", "-d", str(OUT)],
                       check=True)
        sdist = OUT / f"autograd-{version}.tar.gz"
    unpacked = OUT / sdist.name.replace(".tar.gz", "")
    shutil.rmtree(unpacked, ignore_errors=True)
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if "/tests/" in m.name and m.isfile()]
        # the "data" filter (Python 3.11.4+) refuses links and paths out of OUT
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(OUT, members=members, **safe)
    tests = unpacked / "tests"
    if not (tests / "test_scipy.py").is_file():
        raise SystemExit(f"{sdist} has no tests/test_scipy.py")
    return tests


def run_pytest(tests: Path, report: Path, workers: int) -> None:
    # Run from a directory of its own: the sdist's autograd package must not shadow the
    # installed release. Exit status 1 (failures) is the expected outcome for MinPy.
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           f"--junitxml={report}", str(tests)]
    if workers > 1:
        cmd[4:4] = ["-n", str(workers)]
    env = dict(os.environ)
    if env.get("PYTHONPATH"):  # relative entries (a development checkout) would break
        env["PYTHONPATH"] = os.pathsep.join(
            os.path.abspath(p) for p in env["PYTHONPATH"].split(os.pathsep) if p)
    subprocess.run(cmd, cwd=tests, env=env, check=False)


def outcomes(report: Path) -> dict:
    out = {}
    for case in ET.parse(report).iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        state = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                state = "failed"
            elif child.tag == "skipped":
                state = "skipped"
        out[name] = state
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default=None,
                        help="the HIPS Autograd release (default: the installed one)")
    parser.add_argument("--sdist", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    from importlib.metadata import version as installed
    have = installed("autograd")  # the HIPS release the tests run on
    version = args.version or have
    if version != have:
        raise SystemExit(f"installed autograd is {have}, not {version}")
    tests = fetch_tests(version, args.sdist)
    mine = OUT / "minpy-tests"
    changed = retarget(tests, mine)
    run_pytest(tests, OUT / "hips.xml", args.workers)
    run_pytest(mine, OUT / "minpy.xml", args.workers)
    hips, minpy = outcomes(OUT / "hips.xml"), outcomes(OUT / "minpy.xml")
    passed = {k for k, v in hips.items() if v == "passed"}
    both = {k for k in passed if minpy.get(k) == "passed"}
    share = len(both) / len(passed)
    lines = [f"HIPS Autograd {version} tests ({len(hips)} collected, {changed} import lines "
             f"retargeted): {len(passed)} pass on HIPS Autograd, {len(both)} of them on "
             f"MinPy ({100 * share:.1f}%; target {100 * TARGET:.0f}%).",
             f"Per file: {dict(Counter(k.split('::')[0] for k in passed - both))}",
             "Pass on HIPS Autograd, not on MinPy:"]
    lines += [f"  {k} ({minpy.get(k, 'not collected')})" for k in sorted(passed - both)]
    extra = sorted(k for k, v in minpy.items() if v == "passed" and k not in passed)
    if extra:
        lines += ["Pass on MinPy, not on HIPS Autograd:"] + [f"  {k}" for k in extra]
    text = "\n".join(lines) + "\n"
    (OUT / "report.txt").write_text(text)
    print(text)
    return 0 if share >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
