"""How far the energy ratios move with the assumptions that are estimates.

Both chips the cost model is calibrated to are pinned to their measured
energy (the log-ratio converter to the 99 pJ/pixel of Young et al., JSSC
2019; the commercial column ADC to the 0.70 nJ/pixel of Omid-Zohoor et al.),
so an assumed quantity that both calibrations absorb (the link energy, the
pixel read) barely moves a ratio. What does move them is how the measured
figures are split and what they include. :func:`energy_ranges` recomputes
every front end's wake-up-path energy ratio to every baseline with one
assumption at a time at its low and high value, and gives each ratio as a
central value with the range and the assumption that moves it most.
"""
from __future__ import annotations

import dataclasses

__all__ = ["ENERGY_ASSUMPTIONS", "energy_ranges"]

#: The estimated assumptions and the values they are varied over:
#: name -> (what, [(label, value), ...]). The central values are the cost
#: model's defaults (:mod:`analogfe.system.energy`).
ENERGY_ASSUMPTIONS = {
    "adc_share": ("ADC share of the commercial sensor's 0.70 nJ/pixel (paper: 70-85 %; "
                  "central: what is left after the link and the pixel read, 84 %)",
                  [("70 %", 0.70), ("85 %", 0.85)]),
    "pixel_read": ("pixel read onto the column line, pJ (an estimate, 10; both chips "
                   "recalibrated)", [("5 pJ", 5.0), ("20 pJ", 20.0)]),
    "jssc_includes_link": ("whether the 99 pJ/pixel of the JSSC 2019 chip includes its link "
                           "I/O (central: yes)", [("no: the link on top", False)]),
    "link": ("link energy, pJ/bit (central 10; HBM2-class 4, unoptimised DRAM I/O 20; both "
             "chips recalibrated)", [("4 pJ/bit", 4.0), ("20 pJ/bit", 20.0)]),
}


def _scenario_params(config, key=None, value=None):
    """``(cost options, commercial ADC FoM in fJ/step)`` with assumption ``key``
    at ``value`` (None: every assumption central)."""
    from ..system import energy as E

    opts = dict(config["cost"]["options"])
    link = opts.get("link_pj_per_bit", E.LINK_PJ_PER_BIT)
    read = opts.get("pixel_readout_pj", E.PIXEL_READOUT_PJ)
    if key == "link":
        link = value
    if key == "pixel_read":
        read = value
    rdc = E.rdc_pj_calibrated(link, read)
    if key == "jssc_includes_link" and not value:
        rdc = (E.JSSC_PJ_PER_PIXEL - read) / 4.0   # the 99 pJ is the converter and the read
    # central: the model's own constant (the calibration, rounded to 1152 fJ)
    fom = E.conventional_adc_fom_calibrated(link, read) if key in ("link", "pixel_read") \
        else E.CONVENTIONAL_ADC_FOM_FJ
    if key == "adc_share":
        fom = value * E.COMMERCIAL_PJ_PER_PIXEL / 2.0 ** (10 - E.ENOB_LOSS_BITS) * 1e3
    if key in ("link", "pixel_read", "jssc_includes_link"):
        opts.update(link_pj_per_bit=link, pixel_readout_pj=read, rdc_pj_per_comparison=rdc)
    return opts, fom


def _energies(config, frontends, opts, fom):
    """``{(front end, baseline): (front end pJ, baseline pJ)}`` of the wake-up path."""
    from ..system import model as system
    from ..system.baseline import get_baseline

    c = config["cost"]
    h, w, fps = c["height"], c["width"], c["fps"]
    out = {}
    for bname in c["baselines"]:
        b = get_baseline(bname)
        if bname == "commercial-adc":
            b = dataclasses.replace(b, adc_fom_fj=fom)
        base = b.cost(h, w, fps, "hog-svm", **opts).energy_pj
        for n, fe in frontends.items():
            if n == b.frontend:
                continue  # the baseline's own front end is 1 by construction
            e = system.cost(fe, h, w, fps, "hog-svm", **{**opts, "adc_fom_fj": b.adc_fom_fj}).energy_pj
            out[(n, bname)] = (e, base)
    return out


def energy_ranges(config, *, frontends=None):
    """Every energy ratio with the range its estimated assumptions give it.

    Parameters
    ----------
    config : dict
        A run configuration (``cost`` and ``frontends`` sections).
    frontends : dict, optional
        Front end name -> object as the cost model sees it (default: built
        from ``config`` by :func:`analogfe.app.tasks.deployed_frontend`).

    Returns
    -------
    list of dict
        One row per ratio ``"<front end> / <baseline>"``: ``central``,
        ``low``, ``high`` (over one-at-a-time changes of
        :data:`ENERGY_ASSUMPTIONS`), ``by`` (the assumption and value that
        move it most) and ``values`` ({"<assumption>: <label>": ratio}),
        ``compressed`` (the ratio with the JSSC chip's compressed HOG
        descriptor instead of the trained 31 FHOG features, a labelled
        alternative outside the range) and ``baseline_uw``: the baseline's
        dynamic power at ``cost.fps``. Only dynamic energy is modelled: a
        static power ``P`` on both sensors turns a ratio ``r`` into ``(r E_base
        + P / fps) / (E_base + P / fps)``, so a ``P`` equal to the baseline's
        dynamic power halves every saving.
    """
    from .tasks import deployed_frontend

    names = list(dict.fromkeys(config["frontends"]["names"]))
    fes = frontends if frontends is not None else {n: deployed_frontend(n, config) for n in names}
    fps = config["cost"]["fps"]
    central = _energies(config, fes, *_scenario_params(config))
    scen = {}
    for key, (_, values) in ENERGY_ASSUMPTIONS.items():
        for label, v in values:
            scen[f"{key}: {label}"] = _energies(config, fes, *_scenario_params(config, key, v))
    opts, fom = _scenario_params(config)
    if "hog_descriptor" not in opts:
        opts["hog_descriptor"] = "reachable-bins"
    compressed = _energies(config, fes, opts, fom)
    rows = []
    for pair, (e, base) in central.items():
        r0 = e / base
        vals = {k: v[pair][0] / v[pair][1] for k, v in scen.items()}
        by = max(vals, key=lambda k: abs(vals[k] - r0))
        rows.append({"ratio": f"{pair[0]} / {pair[1]}", "central": r0,
                     "low": min([r0, *vals.values()]), "high": max([r0, *vals.values()]),
                     "by": f"{by} ({vals[by]:.3f})", "values": vals,
                     "compressed": compressed[pair][0] / compressed[pair][1],
                     "baseline_uw": base * fps * 1e-6})
    return rows
