"""The book's table of contents, ``_toc.yml``, read one way for every test and tool.

``_toc.yml`` is Jupyter Book 1.x's ``jb-book`` format: a ``root`` page and ``parts``, each with a
``caption`` and its ``chapters`` (``file`` entries without suffix).
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_parts(root: Path = ROOT) -> dict[str, list[str]]:
    """Each part's caption and its pages (e.g. ``"book/shifts_offsets"``), in reading order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    return {part["caption"]: [chapter["file"] for chapter in part["chapters"]] for part in toc.get("parts", [])}


def toc_pages(root: Path = ROOT) -> list[str]:
    """Every page of the book in reading order: the root page, then each part's pages."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    return [toc["root"]] + [page for pages in toc_parts(root).values() for page in pages]
