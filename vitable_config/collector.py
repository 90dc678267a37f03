"""The cyclic garbage collector during a run: paused, or kept off what already exists.

A run builds hundreds of thousands of long-lived objects (config, live state, plan:
about a million for 2,000 plan years) and makes almost no cyclic garbage, so the
collector's full collections only traverse live objects:

* :func:`paused`: no collection at all, for a short command (a plan);
* :func:`existing_objects_frozen`: for a long one (an apply: thousands of requests
  over seconds, which do make some cyclic garbage), the objects alive when it starts
  are moved out of the collector's reach (``gc.freeze``) and back at its end, so the
  collections meanwhile scan only what the run made since. Without it, each full
  collection over the plan paused the event loop for 100-400 ms with every request
  in flight held up (2,000 creates from a flat config through the library API: 1-3
  such stalls per apply). A pause instead would end in one collection over
  everything (~50 ms after a 2,000-create plan).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic garbage collection inside; the collector's state is restored after.

    A plan's few dozen requests make almost no cyclic garbage (refcounting frees the
    rest): without collections a 2,000-plan-year plan saves ~75 ms even at the CLI's
    raised threshold (see ``cli.main``), for ~2 MB more memory.

    Inside an :func:`existing_objects_frozen` block (an apply plans, then writes), what
    was made while paused joins the frozen objects at the exit: otherwise the first
    collection after it would traverse all of it (~50 ms after a 2,000-create plan).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            with _depth_lock:
                if _depth:
                    gc.freeze()  # thawed by the outermost existing_objects_frozen exit
            gc.enable()


_depth = 0  # how many existing_objects_frozen() blocks are open (this module froze)
_depth_lock = threading.Lock()  # (blocks may open and close in several threads)


@contextmanager
def existing_objects_frozen() -> Iterator[None]:
    """The objects alive on entry are not scanned by the collector until the exit
    (new ones are collected as usual). Blocks nest: an inner one freezes what was made
    since the outer one, and the outermost exit thaws everything. Nothing is done when
    the collector is off, or when something else froze objects: a host's own
    ``gc.freeze()`` is never undone, nor added to (what it would add could never be
    collected)."""
    global _depth
    with _depth_lock:
        mine = gc.isenabled() and not (gc.get_freeze_count() and not _depth)
        if mine:
            gc.freeze()
            _depth += 1
    if not mine:
        yield
        return
    try:
        yield
    finally:
        with _depth_lock:
            _depth -= 1
            if not _depth:
                gc.unfreeze()
