"""Tests of analogfe.learn.models: encodings, the ResNet family and the counters."""
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch_fixtures import _one_thread  # noqa: F401  (autouse: one torch thread)

from analogfe.frontend import GradientCodes
from analogfe.learn import encodings as ENC
from analogfe.learn import models as M
from analogfe.system import network as NET


def _codes(n=None, bits=2, scales=(1, 2), size=4, seed=0):
    rng = np.random.default_rng(seed)
    half = 2 ** (bits - 1) - 1
    lead = () if n is None else (n,)
    dx = [rng.integers(-half, half + 1, lead + (size // k, size // k)).astype(np.int8) for k in scales]
    dy = [rng.integers(-half, half + 1, lead + (size // k, size // k)).astype(np.int8) for k in scales]
    return GradientCodes(dx, dy, tuple(scales), 2 ** bits - 1, bits)


# ---------------------------------------------------------------- encodings


def test_signed_values_and_nearest_upsampling():
    c = _codes(bits=2, scales=(1, 2), size=4)
    x = ENC.encode(c, "lg-signed")
    assert x.dtype == torch.float32 and x.shape == (1, 4, 4, 4)
    np.testing.assert_array_equal(x[0, 0].numpy(), c.dx[0].astype(np.float32))
    np.testing.assert_array_equal(x[0, 1].numpy(), c.dy[0].astype(np.float32))
    # coarse scale: every 2x2 block holds its coarse code
    up = np.kron(c.dx[1], np.ones((2, 2), np.int8))
    np.testing.assert_array_equal(x[0, 2].numpy(), up.astype(np.float32))


def test_signed_scaled_to_unit_range_at_275_bit():
    c = _codes(n=3, bits=3, scales=(1,), size=6)
    x = ENC.encode(c, "lg-signed")
    np.testing.assert_allclose(x[:, 0].numpy(), np.asarray(c.dx[0]) / 3.0, rtol=1e-6)
    assert x.abs().max() <= 1.0


def test_uncovered_border_is_zero():
    # 5x5 finest grid, scale 2 covers 4x4: last row/column has no coarse code
    c = _codes(scales=(1, 2), size=5)
    c.dx[1] = np.ones((2, 2), np.int8)
    c.dy[1] = np.ones((2, 2), np.int8)
    x = ENC.encode(c, "lg-signed")
    assert x.shape == (1, 4, 5, 5)
    assert (x[0, 2, :4, :4] == 1).all() and (x[0, 2, 4, :] == 0).all() and (x[0, 2, :, 4] == 0).all()


def test_onehot_levels():
    c = _codes(n=2, bits=3, scales=(1, 2), size=8)
    x = ENC.encode(c, "lg-onehot")
    assert x.shape == (2, 2 * 2 * 7, 8, 8)
    g = x.view(2, 4, 7, 8, 8)
    assert (g.sum(2) == 1).all()
    signed = ENC.encode(c, "lg-signed") * 3
    np.testing.assert_array_equal((g.argmax(2) - 3).numpy(), signed.numpy().round())


def test_images():
    rgb = np.random.default_rng(0).integers(0, 256, (2, 5, 6, 3)).astype(np.uint8)
    x = ENC.encode(rgb, "rgb8")
    assert x.shape == (2, 3, 5, 6)
    np.testing.assert_allclose(x[1, 2].numpy(), rgb[1, :, :, 2] / 255.0, rtol=1e-6)
    g = ENC.encode(rgb[0, :, :, 0], "gray8")
    assert g.shape == (1, 1, 5, 6) and g.max() <= 1.0
    assert ENC.encode(rgb).shape == (2, 3, 5, 6)  # guessed


def test_norm_encodings_ignore_gain_and_offset():
    rng = np.random.default_rng(2)
    x = torch.from_numpy(rng.integers(10, 60, (2, 3, 6, 6)).astype(np.uint8))
    a = ENC.expand(x, "rgb8-norm")
    torch.testing.assert_close(a.mean(dim=(-2, -1)), torch.zeros(2, 3), atol=1e-5, rtol=0)
    # equal up to the eps in the denominator (std here is about 0.06)
    torch.testing.assert_close(ENC.expand(2 * x + 7, "rgb8-norm"), a, atol=1e-3, rtol=2e-2)
    flat = ENC.expand(torch.full((1, 1, 4, 4), 9, dtype=torch.uint8), "gray8-norm")
    assert torch.isfinite(flat).all() and (flat == 0).all()
    assert ENC.encoding_channels("rgb8-norm") == 3 and ENC.encoding_channels("gray8-norm") == 1


def test_encoding_channels():
    c = _codes(bits=3, scales=(1, 2, 4), size=8)
    assert ENC.encoding_channels("rgb8") == 3
    assert ENC.encoding_channels("gray8") == 1
    assert ENC.encoding_channels("lg-signed", c) == 6
    assert ENC.encoding_channels("lg-onehot", c) == 42
    for enc in ("lg-signed", "lg-onehot"):
        assert ENC.encode(c, enc).shape[1] == ENC.encoding_channels(enc, c)


def test_levels_come_from_the_attribute_not_bits():
    from types import SimpleNamespace

    from analogfe.frontend import LogGradientFrontEnd

    fe = LogGradientFrontEnd(scales=(1, 2), thresholds=(1.1, 1.5))  # 5 levels, 3 bits
    assert (fe.levels, fe.bits) == (5, 3)
    assert ENC.encoding_channels("lg-onehot", fe) == 2 * 2 * 5
    out = fe(np.random.default_rng(0).uniform(100, 9000, (8, 8)).astype(np.float32))
    x = ENC.encode(out, "lg-onehot")
    assert x.shape[1] == 20 and torch.all(x.sum(1) == 4)  # one level per map
    no_levels = SimpleNamespace(dx=out.dx, dy=out.dy, scales=out.scales, bits=3)
    with pytest.raises(ValueError, match="output.*levels"):
        ENC.encode(no_levels, "lg-signed")


def test_encoding_errors():
    with pytest.raises(ValueError, match="unknown encoding 'rgb'.*'rgb8'.*'lg-signed'"):
        ENC.encode(np.zeros((4, 4), np.uint8), "rgb")
    with pytest.raises(ValueError, match="rgb8.*shape"):
        ENC.encode(np.zeros((2, 4, 4), np.uint8), "rgb8")
    with pytest.raises(ValueError, match="gray8"):
        ENC.encode(np.zeros((4, 4, 3), np.uint8), "gray8")
    with pytest.raises(TypeError, match="GradientCodes"):
        ENC.encode(np.zeros((4, 4), np.uint8), "lg-signed")
    with pytest.raises(TypeError, match="uint8 images"):
        ENC.encode(_codes(), "rgb8")
    with pytest.raises(ValueError, match="log-gradient front end"):
        ENC.encoding_channels("lg-signed", None)
    with pytest.raises(ValueError, match="channels"):
        ENC.expand(torch.zeros(1, 2, 4, 4), "rgb8")


@pytest.mark.parametrize("enc", ["rgb8", "gray8", "rgb8-norm", "gray8-norm", "lg-signed",
                                 "lg-onehot"])
def test_module_equals_function_and_noncontiguous(enc):
    c = 3 if enc.startswith("rgb8") else (1 if enc.startswith("gray8") else 4)
    rng = np.random.default_rng(1)
    if ENC.ENCODINGS[enc].kind == "image":
        x = torch.from_numpy(rng.integers(0, 256, (2, c, 5, 5)).astype(np.uint8))
    else:
        x = torch.from_numpy(rng.integers(-3, 4, (2, c, 5, 5)).astype(np.int8))
    mod = ENC.InputEncoder(enc, levels=7)
    torch.testing.assert_close(mod(x), ENC.expand(x, enc, 7))
    xt = x.transpose(-1, -2)  # non-contiguous view
    torch.testing.assert_close(ENC.expand(xt, enc, 7), ENC.expand(xt.contiguous(), enc, 7))


@pytest.mark.parametrize("enc", ["rgb8", "gray8", "rgb8-norm", "lg-signed"])
def test_expand_gradcheck(enc):
    c = {"rgb8": 3, "gray8": 1, "rgb8-norm": 3, "lg-signed": 2}[enc]
    x = torch.randn(1, c, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: ENC.expand(t, enc, 3), (x,))


def test_model_gradcheck_float64():
    torch.manual_seed(0)
    net = M.ResNet(blocks=(1, 1), width=2, in_channels=2, num_classes=2).double().eval()
    x = torch.randn(1, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(net, (x,))


def test_encoder_plus_model_pipeline_with_frontend_output():
    from analogfe import frontend as fe

    e = np.random.default_rng(0).uniform(100, 5000, (3, 24, 24)).astype(np.float32)
    codes = fe.LogGradientFrontEnd(bits=2, scales=(1, 2, 4))(e)
    for enc in ("lg-signed", "lg-onehot"):
        x = ENC.encode(codes, enc)
        assert x.shape == (3, ENC.encoding_channels(enc, codes), 24, 24)
        net = M.resnet10(in_channels=x.shape[1], num_classes=2, width=4)
        assert net(x).shape == (3, 2)


# ---------------------------------------------------------------- networks


def test_resnet10_structure():
    net = M.resnet10(in_channels=6, num_classes=3, width=8)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    assert len(convs) + len(linears) == 10  # stem + 4 blocks x 2 + fc
    assert not any(isinstance(m, nn.MaxPool2d) for m in net.modules())
    assert net.stem[0].stride == (1, 1)
    assert net(torch.zeros(2, 6, 25, 25)).shape == (2, 3)
    assert M.resnet18(width=4)(torch.zeros(1, 3, 32, 32)).shape == (1, 2)
    big = M.ResNet(width=4, stem="large")
    assert big(torch.zeros(1, 3, 128, 128)).shape == (1, 2) and big.min_size == 32


def test_model_input_errors():
    net = M.resnet10(in_channels=6, width=4)
    with pytest.raises(ValueError, match="5 channels.*in_channels=6"):
        net(torch.zeros(1, 5, 32, 32))
    with pytest.raises(ValueError, match=r"4x4, smaller than.*8x8"):
        net(torch.zeros(1, 6, 4, 4))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        net(torch.zeros(6, 32, 32))
    fixed = M.resnet10(in_channels=1, width=4, input_size=(32, 32))
    with pytest.raises(ValueError, match="25x25.*input_size=32x32"):
        fixed(torch.zeros(1, 1, 25, 25))
    with pytest.raises(ValueError, match="unknown stem"):
        M.ResNet(stem="tiny")


def test_model_deterministic_with_seed():
    outs = []
    for _ in range(2):
        torch.manual_seed(3)
        net = M.resnet10(in_channels=2, width=4).eval()
        outs.append(net(torch.ones(1, 2, 16, 16)))
    torch.testing.assert_close(outs[0], outs[1], rtol=0, atol=0)


# ---------------------------------------------------------------- counters


def test_counters_against_hand_count():
    net = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, bias=True), nn.ReLU(),
        nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3),
    )
    # conv1: 4*6*6 outputs x 2*3*3 = 2592; conv2: 8*3*3 x 4*3*3 = 2592; fc 24
    assert NET.count_macs(net, (2, 6, 6)) == 2592 + 2592 + 24
    assert NET.count_macs(net, (5, 2, 6, 6)) == 5208  # per sample
    p = NET.model_profile(net, (2, 6, 6), weight_bits=4, activation_bits=8)
    assert p["params"] == (4 * 2 * 9 + 4) + 8 * 4 * 9 + (8 * 3 + 3) == 391
    assert p["weight_bits"] == 391 * 4
    assert p["macs"] == 5208
    # peak in+out: conv1 72 + 144 = conv2 144 + 72 = 216 values
    assert p["activation_bits"] == 216 * 8
    assert p["activation_values"] == 144 + 72 + 3
    assert p["layers"] == 3


def _resnet_macs_by_hand(cin, w, h, blocks, k):
    macs, c = h * h * w * cin * 9, w
    for i, n in enumerate(blocks):
        cout = w * 2 ** i
        for j in range(n):
            if i > 0 and j == 0:
                h = math.ceil(h / 2)
            macs += h * h * cout * c * 9 + h * h * cout * cout * 9
            if c != cout:
                macs += h * h * cout * c  # 1x1 shortcut
            c = cout
    return macs + c * k


@pytest.mark.parametrize("blocks,size", [((1, 1, 1, 1), 25), ((2, 2, 2, 2), 16), ((1, 1), 9)])
def test_resnet_macs_formula(blocks, size):
    net = M.ResNet(blocks, width=4, in_channels=3, num_classes=5)
    assert NET.count_macs(net, (3, size, size)) == _resnet_macs_by_hand(3, 4, size, blocks, 5)
    assert NET.model_profile(net, (3, size, size))["params"] == sum(
        p.numel() for p in net.parameters())


def test_profile_errors():
    with pytest.raises(ValueError, match="input_shape"):
        NET.count_macs(M.resnet10(width=2), (3, 32))
    with pytest.raises(ValueError, match="weight_bits"):
        NET.model_profile(M.resnet10(width=2), (3, 16, 16), weight_bits=0)
