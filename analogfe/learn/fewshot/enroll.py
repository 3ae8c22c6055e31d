"""The Conv-4 embedding, class prototypes, and the device's prototype memory.

:class:`Conv4` is the embedding of prototypical networks (Snell et al. 2017,
after Vinyals et al. 2016): four blocks of 3 x 3 convolution, batch norm,
ReLU and 2 x 2 max pooling; a 28 x 28 input gives a ``width``-dimensional
embedding. A class prototype is the mean embedding of its support drawings
(:func:`prototypes`); a query is scored by the negative squared Euclidean
distance to each prototype (:func:`prototype_logits`).

On the device nothing but the prototypes' sums is kept:
:class:`RunningPrototypes` stores one count and, per dimension, one exact
integer sum of the class's quantised shots (:func:`quantize`), and a new shot
is added in place, so an enrolled class needs no stored image; the prototype
is quantised only when it is read (``round(sum / count)`` on the same grid),
so it is within half a step of the mean of the quantised shots however many
arrive. The memory is ``n_classes * (dim * accumulator_bits + counter_bits)``
(:func:`prototype_memory_bits`): a ``bits``-bit grid and up to ``max_shots``
shots need ``bits + ceil(log2(max_shots))`` bits per sum.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..._validation import check_array, check_float, check_int

__all__ = ["Conv4", "embed", "prototypes", "prototype_logits", "quantize",
           "accumulator_bits", "counter_bits", "prototype_memory_bits", "RunningPrototypes",
           "DEFAULT_MAX_SHOTS"]


def _block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True), nn.MaxPool2d(2))


class Conv4(nn.Module):
    """Four conv blocks (3 x 3 conv, batch norm, ReLU, 2 x 2 max pool), flattened.

    Parameters
    ----------
    in_channels : int
        Input channels (3 for rgb8, 1 for gray8, 6 for three-scale codes).
    width : int
        Channels of every block (Snell et al. 2017: 64).
    """

    def __init__(self, in_channels=3, width=64):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", low=1)
        self.width = check_int(width, "width", low=1)
        self.features = nn.Sequential(_block(self.in_channels, width), _block(width, width),
                                      _block(width, width), _block(width, width), nn.Flatten())

    def embed(self, x):
        """``(B, C, H, W)`` float input -> ``(B, D)`` embedding."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"x must be (B, {self.in_channels}, H, W), got {tuple(x.shape)}")
        return self.features(x)

    def forward(self, x):
        return self.embed(x)

    def embedding_dim(self, height, width):
        """Dimension of the embedding of an ``height x width`` input."""
        h, w = height, width
        for _ in range(4):
            h, w = h // 2, w // 2
        if h < 1 or w < 1:
            raise ValueError(f"a {height}x{width} input is too small for four 2x2 poolings")
        return self.width * h * w


@torch.no_grad()
def embed(model, encoder, packed, batch_size=256):
    """Embeddings of a packed dataset, in evaluation mode.

    Parameters
    ----------
    model : Conv4
    encoder : callable
        Packed tensor -> model input (:class:`analogfe.learn.encodings.InputEncoder`).
    packed : (N, C0, H, W) torch.Tensor
        What :func:`analogfe.learn.experiments.emulate_dataset` returns.
    batch_size : int

    Returns
    -------
    (N, D) ndarray of float32
    """
    was = model.training
    model.eval()
    out = [model.embed(encoder(packed[i:i + batch_size])) for i in range(0, len(packed), batch_size)]
    model.train(was)
    return torch.cat(out).numpy().astype(np.float32) if out else np.zeros((0, 0), np.float32)


def _as_tensor(x, name, ndim):
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(check_array(x, name, ndim=ndim, kinds="f"))
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or ndarray, got {type(x).__name__}")
    if x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(x.shape)}")
    return x


def prototypes(support, labels, ways=None):
    """Prototype of each class: the mean of its support embeddings.

    Parameters
    ----------
    support : (S, D) torch.Tensor or ndarray
    labels : (S,) int labels in ``0 .. ways - 1``
    ways : int, optional
        Number of classes (default ``labels.max() + 1``); every class needs
        at least one support item.

    Returns
    -------
    (ways, D) torch.Tensor
    """
    support = _as_tensor(support, "support", 2)
    labels = torch.as_tensor(labels, dtype=torch.long)
    if labels.shape != (support.shape[0],):
        raise ValueError(f"labels must be ({support.shape[0]},), got {tuple(labels.shape)}")
    if support.shape[0] == 0:
        raise ValueError("support must not be empty")
    ways = int(labels.max()) + 1 if ways is None else check_int(ways, "ways", low=1)
    counts = torch.bincount(labels, minlength=ways)
    if labels.min() < 0 or len(counts) > ways or bool((counts == 0).any()):
        raise ValueError(f"labels must cover every class 0 .. {ways - 1} and no other")
    sums = torch.zeros(ways, support.shape[1], dtype=support.dtype).index_add_(0, labels, support)
    return sums / counts[:, None].to(support.dtype)


def prototype_logits(query, protos):
    """Negative squared Euclidean distances ``-||q - p||^2``: ``(Q, ways)``.

    A softmax over them is the class posterior of prototypical networks.
    """
    query = _as_tensor(query, "query", 2)
    protos = _as_tensor(protos, "protos", 2)
    if query.shape[1] != protos.shape[1]:
        raise ValueError(f"query has {query.shape[1]} dimensions, protos {protos.shape[1]}")
    return -torch.cdist(query, protos).pow(2)


def quantize(x, bits, scale):
    """Uniform quantiser of non-negative values onto ``2**bits`` levels of
    ``[0, scale]`` (round to nearest, clipped); 32 bits means float32 (as is).

    Parameters
    ----------
    x : ndarray
    bits : int
        1 to 16, or 32 (no quantisation).
    scale : float
        Full scale (e.g. a high percentile of the meta-train embeddings).

    Returns
    -------
    ndarray of float32
        The dequantised values.
    """
    bits = check_int(bits, "bits", low=1, high=32)
    x = np.asarray(x, dtype=np.float32)
    if bits == 32:
        return x
    if bits > 16:
        raise ValueError(f"bits must be 1 to 16 or 32, got {bits}")
    scale = check_float(scale, "scale", low=0.0, low_open=True)
    step = scale / (2 ** bits - 1)
    return (_codes(x, bits, step) * step).astype(np.float32)


def _codes(x, bits, step):
    """The quantiser's integer codes ``0 .. 2**bits - 1`` of float32 ``x``."""
    return np.clip(np.rint(x / step), 0, 2 ** bits - 1)


#: Shots per class that :class:`RunningPrototypes` is sized for unless told
#: (an 8-bit shot counter).
DEFAULT_MAX_SHOTS = 255


def _check_max_shots(max_shots):
    return check_int(max_shots, "max_shots", low=1, high=2 ** 31 - 1)


def accumulator_bits(bits, max_shots=DEFAULT_MAX_SHOTS):
    """Width of one dimension's exact shot sum.

    ``bits + ceil(log2(max_shots))`` for a ``bits``-bit quantiser: the sum of
    ``max_shots`` codes of at most ``2**bits - 1`` each is below
    ``max_shots * 2**bits <= 2**(bits + ceil(log2(max_shots)))``, so it never
    overflows. At ``bits=32`` (float32 shots) the sum is a float64: 64.

    Parameters
    ----------
    bits : int
        1 to 16, or 32.
    max_shots : int
        Most shots one class may enroll.

    Returns
    -------
    int

    Examples
    --------
    >>> accumulator_bits(8, 50), accumulator_bits(8, 255), accumulator_bits(32, 50)
    (14, 16, 64)
    """
    bits = check_int(bits, "bits", low=1, high=32)
    if 16 < bits < 32:
        raise ValueError(f"bits must be 1 to 16 or 32, got {bits}")
    return 64 if bits == 32 else bits + (_check_max_shots(max_shots) - 1).bit_length()


def counter_bits(max_shots=DEFAULT_MAX_SHOTS):
    """Width of a class's shot counter: ``ceil(log2(max_shots + 1))`` (it holds
    0 .. ``max_shots``)."""
    return _check_max_shots(max_shots).bit_length()


def prototype_memory_bits(n_classes, dim, bits, max_shots=DEFAULT_MAX_SHOTS):
    """Bits of the enrolled classes' memory: ``n_classes * (dim * accumulator_bits(bits,
    max_shots) + counter_bits(max_shots))``, what :class:`RunningPrototypes` keeps.

    Parameters
    ----------
    n_classes, dim : int
    bits : int
        Bits per dimension of the quantiser (32: float32 shots).
    max_shots : int
        Most shots per class (the widths of the sum and the counter).

    Returns
    -------
    int
    """
    n_classes = check_int(n_classes, "n_classes", low=0)
    dim = check_int(dim, "dim", low=1)
    return n_classes * (dim * accumulator_bits(bits, max_shots) + counter_bits(max_shots))


class RunningPrototypes:
    """One prototype per class from an exact sum and a count: no sample is stored.

    Each shot is quantised to a code of the ``bits``-bit grid
    (:func:`quantize`; step ``scale / (2**bits - 1)``) and added to its
    class's integer sum, ``accumulator_bits(bits, max_shots)`` bits wide per
    dimension, next to a ``counter_bits(max_shots)``-bit count. Nothing is
    rounded while shots arrive; the prototype is quantised only when read:
    ``round(sum / count)`` codes (halves up) on the same grid.

    Bound: the prototype read equals the mean of the class's quantised shots
    to within half a quantisation step in every dimension (it is that mean
    rounded to the grid), whatever the number and order of the shots, and
    it is within one step of the mean of the shots themselves (inside
    ``[0, scale]``). At ``bits=32`` the shots are float32, summed in a
    float64, and the read is the float32 mean (float64 rounding, far below a
    float32 step). A running mean re-quantised after every shot has no such
    bound: it drifts by several steps at 8 bits and 50 shots.

    Parameters
    ----------
    dim : int
        Embedding dimension.
    bits : int
        Bits per dimension of the quantiser: 1 to 16, or 32 (float32).
    scale : float
        Full scale of the quantiser (unused at 32 bits).
    max_shots : int
        Most shots a class may enroll; sizes the sum and the counter, and a
        shot beyond it is refused.

    Attributes
    ----------
    sums : (n_classes, dim) ndarray
        Per class the sum of its quantised shots: int64 codes holding
        ``accumulator_bits`` bits (float64 at 32 bits).
    counts : (n_classes,) ndarray of int64
        Shots seen per class.
    """

    def __init__(self, dim, bits=32, scale=1.0, max_shots=DEFAULT_MAX_SHOTS):
        self.dim = check_int(dim, "dim", low=1)
        self.bits = check_int(bits, "bits", low=1, high=32)
        quantize(np.zeros(1), self.bits, scale)  # checks bits and scale
        self.scale = float(scale)
        self.max_shots = _check_max_shots(max_shots)
        self.sums = np.zeros((0, self.dim), np.float64 if self.bits == 32 else np.int64)
        self.counts = np.zeros(0, np.int64)

    @property
    def n_classes(self):
        return len(self.counts)

    @property
    def step(self):
        """The quantisation step (0 at 32 bits)."""
        return 0.0 if self.bits == 32 else self.scale / (2 ** self.bits - 1)

    @property
    def accumulator_bits(self):
        """Bits of one dimension's sum (:func:`accumulator_bits`)."""
        return accumulator_bits(self.bits, self.max_shots)

    @property
    def memory_bits(self):
        """Bits of the sums and counters (:func:`prototype_memory_bits`)."""
        return prototype_memory_bits(self.n_classes, self.dim, self.bits, self.max_shots)

    @property
    def means(self):
        """``(n_classes, dim)`` float32 prototypes as read: ``round(sum / count)`` on the
        grid (the float32 mean at 32 bits); 0 for a class with no shot yet."""
        n = np.maximum(self.counts, 1)[:, None]
        if self.bits == 32:
            return (self.sums / n).astype(np.float32)
        codes = (2 * self.sums + n) // (2 * n)  # round half up, in integers: exact
        return (codes * self.step).astype(np.float32)

    def add_class(self):
        """Open a new class with no shot yet; returns its index."""
        self.sums = np.vstack([self.sums, np.zeros((1, self.dim), self.sums.dtype)])
        self.counts = np.append(self.counts, 0)
        return self.n_classes - 1

    def update(self, label, embedding):
        """Enroll one shot of class ``label``: its quantised codes join the sum.

        Parameters
        ----------
        label : int
            A class index (:meth:`add_class`); ``label == n_classes`` opens
            a new class.
        embedding : (dim,) array_like of float

        Raises
        ------
        ValueError
            A bad label or shape, or a class that already holds
            ``max_shots`` shots (its sum would overflow its width).
        """
        label = check_int(label, "label", low=0, high=self.n_classes)
        x = check_array(embedding, "embedding", ndim=1, kinds="f").astype(np.float32)
        if x.shape != (self.dim,):
            raise ValueError(f"embedding must be ({self.dim},), got {x.shape}")
        if label < self.n_classes and self.counts[label] >= self.max_shots:
            raise ValueError(f"class {label} already holds max_shots={self.max_shots} shots: "
                             f"its {self.accumulator_bits}-bit sums would overflow")
        if label == self.n_classes:
            self.add_class()
        if self.bits == 32:
            self.sums[label] += x.astype(np.float64)
        else:
            self.sums[label] += _codes(x, self.bits, self.step).astype(np.int64)
        self.counts[label] += 1

    def logits(self, queries):
        """``(Q, n_classes)`` negative squared distances to the prototypes as read."""
        if self.n_classes == 0:
            raise ValueError("no class enrolled yet")
        q = check_array(queries, "queries", ndim=2, kinds="f").astype(np.float32)
        return prototype_logits(torch.from_numpy(q), torch.from_numpy(self.means)).numpy()

    def predict(self, queries):
        """Index of the nearest prototype of each query."""
        return self.logits(queries).argmax(axis=1)
