"""Every word, status, name, sentence and refusal the system shows people, in Chinese and English:
gettext catalogues read with Babel, below the edges so that the dashboard (``web/``), the reports
(``reports/``) and the command line (``cli/``) read the same words (this package imports only ``core``).

``locale/{zh,en}/LC_MESSAGES/openets.po`` hold every message; the msgid is the key
(``{{ w.holdings }}`` in a template), so a page and its words stay apart. Besides the plain words:

* ``status_<kind>_<code>`` — every status shown (compliance, order, transaction, account, report,
  allocation run, auction notice, penalty): :meth:`Phrases.status`;
* ``<kind>_<code>`` — the name of a code (``tx_surrender`` a transaction type, ``account_type_compliance``
  an account type, ``audit_action_…`` an audited action): :meth:`Phrases.name`;
* ``error_<code>`` — every refusal (the DomainError's code): :meth:`Phrases.refusal`, :meth:`Phrases.problem`;
* ``sentence_<key>`` — a sentence with ``{params}`` (``str.format``: ``{quantity:,}``), e.g. a task on the
  regulator's list: :meth:`Phrases.sentence`; a param given as :class:`Named` is shown by its name.

The .po files are read at start (no compiled .mo to keep in step); ``tests/unit/web/test_catalogue.py``
fails on a code, status, name or template key missing from either language.

Adding words on a branch: put them in :data:`WORDS` below as ``key: (zh, en)``; they work at once.
Moving them into the catalogues: ``python -m openets.messages`` writes them into both .po files (sorted),
then empty :data:`WORDS`. A key in both places takes the catalogue's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

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


def lookup(lang: str, key: str) -> str | None:
    """One message without building the whole mapping (a cell at a time): the catalogue's, else WORDS'."""
    got = catalogue(lang).get(key)
    if got is None and key in WORDS:
        return WORDS[key][1 if lang == "en" else 0]
    return got


def lang_of(lang: str | None) -> str:
    """A requested language as one of :data:`LANGS` (anything else: the default, Chinese)."""
    return lang if lang in LANGS else LANGS[0]


@dataclass(frozen=True, slots=True)
class Named:
    """A sentence's param that is a code shown by its name: ``Named("tx", "issue")`` reads 签发 / issue."""

    kind: str
    code: str


class _Rate(Protocol):
    def as_published(self, places: int = ...) -> str: ...


class _Rates(Protocol):  # compliance.core.Rates, without importing the domain here
    @property
    def on_time(self) -> _Rate: ...
    @property
    def final(self) -> _Rate: ...
    @property
    def quantity(self) -> _Rate: ...


class Phrases:
    """Statuses, names, sentences and refusals through the catalogue, for templates (``tr``), pages,
    reports and the command line."""

    def __init__(self, w: Mapping[str, str], lang: str) -> None:
        self.w, self.lang = w, lang

    @classmethod
    def of(cls, lang: str | None) -> Phrases:
        lang = lang_of(lang)
        return cls(words(lang), lang)

    def word(self, key: str) -> str:
        return self.w.get(key, key)

    def status(self, kind: str, code: object) -> str:
        """A status as people read it; an unknown one stays its code (the catalogue test finds it)."""
        return self.w.get(f"status_{kind}_{code}", str(code))

    def name(self, kind: str, code: object) -> str:
        """A code's name (``name("tx", "surrender")`` → 清缴); an unknown one stays its code."""
        if code is None or code == "":
            return ""
        return self.w.get(f"{kind}_{code}", str(code))

    def sentence(self, key: str, **params: object) -> str:
        """``sentence_<key>`` with its params put in (a :class:`Named` param by its name, ``None`` as "");
        a sentence missing from the catalogue reads as its key and params, never a blank or a traceback."""
        shown = {k: (self.name(v.kind, v.code) if isinstance(v, Named) else "" if v is None else v)
                 for k, v in params.items()}
        text = self.w.get(f"sentence_{key}")
        if text is None:
            return " ".join([key, *(f"{k}={v}" for k, v in shown.items())])
        try:
            return text.format(**shown)
        except (KeyError, IndexError, ValueError):
            return " ".join([text, *(f"{k}={v}" for k, v in shown.items())])

    def rates(self, r: _Rates | str) -> str:
        """The three compliance rates as published (to 0.1 %), each named in the page's language."""
        if isinstance(r, str):
            return r
        return " · ".join(f"{self.w[k]} {x.as_published(1)}" for k, x in
                          (("rate_on_time", r.on_time), ("rate_final", r.final), ("rate_quantity", r.quantity)))

    def action(self, code: str | None) -> str:
        """An audited action (``openets.registry.issue``, ``market.place``, ``ui.transfer``) by its name
        (``action_<code with . and - as _>``); an unknown one stays its code."""
        if not code:
            return ""
        return self.w.get("action_" + code.replace(".", "_").replace("-", "_"), code)

    def answer(self, code: str | None) -> str:
        """An audit row's answer: ok, a refusal's code (its words) or an HTTP status."""
        if not code:
            return ""
        if code == "ok":
            return self.w.get("answer_ok", code)
        if code.isdigit():
            return f"HTTP {code}"
        return self.refusal(code)

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
