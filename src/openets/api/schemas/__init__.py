"""The API's request and response models, kept apart from the tables (``XCreate`` in, ``XRead`` /
``XPage`` out)."""
