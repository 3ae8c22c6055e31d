"""Tables and plots of a comparison or a sweep: Markdown, HTML and PNG.

Every file is written atomically (a temporary file in the same folder, then
``os.replace``), so an interrupted run never leaves a half-written report.
The plots themselves live in :mod:`analogfe.app.plots` and
:mod:`analogfe.app.figures` and are re-exported here.
"""
from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np

from .._io import atomic_write_text
from .figures import plot_brightness, plot_energy_breakdown, plot_stages
from .plots import pareto_front, plot_accuracy_vs, save_figure

__all__ = [
    "save_figure",
    "pareto_front",
    "format_value",
    "markdown_table",
    "html_table",
    "html_tables",
    "MAX_HTML_COLUMNS",
    "text_table",
    "plot_accuracy_vs",
    "plot_brightness",
    "plot_energy_breakdown",
    "plot_stages",
    "hog_glyph",
    "write_report",
]


# --------------------------------------------------------------------------- tables
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


#: Most columns one HTML table shows: a wider table is split into several, each
#: repeating the first column, so that every table reads at a 1400-px width.
MAX_HTML_COLUMNS = 10


def html_tables(rows, columns=None, *, groups=None, max_columns=MAX_HTML_COLUMNS):
    """:func:`html_table`, split into tables of at most ``max_columns`` columns.

    Parameters
    ----------
    rows, columns
        As for :func:`markdown_table`.
    groups : list of (caption, keys), optional
        How to split: one table per group (its caption above it) holding the
        first column and the group's columns; columns of no group follow in
        a last table. Without groups, a wide table is cut into equal parts.
    max_columns : int
        A group wider than this is cut further.

    Returns
    -------
    html : str
    """
    cols = _columns(rows, columns)
    if len(cols) <= max_columns and not groups:
        return html_table(rows, cols)
    first, rest = cols[0], cols[1:]
    parts = []
    for caption, keys in groups or ():
        part = [c for c in rest if c[0] in keys]
        if part:
            parts.append((caption, part))
    placed = {c[0] for _, part in parts for c in part}
    left = [c for c in rest if c[0] not in placed]
    if left:
        parts.append(("" if not parts else "other columns", left))
    out = []
    for caption, part in parts:
        n = -(-len(part) // (max_columns - 1))
        size = -(-len(part) // n)
        for i in range(n):
            chunk = part[i * size:(i + 1) * size]
            cap = caption + (f" ({i + 1} of {n})" if n > 1 else "")
            if cap:
                out.append(f"<p class='table-group'>{html.escape(cap)}</p>")
            out.append(html_table(rows, [first, *chunk]))
    return "".join(out)


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


# --------------------------------------------------------------------------- report
_CSS = """body{font-family:system-ui,sans-serif;max-width:80em;margin:2em auto;padding:0 1em;color:#222}
p{max-width:60em}
table{border-collapse:collapse;font-size:.9em;margin:1em 0;display:block;overflow-x:auto;max-width:100%}
th,td{border:1px solid #ccc;padding:.3em .6em}
td{text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}
img{max-width:100%;height:auto;border:1px solid #eee;margin:.5em 0}code{background:#f6f6f6;padding:0 .2em}
p.table-group{font-weight:600;margin:1.2em 0 -.6em}"""


def write_report(out_dir, *, title, intro, rows, columns, figures, notes=(), tables=(),
                 name="report", column_groups=None):
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
    name : str
        Stem of the two files.
    column_groups : list of (caption, keys), optional
        How the HTML splits the main table (:func:`html_tables`; every HTML
        table has at most :data:`MAX_HTML_COLUMNS` columns). The Markdown
        keeps every table whole.

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
         f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(intro)}</p>",
         html_tables(rows, columns, groups=column_groups)]
    for n in notes:
        h.append(f"<p>{html.escape(n)}</p>")
    for cap, t_rows, t_cols in tables:
        h += [f"<h2>{html.escape(cap)}</h2>", html_tables(t_rows, t_cols)]
    for cap, p in rel:
        h += [f"<h2>{html.escape(cap)}</h2>", f"<img src='{html.escape(p)}' alt='{html.escape(cap)}'>"]
    h.append("</body></html>")
    md_path = atomic_write_text(out_dir / f"{name}.md", "\n".join(md))
    html_path = atomic_write_text(out_dir / f"{name}.html", "\n".join(h) + "\n")
    return md_path, html_path
