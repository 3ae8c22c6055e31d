"""Small ResNets for what a sensor sends out, their input encodings and costs.

The network is a ResNet (He et al., 2016) with one basic block per stage and
four stages: ResNet-10 (1 stem convolution + 4 x 2 block convolutions + 1
fully connected layer). Its stem is suited to small inputs (32 to 128 pixels)
and to the coarse grids of multi-scale log-gradient codes: a 3x3 stride-1
convolution and no max-pool, so a 25x25 or 32x32 input keeps its resolution
into the first stage.

Every front end output (8-bit RGB or gray images, or the int8 log-gradient
codes of :class:`analogfe.frontend.GradientCodes`) becomes the network's input
through one function, :func:`encode`, in two steps that can also be called
separately:

1. :func:`pack` turns the output into a compact integer tensor
   ``(N, C0, H, W)`` (uint8 images, int8 codes with every scale brought to the
   finest grid) -- the form worth caching, 1 byte per value;
2. :func:`expand` (or the module :class:`InputEncoder`) turns that into the
   float32 tensor the model takes, batch by batch.

The counters (:func:`count_params`, :func:`count_macs`, :func:`model_profile`)
are taken from the model itself with forward hooks, so they follow any change
to the architecture.

References
----------
K. He, X. Zhang, S. Ren, J. Sun, "Deep Residual Learning for Image
Recognition", CVPR 2016, doi:10.1109/CVPR.2016.90.

Q. Lu, B. Murmann, "Improving the Energy Efficiency and Robustness of tinyML
Computer Vision using Log-Gradient Input Images", arXiv:2203.02571, 2022.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._validation import check_array, check_choice, check_int

__all__ = [
    "ENCODINGS",
    "Encoding",
    "pack",
    "expand",
    "encode",
    "encoding_channels",
    "default_encoding",
    "InputEncoder",
    "BasicBlock",
    "ResNet",
    "resnet10",
    "resnet18",
    "count_params",
    "count_macs",
    "model_profile",
]


# --------------------------------------------------------------------------
# Input encodings
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Encoding:
    """One named input encoding.

    Attributes
    ----------
    name : str
        Registry name.
    kind : str
        ``"image"`` (uint8 images) or ``"codes"`` (log-gradient codes).
    description : str
        What the channels hold.
    """

    name: str
    kind: str
    description: str


ENCODINGS = {
    "rgb8": Encoding(
        "rgb8", "image",
        "3 channels R, G, B of an 8-bit sRGB image, divided by 255 -> [0, 1].",
    ),
    "gray8": Encoding(
        "gray8", "image",
        "1 channel of an 8-bit gray image, divided by 255 -> [0, 1].",
    ),
    "rgb8-norm": Encoding(
        "rgb8-norm", "image",
        "3 channels of an 8-bit sRGB image, standardised per image and channel: "
        "(v/255 - mean) / (std + eps). A digital gain and offset after the "
        "ISP (auto exposure) cannot change it.",
    ),
    "gray8-norm": Encoding(
        "gray8-norm", "image",
        "1 channel of an 8-bit gray image standardised per image as 'rgb8-norm'.",
    ),
    "lg-signed": Encoding(
        "lg-signed", "codes",
        "2 channels per scale (dx, dy), in the order of GradientCodes.scales: "
        "the signed code q in {-(L-1)/2 .. (L-1)/2} divided by (L-1)/2 -> "
        "[-1, 1] (L levels). Coarser scales are upsampled (nearest) by their "
        "binning factor to the finest grid; the border they do not cover is 0 "
        "(no gradient).",
    ),
    "lg-onehot": Encoding(
        "lg-onehot", "codes",
        "L channels per (dx or dy) per scale: channel j is 1 where the code "
        "equals level j - (L-1)/2, else 0. Order: scale, then dx/dy, then "
        "level. Scales brought to the finest grid as for 'lg-signed'; the "
        "uncovered border has code 0.",
    ),
}

# What each front end of the registry is encoded with by default.
_DEFAULT_ENCODING = {"rgb8": "rgb8", "gray8": "gray8"}


def _check_encoding(encoding):
    return check_choice(encoding, "encoding", tuple(ENCODINGS))


def _is_codes(output):
    return hasattr(output, "dx") and hasattr(output, "dy") and hasattr(output, "scales")


def _levels(codes):
    levels = getattr(codes, "levels", None)
    if levels is None:
        levels = 2 ** int(codes.bits) - 1
    return int(levels)


def default_encoding(frontend):
    """The encoding a front end's output gets unless told otherwise.

    Parameters
    ----------
    frontend : str or front end object or GradientCodes or ndarray
        A front end name (``"rgb8"``, ``"gray8"``, ``"lg1.5"`` ...), a front
        end, or an output.

    Returns
    -------
    str
        ``"rgb8"``, ``"gray8"`` or ``"lg-signed"``.
    """
    if isinstance(frontend, str):
        return _DEFAULT_ENCODING.get(frontend, "lg-signed")
    if _is_codes(frontend) or hasattr(frontend, "scales"):
        return "lg-signed"
    if isinstance(frontend, np.ndarray):
        return "rgb8" if frontend.ndim >= 3 and frontend.shape[-1] == 3 else "gray8"
    output = getattr(frontend, "output", None)
    if output in ("rgb", "gray"):
        return output + "8"
    name = getattr(frontend, "name", None)
    if isinstance(name, str):
        return _DEFAULT_ENCODING.get(name, "lg-signed")
    raise TypeError(f"frontend: cannot tell the encoding of {frontend!r}")


def encoding_channels(encoding, frontend=None):
    """Number of input channels an encoding gives for a front end.

    Parameters
    ----------
    encoding : str
        A name of :data:`ENCODINGS`.
    frontend : str, front end object or GradientCodes, optional
        Needed for the code encodings (scales and levels); a registry name is
        resolved through :func:`analogfe.frontend.make_frontend`.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        Unknown encoding, or a code encoding without a log-gradient front end.
    """
    _check_encoding(encoding)
    if encoding in ("rgb8", "rgb8-norm"):
        return 3
    if encoding in ("gray8", "gray8-norm"):
        return 1
    if isinstance(frontend, str):
        from . import frontend as _fe

        frontend = _fe.make_frontend(frontend)
    if frontend is None or not hasattr(frontend, "scales"):
        raise ValueError(
            f"encoding {encoding!r} needs a log-gradient front end (with scales "
            f"and levels), got frontend={frontend!r}"
        )
    n_scales = len(tuple(frontend.scales))
    if encoding == "lg-signed":
        return 2 * n_scales
    return 2 * n_scales * _levels(frontend)


def _to_finest(code, k, shape):
    """Nearest-upsample one scale's codes (..., Hs, Ws) by k onto ``shape``."""
    up = code
    if k > 1:
        up = np.repeat(np.repeat(code, k, axis=-2), k, axis=-1)
    out = np.zeros(code.shape[:-2] + tuple(shape), dtype=np.int8)
    h, w = min(shape[0], up.shape[-2]), min(shape[1], up.shape[-1])
    out[..., :h, :w] = up[..., :h, :w]
    return out


def _pack_codes(codes):
    scales = tuple(int(k) for k in codes.scales)
    if len(codes.dx) != len(scales) or len(codes.dy) != len(scales):
        raise ValueError(
            f"output: {len(codes.dx)} dx and {len(codes.dy)} dy arrays for "
            f"{len(scales)} scales"
        )
    dxs = [check_array(a, "output.dx", ndim=(2, 3), kinds="i") for a in codes.dx]
    dys = [check_array(a, "output.dy", ndim=(2, 3), kinds="i") for a in codes.dy]
    finest = int(np.argmin(scales))
    k0 = scales[finest]
    shape = dxs[finest].shape[-2:]
    stacked = dxs[finest].ndim == 3
    planes = []
    for k, dx, dy in zip(scales, dxs, dys):
        if (dx.ndim == 3) != stacked or dx.shape != dy.shape:
            raise ValueError(
                f"output: scale {k} has dx {dx.shape} and dy {dy.shape}; "
                f"expected matching stacks"
            )
        if k % k0:
            raise ValueError(f"output: scale {k} is not a multiple of the finest {k0}")
        planes.append(_to_finest(dx.astype(np.int8, copy=False), k // k0, shape))
        planes.append(_to_finest(dy.astype(np.int8, copy=False), k // k0, shape))
    arr = np.stack(planes, axis=-3)  # (..., 2S, H, W)
    if not stacked:
        arr = arr[None]
    return torch.from_numpy(np.ascontiguousarray(arr))


def _pack_image(image, encoding):
    image = check_array(image, "output", ndim=(2, 3, 4), kinds="u")
    if image.dtype != np.uint8:
        raise TypeError(f"output: images must be uint8 for {encoding!r}, got {image.dtype}")
    if encoding.startswith("rgb8"):
        if image.ndim == 2 or image.shape[-1] != 3:
            raise ValueError(
                f"output: encoding {encoding!r} needs (H, W, 3) or (N, H, W, 3) images, "
                f"got shape {image.shape}"
            )
        if image.ndim == 3:
            image = image[None]
        return torch.from_numpy(np.ascontiguousarray(image.transpose(0, 3, 1, 2)))
    if image.ndim == 4 or (image.ndim == 3 and image.shape[-1] == 3):
        raise ValueError(
            f"output: encoding {encoding!r} needs (H, W) or (N, H, W) images, got shape "
            f"{image.shape}; use the 'gray8' front end or 'rgb8'"
        )
    if image.ndim == 2:
        image = image[None]
    return torch.from_numpy(np.ascontiguousarray(image[:, None]))


def pack(output, encoding=None):
    """Front end output -> compact integer tensor ``(N, C0, H, W)``.

    Parameters
    ----------
    output : GradientCodes or ndarray of uint8
        A log-gradient front end output (one frame or a stack, N first), or
        8-bit images ``(H, W)``, ``(N, H, W)`` (gray), ``(H, W, 3)``,
        ``(N, H, W, 3)`` (RGB).
    encoding : str, optional
        A name of :data:`ENCODINGS`; guessed from ``output`` when None.

    Returns
    -------
    torch.Tensor
        uint8 ``(N, C, H, W)`` for images (C = 3 or 1); int8 ``(N, 2 S, H, W)``
        for codes (dx, dy per scale, all on the finest grid).

    Raises
    ------
    ValueError
        Unknown encoding, or an output that does not fit it.
    """
    if encoding is None:
        encoding = default_encoding(output)
    _check_encoding(encoding)
    kind = ENCODINGS[encoding].kind
    if kind == "codes":
        if not _is_codes(output):
            raise TypeError(
                f"output: encoding {encoding!r} needs log-gradient codes "
                f"(GradientCodes), got {type(output).__name__}"
            )
        return _pack_codes(output)
    if _is_codes(output):
        raise TypeError(
            f"output: encoding {encoding!r} needs uint8 images, got log-gradient "
            f"codes; use 'lg-signed' or 'lg-onehot'"
        )
    return _pack_image(output, encoding)


def expand(x, encoding, levels=3, eps=1e-3):
    """Compact tensor from :func:`pack` -> the model's float input.

    Parameters
    ----------
    x : (N, C0, H, W) torch.Tensor
        uint8 images, int8 codes, or any float tensor holding the same values
        (the float path is differentiable for every encoding but
        ``"lg-onehot"``).
    encoding : str
        A name of :data:`ENCODINGS`.
    levels : int
        Number of code levels L (3 for 1.5 bit, 7 for 2.75 bit); used by the
        code encodings only.
    eps : float
        Added to the standard deviation of the ``-norm`` encodings so that a
        flat image stays finite (in units of full scale, 1/255 = 0.004).

    Returns
    -------
    torch.Tensor
        float32 (or the float dtype of ``x``) ``(N, C, H, W)``, C from
        :func:`encoding_channels`.
    """
    _check_encoding(encoding)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {tuple(x.shape)}")
    levels = check_int(levels, "levels", low=2)
    dtype = x.dtype if x.is_floating_point() else torch.float32
    xf = x.to(dtype)
    if ENCODINGS[encoding].kind == "image":
        want = 3 if encoding.startswith("rgb8") else 1
        if x.shape[1] != want:
            raise ValueError(f"x has {x.shape[1]} channels, encoding {encoding!r} needs {want}")
        v = xf / 255.0
        if encoding.endswith("-norm"):
            mean = v.mean(dim=(-2, -1), keepdim=True)
            std = v.std(dim=(-2, -1), keepdim=True, unbiased=False)
            v = (v - mean) / (std + eps)
        return v
    half = (levels - 1) / 2.0
    if encoding == "lg-signed":
        return xf / half
    # one-hot: (N, 2S, H, W) -> (N, 2S, L, H, W) -> (N, 2S*L, H, W)
    lv = torch.arange(levels, device=x.device, dtype=dtype) - half
    onehot = (xf.unsqueeze(2) == lv.view(1, 1, -1, 1, 1)).to(dtype)
    return onehot.flatten(1, 2)


def encode(output, encoding=None, *, levels=None):
    """Any front end output -> float32 model input ``(N, C, H, W)``.

    ``encode(output, enc) == expand(pack(output, enc), enc, levels)``.

    Parameters
    ----------
    output : GradientCodes or ndarray of uint8
        See :func:`pack`.
    encoding : str, optional
        A name of :data:`ENCODINGS` (guessed from ``output`` when None).
    levels : int, optional
        Code levels; taken from ``output`` when None.

    Returns
    -------
    torch.Tensor
        float32 ``(N, C, H, W)``.

    Examples
    --------
    >>> import numpy as np
    >>> encode(np.zeros((2, 8, 8, 3), np.uint8), "rgb8").shape
    torch.Size([2, 3, 8, 8])
    """
    if encoding is None:
        encoding = default_encoding(output)
    packed = pack(output, encoding)
    if levels is None:
        levels = _levels(output) if _is_codes(output) else 3
    return expand(packed, encoding, levels)


class InputEncoder(nn.Module):
    """Module form of :func:`expand`: compact tensor -> float model input.

    Parameters
    ----------
    encoding : str
        A name of :data:`ENCODINGS`.
    levels : int
        Number of code levels (3 for 1.5 bit, 7 for 2.75 bit).
    eps : float
        See :func:`expand`.
    """

    def __init__(self, encoding, levels=3, eps=1e-3):
        super().__init__()
        self.encoding = _check_encoding(encoding)
        self.levels = check_int(levels, "levels", low=2)
        self.eps = float(eps)

    def forward(self, x):
        return expand(x, self.encoding, self.levels, self.eps)

    def extra_repr(self):
        return f"encoding={self.encoding!r}, levels={self.levels}"


# --------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------


def _conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and an identity (or 1x1) shortcut."""

    expansion = 1

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = _conv3x3(cin, cout, stride)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = _conv3x3(cout, cout)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


def _stem_small(cin, width):
    return nn.Sequential(_conv3x3(cin, width), nn.BatchNorm2d(width), nn.ReLU(inplace=True))


def _stem_large(cin, width):
    return nn.Sequential(
        nn.Conv2d(cin, width, 7, stride=2, padding=3, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(3, stride=2, padding=1),
    )


# stem name -> (builder, total downsampling of the stem)
STEMS = {"small": (_stem_small, 1), "large": (_stem_large, 4)}


class ResNet(nn.Module):
    """ResNet for small inputs: stem, four stages of basic blocks, pool, linear.

    Parameters
    ----------
    blocks : tuple of int
        Basic blocks per stage, e.g. ``(1, 1, 1, 1)`` for ResNet-10,
        ``(2, 2, 2, 2)`` for ResNet-18.
    width : int
        Channels of the first stage; stage i has ``width * 2**i``.
    in_channels : int
        Input channels (see :func:`encoding_channels`).
    num_classes : int
        Outputs of the classifier.
    stem : {"small", "large"}
        ``"small"``: 3x3 stride-1 convolution, no max-pool (inputs of 16 to 128
        pixels and coarse code grids). ``"large"``: 7x7 stride-2 convolution
        and 3x3 stride-2 max-pool (ImageNet-style, inputs of 128 pixels and
        more).
    input_size : (int, int), optional
        If given, the only input size the model accepts (an error otherwise).

    Raises
    ------
    ValueError
        In ``forward``: an input that is not ``(N, in_channels, H, W)``, or
        smaller than :attr:`min_size`, or not ``input_size``.
    """

    def __init__(self, blocks=(1, 1, 1, 1), width=16, in_channels=3, num_classes=2,
                 stem="small", input_size=None):
        super().__init__()
        blocks = tuple(check_int(b, "blocks", low=1) for b in blocks)
        if not blocks:
            raise ValueError("blocks must name at least one stage")
        width = check_int(width, "width", low=1)
        in_channels = check_int(in_channels, "in_channels", low=1)
        num_classes = check_int(num_classes, "num_classes", low=2)
        check_choice(stem, "stem", tuple(STEMS))
        if input_size is not None:
            input_size = tuple(check_int(s, "input_size", low=1) for s in input_size)
            if len(input_size) != 2:
                raise ValueError(f"input_size must be (height, width), got {input_size}")
        self.config = dict(blocks=list(blocks), width=width, in_channels=in_channels,
                           num_classes=num_classes, stem=stem,
                           input_size=list(input_size) if input_size else None)
        self.in_channels = in_channels
        self.input_size = input_size
        build, stem_down = STEMS[stem]
        self.stem = build(in_channels, width)
        stages, cin = [], width
        for i, n in enumerate(blocks):
            cout = width * 2 ** i
            layers = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                layers.append(BasicBlock(cin, cout, stride))
                cin = cout
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(cin, num_classes)
        # smallest input whose last stage still has one pixel to pool
        self.min_size = stem_down * 2 ** (len(blocks) - 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def check_input(self, x):
        """Raise a ValueError naming what in ``x`` does not fit the model."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim != 4:
            raise ValueError(f"x must be (N, C, H, W), got shape {tuple(x.shape)}")
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"x has {x.shape[1]} channels but the model was built with "
                f"in_channels={self.in_channels}; check the encoding"
            )
        h, w = x.shape[-2:]
        if self.input_size is not None and (h, w) != self.input_size:
            raise ValueError(
                f"x is {h}x{w} but the model was built for input_size="
                f"{self.input_size[0]}x{self.input_size[1]}"
            )
        if min(h, w) < self.min_size:
            raise ValueError(
                f"x is {h}x{w}, smaller than the model's minimum input "
                f"{self.min_size}x{self.min_size} (stem {self.config['stem']!r}, "
                f"{len(self.config['blocks'])} stages)"
            )

    def features(self, x):
        """Pooled features before the classifier, ``(N, width * 2**(S-1))``."""
        self.check_input(x)
        x = self.stages(self.stem(x))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)

    def forward(self, x):
        return self.fc(self.features(x))


def resnet10(in_channels=3, num_classes=2, width=16, **kw):
    """ResNet-10: one basic block per stage, four stages (see :class:`ResNet`)."""
    return ResNet((1, 1, 1, 1), width, in_channels, num_classes, **kw)


def resnet18(in_channels=3, num_classes=2, width=16, **kw):
    """ResNet-18: two basic blocks per stage, four stages (see :class:`ResNet`)."""
    return ResNet((2, 2, 2, 2), width, in_channels, num_classes, **kw)


# --------------------------------------------------------------------------
# Counters (taken from the model with forward hooks)
# --------------------------------------------------------------------------


def count_params(model, trainable_only=False):
    """Number of parameters (all, or only those with ``requires_grad``)."""
    return int(sum(p.numel() for p in model.parameters()
                   if p.requires_grad or not trainable_only))


def _trace(model, input_shape):
    """Run one forward pass of zeros, recording every leaf layer's shapes."""
    input_shape = tuple(check_int(s, "input_shape", low=1) for s in input_shape)
    if len(input_shape) == 3:
        input_shape = (1,) + input_shape
    if len(input_shape) != 4:
        raise ValueError(f"input_shape must be (C, H, W) or (N, C, H, W), got {input_shape}")
    records = []

    def hook(module, inputs, output):
        if isinstance(output, torch.Tensor) and inputs and isinstance(inputs[0], torch.Tensor):
            records.append((module, tuple(inputs[0].shape), tuple(output.shape)))

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if len(list(m.children())) == 0]
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None else torch.float32
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(input_shape, device=device, dtype=dtype))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return input_shape[0], records


def _layer_macs(module, in_shape, out_shape):
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return int(np.prod(out_shape)) * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return int(np.prod(out_shape[:-1])) * module.in_features * module.out_features
    return 0


def count_macs(model, input_shape):
    """Multiply-accumulates of one inference (convolutions and linear layers).

    Parameters
    ----------
    model : nn.Module
    input_shape : tuple of int
        ``(C, H, W)`` or ``(N, C, H, W)``; the count is per sample.

    Returns
    -------
    int
        MACs per sample. A convolution counts ``H_out W_out C_out (C_in /
        groups) k_h k_w``, a linear layer ``in x out``; batch norm, ReLU,
        pooling and additions are not counted (batch norm folds into the
        convolution at inference).
    """
    n, records = _trace(model, input_shape)
    return int(sum(_layer_macs(m, i, o) for m, i, o in records) // n)


def model_profile(model, input_shape, weight_bits=8, activation_bits=8):
    """Parameters, weight memory, MACs and activation memory of one inference.

    Parameters
    ----------
    model : nn.Module
    input_shape : tuple of int
        ``(C, H, W)`` or ``(N, C, H, W)``; figures are per sample.
    weight_bits : int
        Bits per stored weight (8 for int8 inference, 32 for float32).
    activation_bits : int
        Bits per stored activation value.

    Returns
    -------
    dict
        ``params`` (all parameters, batch norm included), ``weight_bits``
        (``params * weight_bits``), ``macs`` (per sample, see
        :func:`count_macs`), ``activation_bits`` (peak working memory of a
        layer-by-layer inference: the largest input + output of any
        convolution or linear layer, times ``activation_bits``),
        ``activation_values`` (the sum of the outputs of every convolution and
        linear layer, values per sample), ``layers`` (number of convolution and
        linear layers).
    """
    weight_bits = check_int(weight_bits, "weight_bits", low=1)
    activation_bits = check_int(activation_bits, "activation_bits", low=1)
    n, records = _trace(model, input_shape)
    compute = [(m, i, o) for m, i, o in records if isinstance(m, (nn.Conv2d, nn.Linear))]
    macs = sum(_layer_macs(m, i, o) for m, i, o in compute) // n
    peak = max((int(np.prod(i)) + int(np.prod(o))) // n for _, i, o in compute) if compute else 0
    total = sum(int(np.prod(o)) for _, _, o in compute) // n
    params = count_params(model)
    return dict(
        params=params,
        weight_bits=params * weight_bits,
        macs=int(macs),
        activation_bits=int(peak) * activation_bits,
        activation_values=int(total),
        layers=len(compute),
    )
