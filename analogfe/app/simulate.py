"""Simulate one image or raw file through the sensor and every front end.

``simulate`` is the library behind ``analogfe simulate``: it turns an input
(an sRGB image file, a camera raw file, or a scikit-image sample name) into a
linear scene, exposes the sensor, reads it out through the linear ADC, runs
each configured front end on the same electrons, and saves every stage as
``.npz`` and as a preview PNG, with the bits per frame each front end sends off
chip. :func:`stage_panels` gives the same stages as figure panels; the compare
report draws them for one example image.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .._io import atomic_write_bytes, atomic_write_json
from ..features.image import centred_gradients
from ..frontend.codes import is_codes
from ..scene.load import load_scene
from .report import hog_glyph, plot_stages

__all__ = ['cell_orientation_histograms', 'simulate_stages', 'stage_panels', 'simulate',
           'signal_statistics']


def cell_orientation_histograms(dx, dy, cell_size=8, bins=9):
    """Unsigned orientation histograms per cell (L1 magnitude votes), for glyphs.

    A drawing aid only (no normalisation); the features that the classifiers
    use come from :mod:`analogfe.features`.

    Returns
    -------
    hist : (H // cell_size, W // cell_size, bins) float32
    """
    dx = np.asarray(dx, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    ny, nx = dx.shape[0] // cell_size, dx.shape[1] // cell_size
    if ny == 0 or nx == 0:
        return np.zeros((max(ny, 1), max(nx, 1), bins), np.float32)
    dx, dy = dx[: ny * cell_size, : nx * cell_size], dy[: ny * cell_size, : nx * cell_size]
    mag = np.abs(dx) + np.abs(dy)
    ang = np.mod(np.arctan2(dy, dx), np.pi)
    b = np.minimum((ang / np.pi * bins).astype(int), bins - 1)
    cy = np.arange(ny * cell_size)[:, None] // cell_size
    cx = np.arange(nx * cell_size)[None, :] // cell_size
    hist = np.zeros((ny, nx, bins), np.float64)
    np.add.at(hist, (np.broadcast_to(cy, b.shape), np.broadcast_to(cx, b.shape), b), mag)
    return hist.astype(np.float32)


def _sensor_config(config, shape, cfa):
    from ..sensor.model import SensorConfig

    d = dict(config["sensor"])
    d.update(height=int(shape[0]), width=int(shape[1]), cfa=cfa)
    return SensorConfig.from_dict(d)


def simulate_stages(scene, config, *, cfa=None, seed=0, brightness=1.0, progress=False):
    """Run one linear scene through the sensor and every configured front end.

    Parameters
    ----------
    scene : (H, W) float array in [0, 1]
    config : dict
        From :func:`analogfe.app.config.load_config` (``sensor``, ``scene``,
        ``frontends`` sections).
    cfa : None or str
    seed : int
    brightness : float
        Multiplies the electrons (clipped at full well), as in the sweep.
        The exposure is the one given (no auto-exposure): a raw file
        already carries the exposure it was taken with.

    Returns
    -------
    stages : dict
        ``scene``, ``electrons_e``, ``dn``, ``sensor_config``, ``outputs``
        (front end name -> output), ``bits`` (rows ``frontend``,
        ``bits_per_frame``: the link bits of the front end on this image's
        sensor, ``output_pixels``: the pixels of its output (a log-gradient
        front end on a Bayer mosaic bins each 2 x 2 quad: a quarter),
        ``link_saving``: the first baseline's link bits on the same sensor
        over these, ``link_saving_equal_resolution``: the baseline's link
        bits on a sensor of the front end's output resolution over these).
    """
    from tqdm.auto import tqdm

    from ..frontend.registry import make_frontend
    from ..sensor.model import Sensor
    from ..system.baseline import get_baseline

    scene = np.ascontiguousarray(scene, dtype=np.float32)
    sc = _sensor_config(config, scene.shape, cfa)
    sensor = Sensor(sc, seed=seed)
    from .tasks import costed_sensor, signal_for

    electrons = sensor.expose(scene, signal_e=signal_for(config, sc) * float(brightness))
    electrons = np.minimum(electrons, np.float32(sc.full_well_e))
    dn = sensor.readout(electrons)
    outputs, rows = {}, []
    names = config["frontends"]["names"]
    for name in tqdm(names, desc="front ends", disable=not progress, leave=False):
        opts = dict(config["frontends"]["options"].get(name, {}))
        fe = make_frontend(name, sensor_config=sc, seed=seed, **opts)
        outputs[name] = fe(electrons)
        # a log-gradient front end on a Bayer mosaic bins each 2 x 2 colour quad: its
        # output has a quarter of the pixels of the baseline's demosaicked image
        h, w = (sc.height // 2, sc.width // 2) if sc.cfa and is_codes(outputs[name]) \
            else (sc.height, sc.width)
        costed = make_frontend(name, sensor_config=costed_sensor(config, sc), seed=seed, **opts)
        rows.append({"frontend": name, "bits_per_frame": _link_bits(costed, sc),
                     "output_pixels": h * w, "output_shape": (h, w)})
    base = get_baseline(config["cost"]["baselines"][0])

    def ref_bits(h, w):
        return int(round(base.cost(h, w, 1.0, "none").link_bits))

    ref = ref_bits(sc.height, sc.width)
    for r in rows:
        n = r["bits_per_frame"]
        r["link_saving"] = ref / n if n else float("nan")
        # the baseline at the front end's own output resolution
        r["link_saving_equal_resolution"] = ref_bits(*r.pop("output_shape")) / n if n \
            else float("nan")
    return {"scene": scene, "electrons_e": electrons, "dn": dn, "sensor_config": sc,
            "outputs": outputs, "bits": rows, "baseline": base.name}


def _link_bits(fe, sc):
    """Bits over the link of ``fe`` on ``sc``'s frame, as the cost model counts them."""
    from ..system.model import cost

    return int(round(cost(fe, sc.height, sc.width, 1.0, "none").link_bits))


def _code_kw(levels):
    """Code panels: one colour per code value, centred on 0."""
    half = max(int(levels) // 2, 1)
    return {"cmap": _discrete_cmap("coolwarm", 2 * half + 1), "vmin": -half - 0.5, "vmax": half + 0.5,
            "unit": "code value", "ticks": list(range(-half, half + 1))}


def _discrete_cmap(name, n):
    import matplotlib

    return matplotlib.colormaps[name].resampled(n)


def stage_panels(stages, *, cell_size=8, max_scales=3):
    """Figure panels ``(title, image, imshow kwargs, file stem)`` of every stage.

    The linear stages (scene, electrons, DN) are shown through a stated
    display stretch (``"stretch": "gamma"``, see
    :func:`analogfe.app.figures.plot_stages`); every panel names the unit of
    its colour bar (``"unit"``).
    """
    sc = stages["sensor_config"]
    panels = [("scene (linear)", stages["scene"],
               {"vmin": 0, "vmax": 1, "stretch": "gamma", "unit": "relative linear light"}, "scene"),
              ("electrons", stages["electrons_e"],
               {"vmin": 0, "vmax": sc.full_well_e, "stretch": "gamma", "unit": "electrons (e-)"},
               "electrons"),
              (f"DN ({sc.adc_bits}-bit linear ADC)", stages["dn"],
               {"vmin": 0, "vmax": 2 ** sc.adc_bits - 1, "stretch": "gamma", "unit": "DN"}, "dn")]
    for name, out in stages["outputs"].items():
        if is_codes(out):
            levels = getattr(out, "levels", 2 ** getattr(out, "bits", 2) - 1)
            for s, k in enumerate(out.scales[:max_scales]):
                panels.append((f"{name} dx, scale {k}", out.dx[s], _code_kw(levels), f"{name}_dx_scale{k}"))
                panels.append((f"{name} dy, scale {k}", out.dy[s], _code_kw(levels), f"{name}_dy_scale{k}"))
            hist = cell_orientation_histograms(out.dx[0], out.dy[0], cell_size)
        else:
            img = np.asarray(out)
            panels.append((f"{name} output", img, {"vmin": 0, "vmax": 255, "unit": "8-bit code value"},
                           name))
            gray = img.mean(axis=-1) if img.ndim == 3 else img
            g_row, g_col = centred_gradients(np.asarray(gray, np.float64))
            hist = cell_orientation_histograms(g_col, g_row, cell_size)
        panels.append((f"{name} HOG glyphs", hog_glyph(hist, cell_size=max(cell_size, 8)),
                       {"cmap": "gray", "unit": "relative bin weight"}, f"{name}_hog"))
    return panels


def _png_bytes(image, kw):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from .figures import display_kwargs

    buf = io.BytesIO()
    img = np.asarray(image)
    if img.ndim == 2:
        kw, _, _ = display_kwargs(img, kw)
        kw.pop("ticks", None)
        norm = kw.pop("norm", None)
        if norm is not None:  # the same display stretch as the overview figure
            img, kw = np.asarray(norm(img), np.float64), dict(kw, vmin=0.0, vmax=1.0)
    else:
        kw = {}
        img = img.astype(np.uint8) if img.dtype != np.uint8 else img
    plt.imsave(buf, img, format="png", **kw)
    return buf.getvalue()


def _npz_bytes(**arrays):
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def _slug(name):
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def simulate(source, config, out_dir, *, seed=0, max_side=1024, progress=True):
    """Simulate ``source`` and save every stage under ``out_dir``.

    Writes ``stages.npz`` (scene, electrons, DN), ``<frontend>.npz`` (the
    8-bit image, or the dx/dy codes of each scale), one PNG per stage,
    ``overview.png`` (all stages side by side) and ``bits.json``.

    Parameters
    ----------
    source : str or path
        See :func:`load_scene`.
    config : dict
        From :func:`analogfe.app.config.load_config`.
    out_dir : path
    seed : int
    max_side : int
    progress : bool

    Returns
    -------
    result : dict
        ``source``, ``height``, ``width``, ``cfa``, ``bits`` (rows with
        ``frontend``, ``bits_per_frame``, ``link_saving`` on this image's
        sensor; a log-gradient front end on a Bayer mosaic bins each 2 x 2
        colour quad into one pixel first), ``deployed`` (the rows of
        :func:`analogfe.app.tasks.deployed_cost_rows`: the same front ends on
        the deployed sensor of ``[cost]``, as ``analogfe compare`` reports
        them), ``baseline``, ``files``.
    """
    from tqdm.auto import tqdm

    out = Path(out_dir)
    scene, cfa, label = load_scene(source, cfa=config["sensor"].get("cfa", "RGGB"), max_side=max_side)
    st = simulate_stages(scene, config, cfa=cfa, seed=seed, progress=progress)
    files = []

    def put(name, data):
        files.append(atomic_write_bytes(out / name, data))

    put("stages.npz", _npz_bytes(scene=st["scene"], electrons_e=st["electrons_e"], dn=st["dn"]))
    for name, o in st["outputs"].items():
        if is_codes(o):
            arrays = {}
            for s, k in enumerate(o.scales):
                arrays[f"dx_scale{k}"] = np.asarray(o.dx[s])
                arrays[f"dy_scale{k}"] = np.asarray(o.dy[s])
            put(f"{_slug(name)}.npz", _npz_bytes(**arrays))
        else:
            put(f"{_slug(name)}.npz", _npz_bytes(image=np.asarray(o)))
    from .tasks import cell_size_for

    cell = cell_size_for(config, scene.shape)
    panels = stage_panels(st, cell_size=cell, max_scales=99)
    for _, img, kw, stem in tqdm(panels, desc="previews", disable=not progress, leave=False):
        put(_slug(stem) + ".png", _png_bytes(img, kw))
    files.append(plot_stages(stage_panels(st, cell_size=cell),
                             out / "overview.png", title=label))
    from .tasks import deployed_cost_rows

    deployed = deployed_cost_rows(config)
    files.append(atomic_write_json(out / "bits.json", {"source": label, "rows": st["bits"],
                                                       "deployed": deployed}))
    sc = st["sensor_config"]
    return {"source": label, "height": sc.height, "width": sc.width, "cfa": cfa,
            "bits": st["bits"], "deployed": deployed, "baseline": st["baseline"],
            "signal": signal_statistics(st["electrons_e"], st["dn"], sc),
            "files": [str(f) for f in files]}


def signal_statistics(electrons_e, dn, sensor_config):
    """What the sensor saw: mean signal, temporal SNR at that signal, saturation.

    Parameters
    ----------
    electrons_e : (H, W) array_like
        Collected electrons (after full-well clipping).
    dn : (H, W) array_like
        The linear readout of the same frame, DN.
    sensor_config : analogfe.SensorConfig
        ``read_noise_e``, ``gain_dn_per_e``, ``full_well_e``, ``adc_bits``.

    Returns
    -------
    stats : dict
        ``mean_e`` (mean electrons per pixel), ``snr_db`` (temporal SNR at
        that mean, EMVA 1288 model: shot, read and quantisation noise,
        ``20 log10(mu / sqrt(mu + sigma_read^2 + 1 / (12 K^2)))``),
        ``saturated_fraction`` (pixels at full well or at the ADC's top
        code).
    """
    e = np.asarray(electrons_e, dtype=np.float64)
    d = np.asarray(dn)
    if e.shape != d.shape:
        raise ValueError(f"electrons_e and dn must have the same shape, got {e.shape} and {d.shape}")
    sc = sensor_config
    mu = float(e.mean()) if e.size else 0.0
    var = mu + sc.read_noise_e ** 2 + 1.0 / (12.0 * sc.gain_dn_per_e ** 2)
    snr_db = 20.0 * np.log10(mu / np.sqrt(var)) if mu > 0 else float("-inf")
    saturated = (e >= sc.full_well_e) | (d >= 2 ** sc.adc_bits - 1)
    return {"mean_e": mu, "snr_db": float(snr_db),
            "saturated_fraction": float(saturated.mean()) if e.size else 0.0}
