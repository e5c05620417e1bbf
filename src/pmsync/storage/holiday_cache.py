"""A small file cache of public-holiday dates, so forecasts skip the `holidays` package.

Computing a country's holidays means importing `holidays` and running its rules, which
costs more than the rest of a check-date on a small team. The dates are kept in a JSON file
in the user cache folder, keyed by the installed `holidays` package so an upgrade that fixes
a holiday is picked up. The cache is an optimisation only: any problem reading or writing
it is ignored.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
from pathlib import Path

from pmsync.core import calendar

_loaded = False


def _path() -> Path:
    """One file per installed `holidays` package: two installs on one machine (a venv and
    pipx, say) would otherwise throw each other's cache away on every switch."""
    import zlib

    name = f"holidays-{zlib.crc32(_stamp().encode()):08x}.json"
    base = os.environ.get("PMSYNC_CACHE_DIR")
    if base:
        return Path(base) / name
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("pmsync", appauthor=False)) / name


@functools.cache
def _stamp() -> str:
    from importlib.util import find_spec

    spec = find_spec("holidays")
    origin = spec.origin if spec and spec.origin else ""
    try:
        return f"{origin}:{int(os.stat(origin).st_mtime)}"
    except OSError:
        return origin


def load() -> None:
    """Preload known holiday dates once per process, and save new ones at exit."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    atexit.register(save)
    try:
        data = json.loads(_path().read_text())
        if data.get("stamp") != _stamp():
            return
        for key, days in data["sets"].items():
            country, subdiv, year = key.split("|")
            calendar.CACHED_HOLIDAYS.setdefault((country, subdiv or None, int(year)), days)
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        return


def save() -> None:
    if not calendar.NEW_HOLIDAYS:
        return
    path = _path()
    sets = {f"{c}|{s or ''}|{y}": days for (c, s, y), days in calendar.CACHED_HOLIDAYS.items()}
    sets.update(
        {
            f"{c}|{s or ''}|{y}": sorted(d.isoformat() for d in days)
            for (c, s, y), days in calendar.KNOWN_HOLIDAYS.items()
        }
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps({"stamp": _stamp(), "sets": sets}))
        os.replace(tmp, path)
        calendar.NEW_HOLIDAYS.clear()
    except OSError:
        pass
