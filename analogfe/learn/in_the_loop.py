"""The sensor in the training loop: emulation on the fly, on the training device.

:class:`SensorInTheLoop` is an encoder for :func:`analogfe.learn.train.fit`:
it takes a batch of linear raw scenes (:func:`analogfe.scene.unprocess` of
the images, computed once) and runs the torch sensor and front end of
:mod:`analogfe.frontend.torch` on it, with a new exposure (brightness
``2**k``, ``k`` uniform in a user range, one per sample) and a new noise draw
for every sample of every epoch, optionally a random read noise per sample
(a "virtual camera"). In evaluation mode it exposes at ``eval_k``.
:func:`train_in_the_loop` trains one ResNet this way and returns a
:class:`~analogfe.learn.experiments.TrainedModel` that the numpy/Cython
brightness sweep evaluates like any other; with ``learn_thresholds=True`` the
converter's thresholds are co-designed with the network and come back as a
plain :class:`~analogfe.frontend.LogGradientFrontEnd`.

References
----------
X. Jin et al., "Lighting Every Darkness in Two Pairs: A Calibration-Free
Pipeline for RAW Denoising" (LED), ICCV 2023 (noise of randomly drawn virtual
cameras, synthesised during training).
H. M. So, L. Bose, P. Dudek, G. Wetzstein, "PixelRNN: In-pixel Recurrent
Neural Networks for End-to-end-optimized Perception with Neural Sensors",
CVPR 2024 (sensor parameters trained end to end with the network).
Q. Lu, B. Murmann, "Improving the Energy Efficiency and Robustness of tinyML
Computer Vision using Log-Gradient Input Images", arXiv:2203.02571, 2022
(the brightness sweep).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._validation import check_array, check_float, check_int
from ..frontend.digital import DigitalFrontEnd
from ..frontend.log_gradient import LogGradientFrontEnd
from ..frontend.registry import make_frontend
from ..frontend.torch import TorchLogGradientFrontEnd, TorchSensor, process
from ..scene.camera import unprocess
from ..sensor.model import Sensor, SensorConfig

__all__ = ["SensorInTheLoop", "train_in_the_loop", "raw_scenes"]

#: Nominal exposure of the emulation, seconds (as ``Sensor.expose``'s default).
NOMINAL_EXPOSURE_S = 0.033


def _k_range(k_range):
    try:
        lo, hi = (float(v) for v in k_range)
    except (TypeError, ValueError):
        raise TypeError(f"k_range must be a pair (k_min, k_max), got {k_range!r}") from None
    if not (-30 <= lo <= hi <= 30):
        raise ValueError(f"k_range must satisfy -30 <= k_min <= k_max <= 30, got {k_range!r}")
    return lo, hi


class SensorInTheLoop(nn.Module):
    """Raw scenes -> network input, emulating sensor and front end per batch.

    Parameters
    ----------
    frontend : str, LogGradientFrontEnd or TorchLogGradientFrontEnd
        ``"rgb8"``, ``"gray8"`` (readout + minimal ISP, input divided by
        255), ``"lg1.5"``, ``"lg2.75"`` or a log-gradient front end (the
        ``"lg-signed"`` encoding).
    shape : (int, int)
        Frame height and width (the fixed pattern's size).
    sensor_config : SensorConfig, optional
        Default ``SensorConfig`` with the front end's CFA (``"RGGB"`` for rgb8).
    signal_e : float, optional
        Electrons of a raw value of 1.0 at ``k = 0``; default the full well.
    k_range : (float, float)
        Training brightness ``2**k``, ``k`` uniform in this range per sample;
        ``(0, 0)`` is the fixed exposure.
    eval_k : float
        Brightness exponent in evaluation mode.
    read_noise_range_e : (float, float), optional
        A virtual camera: read noise, e- rms, uniform per sample in training.
    seed : int
        Fixed pattern (sensor and converter) and the temporal noise generator.
    method, temperature, learn_thresholds, learn_gain
        Of :class:`~analogfe.frontend.torch.TorchLogGradientFrontEnd`.
    exposure : {"fixed", "auto"} or AutoExposure
        ``"fixed"`` (default): the nominal exposure at unity gain, so the
        drawn brightness reaches the sensor as it is. ``"auto"``: the
        camera's auto-exposure (:class:`analogfe.sensor.AutoExposure`, its
        model computed per sample on the tensors: the frame mean metered to
        the target, exposure time first within its limits, then analog gain;
        a log-gradient front end takes the exposure time only), as
        ``analogfe.frontend.emulate(..., exposure="auto")`` does.
    """

    def __init__(self, frontend, shape, *, sensor_config=None, signal_e=None, k_range=(0.0, 0.0),
                 eval_k=0.0, read_noise_range_e=None, seed=0, method="ste", temperature=0.05,
                 learn_thresholds=False, learn_gain=False, exposure="fixed"):
        super().__init__()
        from ..sensor.exposure import resolve_exposure

        self.ae = resolve_exposure(exposure)
        h, w = (check_int(v, "shape", low=1) for v in shape)
        self.k_range = _k_range(k_range)
        self.eval_k = check_float(eval_k, "eval_k", low=-30.0, high=30.0)
        self.seed = check_int(seed, "seed", low=0)
        self.read_noise_range_e = None if read_noise_range_e is None else tuple(
            check_float(v, "read_noise_range_e", low=0.0) for v in read_noise_range_e)
        if isinstance(frontend, str):
            name = frontend
            cfg = sensor_config or SensorConfig(cfa="RGGB" if name == "rgb8" else None)
            cfg = cfg.replace(height=h, width=w)
            fe = make_frontend(name, cfg, seed=seed)
        elif isinstance(frontend, (LogGradientFrontEnd, TorchLogGradientFrontEnd)):
            fe = frontend
            base = frontend.frontend if isinstance(frontend, TorchLogGradientFrontEnd) else frontend
            cfg = (sensor_config or SensorConfig(full_well_e=base.full_well_e, cfa=base.cfa)).replace(
                height=h, width=w)
        else:
            raise TypeError(f"frontend must be a name or a log-gradient front end, "
                            f"got {type(frontend).__name__}")
        self.sensor_config = cfg
        self.signal_e = cfg.full_well_e if signal_e is None else check_float(
            signal_e, "signal_e", low=0.0, low_open=True)
        if isinstance(fe, DigitalFrontEnd):
            self.sensor = TorchSensor(fe.sensor)
            self.output = fe.output
            self.lg = None
            self.encoding, self.levels = fe.name, 3
        else:
            self.sensor = TorchSensor(Sensor(cfg, seed=seed))
            self.output = None
            self.lg = fe if isinstance(fe, TorchLogGradientFrontEnd) else TorchLogGradientFrontEnd(
                fe, method=method, temperature=temperature, learn_thresholds=learn_thresholds,
                learn_gain=learn_gain)
            self.encoding, self.levels = "lg-signed", self.lg.levels
        self._generators = {}

    def _generator(self, device):
        key = str(device)
        if key not in self._generators:
            self._generators[key] = torch.Generator(device=device).manual_seed(self.seed)
        return self._generators[key]

    def get_extra_state(self):
        """The temporal-noise generators' states, so that a checkpoint (which
        saves the encoder's ``state_dict``) resumes the same noise draws."""
        return {dev: g.get_state() for dev, g in self._generators.items()}

    def set_extra_state(self, state):
        for dev, st in dict(state).items():
            self._generator(torch.device(dev)).set_state(st)

    def _uniform(self, n, lo, hi, gen, device):
        u = torch.rand(n, generator=gen, device=device, dtype=torch.float64)
        return lo + (hi - lo) * u

    def forward(self, raw):
        """``raw`` (N, H, W) linear scenes -> network input (N, C, H, W), float32."""
        if not isinstance(raw, torch.Tensor) or raw.ndim != 3:
            raise ValueError(f"raw must be an (N, H, W) tensor, got "
                             f"{tuple(raw.shape) if isinstance(raw, torch.Tensor) else type(raw).__name__}")
        raw = raw.float()
        n, dev = raw.shape[0], raw.device
        gen = self._generator(dev)
        if self.training:
            k = self._uniform(n, *self.k_range, gen, dev)
        else:
            k = torch.full((n,), self.eval_k, dtype=torch.float64, device=dev)
        signal = self.signal_e * torch.exp2(k)
        t, gain = self._auto_exposure(raw, signal)
        rn = None
        if self.training and self.read_noise_range_e is not None:
            rn = self._uniform(n, *self.read_noise_range_e, gen, dev).float()
        nominal = NOMINAL_EXPOSURE_S if self.ae is None else self.ae.nominal_exposure_s
        e = self.sensor.expose(raw, signal_e=(signal * t).float(),
                               exposure_s=(nominal * t).float(), generator=gen)
        if self.lg is not None:
            return self.lg.network_input(e, generator=gen, read_noise_e=rn).float()
        dn = self.sensor.readout(e, gain=gain.float(), generator=gen, read_noise_e=rn)
        img = process(dn, self.sensor_config, output=self.output).float() / 255.0
        return img if self.output == "rgb" else img[:, None]

    def _auto_exposure(self, raw, signal):
        """Per sample: the exposure factor (of the nominal exposure) and the
        analog gain, ones without auto-exposure; the model of
        :meth:`analogfe.sensor.AutoExposure.settings`, in float64."""
        ones = torch.ones_like(signal)
        if self.ae is None:
            return ones, ones
        from ..sensor.exposure import saturation_e

        ae = self.ae
        target = ae.target * saturation_e(self.sensor_config)
        metered = raw.double().mean(dim=(-2, -1)) * signal
        need = torch.where(metered > 0, target / metered.clamp_min(1e-300),
                           torch.full_like(metered, float("inf")))
        t = need.clamp(ae.min_exposure_s / ae.nominal_exposure_s,
                       ae.max_exposure_s / ae.nominal_exposure_s)
        g = (need / t).clamp(1.0, ae.max_gain)
        return t, g

    def extra_repr(self):
        return (f"encoding={self.encoding!r}, k_range={self.k_range}, eval_k={self.eval_k}, "
                f"read_noise_range_e={self.read_noise_range_e}")


def raw_scenes(images_srgb, frontend, sensor_config=None):
    """sRGB images -> the linear raw scenes (float32 tensor) a :class:`SensorInTheLoop`
    takes: :func:`analogfe.scene.unprocess` with the front end's CFA, as
    :func:`analogfe.frontend.emulate` does (gray images go to rgb8 as three
    equal channels)."""
    imgs = check_array(images_srgb, "images_srgb", ndim=(3, 4), kinds="u")
    rgb = frontend == "rgb8"
    cfa = sensor_config.cfa if sensor_config is not None else ("RGGB" if rgb else None)
    if cfa is not None and imgs.ndim == 3:
        imgs = np.repeat(imgs[..., None], 3, axis=-1)
    return torch.from_numpy(np.ascontiguousarray(unprocess(imgs, cfa=cfa)))


def train_in_the_loop(split, frontend, *, k_range=(-5.0, 3.0), epochs=30, width=16,
                      blocks=(1, 1, 1, 1), batch_size=16, val_fraction=0.2, signal_e=None,
                      sensor_config=None, seed=0, learn_thresholds=False, learn_gain=False,
                      read_noise_range_e=None, temperature=0.05, label=None, exposure="fixed",
                      **fit_kw):
    """Train one ResNet with the sensor in the loop (a new exposure per sample).

    Parameters
    ----------
    split : Split
        ``X_train``, ``y_train`` (uint8 sRGB), ``classes``.
    frontend : str or LogGradientFrontEnd
        ``"rgb8"``, ``"gray8"``, ``"lg1.5"``, ``"lg2.75"`` or a front end object.
    k_range : (float, float)
        Brightness exponents drawn per training sample; validation at ``k = 0``.
    epochs, width, blocks, batch_size, val_fraction, seed
        As :func:`analogfe.learn.experiments.train_frontend`.
    signal_e, sensor_config
        As :func:`analogfe.learn.experiments.emulate_dataset`.
    learn_thresholds, learn_gain, temperature
        Co-design of the converter (log-gradient front ends).
    read_noise_range_e : (float, float), optional
        Random read noise per sample (virtual camera).
    label : str, optional
        Name in tables.
    exposure : {"fixed", "auto"} or AutoExposure
        Of the encoder (:class:`SensorInTheLoop`) and of the returned model's
        evaluation.
    **fit_kw
        Passed to :func:`analogfe.learn.train.fit`.

    Returns
    -------
    TrainedModel
        Its ``frontend`` is the name, or (log-gradient objects and learned
        thresholds) a numpy ``LogGradientFrontEnd`` with the thresholds of
        the epoch whose weights are kept (the best validation epoch);
        its ``exposure`` is the encoder's (``"fixed"`` or the AutoExposure),
        so :func:`brightness_sweep` evaluates it through the numpy/Cython
        emulation in the same mode. The torch encoder is in
        ``result.metrics`` as the thresholds (``thresholds``) when learned.
    """
    from .experiments import TrainedModel, _frontend_name, _training_split
    from .models import ResNet
    from .train import fit

    X, y, classes, idx_tr, idx_va = _training_split(split, val_fraction, seed)
    name = frontend if isinstance(frontend, str) else None
    raw = raw_scenes(X, name, sensor_config)
    enc = SensorInTheLoop(frontend, raw.shape[-2:], sensor_config=sensor_config, signal_e=signal_e,
                          k_range=k_range, seed=seed, learn_thresholds=learn_thresholds,
                          learn_gain=learn_gain, read_noise_range_e=read_noise_range_e,
                          temperature=temperature, exposure=exposure)
    with torch.no_grad():
        enc.eval()
        channels = enc(raw[:1]).shape[1]
    torch.manual_seed(seed)
    model = ResNet(blocks, width, channels, len(classes))
    yt = torch.as_tensor(y)
    val = (raw[idx_va], yt[idx_va]) if idx_va is not None else None
    mode = "fixed" if enc.ae is None else enc.ae
    extra = dict(frontend=_frontend_name(frontend), signal_e=enc.signal_e,
                 exposure="fixed" if enc.ae is None else "auto",
                 in_the_loop=dict(k_range=list(enc.k_range), learn_thresholds=bool(learn_thresholds),
                                  learn_gain=bool(learn_gain)))
    res = fit(model, (raw[idx_tr], yt[idx_tr]), val, encoder=enc, epochs=epochs, seed=seed,
              batch_size=batch_size, classes=classes, extra_config=extra, **fit_kw)
    fe_out = frontend
    if enc.lg is not None and (learn_thresholds or not isinstance(frontend, str)):
        fe_out = enc.lg.to_frontend()
        res.metrics["thresholds"] = list(fe_out.thresholds)
    tm = TrainedModel(fe_out, enc.encoding, enc.levels, res.model, enc.signal_e,
                      sensor_config, res, label=label, exposure=mode, sensor_seed=seed)
    tm.encoder = enc
    return tm
