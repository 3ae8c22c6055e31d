"""Input encodings: front end output -> the float tensor a network takes.

Every front end output (8-bit RGB or gray images, or the int8 log-gradient
codes of :class:`analogfe.frontend.GradientCodes`) becomes the network's input
through :func:`encode`, in two steps that can also be called separately:
:func:`pack` (compact integer tensor, the form worth caching) and
:func:`expand` / :class:`InputEncoder` (float32, batch by batch). The public
names are re-exported by :mod:`analogfe.learn.models`.

References
----------
Q. Lu, B. Murmann, "Improving the Energy Efficiency and Robustness of tinyML
Computer Vision using Log-Gradient Input Images", arXiv:2203.02571, 2022.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .._validation import check_array, check_choice, check_int
from ..frontend.codes import code_levels, is_codes
from ..frontend.registry import make_frontend

__all__ = [
    "ENCODINGS",
    "Encoding",
    "pack",
    "expand",
    "encode",
    "encoding_channels",
    "default_encoding",
    "InputEncoder",
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
    channels : int
        Images: the model's input channels (3 or 1). Codes: channels per code
        plane (dx or dy of one scale), 1, or 0 for one per code level.
    expand : callable
        ``expand(x_float, levels, eps)`` -> model input; see :func:`expand`.
    """

    name: str
    kind: str
    description: str
    channels: int
    expand: object


def _expand_image(v, levels, eps, *, norm):
    v = v / 255.0
    if norm:
        mean = v.mean(dim=(-2, -1), keepdim=True)
        std = v.std(dim=(-2, -1), keepdim=True, unbiased=False)
        v = (v - mean) / (std + eps)
    return v


def _expand_signed(v, levels, eps):
    return v / ((levels - 1) / 2.0)


def _expand_onehot(v, levels, eps):
    # (N, 2S, H, W) -> (N, 2S, L, H, W) -> (N, 2S*L, H, W)
    lv = torch.arange(levels, device=v.device, dtype=v.dtype) - (levels - 1) / 2.0
    onehot = (v.unsqueeze(2) == lv.view(1, 1, -1, 1, 1)).to(v.dtype)
    return onehot.flatten(1, 2)


def _image(norm):
    return lambda v, levels, eps: _expand_image(v, levels, eps, norm=norm)


ENCODINGS = {
    "rgb8": Encoding(
        "rgb8", "image",
        "3 channels R, G, B of an 8-bit sRGB image, divided by 255 -> [0, 1].",
        3, _image(False),
    ),
    "gray8": Encoding(
        "gray8", "image",
        "1 channel of an 8-bit gray image, divided by 255 -> [0, 1].",
        1, _image(False),
    ),
    "rgb8-norm": Encoding(
        "rgb8-norm", "image",
        "3 channels of an 8-bit sRGB image, standardised per image and channel: "
        "(v/255 - mean) / (std + eps). A digital gain and offset after the "
        "ISP (auto exposure) cannot change it.",
        3, _image(True),
    ),
    "gray8-norm": Encoding(
        "gray8-norm", "image",
        "1 channel of an 8-bit gray image standardised per image as 'rgb8-norm'.",
        1, _image(True),
    ),
    "lg-signed": Encoding(
        "lg-signed", "codes",
        "2 channels per scale (dx, dy), in the order of GradientCodes.scales: "
        "the signed code q in {-(L-1)/2 .. (L-1)/2} divided by (L-1)/2 -> "
        "[-1, 1] (L levels). Coarser scales are upsampled (nearest) by their "
        "binning factor to the finest grid; the border they do not cover is 0 "
        "(no gradient).",
        1, _expand_signed,
    ),
    "lg-onehot": Encoding(
        "lg-onehot", "codes",
        "L channels per (dx or dy) per scale: channel j is 1 where the code "
        "equals level j - (L-1)/2, else 0. Order: scale, then dx/dy, then "
        "level. Scales brought to the finest grid as for 'lg-signed'; the "
        "uncovered border has code 0.",
        0, _expand_onehot,
    ),
}

# What each front end of the registry is encoded with by default.
_DEFAULT_ENCODING = {"rgb8": "rgb8", "gray8": "gray8"}


def _check_encoding(encoding):
    return check_choice(encoding, "encoding", tuple(ENCODINGS))




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
    if is_codes(frontend) or hasattr(frontend, "scales"):
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
    enc = ENCODINGS[_check_encoding(encoding)]
    if enc.kind == "image":
        return enc.channels
    if isinstance(frontend, str):
        frontend = make_frontend(frontend)
    if frontend is None or not hasattr(frontend, "scales"):
        raise ValueError(
            f"encoding {encoding!r} needs a log-gradient front end (with scales "
            f"and levels), got frontend={frontend!r}"
        )
    per_plane = enc.channels or code_levels(frontend, "frontend")
    return 2 * len(tuple(frontend.scales)) * per_plane


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
    if ENCODINGS[encoding].channels == 3:
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
        if not is_codes(output):
            raise TypeError(
                f"output: encoding {encoding!r} needs log-gradient codes "
                f"(GradientCodes), got {type(output).__name__}"
            )
        return _pack_codes(output)
    if is_codes(output):
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
    enc = ENCODINGS[encoding]
    if enc.kind == "image" and x.shape[1] != enc.channels:
        raise ValueError(f"x has {x.shape[1]} channels, encoding {encoding!r} needs {enc.channels}")
    return enc.expand(xf, levels, eps)


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
        levels = code_levels(output) if is_codes(output) else 3
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
