"""The brightness, energy and stage figures of a comparison, a sweep or a
simulation, drawn by the rules of :mod:`analogfe.app.plots` (at least 1000 px
wide, legends outside the axes, intervals on every finite-sample number, colour
scales that span the data)."""
from __future__ import annotations

import numpy as np

from .plots import _MARKERS, _PALETTE, _RC, _WIDTH_IN, _num, _pyplot, save_figure

__all__ = [
    "ENERGY_GROUPS",
    "energy_group",
    "plot_brightness",
    "plot_energy_breakdown",
    "plot_stages",
    "display_kwargs",
]


# --------------------------------------------------------------------------- brightness
def plot_brightness(curves, path, *, title="Accuracy vs brightness", ylabel="accuracy",
                    group_by_first_word=False, n_test=None, chance=None, lux0=None):
    """Accuracy against brightness scale 2**k, one line per series.

    Every curve has its own colour and marker pair; the legend sits outside
    the axes.

    Parameters
    ----------
    curves : dict
        ``{label: (exponents, accuracies)}``.
    path : path
        PNG to write.
    title, ylabel : str
    group_by_first_word : bool
        One colour and marker per first word of the label (e.g. the front end
        in ``"lg1.5 SVM"``), and one panel per rest of the label (the model:
        ``"SVM"``, ``"ResNet-10"``) with a shared accuracy axis, so that
        curves of one model are compared side by side; within a panel the
        curves are dodged sideways a little so that equal accuracies stay
        visible.
    n_test : int, optional
        Test images behind each accuracy: each curve gets its 95 % Wilson
        band. More than 10 ungrouped curves (a sweep's grid points) are drawn
        as a heat map instead, one row per curve and one column per k, each
        cell labelled with its accuracy, the colour scale spanning the data;
        the title then states the interval's size.
    chance : float, optional
        Chance level: a dotted line, and the y axis runs from below it to 1.
    lux0 : float, optional
        Scene illuminance at k = 0: a second axis on top gives each k's
        illuminance in lux.

    Returns
    -------
    path : Path
    """
    plt = _pyplot()
    from ..learn.stats import wilson_interval

    items = list(curves.items())
    n = len(items)
    if n > 10 and not group_by_first_word:
        return _brightness_heatmap(items, path, title=title, ylabel=ylabel, n_test=n_test,
                                   chance=chance, lux0=lux0)
    if group_by_first_word:
        firsts = list(dict.fromkeys((lab.split() or [lab])[0] for lab, _ in items))
        kinds = list(dict.fromkeys(" ".join(lab.split()[1:]) for lab, _ in items))
    else:
        firsts, kinds = [], [""]
    lows = []
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(1, len(kinds), figsize=(max(_WIDTH_IN, 5.2 * len(kinds) + 2), 5.2),
                                 sharey=True, squeeze=False)
        axes = axes[0]
        for j, (label, (k, acc)) in enumerate(items):
            kk, aa = np.asarray(k, dtype=float), np.asarray(acc, dtype=float)
            if group_by_first_word:
                words = label.split() or [label]
                g = firsts.index(words[0])
                ax = axes[kinds.index(" ".join(words[1:]))]
                color, marker = _PALETTE[g % len(_PALETTE)], _MARKERS[g % len(_MARKERS)]
                style = ("-", "--", "-.", ":")[g // len(_PALETTE) % 4]
                if len(firsts) > 1:  # equal accuracies of two front ends stay visible
                    kk = kk + 0.16 * (g / (len(firsts) - 1) - 0.5)
                shown = words[0] if len(kinds) > 1 else label
            else:  # a unique colour and marker per curve, however many there are
                ax = axes[0]
                color = _PALETTE[j % len(_PALETTE)]
                marker = _MARKERS[(j // len(_PALETTE) + j) % len(_MARKERS)]
                style = ("-", "--", ":", "-.")[(j // len(_PALETTE)) % 4]
                shown = label
            ax.plot(kk, aa, marker=marker, color=color, linestyle=style,
                    label=shown if ax is axes[0] or not group_by_first_word else None,
                    markersize=6 if n <= 10 else 5, linewidth=1.5 if n <= 10 else 1.1)
            lows.append(np.nanmin(aa))
            if n_test:
                band = np.array([wilson_interval(int(round(a * n_test)), n_test) for a in aa])
                lows.append(band[:, 0].min())
                ax.fill_between(kk, band[:, 0], band[:, 1], color=color, alpha=0.08, linewidth=0)
        for ax, kind in zip(axes, kinds):
            if chance is not None:
                ax.axhline(chance, color="0.4", linestyle=":", linewidth=1,
                           label=f"chance ({chance:.2f})" if ax is axes[0] else None)
            ax.set_xlabel("brightness scale k (scene linear light x 2^k)" if len(kinds) == 1
                          else "brightness k (light x 2^k)")
            if kind and len(kinds) > 1:
                ax.set_title(kind, fontsize=10.5)
            ax.grid(True, alpha=0.3)
            if lux0 is not None:
                ks = sorted({float(v) for _, (k, _) in items for v in k})
                top = ax.secondary_xaxis(
                    "top", functions=(lambda k: lux0 * 2.0 ** np.asarray(k, float),
                                      lambda lx: np.log2(np.maximum(np.asarray(lx, float), 1e-30)
                                                         / lux0)))
                top.set_xticks([lux0 * 2.0 ** k for k in ks],
                               [f"{lux0 * 2.0 ** k:,.3g}" for k in ks])
                top.tick_params(labelsize=8)
                top.set_xlabel("scene illuminance (lux)", fontsize=9)
        if chance is not None:
            axes[0].set_ylim(min([chance] + lows) - 0.04, 1.03)
        axes[0].set_ylabel(ylabel)
        if n_test:
            title = f"{title}\n(bands: 95 % Wilson intervals, {n_test} test images)"
        if len(firsts) > 1:
            title += "; curves dodged sideways" if n_test else "\n(curves dodged sideways)"
        if len(kinds) > 1:
            fig.suptitle(title, fontsize=11.5)
        else:
            axes[0].set_title(title)
        axes[-1].legend(*axes[0].get_legend_handles_labels(), loc="upper left",
                        bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False,
                        ncol=1 if n <= 20 else 2, fontsize=9 if n <= 10 else 8)
        fig.tight_layout()
        return save_figure(fig, path)


def _brightness_heatmap(items, path, *, title, ylabel, n_test, chance, lux0):
    """Many brightness curves as one heat map: a row per curve, a column per k."""
    plt = _pyplot()
    from ..learn.stats import wilson_interval

    ks = sorted({int(v) for _, (k, _) in items for v in k})
    grid = np.full((len(items), len(ks)), np.nan)
    for i, (_, (k, acc)) in enumerate(items):
        for kk, a in zip(k, acc):
            grid[i, ks.index(int(kk))] = a
    lo, hi = float(np.nanmin(grid)), float(np.nanmax(grid))
    hi = max(hi, lo + 0.01)
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(_WIDTH_IN, max(4.0, 0.32 * len(items) + 1.8)))
        im = ax.imshow(grid, vmin=lo, vmax=hi, cmap="viridis", aspect="auto")
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                if np.isfinite(grid[i, j]):
                    ax.text(j, i, f"{grid[i, j]:.3f}", ha="center", va="center", fontsize=7.5,
                            color="white" if grid[i, j] < (lo + hi) / 2 else "black")
        heads = [f"{k}" if lux0 is None else f"{k}\n{lux0 * 2.0 ** k:,.3g} lx" for k in ks]
        ax.set_xticks(range(len(ks)), heads, fontsize=8.5)
        ax.set_yticks(range(len(items)), [lab for lab, _ in items], fontsize=8)
        ax.set_xlabel("brightness scale k (scene linear light x 2^k)")
        what = f"{ylabel}, scale {lo:.3f}-{hi:.3f}" + (f"; chance {chance:.2f}" if chance else "")
        fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label=what)
        if n_test:
            a, b = wilson_interval(int(round(0.95 * n_test)), n_test)
            title = (f"{title}\n(95 % Wilson interval of an accuracy of 0.95 on {n_test} test "
                     f"images: [{a:.2f}, {b:.2f}])")
        ax.set_title(title)
        fig.tight_layout()
        return save_figure(fig, path)


# --------------------------------------------------------------------------- energy
#: Groups of the energy breakdown, in stacking order, each with its colour (one
#: stacked segment per group; the components of a group are named in the legend).
ENERGY_GROUPS = {"sensor": "#807dba", "converter": "#2171b5", "link": "#f16913",
                 "memory": "#41ab5d", "compute": "#cb181d", "other": "#969696"}
_GROUP_WORDS = (("converter", ("adc", "converter", "comparator")), ("sensor", ("pixel", "sensor")),
                ("link", ("link", "i/o", "interface")),
                ("memory", ("buffer", "memory", "weights", "features", "histograms", "activations",
                            "sram", "dram", "storage")),
                ("compute", ("compute", "mac", "isp", "ops", "hog", "cnn", "detector")))


def energy_group(component):
    """The group of :data:`ENERGY_GROUPS` an energy component belongs to, from its name.

    Parameters
    ----------
    component : str
        A name of the breakdown, e.g. ``"linear ADC"`` or ``"HOG line buffer"``.

    Returns
    -------
    group : str
        ``"sensor"``, ``"converter"``, ``"link"``, ``"memory"``, ``"compute"``
        or ``"other"``.
    """
    if not isinstance(component, str):
        raise TypeError(f"component must be a str, got {type(component).__name__}")
    name = component.lower()
    for group, words in _GROUP_WORDS:
        if any(w in name for w in words):
            return group
    return "other"


def _legend_entry(group, members, width=44):
    """``"memory: ISP line buffer, frame buffer, ..."`` wrapped; a group of one
    component named like the group (the link) is its name alone."""
    import textwrap

    if len(members) == 1 and members[0].lower() == group:
        return group
    return textwrap.fill(f"{group}: {', '.join(members)}", width, subsequent_indent="  ")


def plot_energy_breakdown(breakdowns, path, *, unit="nJ", scale=1e-3,
                          title="Energy per frame by component"):
    """Stacked bars of each front end's energy per frame, one segment per group, with totals.

    Components are grouped (:func:`energy_group`: sensor, converter, link,
    memory, compute), each group one colour and one stacked segment, in that
    order; the legend names the components of each group, and a segment tall
    enough to hold it carries its value. Every bar carries its total. More
    than six bars, or long names, give horizontal bars so that every name
    stays readable.

    Parameters
    ----------
    breakdowns : dict
        ``{frontend: {component: energy_pj}}``.
    path : path
        PNG to write.
    unit, scale : str, float
        Axis unit and the factor from pJ to it (default nJ: 1e-3).
    title : str

    Returns
    -------
    path : Path
    """
    plt = _pyplot()
    names = [str(n) for n in breakdowns]
    members = {g: [] for g in ENERGY_GROUPS}
    for b in breakdowns.values():
        for c, v in b.items():
            if c not in members[energy_group(c)] and np.nan_to_num(_num(v)) != 0:
                members[energy_group(c)].append(c)
    values = {g: np.array([sum(np.nan_to_num(_num(b.get(c, 0.0))) for c in cs) * scale
                           for b in breakdowns.values()]) for g, cs in members.items()}
    horizontal = len(names) > 6 or max((len(n) for n in names), default=0) > 12
    with plt.rc_context(_RC):
        height = max(4.8, 0.42 * len(names) + 1.6) if horizontal else 5.2
        fig, ax = plt.subplots(figsize=(_WIDTH_IN, height))
        pos = np.arange(len(names))
        bottom = np.zeros(len(names))
        total = sum(values.values()) if values else bottom
        top = float(total.max()) if total.size and total.max() > 0 else 1.0
        for g, v in values.items():
            if not v.any():
                continue
            kw = dict(label=_legend_entry(g, members[g]), color=ENERGY_GROUPS[g], edgecolor="white",
                      linewidth=0.8)
            if horizontal:
                ax.barh(pos, v, left=bottom, height=0.7, **kw)
            else:
                ax.bar(pos, v, bottom=bottom, width=0.65, **kw)
            for p, b, val in zip(pos, bottom, v):
                if val >= 0.07 * top:  # tall enough to hold its value
                    txt = f"{val:,.3g}" if val < 100 else f"{val:,.0f}"
                    xy = (b + val / 2, p) if horizontal else (p, b + val / 2)
                    ax.text(*xy, txt, ha="center", va="center", fontsize=8.5, color="white")
            bottom += v
        for p, tot in zip(pos, bottom):
            txt = f"{tot:,.3g}" if tot < 100 else f"{tot:,.0f}"
            if horizontal:
                ax.text(tot + 0.01 * top, p, txt, va="center", ha="left", fontsize=9)
            else:
                ax.text(p, tot + 0.01 * top, txt, ha="center", va="bottom", fontsize=9.5,
                        fontweight="bold")
        what = f"energy per frame ({unit})"
        if horizontal:
            ax.set_yticks(pos, names)
            ax.invert_yaxis()
            ax.set_xlim(0, 1.12 * top)
            ax.set_xlabel(what)
            ax.grid(True, axis="x", alpha=0.3)
        else:
            ax.set_xticks(pos, names)
            ax.set_ylim(0, 1.10 * top)
            ax.set_ylabel(what)
            ax.grid(True, axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        ax.set_title(f"{title}\n(bar totals and segments in {unit}; one segment per stage)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False,
                  fontsize=8.5, labelspacing=0.9)
        fig.tight_layout()
        return save_figure(fig, path)


# --------------------------------------------------------------------------- stages
def display_kwargs(img, kw):
    """``(imshow kwargs, colour-bar label or None, stretch note or None)`` of a panel.

    Parameters
    ----------
    img : (H, W) or (H, W, 3) ndarray
    kw : dict or None
        ``imshow`` keywords plus the panel's own (below).

    Returns
    -------
    (kwargs, unit, note) : tuple
        ``kwargs`` for ``imshow``; a panel's ``ticks`` (colour-bar ticks) are
        left in it for :func:`plot_stages` to take out.

    Notes
    -----
    Panel kwargs may carry, besides ``imshow``'s own, ``unit`` (the colour
    bar's label) and ``stretch``: ``"gamma"`` shows a linear quantity through
    a power law of exponent 1/2.2 between 0 and its 99.5th percentile (the
    colour bar keeps the quantity's own values).
    """
    from matplotlib.colors import PowerNorm

    kw = dict(kw or {})
    unit = kw.pop("unit", None)
    stretch = kw.pop("stretch", None)
    note = None
    if stretch == "gamma" and img.ndim == 2:
        finite = img[np.isfinite(img)]
        vmax = float(np.percentile(finite, 99.5)) if finite.size else 1.0
        vmax = vmax if vmax > 0 else float(kw.get("vmax", 1.0))
        kw.pop("vmin", None), kw.pop("vmax", None)
        kw["norm"] = PowerNorm(gamma=1 / 2.2, vmin=0.0, vmax=vmax)
        note = "gamma 1/2.2, 0 to p99.5"
    elif stretch is not None:
        raise ValueError(f"stretch must be 'gamma' or None, got {stretch!r}")
    if img.ndim == 2:
        kw.setdefault("cmap", "gray")
    return kw, unit, note


def plot_stages(panels, path, *, ncols=4, title=None):
    """A grid of images: one panel per stage of the pipeline, each with a colour bar.

    Parameters
    ----------
    panels : list of (title, image, kwargs[, ...]) or None
        None leaves a cell empty (e.g. to start a group of panels on a new
        row). ``image`` (H, W) or (H, W, 3); ``kwargs`` go to ``imshow`` (e.g.
        ``cmap``, ``vmin``, ``vmax``) except ``unit`` (the colour bar's label,
        e.g. ``"electrons (e-)"``), ``ticks`` (its tick values) and ``stretch`` (``"gamma"``: a linear
        quantity shown through a power law of exponent 1/2.2 between 0 and
        its 99.5th percentile, stated under the panel's title); further items
        are ignored.
    path : path
        PNG to write.
    ncols : int
        Panels per row.
    title : str, optional

    Returns
    -------
    path : Path
    """
    plt = _pyplot()
    n = len(panels)
    if n == 0:
        raise ValueError("panels must hold at least one panel")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    width = max(_WIDTH_IN, 2.9 * ncols)
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, 2.75 * nrows + (0.5 if title else 0)),
                                 squeeze=False, layout="constrained")
        for ax in axes.ravel():
            ax.axis("off")
        for ax, panel in zip(axes.ravel(), panels):
            if panel is None:
                continue
            name, img, kw, *_ = panel
            img = np.asarray(img)
            kw, unit, note = display_kwargs(img, kw)
            ticks = kw.pop("ticks", None)
            im = ax.imshow(img, interpolation="nearest", **kw)
            ax.set_title(name if note is None else f"{name}\n(display: {note})", fontsize=9)
            if img.ndim == 2:
                cb = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
                cb.ax.tick_params(labelsize=7.5)
                if unit:
                    cb.set_label(unit, fontsize=8)
                if ticks is not None:
                    cb.set_ticks(list(ticks))
        if title:
            fig.suptitle(title, fontsize=12)
        return save_figure(fig, path, tight=False)
