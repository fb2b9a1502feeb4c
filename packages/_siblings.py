"""Build-time helper shared by the ``setup.py`` of every MinPy distribution.

Each distribution declares its requirements with plain pins (``minpy-core==0.1.0``).
When a pinned ``minpy-*`` distribution sits next to this one in the monorepo's
``packages/`` directory, its pin becomes a PEP 508 direct reference to that directory
(``minpy-core @ file:///.../packages/minpy-core``), so ``pip install ./packages/minpy``
installs the whole family from the checkout. Away from the monorepo (an sdist, a PyPI
release) the pins are kept.
"""

from __future__ import annotations

import re
from pathlib import Path

_PIN = re.compile(r"^(minpy(?:-[a-z]+)?)\s*==\s*[\w.]+$")


def local(requirements: list[str], here: str) -> list[str]:
    """``requirements`` with every sibling ``minpy*`` pin turned into a file reference."""
    packages = Path(here).resolve().parent
    out = []
    for req in requirements:
        m = _PIN.match(req.strip())
        sibling = packages / m.group(1) if m else None
        if sibling is not None and (sibling / "pyproject.toml").is_file():
            out.append(f"{m.group(1)} @ {sibling.as_uri()}")
        else:
            out.append(req)
    return out
