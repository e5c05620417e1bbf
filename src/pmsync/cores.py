"""How many processes one command may use: the machine's cores, or PMSYNC_WORKERS."""

from __future__ import annotations

import os

from pmsync.errors import BadInput

WORKERS_ENV = "PMSYNC_WORKERS"
MOST_WORKERS = 4  # past this the parent spends more unpickling than the children save


def workers() -> int:
    """How many processes to use: PMSYNC_WORKERS when set (1: this process alone), else
    the cores this process may run on, at most MOST_WORKERS."""
    given = os.environ.get(WORKERS_ENV, "").strip()
    if given:
        if not given.isdigit() or not 1 <= int(given) <= 64:
            raise BadInput(f"{WORKERS_ENV} must be a whole number from 1 to 64, not {given!r}")
        return int(given)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MOST_WORKERS))
