"""Sphinx extension: the tutorial gallery.

``.. tutorial-gallery::`` in ``tutorials/index.rst`` lists every notebook of its folder
(``*.md`` MyST notebooks and ``*.ipynb``) as a card, and puts them in the toctree, in the
order their front matter gives. Adding a tutorial is adding one file: its front matter
(for an ``.ipynb``, its notebook metadata) carries, besides the kernel::

    minpy_tutorial:
      order: 30                       # position in the gallery (ties: by file name)
      summary: One or two sentences: what the reader learns and sees.

Its title is its first ``#`` heading. A notebook without ``minpy_tutorial.summary`` or
without a title is a warning (an error under ``-W``), so the gallery cannot silently
drop one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_TITLE = re.compile(r"^#\s+(.+?)\s*$", re.M)


def read_tutorial(path: Path) -> dict:
    """``{"name", "title", "order", "summary"}`` of one notebook (missing keys: None)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        nb = json.loads(text)
        meta = nb.get("metadata", {}).get("minpy_tutorial") or {}
        body = "\n".join("".join(c.get("source", "")) for c in nb.get("cells", [])
                         if c.get("cell_type") == "markdown")
    else:
        m = _FRONT.match(text)
        front = (yaml.safe_load(m.group(1)) if m else None) or {}
        meta = front.get("minpy_tutorial") or {}
        body = text[m.end():] if m else text
    # Headings inside code fences are comments, not titles.
    body = re.sub(r"^(```|~~~).*?^\1", "", body, flags=re.S | re.M)
    title = _TITLE.search(body)
    return {"name": path.stem, "path": str(path), "title": title.group(1) if title else None,
            "order": meta.get("order", 1000), "summary": meta.get("summary")}


def tutorials_in(folder: Path) -> list[dict]:
    found = [read_tutorial(p) for p in sorted(folder.iterdir())
             if p.suffix in (".md", ".ipynb") and p.stem != "index"]
    return sorted(found, key=lambda t: (t["order"], t["name"]))


class TutorialGallery(SphinxDirective):
    """Cards and a (hidden) toctree for the notebooks next to the current document."""

    has_content = False

    def run(self):
        folder = Path(self.env.doc2path(self.env.docname)).parent
        entries = tutorials_in(folder)
        lines = [".. toctree::", "   :hidden:", ""]
        lines += [f"   {t['name']}" for t in entries]
        lines += ["", ".. grid:: 1 1 2 2", "   :gutter: 3", "   :class-container: tutorial-gallery",
                  ""]
        for t in entries:
            for key in ("title", "summary"):
                if not t[key]:
                    logger.warning(f"tutorial {t['name']!r} has no {key} "
                                   "(a '# ' heading, front matter minpy_tutorial.summary)",
                                   location=(self.env.docname, self.lineno))
            # Markdown's `code` is reStructuredText's ``code`` here
            title = re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", t["title"] or t["name"])
            lines += [f"   .. grid-item-card:: {title}",
                      f"      :link: {t['name']}", "      :link-type: doc",
                      "      :class-card: tutorial-card", "",
                      f"      {t['summary'] or ''}", ""]
        for t in entries:
            self.env.note_dependency(t["path"])
        holder = nodes.section()
        holder.document = self.state.document
        self.state.nested_parse(StringList(lines, source=self.env.docname),
                                self.content_offset, holder)
        return list(holder.children)


def _always_reread(app, env, added, changed, removed):
    # A tutorial added or renamed changes the gallery: re-read the pages that show one.
    return [doc for doc in env.found_docs if doc.endswith("tutorials/index")]


def setup(app):
    app.add_directive("tutorial-gallery", TutorialGallery)
    app.connect("env-get-outdated", _always_reread)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
