"""Which code a benchmark run measured: the git commit and a fingerprint of the sources.

``run_all.py`` records both with its results; the documentation's benchmarks page
(``docs/_ext/bench_results.py``) computes the fingerprint of the tree it documents and
says whether the published run measured that code. Standard library only: the docs
build imports this file by path.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def code_fingerprint(root: Path = ROOT) -> str:
    """SHA-256 over every MinPy source file (``packages/*/src/**/*.py``): its path and
    its bytes. Equal fingerprints: the same code, whatever the commit or the checkout."""
    h = hashlib.sha256()
    for path in sorted((root / "packages").glob("*/src/**/*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def git_state(root: Path = ROOT) -> dict:
    """``{"commit": sha or None, "dirty": whether packages/ or bench/ differ from it}``."""
    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                                  timeout=30, check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--", "packages", "bench") if commit else None
    return {"commit": commit, "dirty": bool(status) if status is not None else None}
