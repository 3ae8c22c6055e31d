"""The Conv-4 embedding, class prototypes, and the device's prototype memory.

:class:`Conv4` is the embedding of prototypical networks (Snell et al. 2017,
after Vinyals et al. 2016): four blocks of 3 x 3 convolution, batch norm,
ReLU and 2 x 2 max pooling; a 28 x 28 input gives a ``width``-dimensional
embedding. A class prototype is the mean embedding of its support drawings
(:func:`prototypes`); a query is scored by the negative squared Euclidean
distance to each prototype (:func:`prototype_logits`).

On the device nothing but the prototypes is kept: :class:`RunningPrototypes`
stores one count and one mean per class, and a new shot updates the mean in
place (``m += (x - m) / n``), so an enrolled class needs no stored image. The
means may be stored in a few bits per dimension (:func:`quantize`); the
memory is ``n_classes * dim * bits`` (:func:`prototype_memory_bits`) plus
one small counter per class.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..._validation import check_array, check_float, check_int

__all__ = ["Conv4", "embed", "prototypes", "prototype_logits", "quantize",
           "prototype_memory_bits", "RunningPrototypes"]


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
    return (np.clip(np.rint(x / step), 0, 2 ** bits - 1) * step).astype(np.float32)


def prototype_memory_bits(n_classes, dim, bits):
    """Bits of the prototype memory: ``n_classes * dim * bits`` (counters apart)."""
    return check_int(n_classes, "n_classes", low=0) * check_int(dim, "dim", low=1) * \
        check_int(bits, "bits", low=1, high=32)


class RunningPrototypes:
    """One prototype per class as a running mean: no sample is ever stored.

    Parameters
    ----------
    dim : int
        Embedding dimension.
    bits : int
        Bits per stored dimension (32: float32; else :func:`quantize` after
        every update, so the memory really holds ``bits``-bit values).
    scale : float
        Full scale of the quantiser (unused at 32 bits).

    Attributes
    ----------
    means : (n_classes, dim) ndarray of float32
    counts : (n_classes,) ndarray of int64
        Shots seen per class.
    """

    def __init__(self, dim, bits=32, scale=1.0):
        self.dim = check_int(dim, "dim", low=1)
        self.bits = check_int(bits, "bits", low=1, high=32)
        quantize(np.zeros(1), self.bits, scale)  # checks bits and scale
        self.scale = float(scale)
        self.means = np.zeros((0, self.dim), np.float32)
        self.counts = np.zeros(0, np.int64)

    @property
    def n_classes(self):
        return len(self.counts)

    @property
    def memory_bits(self):
        """Bits of the stored prototypes (:func:`prototype_memory_bits`)."""
        return prototype_memory_bits(self.n_classes, self.dim, self.bits)

    def add_class(self):
        """Open a new class with no shot yet; returns its index."""
        self.means = np.vstack([self.means, np.zeros((1, self.dim), np.float32)])
        self.counts = np.append(self.counts, 0)
        return self.n_classes - 1

    def update(self, label, embedding):
        """Enroll one shot of class ``label``: ``m += (x - m) / n``.

        Parameters
        ----------
        label : int
            A class index (:meth:`add_class`); ``label == n_classes`` opens
            a new class.
        embedding : (dim,) array_like of float
        """
        label = check_int(label, "label", low=0, high=self.n_classes)
        x = check_array(embedding, "embedding", ndim=1, kinds="f").astype(np.float32)
        if x.shape != (self.dim,):
            raise ValueError(f"embedding must be ({self.dim},), got {x.shape}")
        if label == self.n_classes:
            self.add_class()
        self.counts[label] += 1
        m = self.means[label].astype(np.float64)
        m += (x - m) / self.counts[label]
        self.means[label] = quantize(m, self.bits, self.scale)

    def logits(self, queries):
        """``(Q, n_classes)`` negative squared distances to the stored prototypes."""
        if self.n_classes == 0:
            raise ValueError("no class enrolled yet")
        q = check_array(queries, "queries", ndim=2, kinds="f").astype(np.float32)
        return prototype_logits(torch.from_numpy(q), torch.from_numpy(self.means)).numpy()

    def predict(self, queries):
        """Index of the nearest prototype of each query."""
        return self.logits(queries).argmax(axis=1)
