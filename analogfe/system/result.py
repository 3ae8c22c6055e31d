"""Results of the cost model: the per-frame breakdown and its reports.

:class:`CostResult` (made by :func:`analogfe.system.cost`) holds one
pipeline's :class:`Component` list and derives totals, power, data rate,
ratios, a text table and JSON from it; :func:`compare` tabulates several
results against a baseline, :func:`plot_breakdown` draws them, and
:func:`always_on` / :class:`DutyCycle` average a wake-up path with a
duty-cycled full pipeline. Re-exported by :mod:`analogfe.system`.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field

from .._validation import check_choice, check_float, check_int

__all__ = ["STAGES", "Component", "CostResult", "DutyCycle", "compare_costs", "plot_breakdown",
           "always_on"]

#: Stages in pipeline order; "sensor" and "link" are the front end, the rest
#: the back end.
STAGES = ("sensor", "link", "ISP", "HOG", "detector", "CNN")


@dataclass(frozen=True)
class Component:
    """One line of the breakdown, per frame.

    Attributes
    ----------
    name, stage : str
        What it is and which stage of :data:`STAGES` it belongs to.
    energy_pj : float
        Energy per frame, pJ.
    bits : float
        Bits produced or moved per frame (link bits, memory traffic, ADC output).
    memory_bits : float
        Storage the component needs, bits.
    ops : float
        Operations per frame where counted (MACs).
    """

    name: str
    stage: str
    energy_pj: float
    bits: float = 0.0
    memory_bits: float = 0.0
    ops: float = 0.0


def _ratio(a, b):
    return a / b if b else (1.0 if a == b else math.inf)


@dataclass(frozen=True)
class CostResult:
    """Cost of one pipeline per frame, with its breakdown.

    Totals are sums over :attr:`components`; per second figures use
    :attr:`fps`. Power in mW is ``energy_pj * fps * 1e-9``.
    """

    name: str
    frontend: str
    backend: str
    height: int
    width: int
    fps: float
    components: tuple
    link_bits: float
    params: dict = field(default_factory=dict)

    @property
    def pixels(self):
        return self.height * self.width

    @property
    def energy_pj(self):
        """Energy per frame, pJ (sum of the breakdown; float64)."""
        return math.fsum(c.energy_pj for c in self.components)

    @property
    def energy_per_pixel_pj(self):
        return self.energy_pj / self.pixels

    @property
    def power_mw(self):
        return self.energy_pj * self.fps * 1e-9

    @property
    def data_rate_mbps(self):
        """Off-chip link data rate, Mbit/s."""
        return self.link_bits * self.fps * 1e-6

    @property
    def memory_bits(self):
        """Storage of all buffers together, bits."""
        return math.fsum(c.memory_bits for c in self.components)

    def stage_energy_pj(self):
        """Energy per frame of each stage present, pJ, in pipeline order."""
        out = {}
        for c in self.components:
            out[c.stage] = out.get(c.stage, 0.0) + c.energy_pj
        return {s: out[s] for s in STAGES if s in out}

    @property
    def sensor_energy_pj(self):
        return self.stage_energy_pj().get("sensor", 0.0)

    @property
    def backend_energy_pj(self):
        """Energy per frame after the link (ISP, HOG, detector, CNN), pJ."""
        return math.fsum(v for k, v in self.stage_energy_pj().items() if k not in ("sensor", "link"))

    @property
    def detection_energy_pj(self):
        """Energy per frame of HOG extraction and detection (the stages that
        see the front end's output after the ISP), pJ."""
        st = self.stage_energy_pj()
        return st.get("HOG", 0.0) + st.get("detector", 0.0) + st.get("CNN", 0.0)

    def ratio_to(self, baseline):
        """This result's figures divided by ``baseline``'s (0.3 = 3.3x lower).

        Per-frame energies are compared per pixel, so different frame sizes
        compare fairly; power and data rate are per second.
        """
        if not isinstance(baseline, CostResult):
            raise TypeError(f"baseline must be a CostResult, got {type(baseline).__name__}")
        a, b = self, baseline
        return {
            "energy_per_pixel": _ratio(a.energy_per_pixel_pj, b.energy_per_pixel_pj),
            "sensor_per_pixel": _ratio(a.sensor_energy_pj / a.pixels, b.sensor_energy_pj / b.pixels),
            "backend_per_pixel": _ratio(a.backend_energy_pj / a.pixels, b.backend_energy_pj / b.pixels),
            "detection_per_pixel": _ratio(a.detection_energy_pj / a.pixels,
                                          b.detection_energy_pj / b.pixels),
            "power": _ratio(a.power_mw, b.power_mw),
            "link_bits_per_pixel": _ratio(a.link_bits / a.pixels, b.link_bits / b.pixels),
            "data_rate": _ratio(a.data_rate_mbps, b.data_rate_mbps),
            "memory_bits": _ratio(a.memory_bits, b.memory_bits),
        }

    def to_dict(self):
        """Plain types only (JSON-ready)."""
        return {
            "name": self.name, "frontend": self.frontend, "backend": self.backend,
            "height": self.height, "width": self.width, "fps": self.fps,
            "energy_pj": self.energy_pj, "energy_per_pixel_pj": self.energy_per_pixel_pj,
            "power_mw": self.power_mw, "link_bits": self.link_bits,
            "data_rate_mbps": self.data_rate_mbps, "memory_bits": self.memory_bits,
            "stages_pj": self.stage_energy_pj(),
            "components": [dataclasses.asdict(c) for c in self.components],
            "params": dict(self.params),
        }

    def to_json(self, **kw):
        kw.setdefault("indent", 2)
        return json.dumps(self.to_dict(), **kw)

    def table(self):
        """The breakdown as a text table."""
        e = self.energy_pj or 1.0
        head = (f"{self.name}: front end {self.frontend}, back end {self.backend}, "
                f"{self.width}x{self.height} at {self.fps:g} fps")
        rows = [f"{'component':<22}{'stage':<10}{'pJ/frame':>14}{'pJ/pixel':>11}{'share':>8}"
                f"{'bits/frame':>14}{'memory bits':>13}"]
        for c in self.components:
            rows.append(f"{c.name:<22}{c.stage:<10}{c.energy_pj:>14.4g}{c.energy_pj / self.pixels:>11.3f}"
                        f"{100 * c.energy_pj / e:>7.1f}%{c.bits:>14.4g}{c.memory_bits:>13.4g}")
        rule = "-" * len(rows[0])
        tail = [
            f"total energy   {self.energy_pj * 1e-6:.4g} uJ/frame, {self.energy_per_pixel_pj:.4g} pJ/pixel "
            f"(sensor {self.sensor_energy_pj / self.pixels:.4g}, back end "
            f"{self.backend_energy_pj / self.pixels:.4g})",
            f"power          {self.power_mw:.4g} mW at {self.fps:g} fps",
            f"link           {self.link_bits:.6g} bits/frame, {self.data_rate_mbps:.4g} Mbit/s",
            f"memory         {self.memory_bits:.6g} bits ({self.memory_bits / 8192:.4g} KiB)",
        ]
        return "\n".join([head, rule, rows[0], rule, *rows[1:], rule, *tail])


def compare_costs(results, baseline=0):
    """Text table of several results and their savings against ``baseline``.

    Parameters
    ----------
    results : sequence of CostResult
    baseline : int or str
        Index or name of the baseline result.

    Returns
    -------
    str
        One row per result: energy per pixel (total, sensor, back end), power,
        link data rate, memory; the ``x`` columns are baseline / result (how
        many times lower) per pixel, for the total, the back end (ISP and
        after), detection alone (HOG, detector, CNN) and the link bits.
    """
    results = list(results)
    if not results or not all(isinstance(r, CostResult) for r in results):
        raise TypeError("results must be a non-empty sequence of CostResult")
    names = [r.name for r in results]
    if isinstance(baseline, str):
        check_choice(baseline, "baseline", tuple(names))
        base = results[names.index(baseline)]
    else:
        base = results[check_int(baseline, "baseline", low=0, high=len(results) - 1)]
    rows = [f"{'name':<20}{'pJ/pixel':>10}{'sensor':>9}{'back end':>10}{'mW':>9}{'Mbit/s':>9}"
            f"{'mem KiB':>10}{'energy x':>10}{'back end x':>11}{'detect x':>10}{'link x':>8}"]

    def inv(v):
        return 1.0 / v if v else math.inf

    for r in results:
        q = r.ratio_to(base)
        rows.append(f"{r.name:<20}{r.energy_per_pixel_pj:>10.4g}{r.sensor_energy_pj / r.pixels:>9.4g}"
                    f"{r.backend_energy_pj / r.pixels:>10.4g}{r.power_mw:>9.4g}{r.data_rate_mbps:>9.4g}"
                    f"{r.memory_bits / 8192:>10.4g}{inv(q['energy_per_pixel']):>10.3g}"
                    f"{inv(q['backend_per_pixel']):>11.3g}{inv(q['detection_per_pixel']):>10.3g}"
                    f"{inv(q['link_bits_per_pixel']):>8.3g}")
    return f"baseline: {base.name} (x = baseline / result)\n" + "\n".join(rows)


def plot_breakdown(results, ax=None, per="pixel"):
    """Stacked bars of energy per stage, one bar per result.

    Parameters
    ----------
    results : CostResult or sequence of CostResult
    ax : matplotlib Axes, optional
        Drawn into; a new figure otherwise (works with the Agg backend).
    per : {"pixel", "frame", "second"}
        pJ/pixel, uJ/frame or mW.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if isinstance(results, CostResult):
        results = [results]
    results = list(results)
    check_choice(per, "per", ("pixel", "frame", "second"))
    if ax is None:
        import matplotlib.pyplot as plt
        _, ax = plt.subplots(figsize=(1.6 + 1.2 * len(results), 4))
    scale = {"pixel": lambda r: 1.0 / r.pixels, "frame": lambda r: 1e-6,
             "second": lambda r: r.fps * 1e-9}[per]
    bottom = [0.0] * len(results)
    x = list(range(len(results)))
    for stage in STAGES:
        vals = [r.stage_energy_pj().get(stage, 0.0) * scale(r) for r in results]
        if any(vals):
            ax.bar(x, vals, bottom=bottom, label=stage)
            bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_xticks(x)
    ax.set_xticklabels([r.name for r in results], rotation=20, ha="right")
    ax.set_ylabel({"pixel": "energy (pJ/pixel)", "frame": "energy (uJ/frame)",
                   "second": "power (mW)"}[per])
    ax.legend(fontsize="small")
    return ax


@dataclass(frozen=True)
class DutyCycle:
    """Average power of an always-on wake-up path plus a duty-cycled full pipeline."""

    wakeup: CostResult
    full: CostResult
    wake_fraction: float

    @property
    def average_mw(self):
        return self.wakeup.power_mw + self.wake_fraction * self.full.power_mw

    def to_dict(self):
        return {"wakeup_mw": self.wakeup.power_mw, "full_mw": self.full.power_mw,
                "wake_fraction": self.wake_fraction, "average_mw": self.average_mw}

    def table(self):
        return (f"wake-up path {self.wakeup.name} at {self.wakeup.fps:g} fps: {self.wakeup.power_mw:.4g} mW\n"
                f"full pipeline {self.full.name} at {self.full.fps:g} fps: {self.full.power_mw:.4g} mW, "
                f"on {100 * self.wake_fraction:.3g}% of the time\n"
                f"average power: {self.average_mw:.4g} mW")


def always_on(wakeup, full, wake_fraction=None, *, wake_rate_hz=None, active_s=None):
    """Average power of an always-on camera with a duty-cycled full pipeline.

    The wake-up path (``wakeup``, at its own low frame rate) runs all the
    time; the full pipeline (``full``) runs a fraction of the time: either
    ``wake_fraction`` or ``min(1, wake_rate_hz * active_s)`` (wake-up events
    per second times the seconds the full pipeline stays on per event).

    Parameters
    ----------
    wakeup, full : CostResult
        The two paths, each at its own ``fps``.
    wake_fraction : float, optional
        Fraction of time the full pipeline is on, in [0, 1].
    wake_rate_hz, active_s : float, optional
        Wake-up events per second and on-time per event, s (instead of
        ``wake_fraction``).

    Returns
    -------
    DutyCycle
        ``average_mw = wakeup.power_mw + fraction * full.power_mw``.

    Examples
    --------
    >>> from analogfe.system import cost_preset
    >>> wake = cost_preset("jssc2019-1.5b", fps=1.0)
    >>> d = always_on(wake, cost_preset("conventional"), wake_rate_hz=1 / 600, active_s=10.0)
    >>> round(d.average_mw, 3)
    0.14
    """
    for n, r in (("wakeup", wakeup), ("full", full)):
        if not isinstance(r, CostResult):
            raise TypeError(f"{n} must be a CostResult, got {type(r).__name__}")
    if (wake_fraction is None) == (wake_rate_hz is None):
        raise ValueError("give either wake_fraction or wake_rate_hz (with active_s)")
    if wake_fraction is None:
        if active_s is None:
            raise ValueError("active_s is needed with wake_rate_hz")
        rate = check_float(wake_rate_hz, "wake_rate_hz", low=0.0)
        on = check_float(active_s, "active_s", low=0.0)
        d = min(1.0, rate * on)
    else:
        d = check_float(wake_fraction, "wake_fraction", low=0.0, high=1.0)
    return DutyCycle(wakeup=wakeup, full=full, wake_fraction=d)
