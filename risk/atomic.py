"""Files written whole or not at all: the one way the product replaces a file.

>>> with atomic_text_file("data/workspace/town/meta.json") as handle:  # doctest: +SKIP
...     handle.write("{}")
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_text_file(path: str | Path, *, newline: str | None = None) -> Iterator:
    """A UTF-8 text file that replaces ``path`` only when the ``with`` block ends without
    error: written under a temporary name beside it (``.<name>.<random>.tmp``), flushed to
    disk, then renamed over ``path``. A reader, or a crash, sees the old file or the new one,
    never half of one; an error leaves no temporary file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline=newline) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
