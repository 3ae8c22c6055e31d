"""What every benchmark shares: its environment, alternated timing, paired
ratios with their spread, and output checks.

* :func:`environment` prints the CPU model, the cores this process may use,
  the load average, the thread settings (``OMP_NUM_THREADS``,
  ``OMP_WAIT_POLICY``, ``GOMP_SPINCOUNT``, the default of ``n_threads``) and
  the versions of Python, numpy, analogfe and the peers asked for;
* :func:`paired` times callables alternately (the order rotates every
  round), several calls per sample, and returns every sample: load from
  elsewhere on the machine hits all contenders alike within a round;
* :func:`ratio` is the median of the per-round ratios ``peer / ours`` (> 1:
  ours is faster) with their spread (25th-75th percentile), the figure that
  stays meaningful on a shared machine where absolute times do not;
* :func:`check_equal` / :func:`check_close` stop a benchmark whose
  contenders disagree.

``race`` (best sample of each) is kept for the rows that print times.
"""
from __future__ import annotations

import importlib
import os
import platform
import time

import numpy as np

__all__ = ["environment", "paired", "ratio", "fmt_ratio", "race", "check_equal",
           "check_close", "cpu_model", "load", "busiest_thread_s"]


def cpu_model():
    """The CPU's model name (``/proc/cpuinfo``), or the platform's processor."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load():
    """The 1-minute load average (NaN where the system has none)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return float("nan")


def _version(name):
    try:
        mod = importlib.import_module(name)
    except ImportError:
        return "absent"
    return getattr(mod, "__version__", "?")


def environment(peers=()):
    """Print the conditions of this run (one block of lines) and return them."""
    from analogfe import __version__
    from analogfe._threads import default_threads, usable_cores

    try:
        la = " ".join(f"{v:.2f}" for v in os.getloadavg())
    except (AttributeError, OSError):
        la = "n/a"
    env = {k: os.environ.get(k, "unset")
           for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    info = {
        "cpu": cpu_model(), "cores": usable_cores(), "cpu_count": os.cpu_count(),
        "load": la, "default_threads": default_threads(), **env,
        "python": platform.python_version(), "numpy": np.__version__,
        "analogfe": __version__, **{p: _version(p) for p in peers},
    }
    print(f"# {info['cpu']}; {info['cores']} usable cores of {info['cpu_count']}; "
          f"load average {la}")
    print("# threads: " + ", ".join(f"{k}={v}" for k, v in env.items())
          + f", n_threads=None -> up to {info['default_threads']}")
    print(f"# python {info['python']}, numpy {info['numpy']}, analogfe {info['analogfe']}"
          + "".join(f", {p} {info[p]}" for p in peers))
    return info


def _sample(fn, number):
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def _numbers(fns, min_sample_s):
    numbers = []
    for fn in fns:  # warm-up, and how many calls make one sample
        t = _sample(fn, 1)
        numbers.append(max(1, int(min_sample_s / max(t, 1e-7))))
    return numbers


def paired(fns, repeats, min_sample_s=0.004):
    """Mean time per call of each callable in each of ``repeats`` rounds,
    timed alternately (the first callable rotates); (len(fns), repeats) s."""
    numbers = _numbers(fns, min_sample_s)
    out = np.empty((len(fns), repeats))
    for r in range(repeats):
        for j in range(len(fns)):
            i = (r + j) % len(fns)
            out[i, r] = _sample(fns[i], numbers[i])
    return out


def ratio(peer, ours):
    """Median and 25th/75th percentiles of the per-round ``peer / ours``."""
    q = np.percentile(np.asarray(peer) / np.asarray(ours), [50, 25, 75])
    return float(q[0]), float(q[1]), float(q[2])


def fmt_ratio(peer, ours):
    """``'1.93x [1.85-2.02]'``: :func:`ratio` as text."""
    m, lo, hi = ratio(peer, ours)
    return f"{m:5.2f}x [{lo:.2f}-{hi:.2f}]"


def race(fns, repeats, min_sample_s=0.004):
    """Best mean time of each callable, timed alternately; seconds."""
    return [float(t.min()) for t in paired(fns, repeats, min_sample_s)]


def _thread_cpu_s():
    """CPU seconds of each thread of this process (Linux: /proc), by thread id."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out[tid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def busiest_thread_s(fn, calls):
    """CPU seconds per call of the busiest thread while ``fn`` runs ``calls`` times:
    the critical path, which load from other processes does not lengthen (the
    wall time on otherwise idle cores; Linux only)."""
    before = _thread_cpu_s()
    for _ in range(calls):
        fn()
    after = _thread_cpu_s()
    return max(after[t] - before.get(t, 0.0) for t in after) / calls


def check_equal(a, b, what):
    """Raise AssertionError naming ``what`` unless ``a`` and ``b`` are equal."""
    if not np.array_equal(np.asarray(a), np.asarray(b)):
        raise AssertionError(f"{what}: outputs differ")


def check_close(a, b, what, atol):
    """Raise unless ``|a - b| <= atol`` everywhere; return the largest difference."""
    d = float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))
    if not d <= atol:
        raise AssertionError(f"{what}: outputs differ by up to {d} (> {atol})")
    return d
