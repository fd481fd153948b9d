"""The parts of a large allocation finished side by side, one process per core.

OR-Tools holds the GIL while it solves, so threads would only take turns. Processes forked
from this one see the parts' arrays without copying them, finish a part each in turn (stage 2,
then the pieces) and send back only its pieces. The work and its order are those of one
process, so the result is the same. A small allocation stays in this process: a fork is not
worth it there.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from songmay.allocation.engine.tables import Array

if TYPE_CHECKING:
    from songmay.allocation.engine.solver import _Component

# Classes of pupils and devices over all parts from which the parts are finished in parallel:
# a national allocation of a million pupils has about 450,000, 5,000 to 22,000 a province.
PARALLEL_CLASSES = 50_000

Finished = tuple[Array, Array, Array, Array]  # device class, pupil class, count; classes reached

_parts: Sequence[_Component] = ()  # inherited by the forked processes, never pickled


def _finish(index: int, served: Array, need: Array) -> Finished:
    return _parts[index].finish(served, need)


def _size(part: _Component) -> int:
    return len(part.cls_idx) + len(part.dc_idx)


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def finish_parts(parts: Sequence[_Component], served: Array, need: Array) -> list[Finished]:
    """Each part's `finish(served, need)`, in the order of `parts`."""
    processes = min(cores(), len(parts))
    if (
        processes >= 2
        and sum(_size(part) for part in parts) >= PARALLEL_CLASSES
        and "fork" in multiprocessing.get_all_start_methods()
    ):
        finished = _side_by_side(parts, served, need, processes)
        if finished is not None:
            return finished
    return [part.finish(served, need) for part in parts]


def _side_by_side(
    parts: Sequence[_Component], served: Array, need: Array, processes: int
) -> list[Finished] | None:
    """`finish_parts` in `processes` forked processes; None when none can be started (a limit
    on processes), and the parts are then finished here."""
    global _parts  # noqa: PLW0603 - what the forked processes read
    _parts = parts
    # The largest first, so that no process is left alone with a large part at the end.
    order = sorted(range(len(parts)), key=lambda i: -_size(parts[i]))
    try:
        try:
            pool = multiprocessing.get_context("fork").Pool(processes)
        except OSError:
            return None
        with pool:
            done = pool.starmap(_finish, [(i, served, need) for i in order], chunksize=1)
    finally:
        _parts = ()
    finished = dict(zip(order, done, strict=True))
    return [finished[i] for i in range(len(parts))]
