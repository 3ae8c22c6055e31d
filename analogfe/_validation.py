"""Input checks shared by every public function.

The public functions of analogfe validate and convert their input here, once;
the Cython kernels behind them trust what they are given. Every error names
the argument it is about.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_array",
    "finite_peak",
    "check_int",
    "check_bool",
    "check_ints",
    "check_float",
    "check_pair",
    "check_choice",
    "check_out",
    "as_generator",
]


def check_array(
    arr,
    name,
    *,
    ndim=None,
    dtype=None,
    kinds="biuf",
    finite=True,
    nonnegative=False,
    allow_empty=False,
    copy=False,
    max_abs=None,
):
    """Validate an array argument and return it C-contiguous, in native byte order.

    Parameters
    ----------
    arr : array_like
        The argument.
    name : str
        Its name, used in every error message.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    dtype : numpy dtype, optional
        Convert to this dtype (after the kind check). The finite check runs on
        the converted array, so float64 values beyond the float32 range are
        rejected (not returned as infinity) when ``dtype`` is float32.
    kinds : str
        Allowed dtype kinds (numpy ``dtype.kind`` letters): ``b`` bool,
        ``i`` signed, ``u`` unsigned, ``f`` float.
    finite : bool
        Reject NaN and infinity (in the input and after the conversion).
    nonnegative : bool
        Reject negative values (e.g. negative light).
    allow_empty : bool
        Accept an array with zero elements.
    copy : bool
        Always return a new array.
    max_abs : float, optional
        Reject float values of larger magnitude (implies ``finite``).

    Returns
    -------
    out : ndarray
        C-contiguous, native byte order, of ``dtype`` when given.

    Raises
    ------
    TypeError
        If ``arr`` is not array-like or its dtype kind is not allowed.
    ValueError
        Wrong number of dimensions, empty, non-finite or negative values,
        values beyond the range of ``dtype`` or above ``max_abs``.
    """
    if arr is None:
        raise TypeError(f"{name} must be an array, got None")
    try:
        a = np.asarray(arr)
    except Exception as exc:  # pragma: no cover - exotic objects
        raise TypeError(f"{name} must be array-like: {exc}") from None
    if a.dtype.kind not in kinds:
        raise TypeError(
            f"{name} must have a numeric dtype of kind {kinds!r}, got {a.dtype}"
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if a.ndim not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ValueError(
                f"{name} must have {want} dimensions, got shape {a.shape}"
            )
    if a.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {a.shape}")
    if not a.dtype.isnative:  # the kernels read native byte order only
        a = a.astype(a.dtype.newbyteorder("="))
    out = a if dtype is None else _cast(a, dtype)
    # Finite check on what is returned: a float64 value beyond the float32
    # range is finite in the input but infinite after the conversion.
    # min/max find NaN and infinity in one pass each, with no temporary.
    if (finite or max_abs is not None) and a.size and (
            a.dtype.kind == "f" or (out.dtype.kind == "f" and out.dtype.itemsize < 4)):
        peak = finite_peak(out if out.dtype.kind == "f" else a, name, source=a)
        if max_abs is not None and peak > max_abs:
            raise ValueError(f"{name} has values of magnitude up to {peak:.3g}; "
                             f"at most {max_abs:.3g} is accepted")
    if nonnegative and a.size and a.dtype.kind in "if" and a.min() < 0:
        raise ValueError(f"{name} must be non-negative, minimum is {a.min()}")
    out = np.ascontiguousarray(out)
    if copy and np.shares_memory(out, arr if isinstance(arr, np.ndarray) else out):
        out = out.copy()
    return out


def _cast(a, dtype):
    """``a.astype(dtype)`` without a copy when it already has it; an overflow
    gives infinity without a warning (the caller checks)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return a.astype(dtype, copy=False)


def finite_peak(a, name, *, source=None):
    """Largest magnitude ``max |a|`` of a non-empty float array, which must be
    finite.

    One ``min`` and one ``max`` pass (NaN and infinity propagate through
    both), so it costs no more than ``np.isfinite(a).all()``.

    Parameters
    ----------
    a : ndarray, float
    name : str
        The argument's name, used in the error message.
    source : ndarray, optional
        The array ``a`` was converted from: when ``source`` is finite and
        ``a`` is not, the message says the values are beyond ``a``'s dtype.

    Raises
    ------
    ValueError
        NaN or infinity in ``a``.
    """
    lo, hi = a.min(), a.max()
    if np.isfinite(lo) and np.isfinite(hi):
        return float(max(-lo, hi))
    if source is not None and source is not a and source.dtype.kind in "iuf":
        s_lo, s_hi = source.min(), source.max()
        if np.isfinite(s_lo) and np.isfinite(s_hi):
            big = float(max(-s_lo, s_hi))
            raise ValueError(
                f"{name} has values beyond the {a.dtype} range (largest magnitude "
                f"{big:.3g}, {a.dtype} holds up to {float(np.finfo(a.dtype).max):.3g})")
    raise ValueError(f"{name} contains NaN or infinity")


def check_int(value, name, *, low=None, high=None):
    """An integer in ``[low, high]``; bools are rejected."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        want = (f"in [{low}, {high}]" if low is not None and high is not None
                else f">= {low}" if low is not None else f"<= {high}")
        raise ValueError(f"{name} must be {want}, got {value}")
    return value


def check_float(value, name, *, low=None, high=None, low_open=False):
    """A finite real number in ``[low, high]`` (``(low, high]`` if ``low_open``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    try:
        value = float(value)
    except OverflowError:  # an int beyond the float range
        raise ValueError(f"{name} must be finite, got an integer of {value.bit_length()} bits") \
            from None
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        op = ">" if low_open else ">="
        raise ValueError(f"{name} must be {op} {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_bool(value, name):
    """A real boolean (``bool`` or ``numpy.bool_``); ``"no"``, ``0``, ``2`` or
    ``None`` are rejected rather than taken by their truth value."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_ints(value, name, *, low=None, high=None, distinct=False):
    """A non-empty sequence of ints, each in ``[low, high]``, as a tuple of
    Python ints.

    Raises
    ------
    TypeError
        ``value`` is not a sequence (a single int, a string, a set or a
        mapping are not), or an element is not an int (the message names
        ``name[i]``).
    ValueError
        Empty, an element out of range, or repeated values with ``distinct``.
    """
    if isinstance(value, (str, bytes, dict, set, frozenset)) or not hasattr(value, "__iter__") \
            or np.ndim(value) != 1:
        raise TypeError(f"{name} must be a sequence of ints, got {value!r}")
    out = tuple(check_int(v, f"{name}[{i}]", low=low, high=high) for i, v in enumerate(value))
    if not out:
        raise ValueError(f"{name} must not be empty")
    if distinct and len(set(out)) != len(out):
        raise ValueError(f"{name} must be distinct, got {out}")
    return out


def check_pair(value, name, *, low=1, high=None):
    """An int (used twice) or a pair of ints ``(rows, columns)``, each in
    ``[low, high]``; returns a tuple of two Python ints.

    Raises
    ------
    TypeError
        ``value`` is neither an int nor a pair, or an element is not an int.
    ValueError
        An element out of range (the message names ``name[0]`` or ``name[1]``).
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        value = (value, value)
    try:
        a, b = value
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an int or a (rows, columns) pair of ints, "
                        f"got {value!r}") from None
    return (check_int(a, f"{name}[0]", low=low, high=high),
            check_int(b, f"{name}[1]", low=low, high=high))


def check_keys(keys, valid, what, *, prefix=""):
    """Every key of ``keys`` is in ``valid``; the error names the first unknown
    one (as ``prefix + key``) and lists the valid ones.

    Examples
    --------
    >>> check_keys({"gain": 1}, ("gain_dn_per_e",), "SensorConfig key")
    Traceback (most recent call last):
    ...
    ValueError: unknown SensorConfig key 'gain'; valid: gain_dn_per_e
    """
    for k in keys:
        if k not in valid:
            raise ValueError(f"unknown {what} {prefix + str(k)!r}; valid: {', '.join(valid)}")


def check_choice(value, name, choices):
    """One of ``choices``; the error lists the valid names."""
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"unknown {name} {value!r}; valid: {valid}")
    return value


def check_out(out, shape, source, source_name):
    """An output buffer a caller passed (``out=``): a uint8 ndarray of
    ``shape``, C-contiguous, writeable, sharing no memory with the input
    ``source`` (named ``source_name``); TypeError / ValueError naming ``out``."""
    if not isinstance(out, np.ndarray) or out.dtype != np.uint8:
        raise TypeError(f"out must be a uint8 ndarray, got "
                        f"{getattr(out, 'dtype', type(out).__name__)}")
    if out.shape != shape:
        raise ValueError(f"out must have shape {shape}, got {out.shape}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be C-contiguous and writeable")
    if np.may_share_memory(out, source):
        raise ValueError(f"out must not share memory with {source_name}")
    return out


def as_generator(seed):
    """A ``numpy.random.Generator`` from ``None``, an int >= 0, a SeedSequence or a
    Generator; a negative int raises ValueError naming ``seed``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and not isinstance(seed, (numbers.Integral, np.random.SeedSequence)):
        raise TypeError(f"seed must be None, an int or a Generator, got {seed!r}")
    if isinstance(seed, numbers.Integral) and seed < 0:
        # numpy's own message ("expected non-negative integer") names nothing
        raise ValueError(f"seed must be a non-negative int (or None, or a Generator), "
                         f"got {seed}")
    return np.random.default_rng(seed)
