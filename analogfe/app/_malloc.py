"""Freed heap memory kept for reuse (glibc), so that training loops and
kernels that allocate and free the same buffers over and over do not page
them in again each time.

glibc's ``malloc`` serves an allocation above its *mmap threshold* (128 KiB
at first, raised as such blocks are freed, at most 32 MiB) with a fresh
``mmap`` and gives it back with ``munmap`` when it is freed; and it returns
the free memory at the top of its heap to the system once that exceeds the
*trim threshold*. Each new page is then zeroed by the kernel on its first
touch: a minor page fault. A training step of the ResNet-10 on a batch of
32 crops allocates and frees activation buffers of a few hundred KiB to a
few MiB, and so faulted about 4,800 times per step (measured: 475,000 minor
faults and 0.83 s of system time in 100 steps, against 4.1 s of user time).
With both thresholds set (the mmap threshold at its 32 MiB maximum, the trim
threshold at 256 MiB) the same 100 steps fault 14,000 times and spend 0.03 s
in the system. On two shared cores the faults cost more: the single-task
main job (``analogfe compare --tasks wakeup-scenes --seeds 0``) spent 557 of
its 1,379 CPU seconds in the system before this setting, and 26 of 549 s
with it (and the other speed-ups of the same release).

The price is memory: up to :data:`TRIM_THRESHOLD` bytes of freed heap per
process stay mapped instead of going back to the system. The setting is
process-wide, so the package applies it where it runs the job (the command
line and its Dask workers, :func:`keep_freed_memory`), never on import; a
program that uses the library can call it, or set glibc's tunables
(``GLIBC_TUNABLES=glibc.malloc.mmap_threshold=...:glibc.malloc.trim_threshold=...``).
"""
import ctypes
import sys

__all__ = ["keep_freed_memory", "MMAP_THRESHOLD", "TRIM_THRESHOLD"]

#: Allocations up to this many bytes come from the heap (glibc's largest allowed value).
MMAP_THRESHOLD = 32 << 20
#: Free memory at the top of the heap kept before any is returned, in bytes.
TRIM_THRESHOLD = 256 << 20

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters of glibc's malloc.h
_applied = False


def keep_freed_memory():
    """Set glibc's mmap and trim thresholds for this process (once).

    Returns
    -------
    bool
        Whether the setting is in force: False on a system without glibc's
        ``mallopt`` (macOS, Windows, musl), where nothing is changed.
    """
    global _applied
    if _applied:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # glibc only: musl's mallopt does nothing
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _applied = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _applied
