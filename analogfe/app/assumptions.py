"""What a report assumed: the table that lets a reader judge its numbers.

:func:`assumptions` lists, for one run, the package version, the dataset
and its sizes, the seeds, the sensor of every front end as it was used, the
light (electrons of a white surface at brightness 2^0 and the illuminance
that gives them through :func:`analogfe.sensor.electrons_from_lux`), the
frame and rate of the cost model, the baselines, and every cost constant
with its value and source. ``analogfe compare`` prints it as a table and
stores it in ``results.json``.
"""
from __future__ import annotations

from dataclasses import asdict

__all__ = ["assumptions", "sensor_used", "white_light"]


def sensor_used(config, shape, frontend):
    """The :class:`~analogfe.sensor.SensorConfig` fields that ``frontend``
    ran on (``shape`` = height, width of its images), as a dict."""
    from .tasks import sensor_config_for

    return asdict(sensor_config_for(config, shape, frontend))


def white_light(config, shape):
    """``(signal_e, lux)``: the electrons of a white surface at brightness
    2^0 on the first front end's sensor, and the scene illuminance that gives
    them through :func:`analogfe.sensor.electrons_from_lux` with the wake-up
    camera's optics (:data:`analogfe.data.builtin.DEFAULT_OPTICS`)."""
    from ..data.builtin import DEFAULT_OPTICS
    from ..sensor.model import electrons_from_lux
    from .tasks import sensor_config_for, signal_for

    sc = sensor_config_for(config, shape, config["frontends"]["names"][0])
    signal = signal_for(config, sc)
    return signal, signal / electrons_from_lux(1.0, **DEFAULT_OPTICS)


def assumptions(config, *, seeds, split=None, version=None):
    """Rows ``{"quantity", "value", "source"}`` of what a comparison assumed.

    Parameters
    ----------
    config : dict
        From :func:`analogfe.app.config.load_config`.
    seeds : sequence of int
        The seeds the numbers come from.
    split : Split, optional
        The images (for their sizes and classes).
    version : str, optional
        Package version (default: the installed one).
    """
    from .. import __version__
    from ..data.builtin import DEFAULT_OPTICS
    from ..system import energy as E
    from ..system.baseline import get_baseline
    from ..system.params import CostParams
    from .tasks import sensor_config_for

    rows = []

    def add(q, v, s=""):
        rows.append({"quantity": q, "value": v, "source": s})

    add("analogfe version", version or __version__)
    ds = config["dataset"]
    add("dataset", ds["name"])
    if split is not None:
        import numpy as np

        add("images (train / test)", f"{len(split.y_train)} / {len(split.y_test)}",
            f"test_size {ds['test_size']:g}")
        add("image size (px)", "x".join(str(int(s)) for s in np.asarray(split.X_test).shape[1:3]))
        counts = np.bincount(np.asarray(split.y_test).astype(int), minlength=len(split.classes))
        add("test images per class", ", ".join(f"{c} {n}" for c, n in zip(split.classes, counts)))
    add("seeds", ", ".join(str(s) for s in seeds), "one full run per seed")
    shape = (32, 32) if split is None else tuple(split.X_test.shape[1:3])
    names = list(dict.fromkeys(config["frontends"]["names"]))
    sensors = {}
    for name in names:
        sc = sensor_config_for(config, shape, name)
        key = tuple(sorted((k, v) for k, v in asdict(sc).items() if k not in ("height", "width")))
        sensors.setdefault(key, []).append(name)
    for key, fes in sensors.items():
        d = dict(key)
        add(f"sensor of {', '.join(fes)}",
            ", ".join(f"{k} {v}" for k, v in d.items()),
            "[sensor] section (SensorConfig defaults where unset)")
    signal, lux = white_light(config, shape)
    how = ("scene.signal_e = auto: the full well" if config["scene"]["signal_e"] == "auto"
           else "scene.signal_e")
    add("electrons of a white surface at 2^0", f"{signal:,.0f} e-", how)
    optics = ", ".join(f"{k} {v:g}" for k, v in DEFAULT_OPTICS.items())
    add("illuminance giving them", f"{lux:,.0f} lux",
        f"electrons_from_lux with {optics}")
    from .tasks import exposure_for

    ae = exposure_for(config, "auto")
    add("exposure", f"models trained with {config['scene']['exposure']} exposure; every sweep "
        "run with auto-exposure and with fixed exposure", "scene.exposure")
    add("auto-exposure", f"mean metered to {ae.target:g} of the unity-gain saturation signal; "
        f"exposure {ae.min_exposure_s * 1e6:.0f} us to {ae.max_exposure_s * 1e3:g} ms "
        f"(nominal {ae.nominal_exposure_s * 1e3:g} ms) first, then analog gain 1 to "
        f"{ae.max_gain:g}x (digital front ends only)", "analogfe.sensor.AutoExposure")
    add("brightness sweep", ", ".join(f"2^{k}" for k in sorted(config["scene"]["brightness_exponents"])),
        "scene light scaled before the sensor")
    c = config["cost"]
    add("cost model frame", f"{c['width']}x{c['height']} at {c['fps']:g} frame/s", "[cost]")
    for i, name in enumerate(c["baselines"]):
        b = get_baseline(name)
        role = "denominator of the link saving and the first energy ratio" if i == 0 \
            else "second energy ratio"
        add(f"baseline {name}", f"{b.frontend}, {b.adc_bits}-bit raw over the link, ISP on the "
            f"{b.isp_location}, ADC FoM {b.adc_fom_fj:g} fJ/step ({role})", b.source)
    bits = sorted({dict(key)["adc_bits"] for key in sensors})  # the sensors listed above
    costed = get_baseline(c["baselines"][0]).adc_bits
    if bits != [costed]:
        add("emulated vs costed ADC", f"the emulated sensors read {', '.join(map(str, bits))}-bit "
            f"codes (resolved by EMVA 1288); the 8-bit front ends are costed with {costed}-bit "
            f"raw words, the first baseline's; the accuracies come from 8-bit ISP output",
            "analogfe.app.tasks.deployed_frontend")
    params = CostParams(**dict(c["options"])).to_dict()
    for k, src in E.SOURCES.items():
        set_ = k in c["options"]
        add(f"cost {k}", f"{params[k]:g}", "[cost.options]" if set_ else src)
    return rows
