"""The documentation's own machinery: the browser check, the extensions, the publishing
of a benchmark run. ``nox -s docs`` runs these before it builds the pages."""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent
for folder in (DOCS, DOCS / "_ext", DOCS.parent / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
