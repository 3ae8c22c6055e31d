"""Thread counts of the OpenMP kernels.

Every frame kernel takes ``n_threads``; :func:`resolve_threads` turns the
public argument into the count a kernel call uses:

* ``None`` means every core the process may use: ``OMP_NUM_THREADS`` when it
  is set (Dask's worker processes, for one, set it to 1, so a sweep's
  workers do not each start a thread per core), else ``os.cpu_count()``;
* in a process forked from another (multiprocessing's ``"fork"`` start
  method, a torch DataLoader worker) it is 1 whatever is asked: GNU OpenMP
  (libgomp) is not fork-safe, and in a child forked after its parent ran a
  parallel region the next region of more than one thread waits forever for
  the parent's threads, which the child does not have.

* with ``work`` given (the pixels of the call), the default is capped at one
  thread per :data:`MIN_PIXELS_PER_THREAD` pixels: a small frame (a QVGA
  frame, a 32x32 crop) runs on one thread, where waking a second would cost
  more than it saves, above all on a loaded machine, where GNU OpenMP's
  waiting threads spin on cores that other processes need. A count asked
  for explicitly is used as asked.

An explicit count above :data:`MAX_THREADS` (1024) is refused with a
ValueError naming the argument: no machine this package targets has more
cores, and a count beyond a C int would otherwise overflow in the kernel call.

No kernel's result depends on the count: each one shares fixed units of
work (rows, row blocks, frames) among the threads.
"""
import os

from ._validation import check_int

__all__ = ["default_threads", "resolve_threads", "MAX_THREADS"]

#: The largest thread count a kernel (or a torch task) may be asked for.
MAX_THREADS = 1024

_FORKED = False


def _after_fork_in_child():
    global _FORKED
    _FORKED = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def default_threads():
    """Threads a kernel uses when its ``n_threads`` is None (see the module)."""
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    try:
        n = int(env.split(",")[0]) if env else 0
    except ValueError:
        n = 0
    return n if n >= 1 else (os.cpu_count() or 1)


#: Pixels per thread below which a default thread count is lowered (2**16:
#: a QVGA frame, 76,800 pixels, runs on one thread, a VGA frame on up to 4).
MIN_PIXELS_PER_THREAD = 1 << 16


def resolve_threads(n_threads, name="n_threads", work=None):
    """``n_threads`` (None or an int in 1..:data:`MAX_THREADS`, else
    ValueError/TypeError naming ``name``) -> the count to pass to a kernel: 1
    in a forked child; a default count capped by ``work`` (pixels; see the
    module) and by :data:`MAX_THREADS`."""
    if n_threads is None:
        n = min(default_threads(), MAX_THREADS)
        if work is not None:
            n = max(1, min(n, int(work) // MIN_PIXELS_PER_THREAD))
    else:
        n = check_int(n_threads, name, low=1, high=MAX_THREADS)
    return 1 if _FORKED else n
