"""Hidden characters in vendor text shown the same way in every format."""

from __future__ import annotations

import csv
import io

from auditor.kernel.visible import visible

HOSTILE = "pay\u202eroll\u200b\x00\x1b]0;title\x07\u2066x\ufeff\u115f"
SHOWN = "pay<U+202E>roll<U+200B><U+0000><U+001B>]0;title<U+0007><U+2066>x<U+FEFF><U+115F>"


def test_every_hidden_character_gets_its_mark() -> None:
    assert visible(HOSTILE) == SHOWN
    assert visible("Zoë ci-deploy 日本 \u00a0ok") == "Zoë ci-deploy 日本 \u00a0ok"
    assert visible("a\nb\tc", keep="\n") == "a\nb<U+0009>c"
    assert visible(None) == ""


def test_same_marks_in_html_markdown_and_csv() -> None:
    from reports.csv import neutralise
    from reports.html import _environment
    from reports.markdown import md_text

    html = _environment().from_string("{{ name }}").render(name=HOSTILE)
    assert html == SHOWN.replace("<", "&lt;").replace(">", "&gt;")
    md = md_text(HOSTILE)
    assert md == SHOWN.replace("<", "\\<").replace(">", "\\>").replace("]", "\\]")
    cell = next(csv.reader(io.StringIO(neutralise(HOSTILE))))[0]
    assert cell == SHOWN
    for text in (html, md, cell):
        assert not any(c in text for c in "\u202e\u200b\x00\x1b\x07\u2066\ufeff\u115f")
