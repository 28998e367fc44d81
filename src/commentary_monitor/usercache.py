"""What is kept between processes in the user's cache folder (``$XDG_CACHE_HOME``, else
``~/.cache``, then ``commentary-monitor/``): things every process would otherwise build again
from a package's files, at a cost worth a file (the multilingual encoder, 2.3 s; the language
detector, 0.6 s). Each is kept under a name that changes with the package's version; a file
that is absent, damaged or from another version is built again and replaced, and a folder
that cannot be written only costs building it again."""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def folder() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "commentary-monitor"


def package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def kept(path: Path, make: Callable[[], T], valid: Callable[[object], bool],
         unpicklable: tuple[str, ...] = (), restore: Callable[[T], T] | None = None) -> T:
    """The object pickled at ``path`` when it is there and ``valid``, else ``make()``, then
    pickled there (atomically: a process reading it meanwhile sees the old file or the new
    one). ``unpicklable``: attributes (dotted paths) set to None while it is pickled and put
    back after, which ``restore`` sets again on an object read back."""
    try:
        with path.open("rb") as f:     # read as it is unpickled: no second copy of the file in memory
            obj = pickle.load(f)
        if valid(obj):
            return restore(obj) if restore else obj
    except Exception:    # noqa: BLE001 - absent, damaged, another version: made again
        pass
    obj = make()
    saved = {a: _get(obj, a) for a in unpicklable}
    tmp = None
    try:
        for a in unpicklable:
            _set(obj, a, None)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as f:
            tmp = f.name
            pickle.dump(obj, f, protocol=5)
        os.replace(tmp, path)
    except Exception:    # noqa: BLE001 - a cache that cannot be written only costs making it again
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    finally:
        for a, v in saved.items():
            _set(obj, a, v)
    return obj


def _get(obj, dotted: str):
    for name in dotted.split("."):
        obj = getattr(obj, name)
    return obj


def _set(obj, dotted: str, value) -> None:
    *path, last = dotted.split(".")
    setattr(_get(obj, ".".join(path)) if path else obj, last, value)
