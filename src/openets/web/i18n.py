"""The dashboard's words: the catalogues of :mod:`openets.messages` (moved there so that the reports and
the command line read the same words without importing the web). Kept so ``python -m openets.web.i18n``
still moves a branch's words into the catalogues; add words to ``openets.messages.WORDS``."""

from __future__ import annotations

from openets.messages import LANGS, WORDS, Named, Phrases, catalogue, lang_of, move_words, po_path, words

__all__ = ["LANGS", "WORDS", "Named", "Phrases", "catalogue", "lang_of", "move_words", "po_path", "words"]

if __name__ == "__main__":
    print(f"{move_words()} words written into {', '.join(str(po_path(lang)) for lang in LANGS)}; now empty WORDS")
