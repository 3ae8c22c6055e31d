"""Tests of analogfe.app._malloc: freed heap memory kept for reuse."""
import subprocess
import sys

import pytest

_LOOP = """
import resource, sys
import numpy as np
if sys.argv[1] == "keep":
    from analogfe.app._malloc import keep_freed_memory
    assert keep_freed_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def step():  # as a training step: several buffers of 1 MiB alive at once, then freed
    bufs = [np.ones(1 << 17) for _ in range(8)]
    del bufs
for _ in range(3):  # warm up
    step()
before = faults()
for _ in range(40):
    step()
print(faults() - before)
"""


def _faults(mode):
    out = subprocess.run([sys.executable, "-c", _LOOP, mode], capture_output=True, text=True,
                         check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_freed_buffers_are_reused_without_page_faults():
    # 40 steps x 8 MiB = 80,000 pages of 4 KiB: by default the heap's top is
    # given back after each step and faulted in again in the next; with the
    # setting the pages are reused.
    default, kept = _faults("default"), _faults("keep")
    assert default > 40_000
    assert kept < default / 20


def test_keep_freed_memory_is_idempotent():
    from analogfe.app._malloc import keep_freed_memory

    first = keep_freed_memory()
    assert keep_freed_memory() is first
