"""The figures of a comparison or a sweep, drawn to be read at their natural size.

Every figure is at least 1000 px wide at a 10-11 pt font; legends sit outside
the axes; point labels are placed so that they collide neither with each other
nor with a marker (:func:`place_labels`); a number that comes from a finite
test set carries its 95 % interval; the accuracy axis runs from below chance to
1, so that a one-image difference never looks like a cliff. Plots use
matplotlib's non-interactive Agg backend and are written atomically.
"""
from __future__ import annotations

import io

import numpy as np

from .._io import atomic_write_bytes

__all__ = [
    "FIGURE_DPI",
    "save_figure",
    "place_labels",
    "pareto_front",
    "plot_accuracy_vs",
]

#: Resolution of every saved figure; with figures at least 9 in wide they are
#: at least 1000 px wide.
FIGURE_DPI = 120
_WIDTH_IN = 10.0
_RC = {"font.size": 10.5, "axes.titlesize": 11.5, "axes.labelsize": 10.5, "legend.fontsize": 9,
       "xtick.labelsize": 9.5, "ytick.labelsize": 9.5}
_MARKERS = "osD^v<>ph*"
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path, dpi=FIGURE_DPI, *, tight=True):
    """Save a matplotlib figure as PNG atomically, close it, return the path.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        The PNG to write; its folder is created.
    dpi : float
        Pixels per inch (default :data:`FIGURE_DPI`).
    tight : bool
        Crop the figure to what is drawn (legends outside the axes included);
        ``False`` keeps the figure's own size.

    Returns
    -------
    path : Path
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if tight else None, pad_inches=0.15)
    _pyplot().close(fig)
    return atomic_write_bytes(path, buf.getvalue())


def _num(v):
    try:
        return float(v) if v is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


# --------------------------------------------------------------------------- labels
def _overlap(a, b):
    """Area shared by two display-space boxes ``(x0, y0, x1, y1)``."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


def _candidates():
    """Label offsets (points) to try, best first, with their text alignment: near
    before far, and the right of a point before its left (a label then reads
    as belonging to the point on its left)."""
    out = []
    for r in (7, 14, 24, 36, 50, 66):
        for ang in (20, -20, 160, -160, 60, -60, 120, -120, 90, -90, 0, 180):
            dx, dy = r * np.cos(np.radians(ang)), r * np.sin(np.radians(ang))
            ha = "left" if dx > 1 else ("right" if dx < -1 else "center")
            va = "bottom" if dy > 1 else ("top" if dy < -1 else "center")
            penalty = (16 if dx < -1 else 0) + (4 if abs(dy) > 0.9 * r else 0)
            out.append((r + penalty, (dx, dy, ha, va, r)))
    return [c for _, c in sorted(out, key=lambda t: t[0])]


def place_labels(ax, x, y, labels, *, colors=None, fontsize=9, obstacles=(), bars=()):
    """Label points so that no label covers another label or a marker.

    Points drawn on the same spot share one label (``"1, 3"``). Each label
    tries offsets around its point, nearest first, and takes the
    first one whose box stays inside the axes and overlaps no label placed
    before it and no marker; when none is free it takes the one with the
    least overlap. A label placed away from its point gets a thin leader
    line. The axis limits must be final before this is called.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x, y : (n,) array_like
        Data coordinates of the points.
    labels : sequence of str
    colors : sequence of colour, optional
        Text colour per label (default black).
    fontsize : float
    obstacles : sequence of (m, 2) array_like
        Further points (data coordinates) that labels must not cover.
    bars : sequence of (x, low, high)
        Vertical error bars (data coordinates) that labels must not cover.

    Returns
    -------
    texts : list of matplotlib.text.Annotation
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape or x.ndim != 1 or len(labels) != x.size:
        raise ValueError(f"x, y and labels must have one entry per point, got {x.shape}, {y.shape} "
                         f"and {len(labels)}")
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    px = fig.dpi / 72.0
    pts = [np.column_stack([x, y])] + [np.asarray(o, float).reshape(-1, 2) for o in obstacles]
    disp = ax.transData.transform(np.concatenate(pts))
    r = 5.5 * px  # a marker's half size in pixels
    taken = [(u - r, v - r, u + r, v + r) for u, v in disp if np.isfinite(u) and np.isfinite(v)]
    for bx, lo, hi in bars:
        for u, v0, v1 in zip(*(np.asarray(a, float) for a in (bx, lo, hi))):
            if np.isfinite([u, v0, v1]).all():
                (p0, q0), (p1, q1) = ax.transData.transform([(u, v0), (u, v1)])
                taken.append((p0 - 4 * px, min(q0, q1), p0 + 4 * px, max(q0, q1)))
    ab = ax.get_window_extent(renderer)
    inside = (ab.x0 + 2, ab.y0 + 2, ab.x1 - 2, ab.y1 - 2)
    texts = []
    text_of = {i: str(labels[i]) for i in range(x.size)}
    order = []
    for i in sorted(range(x.size), key=lambda i: (-y[i], x[i])):
        if not (np.isfinite(x[i]) and np.isfinite(y[i])):
            continue
        same = next((j for j in order if np.hypot(*(disp[i] - disp[j])) < 3
                     and (colors is None or colors[i] == colors[j])), None)
        if same is None:  # points drawn on top of each other share one label
            order.append(i)
        else:
            text_of[same] += f", {labels[i]}"
    for i in order:
        color = colors[i] if colors is not None else "black"
        t = ax.annotate(text_of[i], (x[i], y[i]), xytext=(0, 0), textcoords="offset points",
                        fontsize=fontsize, color=color, zorder=6)
        best = None
        for dx, dy, ha, va, rad in _candidates():
            t.set_position((dx, dy))
            t.set_ha(ha)
            t.set_va(va)
            bb = t.get_window_extent(renderer)
            box = (bb.x0 - 5, bb.y0 - 2, bb.x1 + 5, bb.y1 + 2)
            out = (box[0] < inside[0]) or (box[1] < inside[1]) or (box[2] > inside[2]) \
                or (box[3] > inside[3])
            cost = sum(_overlap(box, o) for o in taken) + (1e6 if out else 0.0)
            if best is None or cost < best[0]:
                best = (cost, dx, dy, ha, va, rad, box)
            if cost == 0:
                break
        _, dx, dy, ha, va, rad, box = best
        t.set_position((dx, dy))
        t.set_ha(ha)
        t.set_va(va)
        if rad > 14:
            t.remove()
            t = ax.annotate(text_of[i], (x[i], y[i]), xytext=(dx, dy), textcoords="offset points",
                            fontsize=fontsize, color=color, ha=ha, va=va, zorder=6,
                            arrowprops=dict(arrowstyle="-", color=color, lw=0.6, alpha=0.7,
                                            shrinkA=0, shrinkB=4))
        taken.append(box)
        texts.append(t)
    return texts


# --------------------------------------------------------------------------- accuracy
def pareto_front(cost, score):
    """Indices of the points no other point beats on both axes.

    A point is on the front when no other point has a cost lower or equal and
    a score higher or equal, with at least one strictly better.

    Parameters
    ----------
    cost : (n,) array_like
        Lower is better (e.g. energy per frame).
    score : (n,) array_like
        Higher is better (e.g. accuracy).

    Returns
    -------
    idx : list of int
        Indices on the front, by increasing cost.
    """
    c = np.asarray(cost, dtype=np.float64)
    s = np.asarray(score, dtype=np.float64)
    if c.shape != s.shape or c.ndim != 1:
        raise ValueError(f"cost and score must be 1-D of the same length, got {c.shape} and {s.shape}")
    front = []
    for i in range(c.size):
        if not (np.isfinite(c[i]) and np.isfinite(s[i])):
            continue
        dominated = np.any((c <= c[i]) & (s >= s[i]) & ((c < c[i]) | (s > s[i])))
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: (c[i], -s[i]))


def _series_data(rows, spec):
    xk, yk, lab, *ci = spec
    x = np.array([_num(r.get(xk)) for r in rows])
    y = np.array([_num(r.get(yk)) for r in rows])
    lo = hi = None
    if ci:
        lo = np.array([_num(r.get(ci[0][0])) for r in rows])
        hi = np.array([_num(r.get(ci[0][1])) for r in rows])
    return x, y, lab, lo, hi


def _split_panels(data):
    """Group series whose x ranges are far apart (more than 10x) into panels of their own."""
    spans = []
    for x, y, *_ in data:
        ok = np.isfinite(x) & np.isfinite(y) & (x > 0)
        spans.append((x[ok].min(), x[ok].max()) if ok.any() else None)
    groups = []
    for j, s in enumerate(spans):
        if s is None:
            continue
        for g in groups:
            lo, hi = g["span"]
            if s[0] <= hi * 10 and s[1] >= lo / 10:
                g["idx"].append(j)
                g["span"] = (min(lo, s[0]), max(hi, s[1]))
                break
        else:
            groups.append({"idx": [j], "span": s})
    return [g["idx"] for g in groups] or [[j for j in range(len(data))]]


def _short_labels(labels, max_chars=14):
    """The labels themselves when short, else their numbers 1..n."""
    labels = [str(v) for v in labels]
    if len(labels) > 12 or any(len(v) > max_chars for v in labels):
        return [str(i + 1) for i in range(len(labels))], True
    return labels, False


def _key_text(labels):
    return "\n".join(f"{i + 1:>2}  {v}" for i, v in enumerate(labels))


def plot_accuracy_vs(rows, series, path, *, xlabel, ylabel="accuracy", label_key="frontend",
                     logx=True, pareto=False, title=None, chance=None):
    """Scatter of accuracy against a cost (bits or energy per frame), points labelled.

    Series whose costs lie more than a factor 10 apart (e.g. the HOG + SVM
    path and the CNN path) get a panel each, with a shared accuracy axis, so
    that the points of each stay apart. Labels are placed by
    :func:`place_labels`; long labels (or more than 12 points) are replaced by
    numbers with a key beside the plot.

    Parameters
    ----------
    rows : list of dict
        One per front end (or grid point).
    series : list of (x_key, y_key, label) or (x_key, y_key, label, (low_key, high_key))
        Each is one marker style: a cost column against an accuracy column;
        with the keys of its interval, each point gets an error bar.
    path : path
        PNG to write.
    xlabel, ylabel : str
    label_key : str
        The row key that labels each point.
    logx : bool
        Logarithmic cost axis where a panel's costs span more than a factor 3.
        With more than one panel every panel is logarithmic and spans the
        same factor, so that equal distances are equal relative differences
        in every panel (a 3 % spread stays 3 % wide, however far the
        panels' costs lie apart); the axis label states the factor.
    pareto : bool
        Mark each series' Pareto front (lowest cost for the highest accuracy)
        with a dashed step line and circled points.
    title : str, optional
    chance : float, optional
        Chance level: drawn as a dotted line, and the y axis then runs from
        below it to 1, so that a one-image difference never looks like a cliff.

    Returns
    -------
    path : Path
    """
    plt = _pyplot()
    data = [_series_data(rows, s) for s in series]
    groups = _split_panels(data)
    labels, numbered = _short_labels([r.get(label_key, i) for i, r in enumerate(rows)])
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(1, len(groups), figsize=(_WIDTH_IN, 5.2), sharey=True, squeeze=False)
        axes = axes[0]
        lows, handles = [], {}
        limits = _panel_limits(data, groups, logx)
        plotted = [d[0] for d in data]  # the x each point is drawn at (dodged)
        for ax, idx, (scale, lim) in zip(axes, groups, limits):
            notes = _dodge(data, idx, plotted, scale, lim, labels)
            for j in idx:
                _, y, lab, lo, hi = data[j]
                x = plotted[j]
                ok = np.isfinite(x) & np.isfinite(y)
                color = _PALETTE[j % len(_PALETTE)]
                h = ax.scatter(x[ok], y[ok], marker=_MARKERS[j % len(_MARKERS)], s=48, color=color,
                               zorder=3, label=lab)
                handles.setdefault(lab, h)
                lows.append(np.nanmin(y[ok]))
                if lo is not None and np.isfinite(lo[ok]).all() and np.isfinite(hi[ok]).all():
                    ax.errorbar(x[ok], y[ok], yerr=[y[ok] - lo[ok], hi[ok] - y[ok]], fmt="none",
                                ecolor=color, elinewidth=1, capsize=3, alpha=0.8, zorder=2)
                    lows.append(np.nanmin(lo[ok]))
                if pareto:
                    front = _pareto(x, y, ok)
                    if front:
                        ln, = ax.step(x[front], y[front], where="post", color=color, linestyle="--",
                                      linewidth=1, zorder=2)
                        ax.scatter(x[front], y[front], s=170, facecolors="none", edgecolors=color,
                                   zorder=4)
                        handles.setdefault(f"Pareto front: {lab}", ln)
            if scale == "log":
                ax.set_xscale("log")
                if lim[1] / lim[0] < 1000:  # plain numbers at 1, 2, 5 x 10^n
                    from matplotlib.ticker import LogLocator, NullFormatter

                    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
                    ax.xaxis.set_major_formatter(_plain_formatter())
                    ax.xaxis.set_minor_formatter(NullFormatter())
            else:
                ax.xaxis.set_major_formatter(_plain_formatter())
            ax.set_xlim(*lim)
            ax.grid(True, alpha=0.3, which="both")
            if len(groups) > 1:
                ax.set_title(", ".join(data[j][2] for j in idx), fontsize=10)
            label = xlabel
            if len(groups) > 1:
                label += f"\nlog scale, each panel spans x{lim[1] / lim[0]:.3g}"
            if notes:
                label += "\n" + "; ".join(notes)
            ax.set_xlabel(label)
        if chance is not None:
            for ax in axes:
                h = ax.axhline(chance, color="0.4", linestyle=":", linewidth=1)
            handles[f"chance ({chance:.2f})"] = h
            axes[0].set_ylim(min([chance] + lows) - 0.04, 1.03)
        axes[0].set_ylabel(ylabel)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        for ax in axes:  # limits are final: freeze them before the labels are placed
            ax.set_xlim(ax.get_xlim())
            ax.set_ylim(ax.get_ylim())
        if len(rows) <= 40:
            for ax, idx in zip(axes, groups):
                xy = [(plotted[j], data[j][1], j) for j in idx]
                xx = np.concatenate([a for a, _, _ in xy])
                yy = np.concatenate([b for _, b, _ in xy])
                lab = [labels[i] for _ in xy for i in range(len(rows))]
                col = [_darker(_PALETTE[j % len(_PALETTE)]) for _, _, j in xy for _ in rows]
                bars = [(plotted[j], data[j][3], data[j][4]) for j in idx if data[j][3] is not None]
                place_labels(ax, xx, yy, lab, colors=col, bars=bars)
        legend_anchor = axes[-1]
        leg = legend_anchor.legend(list(handles.values()), list(handles), loc="upper left",
                                   bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False)
        if numbered:
            legend_anchor.add_artist(leg)
            legend_anchor.text(1.02, 0.02, "points:\n" + _key_text(
                [r.get(label_key, i) for i, r in enumerate(rows)]), transform=legend_anchor.transAxes,
                va="bottom", ha="left", fontsize=8, family="monospace")
        return save_figure(fig, path)


def _panel_limits(data, groups, logx):
    """``(scale, (low, high))`` of each panel's cost axis: one common factor
    for every panel when there are several (log scale), else log where the
    costs span more than 3x and linear with a margin otherwise."""
    spans = []
    for idx in groups:
        xs = np.concatenate([data[j][0][np.isfinite(data[j][0])] for j in idx])
        spans.append(xs if xs.size else np.array([1.0]))
    if len(groups) > 1 and all((xs > 0).all() for xs in spans):
        factor = max(max(xs.max() / xs.min() for xs in spans) * 1.3, 2.0)
        return [("log", (np.sqrt(xs.min() * xs.max()) / np.sqrt(factor),
                         np.sqrt(xs.min() * xs.max()) * np.sqrt(factor))) for xs in spans]
    out = []
    for xs in spans:
        if logx and (xs > 0).all() and xs.max() / xs.min() > 3:
            m = (xs.max() / xs.min()) ** 0.06
            out.append(("log", (xs.min() / m, xs.max() * m)))
        else:
            pad = 0.12 * (np.ptp(xs) or abs(xs.mean()) or 1.0)
            out.append(("linear", (xs.min() - pad, xs.max() + pad)))
    return out


def _dodge(data, idx, plotted, scale, lim, labels):
    """Spread points that share one cost (e.g. rgb8 and gray8 at the same link
    bits) sideways, within and across the panel's series, so that no marker
    or error bar hides another; returns a note per shared cost for the axis
    label. ``plotted`` (the x of each series) is updated in place."""
    to_axis = (np.log10 if scale == "log" else (lambda v: np.asarray(v, float)))
    lo, hi = to_axis(lim[0]), to_axis(lim[1])
    step = 0.018 * (hi - lo)
    pts = [(j, i, data[j][0][i]) for j in idx for i in range(len(data[j][0]))
           if np.isfinite(data[j][0][i]) and np.isfinite(data[j][1][i])]
    notes, done = [], set()
    for j, i, x in pts:
        if (j, i) in done:
            continue
        same = [(jj, ii) for jj, ii, xx in pts if abs(xx - x) <= 1e-9 * max(abs(x), 1.0)]
        done.update(same)
        if len(same) < 2:
            continue
        for rank, (jj, ii) in enumerate(same):
            shift = (rank - (len(same) - 1) / 2) * step
            v = to_axis(x) + shift
            plotted[jj] = plotted[jj].astype(float, copy=True)
            plotted[jj][ii] = 10.0 ** v if scale == "log" else v
        names = list(dict.fromkeys(labels[ii] for _, ii in same))
        if len(names) > 1:
            notes.append(f"{', '.join(names)} share {_plain_formatter()(x, None)} (dodged sideways)")
    return notes


def _plain_formatter():
    """Tick labels as plain numbers with thousands separators (no offset, no 1e5)."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}")


def _pareto(x, y, ok):
    return pareto_front(np.where(ok, x, np.nan), np.where(ok, y, np.nan))


def _darker(color, f=0.75):
    from matplotlib.colors import to_rgb

    return tuple(f * c for c in to_rgb(color))
