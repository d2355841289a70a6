"""``python -m openets.messages``: move :data:`openets.messages.WORDS` into both catalogues."""

from openets.messages import LANGS, move_words, po_path

print(f"{move_words()} words written into {', '.join(str(po_path(lang)) for lang in LANGS)}; now empty WORDS")
