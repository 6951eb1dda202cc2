"""Files written whole or not at all: the one way the product replaces a file.

>>> with atomic_text_file("data/workspace/town/meta.json") as handle:  # doctest: +SKIP
...     handle.write("{}")
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: Permissions of a new file under this process's umask (read once: changing the umask to read
#: it is not thread-safe), so that a replaced file is readable like one written directly.
_UMASK = os.umask(0o022)
os.umask(_UMASK)
#: Mode of a new file and of a new folder under that umask.
FILE_MODE = 0o666 & ~_UMASK
DIR_MODE = 0o777 & ~_UMASK


def _a_file(path: str | Path) -> Path:
    """``path``, refused when a folder stands there: the rename at the end would fail naming
    the temporary file, not the one asked for."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
    return path


@contextmanager
def atomic_text_file(path: str | Path, *, newline: str | None = None) -> Iterator:
    """A UTF-8 text file that replaces ``path`` only when the ``with`` block ends without
    error: written under a temporary name beside it (``.<name>.<random>.tmp``), flushed to
    disk, then renamed over ``path``. A reader, or a crash, sees the old file or the new one,
    never half of one; an error leaves no temporary file behind."""
    path = _a_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline=newline) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, FILE_MODE)  # mkstemp makes it private (0600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def replace_atomically(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Replace ``path`` with what ``write(temporary_path)`` writes (any format: Parquet,
    GeoJSON, HTML), whole or not at all, with the permissions of a file written directly."""
    path = _a_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix
    )
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


@contextmanager
def staged_folder(folder: str | Path) -> Iterator[Path]:
    """A folder of files that go into ``folder`` only when the ``with`` block ends without
    error: written in a temporary folder beside it, then each moved in by a rename (a reader
    sees each file old or new, never half of one). An error leaves ``folder`` as it was and
    no temporary folder behind: a command that fails after writing its files (a round that
    cannot be assigned) or before (a folder that cannot be written) leaves nothing half done.
    """
    import shutil

    folder = Path(folder)
    made = [p for p in (folder.parent, *folder.parent.parents) if not p.exists()]
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    try:
        yield staging
        folder.mkdir(exist_ok=True, mode=DIR_MODE)
        for path in sorted(staging.iterdir()):
            os.replace(path, folder / path.name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for parent in made:  # the folders made for it, nearest first, when left empty
            try:
                parent.rmdir()
            except OSError:
                break
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
