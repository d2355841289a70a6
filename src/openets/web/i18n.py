"""The dashboard's words: the catalogues of :mod:`openets.messages` (moved there so that the reports and
the command line read the same words without importing the web). Kept so ``python -m openets.web.i18n``
still moves a branch's words into the catalogues; add words to ``openets.messages.WORDS``."""

from __future__ import annotations

from starlette.requests import Request

from openets.messages import LANGS, WORDS, Named, Phrases, catalogue, lang_of, move_words, po_path, words

__all__ = ["LANGS", "WORDS", "Named", "Phrases", "catalogue", "lang_of", "move_words", "page_lang", "phrases_for",
           "po_path", "words"]


def page_lang(request: Request) -> str:
    """The page's language: ``?lang=en`` or the cookie it set; Chinese by default."""
    return "en" if (request.query_params.get("lang") or request.cookies.get("lang")) == "en" else "zh"


def phrases_for(request: Request) -> Phrases:
    """The page's words, for what a page hands out besides HTML (a CSV or a workbook: one language, the page's)."""
    return Phrases.of(page_lang(request))

if __name__ == "__main__":
    print(f"{move_words()} words written into {', '.join(str(po_path(lang)) for lang in LANGS)}; now empty WORDS")
