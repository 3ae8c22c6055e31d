"""Tables and plots of a comparison or a sweep: Markdown, HTML and PNG.

Every file is written atomically (a temporary file in the same folder, then
``os.replace``), so an interrupted run never leaves a half-written report.
Plots use matplotlib's non-interactive Agg backend.
"""
from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np

from .._io import atomic_write_bytes, atomic_write_text

__all__ = [
    "save_figure",
    "pareto_front",
    "format_value",
    "markdown_table",
    "html_table",
    "text_table",
    "plot_accuracy_vs",
    "plot_brightness",
    "plot_energy_breakdown",
    "plot_stages",
    "hog_glyph",
    "write_report",
]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path, dpi=110):
    """Save a matplotlib figure as PNG atomically, close it, return the path."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    _pyplot().close(fig)
    return atomic_write_bytes(path, buf.getvalue())


# --------------------------------------------------------------------------- tables
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


def format_value(v, fmt=None):
    """A short human-readable form of a table cell.

    ``fmt`` is a format spec (e.g. ``".3f"``) for a number; without it the
    number of digits follows the magnitude.
    """
    if v is None:
        return "-"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if not np.isfinite(v):
            return "-"
        if fmt is not None:
            return format(v, fmt)
        if v == 0:
            return "0"
        a = abs(v)
        if a >= 1e7 or a < 1e-3:
            return f"{v:.3g}"
        if a >= 100 - 0.05:
            return f"{v:,.0f}"
        return f"{v:.1f}" if a >= 10 - 5e-4 else f"{v:.3f}"
    return str(v)


def _columns(rows, columns):
    if columns is None:
        columns = []
        for r in rows:
            for k in r:
                if k not in columns:
                    columns.append(k)
    # each column: (key, header, number format or None)
    return [(c, c, None) if isinstance(c, str) else (tuple(c) + (None,))[:3] for c in columns]


def markdown_table(rows, columns=None):
    """A GitHub-flavoured Markdown table.

    Parameters
    ----------
    rows : list of dict
    columns : list of str or (key, header) pairs, optional
        Column order and headers; default: every key in order of appearance.
    """
    cols = _columns(rows, columns)
    lines = ["| " + " | ".join(h for _, h, _ in cols) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(cols))) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(format_value(r.get(k), f) for k, _, f in cols) + " |")
    return "\n".join(lines) + "\n"


def html_table(rows, columns=None):
    """The same table as :func:`markdown_table`, as an HTML ``<table>``."""
    cols = _columns(rows, columns)
    head = "".join(f"<th>{html.escape(h)}</th>" for _, h, _ in cols)
    out = ["<table>", f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for r in rows:
        cells = "".join(f"<td>{html.escape(format_value(r.get(k), f))}</td>" for k, _, f in cols)
        out.append(f"<tr>{cells}</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out) + "\n"


def text_table(rows, columns=None):
    """A plain-text table with aligned columns (for the terminal)."""
    cols = _columns(rows, columns)
    cells = [[h for _, h, _ in cols]] + [[format_value(r.get(k), f) for k, _, f in cols]
                                         for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    lines = []
    for j, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths))))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- plots
_MARKERS = "osD^v<>ph*"
_LABEL_DY = (4, -11, 15, -22, 26, -33)


def plot_accuracy_vs(rows, series, path, *, xlabel, ylabel="accuracy", label_key="frontend",
                     logx=True, pareto=False, title=None, chance=None):
    """Scatter of accuracy against a cost (bits or energy per frame).

    Parameters
    ----------
    rows : list of dict
        One per front end (or grid point).
    series : list of (x_key, y_key, label) or (x_key, y_key, label, (low_key, high_key))
        Each is one marker style: a cost column against an accuracy column;
        with the keys of its interval, each point gets an error bar.
    path : path
        PNG to write.
    pareto : bool
        Mark each series' Pareto front (lowest cost for the highest accuracy)
        with a dashed step line and circled points.
    chance : float, optional
        Chance level: drawn as a dotted line, and the y axis then runs from
        below it to 1, so that a one-image difference never looks like a cliff.

    Returns
    -------
    path : Path
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.2, 4.2))
    any_positive = False
    lows = []
    for j, (xk, yk, lab, *ci) in enumerate(series):
        x = np.array([_num(r.get(xk)) for r in rows])
        y = np.array([_num(r.get(yk)) for r in rows])
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            continue
        any_positive |= bool((x[ok] > 0).all())
        sc = ax.scatter(x[ok], y[ok], marker=_MARKERS[j % len(_MARKERS)], s=46, label=lab, zorder=3)
        lows.append(np.nanmin(y[ok]))
        if ci:
            lo = np.array([_num(r.get(ci[0][0])) for r in rows])[ok]
            hi = np.array([_num(r.get(ci[0][1])) for r in rows])[ok]
            if np.isfinite(lo).all() and np.isfinite(hi).all():
                ax.errorbar(x[ok], y[ok], yerr=[y[ok] - lo, hi - y[ok]], fmt="none",
                            ecolor=sc.get_facecolor()[0], elinewidth=1, capsize=3, zorder=2)
                lows.append(lo.min())
        if len(rows) <= 12:
            # Stagger the labels so that points at (almost) the same place stay readable.
            for n, i in enumerate(sorted(np.flatnonzero(ok), key=lambda i: (y[i], x[i]))):
                ax.annotate(str(rows[i].get(label_key, i)), (x[i], y[i]), textcoords="offset points",
                            xytext=(6, _LABEL_DY[n % len(_LABEL_DY)]), fontsize=8)
        if pareto:
            front = pareto_front(np.where(ok, x, np.nan), np.where(ok, y, np.nan))
            if front:
                ax.step(x[front], y[front], where="post", color=sc.get_facecolor()[0], linestyle="--",
                        linewidth=1, zorder=2, label=f"Pareto front: {lab}")
                ax.scatter(x[front], y[front], s=160, facecolors="none",
                           edgecolors=sc.get_facecolor()[0], zorder=4)
    if logx and any_positive:
        ax.set_xscale("log")
    if chance is not None:
        ax.axhline(chance, color="0.4", linestyle=":", linewidth=1, label=f"chance ({chance:.2f})")
        ax.set_ylim(min([chance] + lows) - 0.03, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3, which="both")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="best")
    return save_figure(fig, path)


def _num(v):
    try:
        return float(v) if v is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


def plot_brightness(curves, path, *, title="Accuracy vs brightness", ylabel="accuracy",
                    group_by_first_word=False, n_test=None, chance=None):
    """Accuracy against brightness scale 2**k, one line per series.

    Parameters
    ----------
    curves : dict
        ``{label: (exponents, accuracies)}``.
    group_by_first_word : bool
        One colour per first word of the label (e.g. the front end in
        ``"lg1.5 SVM"``); labels naming a ResNet are dashed.
    n_test : int, optional
        Test images behind each accuracy: each curve gets its 95 % Wilson band.
    chance : float, optional
        Chance level: a dotted line, and the y axis runs from below it to 1.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8.2, 4.4))
    lows = []
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    groups = {}
    for j, (label, (k, acc)) in enumerate(curves.items()):
        key = label.split()[0] if group_by_first_word and label.split() else label
        g = groups.setdefault(key, len(groups))
        dashed = group_by_first_word and "resnet" in label.lower()
        kk, aa = np.asarray(k, dtype=float), np.asarray(acc, dtype=float)
        ax.plot(kk, aa,
                marker=_MARKERS[(j if not group_by_first_word else int(dashed)) % len(_MARKERS)],
                color=cycle[g % len(cycle)], linestyle="--" if dashed else "-", label=label)
        lows.append(np.nanmin(aa))
        if n_test:
            from ..learn.stats import wilson_interval

            band = np.array([wilson_interval(int(round(a * n_test)), n_test) for a in aa])
            ax.fill_between(kk, band[:, 0], band[:, 1], color=cycle[g % len(cycle)], alpha=0.08,
                            linewidth=0)
            lows.append(band[:, 0].min())
    if chance is not None:
        ax.axhline(chance, color="0.4", linestyle=":", linewidth=1, label=f"chance ({chance:.2f})")
        ax.set_ylim(min([chance] + lows) - 0.03, 1.02)
    ax.set_xlabel("brightness scale k (linear raw x 2^k)")
    ax.set_ylabel(ylabel)
    ax.set_title(title if not n_test else f"{title} (bands: 95 % Wilson, {n_test} test images)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return save_figure(fig, path)


def plot_energy_breakdown(breakdowns, path, *, unit="nJ", scale=1e-3,
                          title="Energy per frame by component"):
    """Stacked bars of each front end's energy per frame by component.

    Parameters
    ----------
    breakdowns : dict
        ``{frontend: {component: energy_pj}}``.
    unit, scale : str, float
        Axis unit and the factor from pJ to it (default nJ: 1e-3).
    """
    plt = _pyplot()
    names = list(breakdowns)
    comps = []
    for b in breakdowns.values():
        for c in b:
            if c not in comps:
                comps.append(c)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(names) + 3), 4.4))
    bottom = np.zeros(len(names))
    cmap = plt.get_cmap("tab20")
    for j, c in enumerate(comps):
        v = np.array([_num(breakdowns[n].get(c, 0.0)) * scale for n in names])
        v = np.nan_to_num(v)
        if not v.any():
            continue
        ax.bar(names, v, bottom=bottom, label=c, color=cmap(j % 20), edgecolor="white", linewidth=0.5)
        bottom += v
    ax.set_ylabel(f"energy per frame ({unit})")
    ax.set_title(title)
    positive = bottom[bottom > 0]
    if positive.size and positive.max() / positive.min() > 50:  # totals far apart: log axis
        ax.set_yscale("log")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(True, axis="y", alpha=0.3)
    return save_figure(fig, path)


def hog_glyph(hist, cell_size=8, signed=False):
    """Render orientation histograms as line glyphs (as skimage's ``visualize``).

    Parameters
    ----------
    hist : (n_cells_y, n_cells_x, n_orientations) array_like
        Non-negative cell histograms; bin ``b`` covers the orientation
        ``(b + 0.5) * pi / n`` (``2 pi / n`` when ``signed``).
    cell_size : int
        Pixels per cell side in the rendering.

    Returns
    -------
    image : (n_cells_y * cell_size, n_cells_x * cell_size) float32
    """
    from skimage.draw import line_aa

    hist = np.asarray(hist, dtype=np.float64)
    if hist.ndim != 3:
        raise ValueError(f"hist must be (n_cells_y, n_cells_x, n_orientations), got shape {hist.shape}")
    ny, nx, nb = hist.shape
    out = np.zeros((ny * cell_size, nx * cell_size), np.float64)
    span = 2 * np.pi if signed else np.pi
    r = cell_size / 2 - 1
    peak = hist.max() if hist.size and hist.max() > 0 else 1.0
    for b in range(nb):
        # A gradient at angle t draws an edge perpendicular to it.
        t = (b + 0.5) * span / nb
        dr, dc = r * np.cos(t), -r * np.sin(t)  # line along the edge direction
        for i in range(ny):
            for j in range(nx):
                w = hist[i, j, b] / peak
                if w <= 0:
                    continue
                cy, cx = i * cell_size + cell_size // 2, j * cell_size + cell_size // 2
                rr, cc, val = line_aa(int(round(cy - dr)), int(round(cx - dc)),
                                      int(round(cy + dr)), int(round(cx + dc)))
                keep = (rr >= 0) & (rr < out.shape[0]) & (cc >= 0) & (cc < out.shape[1])
                np.maximum.at(out, (rr[keep], cc[keep]), w * val[keep])
    return out.astype(np.float32)


def plot_stages(panels, path, *, ncols=4, title=None):
    """A grid of images: one panel per stage of the pipeline.

    Parameters
    ----------
    panels : list of (title, image, kwargs[, ...])
        ``image`` (H, W) or (H, W, 3); ``kwargs`` go to ``imshow`` (e.g.
        ``cmap``, ``vmin``, ``vmax``); further items are ignored.
    """
    plt = _pyplot()
    n = len(panels)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.5 * nrows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (name, img, kw, *_) in zip(axes.ravel(), panels):
        img = np.asarray(img)
        kw = dict(kw or {})
        if img.ndim == 2:
            kw.setdefault("cmap", "gray")
        ax.imshow(img, interpolation="nearest", **kw)
        ax.set_title(name, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


# --------------------------------------------------------------------------- report
_CSS = """body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:.9em;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em}
td{text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}code{background:#f6f6f6;padding:0 .2em}"""


def write_report(out_dir, *, title, intro, rows, columns, figures, notes=(), tables=(),
                 name="report"):
    """Write ``report.md`` and ``report.html`` (self-contained, images by relative path).

    Parameters
    ----------
    out_dir : path
        Folder of the report; every figure path is written relative to it.
    title, intro : str
        Heading and a paragraph of Markdown-free text.
    rows, columns
        The main table (see :func:`markdown_table`).
    figures : list of (caption, path)
        PNG files inside ``out_dir``.
    notes : list of str
        Extra paragraphs after the table.
    tables : list of (caption, rows, columns)
        Further tables, after the notes.

    Returns
    -------
    (md_path, html_path) : tuple of Path
    """
    out_dir = Path(out_dir)
    rel = [(cap, os.path.relpath(Path(p), out_dir).replace(os.sep, "/")) for cap, p in figures]
    md = [f"# {title}", "", intro, "", markdown_table(rows, columns)]
    for n in notes:
        md += [n, ""]
    for cap, t_rows, t_cols in tables:
        md += [f"## {cap}", "", markdown_table(t_rows, t_cols)]
    for cap, p in rel:
        md += [f"## {cap}", "", f"![{cap}]({p})", ""]
    h = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>",
         f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
         f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(intro)}</p>", html_table(rows, columns)]
    for n in notes:
        h.append(f"<p>{html.escape(n)}</p>")
    for cap, t_rows, t_cols in tables:
        h += [f"<h2>{html.escape(cap)}</h2>", html_table(t_rows, t_cols)]
    for cap, p in rel:
        h += [f"<h2>{html.escape(cap)}</h2>", f"<img src='{html.escape(p)}' alt='{html.escape(cap)}'>"]
    h.append("</body></html>")
    md_path = atomic_write_text(out_dir / f"{name}.md", "\n".join(md))
    html_path = atomic_write_text(out_dir / f"{name}.html", "\n".join(h) + "\n")
    return md_path, html_path
