"""Sphinx extension: author–year citations that tell works apart, and a bibliography to match.

sphinxcontrib-bibtex's ``author_year`` style writes "Lin et al., 2017" for both the FPN and the focal
loss paper, and its default bibliography labels (pybtex's ``alpha``) mangle accents ("LDollarG+17"
for Lin, Dollár, Girshick, ...). Here

* works whose citation would read the same (same first author, same "et al." or co-author, same
  year) get the year suffixes a, b, ... in title order, in the text and in the bibliography alike:
  "Lin et al., 2017a" and "Lin et al., 2017b";
* the bibliography style ``book-author-year`` is pybtex's ``unsrt`` sorted by author, year and title,
  with the same "Lin et al., 2017a" as each entry's label and names rendered from LaTeX ("Dollár").

arXiv numbers (``eprint``) and DOIs (``doi``) in references.bib become links by ``unsrt`` itself.
"""

from __future__ import annotations

import re
from collections import defaultdict

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle
from sphinx.application import Sphinx

_SUFFIX = re.compile(r"(?<=\d)[a-z]$")


def _last_name(person) -> str:
    return Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as("text")


def _authors(entry) -> str:
    """The author part of a citation as sphinxcontrib-bibtex's author_year style writes it."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_last_name(person) for person in people]
    if len(names) > 2:
        return f"{names[0]} et al."
    return " and ".join(names)


def _label(entry) -> str:
    return f"{_authors(entry)}, {entry.fields.get('year', '')}"


class AuthorYearLabels(BaseLabelStyle):
    """Bibliography labels that read like the citations in the text: "Lin et al., 2017a"."""

    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            yield _label(entry)


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabels
    default_sorting_style = SortingStyle


def disambiguate(entries) -> None:
    """Give works that would be cited alike the year suffixes a, b, ... in title order (in place)."""
    groups = defaultdict(list)
    for entry in entries.values():
        year = _SUFFIX.sub("", entry.fields.get("year", ""))
        entry.fields["year"] = year  # idempotent: a cached, already suffixed entry starts again
        groups[(_authors(entry), year)].append(entry)
    for group in groups.values():
        if len(group) > 1:
            for letter, entry in zip("abcdefghijklmnopqrstuvwxyz", sorted(group, key=lambda e: e.fields["title"])):
                entry.fields["year"] += letter


def _disambiguate_bibdata(app: Sphinx) -> None:
    disambiguate(app.env.get_domain("cite").bibdata.data.entries)


def setup(app: Sphinx) -> dict:
    register_plugin("pybtex.style.formatting", "book-author-year", AuthorYearStyle)
    app.connect("builder-inited", _disambiguate_bibdata, priority=900)  # after the .bib files are read
    return {"parallel_read_safe": True, "parallel_write_safe": True}
