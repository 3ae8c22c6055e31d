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

The encodings live in ``analogfe.learn.encodings`` and are importable from here.
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

import torch
import torch.nn.functional as F
from torch import nn

from .._validation import check_choice, check_int

__all__ = ["BasicBlock", "ResNet", "resnet10", "resnet18"]


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


# The most parameters a :class:`ResNet` may have (a guard against sizes read
# from a file that would ask the allocator for terabytes).
_MAX_PARAMETERS = 2 ** 30


def _parameter_estimate(blocks, width, cin, num_classes):
    """About the number of weights of a :class:`ResNet` (convolutions and fc)."""
    total, prev = 49 * cin * width, width
    for i, n in enumerate(blocks):
        cout = width * 2 ** i
        total += 9 * prev * cout + 9 * cout * cout * (2 * n - 1) + prev * cout
        prev = cout
    return total + prev * num_classes


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
        A network of more than 2**30 parameters (checked
        before anything is allocated), or more than 8 stages. In ``forward``: an input that is not ``(N, in_channels, H, W)``, or
        smaller than :attr:`min_size`, or not ``input_size``.
    """

    def __init__(self, blocks=(1, 1, 1, 1), width=16, in_channels=3, num_classes=2,
                 stem="small", input_size=None):
        super().__init__()
        blocks = tuple(check_int(b, "blocks", low=1) for b in blocks)
        if not 1 <= len(blocks) <= 8:
            raise ValueError(f"blocks must name 1 to 8 stages, got {len(blocks)}")
        width = check_int(width, "width", low=1)
        in_channels = check_int(in_channels, "in_channels", low=1)
        num_classes = check_int(num_classes, "num_classes", low=2)
        n_params = _parameter_estimate(blocks, width, in_channels, num_classes)
        if n_params > _MAX_PARAMETERS:
            raise ValueError(f"width={width}, blocks={blocks}, in_channels={in_channels}, "
                             f"num_classes={num_classes} make a network of about {n_params:.2g} "
                             f"parameters, more than {_MAX_PARAMETERS:.2g}")
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
