"""The dashboard's words in Chinese and English: gettext catalogues read with Babel.

``locale/{zh,en}/LC_MESSAGES/openets.po`` hold every word; the msgid is the key the templates use
(``{{ w.holdings }}``), so a page and its words stay apart. Besides the plain words the catalogues name
every status the UI shows (``status_<kind>_<code>``: compliance, order, transaction, account, report,
allocation run, auction notice, penalty) and every refusal (``error_<code>``, the DomainError's code), so
``order refused: price_outside_band`` reads 价格超出涨跌幅限制 in Chinese. The .po files are read at
start (no compiled .mo to keep in step); ``tests/unit/web/test_catalogue.py`` fails on a code, status or
template key missing from either language.

Adding words on a branch: put them in :data:`WORDS` below as ``key: (zh, en)``; they work at once.
Moving them into the catalogues: ``python -m openets.web.i18n`` writes them into both .po files (sorted),
then empty :data:`WORDS`. A key in both places takes the catalogue's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from openets.compliance.core import Rates
from openets.core.errors import DomainError

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "openets"
LANGS = ("zh", "en")  # zh first: the default

WORDS: dict[str, tuple[str, str]] = {
    # words added before they reach the catalogues: key: (zh, en) — see the module's docstring
}


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read(lang: str) -> Catalog:
    with po_path(lang).open("rb") as f:
        return read_po(f, locale="zh_Hans_CN" if lang == "zh" else "en", domain=DOMAIN)


@lru_cache(maxsize=len(LANGS))
def catalogue(lang: str) -> Mapping[str, str]:
    """The catalogue's translated messages (an untranslated msgid is left out, not shown as its key)."""
    return {str(m.id): str(m.string) for m in _read(lang) if m.id and m.string}


def words(lang: str) -> dict[str, str]:
    i = 1 if lang == "en" else 0
    return {**{k: v[i] for k, v in WORDS.items()}, **catalogue(lang)}


class Phrases:
    """Statuses and refusals through the same catalogue, for the templates (``tr``) and the pages."""

    def __init__(self, w: Mapping[str, str], lang: str) -> None:
        self.w, self.lang = w, lang

    def status(self, kind: str, code: object) -> str:
        """A status as people read it; an unknown one stays its code (the catalogue test finds it)."""
        return self.w.get(f"status_{kind}_{code}", str(code))

    def rates(self, r: Rates | str) -> str:
        """The three compliance rates as published (to 0.1 %), each named in the page's language."""
        if isinstance(r, str):
            return r
        return " · ".join(f"{self.w[k]} {x.as_published(1)}" for k, x in
                          (("rate_on_time", r.on_time), ("rate_final", r.final), ("rate_quantity", r.quantity)))

    def refusal(self, code: str) -> str:
        return self.w.get(f"error_{code}", code)

    def problem(self, exc: DomainError) -> str:
        """One line for a refused action: the catalogue's words and the code; in English the specific
        message too (it is written in English, so the Chinese page keeps to the catalogue's words)."""
        text = self.refusal(exc.code)
        if self.lang == "en" and exc.message and exc.message != exc.code:
            return f"{text}: {exc.message} [{exc.code}]"
        return f"{text} [{exc.code}]"


def move_words() -> int:
    """Write :data:`WORDS` into both catalogues (the catalogue's own text is kept for a key in both)."""
    for i, lang in enumerate(LANGS):
        cat = _read(lang)
        for key, texts in WORDS.items():
            if key not in cat:
                cat.add(key, texts[i])
        with po_path(lang).open("wb") as f:
            write_po(f, cat, width=120, sort_output=True)
    catalogue.cache_clear()
    return len(WORDS)


if __name__ == "__main__":
    print(f"{move_words()} words written into {', '.join(str(po_path(lang)) for lang in LANGS)}; now empty WORDS")
