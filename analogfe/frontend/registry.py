"""The standard front ends by name, and emulation of sRGB images through one.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from .._validation import check_array, check_choice, check_float
from ..scene.camera import unprocess
from ..sensor.exposure import resolve_exposure
from ..sensor.model import Sensor, SensorConfig
from .digital import DigitalFrontEnd
from .log_gradient import LogGradientFrontEnd

__all__ = ["FrontEndSpec", "FRONTENDS", "ENTRY_POINT_GROUP", "frontend_spec", "make_frontend",
           "emulate", "is_import_path", "plugin_names"]

#: The entry-point group under which an installed package registers its front
#: ends by name, e.g. in its ``pyproject.toml``::
#:
#:     [project.entry-points."analogfe.frontends"]
#:     gray4 = "mypkg.frontends:Gray4"
ENTRY_POINT_GROUP = "analogfe.frontends"


def _digital(sensor_config, seed, **kw):
    return DigitalFrontEnd(Sensor(sensor_config, seed=seed), **kw)


def _log_gradient(sensor_config, seed, **kw):
    args = {"full_well_e": sensor_config.full_well_e, "cfa": sensor_config.cfa,
            "read_noise_e": sensor_config.read_noise_e, "seed": seed}
    return LogGradientFrontEnd(**{**args, **kw})


@dataclass(frozen=True)
class FrontEndSpec:
    """One named front end: how to build it and on which sensor.

    Attributes
    ----------
    factory : callable
        ``factory(sensor_config, seed, **kw)`` -> front end.
    defaults : dict
        Keyword defaults of ``factory`` for this name (overridden by ``**kw``).
    cfa : str or None
        The sensor's Bayer pattern when no ``SensorConfig`` is given
        (``None``: monochrome).
    cls : type, optional
        The class ``factory`` builds (its constructor's keywords are the
        options, see :meth:`option_keys`).
    fixed : tuple of str
        Constructor arguments that ``factory`` sets itself (not options).
    """

    factory: object
    defaults: dict = field(default_factory=dict)
    cfa: str | None = None
    cls: object = None
    fixed: tuple = ()

    def build(self, sensor_config, seed=0, **kw):
        return self.factory(sensor_config, seed, **{**self.defaults, **kw})

    def option_keys(self):
        """The option keywords the front end takes, sorted; None when they are
        not known (no class, or a constructor taking ``**kwargs``)."""
        if self.cls is None:
            return None
        params = inspect.signature(self.cls).parameters.values()
        if any(p.kind is p.VAR_KEYWORD for p in params):
            return None
        return tuple(sorted(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD,
                                                                  p.KEYWORD_ONLY)
                            and p.name not in self.fixed))


#: The standard front ends: the 8-bit RGB baseline on a Bayer sensor, 8-bit
#: gray, and the 1.5- and 2.75-bit log-gradient front ends (monochrome).
FRONTENDS = {
    "rgb8": FrontEndSpec(_digital, {"output": "rgb"}, "RGGB", DigitalFrontEnd, ("sensor",)),
    "gray8": FrontEndSpec(_digital, {"output": "gray"}, None, DigitalFrontEnd, ("sensor",)),
    "lg1.5": FrontEndSpec(_log_gradient, {"bits": 2}, None, LogGradientFrontEnd, ("seed",)),
    "lg2.75": FrontEndSpec(_log_gradient, {"bits": 3}, None, LogGradientFrontEnd, ("seed",)),
}


def frontend_spec(name, argname="name", *, allow_import=True):
    """The :class:`FrontEndSpec` of a front end by name, import path or entry point.

    A name of :data:`FRONTENDS`; the import path of a class that follows
    :class:`analogfe.frontend.protocol.FrontEnd`, ``"mypkg.module:MyFrontEnd"``;
    or the name of an entry point of the group :data:`ENTRY_POINT_GROUP`
    (``"analogfe.frontends"``) of an installed package. A plug-in is imported,
    then registered in :data:`FRONTENDS` under that path or name; it is built
    as ``MyFrontEnd(sensor_config=..., seed=..., **options)``, on a
    monochrome sensor unless the class sets ``cfa``.

    Parameters
    ----------
    name : str
    argname : str
        The name of the argument in error messages.
    allow_import : bool
        Whether an import path not yet registered may be imported. A name read
        from a data file (a saved model, a cache entry) is resolved with
        False: such a file may name a standard front end or an installed
        entry point, never make analogfe import a module.

    Raises
    ------
    ValueError
        An unknown name (the message lists the valid ones, entry points
        included), an import path or entry point that does not name a
        front-end class, or an import path with ``allow_import=False``.
    """
    if isinstance(name, str) and name in FRONTENDS:
        return FRONTENDS[name]
    if isinstance(name, str):
        if ":" in name:
            if not allow_import:
                raise ValueError(f"{argname}={name!r} is an import path, which is not imported "
                                 "from a data file; install the plug-in as an entry point of "
                                 f"{ENTRY_POINT_GROUP!r} or allow the import explicitly")
            FRONTENDS[name] = _plugin_spec(name, argname)
        else:
            ep = _entry_points().get(name)
            if ep is not None:
                FRONTENDS[name] = _plugin_spec(ep.value, argname, label=f"entry point {name!r}")
    return FRONTENDS[check_choice(name, argname, _valid_names())]


def _entry_points():
    """The entry points of :data:`ENTRY_POINT_GROUP` by name (installed packages)."""
    from importlib import metadata

    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def plugin_names():
    """The front-end names that installed packages register as entry points."""
    return tuple(sorted(_entry_points()))


def _valid_names():
    return tuple(FRONTENDS) + tuple(n for n in plugin_names() if n not in FRONTENDS)


def is_import_path(name):
    """Whether ``name`` has the form ``"package.module:Class"``."""
    if not isinstance(name, str) or name.count(":") != 1:
        return False
    mod, cls = name.split(":")
    return all(p.isidentifier() for p in mod.split(".")) and cls.isidentifier()


def _plugin_spec(path, argname, label=None):
    import importlib

    if label is not None and not is_import_path(path):
        raise ValueError(f"{argname}: {label} points to {path!r}, not to a class "
                         "'package.module:Class'")
    if not is_import_path(path):
        raise ValueError(f"{argname}={path!r} is neither a standard front end "
                         f"({', '.join(k for k in FRONTENDS if ':' not in k)}) nor an import path "
                         "'package.module:Class'")
    mod, cls_name = path.split(":")
    what = f"{argname}={path!r}" if label is None else f"{argname}: {label} ({path!r})"
    try:
        cls = getattr(importlib.import_module(mod), cls_name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"{what}: cannot import it ({exc})") from None
    missing = [m for m in ("bits_per_frame", "operation_counts", "__call__") if not hasattr(cls, m)]
    if not isinstance(cls, type) or missing:
        raise ValueError(f"{what} is not a front-end class (see "
                         f"analogfe.frontend.protocol.FrontEnd); it lacks {', '.join(missing) or 'a class'}")

    def factory(sensor_config, seed, **kw):
        return cls(sensor_config=sensor_config, seed=seed, **kw)

    return FrontEndSpec(factory, {}, getattr(cls, "cfa", None), cls, ("sensor_config", "seed"))


def make_frontend(name, sensor_config=None, seed=0, **kw):
    """Build a standard front end by name.

    Parameters
    ----------
    name : {"rgb8", "gray8", "lg1.5", "lg2.75"}
    sensor_config : SensorConfig, optional
        Default ``SensorConfig(cfa="RGGB")`` for ``"rgb8"``, else
        ``SensorConfig()`` (monochrome). A log-gradient front end takes its
        ``full_well_e``, ``cfa`` and pixel ``read_noise_e`` from it.
    seed : None, int or Generator
        Seed of the digital front end's Sensor or of the converter's
        non-idealities.
    **kw
        Passed to :class:`LogGradientFrontEnd` (e.g. ``scales``, ``packing``,
        ``comparator_noise_ln``) or :class:`DigitalFrontEnd`.
    """
    spec = frontend_spec(name)
    if sensor_config is None:
        sensor_config = SensorConfig(cfa=spec.cfa)
    elif "cfa" in kw and kw["cfa"] != getattr(sensor_config, "cfa", kw["cfa"]):
        raise ValueError(f"cfa={kw['cfa']!r} contradicts the sensor's cfa "
                         f"{sensor_config.cfa!r}; set it in the sensor configuration")
    if not isinstance(sensor_config, SensorConfig):
        raise TypeError(f"sensor_config must be a SensorConfig, got {type(sensor_config).__name__}")
    return spec.build(sensor_config, seed, **kw)


def emulate(images_srgb, frontend, *, sensor_config=None, seed=0, signal_e=None,
            brightness=1.0, exposure="auto"):
    """Run sRGB image(s) through a sensor and a front end.

    sRGB -> :func:`analogfe.scene.unprocess` (default camera) ->
    :meth:`Sensor.expose` with ``signal_e * brightness`` electrons for a raw
    value of 1.0 at the nominal exposure (clipped at the full well), times
    the exposure factor of the auto-exposure -> front end (a digital front
    end reads out with the auto-exposure's analog gain).

    With ``exposure="auto"`` each image is metered on its own
    (:class:`analogfe.sensor.AutoExposure`, per-image AE: the images of a
    dataset are independent frames): exposure time first, within the
    sensor's limits, then analog gain for a digital front end. A
    log-gradient front end takes the exposure time and no gain: its codes
    are ratios of neighbouring pixels, which a gain in front of the
    converter leaves unchanged (it only rescales the converter's ``eps``,
    1e-4 of the full well).

    Parameters
    ----------
    images_srgb : ndarray, uint8, uint16 or float in [0, 1]
        (H, W), (H, W, 3), (N, H, W) or (N, H, W, 3); a 3-D array whose last
        axis is 3 is one RGB image.
    frontend : str or front end
        A name in :data:`FRONTENDS` or an object (``LogGradientFrontEnd``,
        ``DigitalFrontEnd``).
    sensor_config : SensorConfig, optional
        The sensor; its height and width are set to the images'. Default: a
        ``DigitalFrontEnd``'s own sensor config, or ``SensorConfig`` with the
        CFA of the named front end / the ``cfa`` and ``full_well_e`` of a
        ``LogGradientFrontEnd``. A ``DigitalFrontEnd`` whose sensor has this
        config keeps its sensor's fixed pattern; otherwise a front end of the
        same output on ``Sensor(config, seed)`` is used.
    seed : None or int
        Seed of the sensor (fixed pattern and temporal noise) and of a named
        front end. The temporal noise of every call comes from ``seed``
        alone (a front end object keeps its fixed pattern but not its
        generator's state), so the same arguments give the same output, and
        a front end built by :func:`make_frontend` with ``seed`` emulates
        exactly as its name does.
    signal_e : float, optional
        Electrons of a raw value of 1.0 at ``brightness=1``; default the full well.
    brightness : float > 0
        Scales the light (e.g. ``2.0 ** k``), as in the brightness sweeps of
        Lu & Murmann (2022).
    exposure : {"auto", "fixed"}, AutoExposure or None
        ``"auto"`` (default): ``AutoExposure()`` (18 % grey target, 1-16x
        analog gain, 139 us to 100 ms exposure); an :class:`AutoExposure`
        with other parameters; ``"fixed"`` or None: the nominal exposure at
        unity gain (no AE: a dark scene stays dark).

    Returns
    -------
    output : GradientCodes or uint8 ndarray
        Stacked (N first) when the input is a stack.
    """
    imgs = check_array(images_srgb, "images_srgb", ndim=(2, 3, 4), kinds="uif",
                       nonnegative=True)
    if imgs.dtype.kind == "f" and imgs.size and float(imgs.max()) > 1.0:
        raise ValueError(f"images_srgb: float images must lie in [0, 1], max {float(imgs.max()):g}")
    colour = imgs.ndim == 4 or (imgs.ndim == 3 and imgs.shape[-1] == 3)
    if imgs.ndim == 4 and imgs.shape[-1] != 3:
        raise ValueError(f"images_srgb must be (N, H, W, 3) when 4-D, got {imgs.shape}")
    h, w = imgs.shape[-3:-1] if colour else imgs.shape[-2:]
    brightness = check_float(brightness, "brightness", low=0.0, low_open=True)
    ae = resolve_exposure(exposure)
    sensor = None
    if isinstance(frontend, str):
        spec = frontend_spec(frontend, "frontend")
        cfg = sensor_config if sensor_config is not None else SensorConfig(cfa=spec.cfa)
        if not isinstance(cfg, SensorConfig):
            raise TypeError(f"sensor_config must be a SensorConfig, got {type(cfg).__name__}")
        cfg = cfg.replace(height=h, width=w)
        fe = make_frontend(frontend, sensor_config=cfg, seed=seed)
        if isinstance(fe, DigitalFrontEnd):
            sensor = fe.sensor  # one sensor exposes and reads out
    elif isinstance(frontend, DigitalFrontEnd):
        cfg = frontend.sensor.config if sensor_config is None else sensor_config
        if not isinstance(cfg, SensorConfig):
            raise TypeError(f"sensor_config must be a SensorConfig, got {type(cfg).__name__}")
        cfg = cfg.replace(height=h, width=w)
        if cfg == frontend.sensor.config:
            sensor = frontend.sensor.with_noise_seed(seed)
            fe = DigitalFrontEnd(sensor, frontend.output)
        else:  # the same kind of front end on a sensor of the images' size
            fe = DigitalFrontEnd(Sensor(cfg, seed=seed), frontend.output)
            sensor = fe.sensor
    elif isinstance(frontend, LogGradientFrontEnd):
        fe = frontend.with_noise_seed(seed)
        cfg = sensor_config if sensor_config is not None else SensorConfig(
            full_well_e=fe.full_well_e, cfa=fe.cfa)
        if not isinstance(cfg, SensorConfig):
            raise TypeError(f"sensor_config must be a SensorConfig, got {type(cfg).__name__}")
        if cfg.cfa != fe.cfa:
            raise ValueError(f"frontend has cfa={fe.cfa!r} but sensor_config has cfa={cfg.cfa!r}")
        cfg = cfg.replace(height=h, width=w)
    else:
        raise TypeError("frontend must be a name in FRONTENDS or a front end object, "
                        f"got {type(frontend).__name__}")
    if sensor is None:
        sensor = Sensor(cfg, seed=seed)
    signal_e = cfg.full_well_e if signal_e is None else check_float(
        signal_e, "signal_e", low=0.0, low_open=True)
    raw = unprocess(imgs, cfa=cfg.cfa)
    if ae is None:
        return fe(sensor.expose(raw, signal_e=signal_e * brightness))
    electrons, setting = ae.expose(sensor, raw, signal_e=signal_e * brightness)
    if isinstance(fe, DigitalFrontEnd):
        return fe(electrons, gain=setting.gain.reshape(-1))
    return fe(electrons)
