"""Sphinx extension: after an HTML build, every link from one page of the build to
another (``page.html#anchor``, including viewcode's "[docs]" back-links from the
highlighted sources) must reach an existing page and anchor; each one that does not is
a warning (an error under ``-W``).

``sphinx-build -b linkcheck`` checks external URLs, and ``nitpicky`` checks
cross-references in the sources; neither sees links that Sphinx itself generates, such
as viewcode's back-links to where an object is documented.
"""

from __future__ import annotations

import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)
            elif key == "href" and tag == "a" and value:
                self.hrefs.append(value)


_EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # http:, mailto:, ...


def check_links(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    pages = {}
    for path in out.rglob("*.html"):
        parser = _Page()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        pages[path.relative_to(out).as_posix()] = parser
    for name, page in sorted(pages.items()):
        for href in page.hrefs:
            if _EXTERNAL.match(href) or href.startswith("//"):
                continue
            target, _, anchor = href.partition("#")
            target = target.split("?")[0]
            if target:
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
            else:
                resolved = name
            if not resolved.endswith(".html"):
                if not (out / resolved).exists():
                    logger.warning(f"{name}: link to a missing file {href!r}")
                continue
            if resolved not in pages:
                logger.warning(f"{name}: link to a missing page {href!r}")
            elif anchor and anchor not in pages[resolved].ids:
                logger.warning(f"{name}: link to a missing anchor {href!r}")


def setup(app):
    app.connect("build-finished", check_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
