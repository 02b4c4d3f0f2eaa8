"""Writing a file for a user: atomically, and never through a symlink.

:func:`write_atomic` has the content written to a fresh temporary file in the destination's
own folder, then moves it over the destination with :func:`os.replace` (one rename). A reader
never sees half a file, an interrupted write leaves the old file whole, and a destination that
is a symlink is replaced by the new file: the file the link points to (another run's
checkpoint, anything) is never opened, let alone overwritten.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> (folder / "elsewhere.txt").write_text("keep me")
7
>>> (folder / "out.txt").symlink_to(folder / "elsewhere.txt")
>>> _ = write_atomic(folder / "out.txt", lambda p: p.write_text("new"))
>>> (folder / "out.txt").read_text(), (folder / "elsewhere.txt").read_text()
('new', 'keep me')
>>> (folder / "out.txt").is_symlink()
False
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["write_atomic", "write_text_atomic"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, write: Callable[[Path], object]) -> Path:
    """``write(tmp)`` writes the content to the temporary path ``tmp`` (in ``path``'s folder,
    with ``path``'s suffix, so writers that pick a format by suffix work); it then replaces
    ``path``. Missing folders are made. The file gets the usual permissions (``0o666`` less the
    umask). On any failure the temporary file is removed and the destination left as it was.
    Returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}",
                                dir=path.parent)  # fmt: skip
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """:func:`write_atomic` of a UTF-8 text."""
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))
