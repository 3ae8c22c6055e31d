"""Timing shared by the benchmarks: callables timed alternately, best of repeats."""
import time


def _sample(fn, number):
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def race(fns, repeats, min_sample_s=0.004):
    """Best mean time of each callable, timed alternately; seconds."""
    numbers = []
    for fn in fns:  # warm-up, and how many calls make one sample
        t = _sample(fn, 1)
        numbers.append(max(1, int(min_sample_s / max(t, 1e-7))))
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], _sample(fn, numbers[i]))
    return best
