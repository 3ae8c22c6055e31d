"""Thread counts of the OpenMP kernels, and how their threads wait.

Every frame kernel takes ``n_threads``; :func:`resolve_threads` turns the
public argument into the count a kernel call uses:

* ``None`` means every core the process may use: ``OMP_NUM_THREADS`` when it
  is set (Dask's worker processes, for one, set it to 1, so a sweep's
  workers do not each start a thread per core), else the cores of the
  process's CPU affinity mask (``os.sched_getaffinity``: a container or a
  ``taskset`` limit counts, unlike ``os.cpu_count()``), counted once, less
  those busy with other work (below);
* in a process forked from another (multiprocessing's ``"fork"`` start
  method, a torch DataLoader worker) it is 1 whatever is asked: GNU OpenMP
  (libgomp) is not fork-safe, and in a child forked after its parent ran a
  parallel region the next region of more than one thread waits forever for
  the parent's threads, which the child does not have.

* with ``work`` given (the pixels of the call), the default is capped at one
  thread per :data:`MIN_PIXELS_PER_THREAD` pixels: a small frame (a QVGA
  frame, a 32x32 crop) runs on one thread, where waking a second would cost
  more than it saves. A count asked for explicitly is used as asked.

An explicit count above :data:`MAX_THREADS` (1024) is refused with a
ValueError naming the argument: no machine this package targets has more
cores, and a count beyond a C int would otherwise overflow in the kernel call.

No kernel's result depends on the count: each one shares fixed units of
work (rows, row blocks, frames) among the threads.

Waiting threads sleep
---------------------
GNU OpenMP's threads spin (for about 300,000 iterations) at the end of a
parallel region and before the next. On a machine busy with other work a
spinning thread takes the core from the thread it waits for, and a call on
two threads can take ten to hundreds of times longer than on one.
:func:`quiet_openmp` therefore sets ``OMP_WAIT_POLICY=PASSIVE`` (waiting
threads sleep) before the first kernel loads the OpenMP runtime, unless the
user set ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``. The runtime reads them
once, when it loads: where another library (torch's CPU build) loaded it
first, as the same shared ``libgomp.so.1``, the setting comes too late, and
:data:`SPINNING` says so.

Even sleeping, a thread that shares a core with other work makes a call wait
for it at the region's end. The default therefore leaves out the cores that
other work keeps busy: without ``OMP_NUM_THREADS`` it is the usable cores
less the threads of other processes (and other threads of this one) that
are runnable at the time (Linux: ``/proc/loadavg``, counted at most every
0.1 s), at least one.
"""
import os
import time

from ._validation import check_int

__all__ = ["default_threads", "resolve_threads", "usable_cores", "quiet_openmp", "MAX_THREADS"]

#: The largest thread count a kernel (or a torch task) may be asked for.
MAX_THREADS = 1024

_FORKED = False


def _after_fork_in_child():
    global _FORKED
    _FORKED = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _count_cores():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity masks (macOS, Windows)
        return os.cpu_count() or 1


_CORES = _count_cores()


def usable_cores():
    """Cores this process may run on (its affinity mask), counted at import."""
    return _CORES


#: True when the OpenMP runtime was loaded (by another library) before
#: :func:`quiet_openmp` could ask its threads to sleep, and the user set no
#: wait policy: waiting threads then spin.
SPINNING = False


def _openmp_loaded():
    try:
        with open("/proc/self/maps") as f:
            return "libgomp" in f.read()
    except OSError:
        return False


def quiet_openmp():
    """Ask GNU OpenMP's waiting threads to sleep (see the module); called
    once, by ``import analogfe``, before any kernel module loads."""
    global SPINNING
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return
    if _openmp_loaded():
        SPINNING = True
        return
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"


_seen = [0, -1.0]  # [other runnable threads, when counted (monotonic s)]


def _others_running():
    """Runnable threads of the whole system other than the caller (Linux:
    ``/proc/loadavg``; 0 elsewhere), counted at most every 0.1 s."""
    now = time.monotonic()
    if now - _seen[1] > 0.1:
        try:
            with open("/proc/loadavg", "rb") as f:
                _seen[0] = max(0, int(f.read().split()[3].split(b"/")[0]) - 1)
        except (OSError, ValueError, IndexError):
            _seen[0] = 0
        _seen[1] = now
    return _seen[0]


def default_threads():
    """Threads a kernel uses when its ``n_threads`` is None (see the module)."""
    env = os.environ.get("OMP_NUM_THREADS")
    if env:
        try:
            n = int(env.split(",")[0])
        except ValueError:
            n = 0
        if n >= 1:
            return n
    return max(1, _CORES - _others_running())


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
