"""Tables, plots and atomic files of analogfe.app.report."""
import json

import numpy as np
import pytest

from analogfe._io import atomic_write_json
from analogfe.app import figures, plots, report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _brute_pareto(c, s):
    front = []
    for i in range(len(c)):
        if not any((c[j] <= c[i] and s[j] >= s[i]) and (c[j] < c[i] or s[j] > s[i])
                   for j in range(len(c))):
            front.append(i)
    return sorted(front, key=lambda i: (c[i], -s[i]))


def test_pareto_front_hand_example():
    cost = [10.0, 20.0, 15.0, 5.0, 30.0]
    acc = [0.80, 0.95, 0.70, 0.60, 0.95]
    # 5 -> 0.60, 10 -> 0.80, 20 -> 0.95; 15 is beaten by 10; 30 ties 20 at higher cost.
    assert report.pareto_front(cost, acc) == [3, 0, 1]


@pytest.mark.parametrize("seed", range(5))
def test_pareto_front_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    c = rng.integers(0, 6, 12).astype(float)
    s = rng.integers(0, 6, 12).astype(float)
    assert report.pareto_front(c, s) == _brute_pareto(c, s)


def test_pareto_front_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="cost and score"):
        report.pareto_front([1, 2], [1])


def test_tables_hold_every_value():
    rows = [{"frontend": "rgb8", "acc": 0.912, "bits": 1843200},
            {"frontend": "lg1.5", "acc": 0.9, "bits": 399280, "extra": None}]
    cols = [("frontend", "front end"), ("acc", "accuracy"), ("bits", "bits/frame")]
    md = report.markdown_table(rows, cols)
    assert md.splitlines()[0] == "| front end | accuracy | bits/frame |"
    assert "| rgb8 | 0.912 | 1,843,200 |" in md
    html = report.html_table(rows, cols)
    assert html.count("<tr>") == 3 and "399,280" in html
    txt = report.text_table(rows, cols)
    assert len(txt.splitlines()) == 4


def test_atomic_json_round_trip_leaves_no_temp_files(tmp_path):
    p = atomic_write_json(tmp_path / "sub" / "r.json", {"a": np.float32(0.5), "b": np.arange(3)})
    assert json.loads(p.read_text()) == {"a": 0.5, "b": [0, 1, 2]}
    assert sorted(x.name for x in p.parent.iterdir()) == ["r.json"]


def test_hog_glyph_draws_edges_perpendicular_to_the_gradient():
    hist = np.zeros((1, 1, 9), np.float32)
    hist[0, 0, 0] = 1.0  # gradient along x (bin 0 covers 0..20 degrees)
    g = report.hog_glyph(hist, cell_size=16)
    assert g.shape == (16, 16)
    # An x gradient is a vertical edge: the glyph's energy is in a column.
    assert g.sum(axis=0).max() > 3 * g.sum(axis=1).max()
    with pytest.raises(ValueError, match="hist"):
        report.hog_glyph(np.zeros((3, 9)))


def test_plots_and_report_reference_images_relatively(tmp_path):
    rows = [{"frontend": "rgb8", "svm": 0.9, "bits": 1e6, "e": 20.0},
            {"frontend": "lg1.5", "svm": 0.88, "bits": 4e5, "e": 10.0},
            {"frontend": "gray8", "svm": 0.85, "bits": 6e5, "e": 15.0}]
    p1 = report.plot_accuracy_vs(rows, [("e", "svm", "SVM")], tmp_path / "plots" / "acc.png",
                                 xlabel="uJ", pareto=True)
    p2 = report.plot_brightness({"rgb8 SVM": ([-1, 0, 1], [0.5, 0.9, 0.8])}, tmp_path / "b.png")
    p3 = report.plot_energy_breakdown({"rgb8": {"adc": 5e6, "link": 1e7}, "lg1.5": {"rdc": 2e6}},
                                      tmp_path / "e.png")
    p4 = report.plot_stages([("a", np.zeros((4, 4)), {}), ("b", np.zeros((4, 4, 3), np.uint8), {})],
                            tmp_path / "s.png")
    for p in (p1, p2, p3, p4):
        assert p.read_bytes()[:8] == PNG_MAGIC
    md, html = report.write_report(tmp_path, title="T", intro="I", rows=rows, columns=None,
                                   figures=[("acc", p1)])
    assert "![acc](plots/acc.png)" in md.read_text()
    assert "src='plots/acc.png'" in html.read_text()
    assert str(tmp_path) not in html.read_text()


def test_energy_groups_by_stage():
    assert figures.energy_group("linear ADC") == "converter"
    assert figures.energy_group("log-ratio converter") == "converter"
    assert figures.energy_group("pixel readout") == "sensor"
    assert figures.energy_group("link") == "link"
    assert figures.energy_group("HOG line buffer") == "memory"
    assert figures.energy_group("detector MACs") == "compute"
    assert figures.energy_group("something new") == "other"
    with pytest.raises(TypeError, match="component"):
        figures.energy_group(3)


def test_labels_of_close_points_do_not_overlap(tmp_path):
    plt = plots._pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    x = np.array([1.0, 1.02, 1.04, 3.0, 3.0])
    y = np.array([0.9, 0.9, 0.91, 0.5, 0.5])
    ax.scatter(x, y)
    ax.set_xlim(0, 4)
    ax.set_ylim(0, 1.1)
    texts = plots.place_labels(ax, x, y, ["gray8", "rgb8", "lg2.75", "a", "b"])
    assert [t.get_text() for t in texts][-1] == "a, b"  # one spot, one label
    r = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(r) for t in texts]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j])
    plt.close(fig)
    with pytest.raises(ValueError, match="labels"):
        plots.place_labels(ax, [1], [1], ["a", "b"])


def test_every_figure_is_at_least_1000_px_wide(tmp_path):
    from PIL import Image

    rows = [{"frontend": f"fe{i}", "a": 0.9, "lo": 0.8, "hi": 0.95, "e": 10.0 + i} for i in range(3)]
    paths = [report.plot_accuracy_vs(rows, [("e", "a", "SVM", ("lo", "hi"))], tmp_path / "a.png",
                                     xlabel="uJ", chance=0.5),
             report.plot_brightness({"x": ([0, 1], [0.9, 0.8])}, tmp_path / "b.png", n_test=50),
             report.plot_energy_breakdown({"rgb8": {"linear ADC": 5e6}}, tmp_path / "c.png"),
             report.plot_stages([("a", np.ones((4, 4)), {"stretch": "gamma", "unit": "e-"})],
                                tmp_path / "d.png")]
    for p in paths:
        assert Image.open(p).size[0] >= 1000, p
    with pytest.raises(ValueError, match="stretch"):
        report.plot_stages([("a", np.ones((4, 4)), {"stretch": "log"})], tmp_path / "e.png")


def test_stage_figure_shows_each_front_end_on_its_own_sensor(tmp_path, monkeypatch):
    """rgb8 on its Bayer sensor, gray8 and the log-gradient codes on the monochrome
    one at the crop's full size, as the assumptions table states."""
    import analogfe.app.report as rep
    from analogfe.app.compare_report import _stage_figure
    from analogfe.app.config import load_config
    from analogfe.app.tasks import split_from_config

    cfg = load_config({"dataset": {"name": "lfw", "max_images": 24},
                       "frontends": {"names": ["rgb8", "gray8", "lg1.5"]}})
    split = split_from_config(cfg, 0)
    h, w = split.X_test.shape[1:3]
    seen = {}
    real = rep.plot_stages

    def keep(panels, path, **kw):
        seen["panels"] = panels
        return real(panels, path, **kw)

    monkeypatch.setattr(rep, "plot_stages", keep)
    assert _stage_figure(split, cfg, tmp_path / "stages.png", 0).is_file()
    panels = {p[0].split("\n")[0]: p for p in seen["panels"] if p is not None}
    scenes = [p for p in seen["panels"] if p is not None and p[0].startswith("scene")]
    assert len(scenes) == 2
    assert f"RGGB Bayer {h}x{w} sensor of\nrgb8]" in scenes[0][0]
    assert f"monochrome {h}x{w} sensor of\ngray8, lg1.5]" in scenes[1][0]
    assert panels["lg1.5 dx, scale 1"][1].shape[1] >= w - 1  # full resolution, not 2x2-binned
    assert panels["gray8 output"][1].shape == (h, w)
    assert seen["panels"].index(scenes[1]) % 4 == 0  # each sensor starts a row


@pytest.fixture
def saved_figures(monkeypatch):
    """The figures the plot functions save, kept open for inspection."""
    import analogfe.app.fewshot_report as fr

    kept = []

    def keep(fig, path, *a, **k):
        kept.append(fig)
        return path

    for module in (plots, figures, fr):
        monkeypatch.setattr(module, "save_figure", keep)
    yield kept
    plt = plots._pyplot()
    for fig in kept:
        plt.close(fig)


def test_cost_panels_share_one_relative_scale_and_shared_costs_are_dodged(tmp_path, saved_figures):
    rows = [{"frontend": "rgb8", "svm": 0.99, "cnn": 0.97, "bits": 768000, "e": 66.0, "ce": 1612.0},
            {"frontend": "gray8", "svm": 0.98, "cnn": 0.98, "bits": 768000, "e": 60.0, "ce": 1600.0},
            {"frontend": "lg1.5", "svm": 0.98, "cnn": 0.95, "bits": 399280, "e": 11.0, "ce": 1565.0}]
    plots.plot_accuracy_vs(rows, [("e", "svm", "SVM"), ("ce", "cnn", "CNN")], tmp_path / "e.png",
                           xlabel="uJ")
    a, b = saved_figures[-1].axes[:2]
    assert a.get_xscale() == b.get_xscale() == "log"
    fa, fb = (ax.get_xlim()[1] / ax.get_xlim()[0] for ax in (a, b))
    assert fa == pytest.approx(fb) and fa > 6  # the CNN's 3 % spread is not stretched to fill it
    assert "each panel spans" in b.get_xlabel()
    plots.plot_accuracy_vs(rows, [("bits", "svm", "SVM")], tmp_path / "b.png", xlabel="bits")
    ax = saved_figures[-1].axes[0]
    xs = ax.collections[0].get_offsets()[:, 0]
    assert xs[0] != xs[1] and abs(xs[0] - xs[1]) < 0.05 * np.ptp(ax.get_xlim())
    assert "rgb8, gray8 share 768,000" in ax.get_xlabel()


def test_brightness_has_a_panel_per_model_and_a_lux_axis(tmp_path, saved_figures):
    curves = {f"{fe} {m}": ([-1, 0, 1], [0.9, 0.95, 0.9]) for fe in ("rgb8", "gray8", "lg1.5")
              for m in ("SVM", "ResNet-10")}
    figures.plot_brightness(curves, tmp_path / "b.png", group_by_first_word=True, n_test=100,
                          chance=0.5, lux0=80.0)
    axes = [ax for ax in saved_figures[-1].axes if ax.get_title() in ("SVM", "ResNet-10")]
    assert [ax.get_title() for ax in axes] == ["SVM", "ResNet-10"]
    for ax in axes:  # three front ends each, dodged: equal accuracies stay apart
        xs = [tuple(line.get_xdata()) for line in ax.get_lines() if len(line.get_xdata()) == 3]
        assert len(xs) == 3 and len(set(xs)) == 3
    tops = [c for ax in axes for c in ax.child_axes if c.get_xlabel() == "scene illuminance (lux)"]
    assert len(tops) == 2 and "80" in [t.get_text() for t in tops[0].get_xticklabels()]
    many = {f"{i}: bits={i}": ([0, 1], [0.8 + i / 100, 0.9]) for i in range(16)}
    figures.plot_brightness(many, tmp_path / "m.png", n_test=100)  # a heat map, not 16 lines
    (im,) = saved_figures[-1].axes[0].images
    assert im.get_array().shape == (16, 2) and im.get_clim() == pytest.approx((0.8, 0.95))


def test_energy_breakdown_is_one_segment_per_stage(tmp_path, saved_figures):
    b = {"rgb8": {"pixel readout": 1e6, "linear ADC": 4e7, "link": 7e6, "ISP line buffer": 1e6,
                  "frame buffer": 5e6, "HOG compute": 1e5},
         "lg1.5": {"pixel readout": 1e6, "log-ratio converter": 5e6, "link": 4e6,
                   "HOG line buffer": 1e6}}
    figures.plot_energy_breakdown(b, tmp_path / "e.png", unit="uJ", scale=1e-6, title="t (320x240)")
    ax = saved_figures[-1].axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [lab.split(":")[0] for lab in labels] == ["sensor", "converter", "link", "memory",
                                                     "compute"]
    assert "link" in labels and "link: link" not in labels
    assert "linear ADC, log-ratio converter" in labels[1]
    colours = {p.get_facecolor() for p in ax.patches}
    assert len(colours) == 5  # one colour per stage, not a shade per component


def test_fewshot_heat_maps_scale_to_the_data(tmp_path, saved_figures):
    from analogfe.app.fewshot_report import episode_rows, plot_brightness_heatmaps

    ks = [-1, 0, 1]
    res = {n: {"brightness": {"ks": ks, "accuracy": (np.full((3, 3), a) + np.eye(3) * 0.02).tolist()}}
           for n, a in (("rgb8", 0.30), ("lg1.5", 0.26))}
    plot_brightness_heatmaps(res, tmp_path / "h.png", chance=20)
    clims = {im.get_clim() for ax in saved_figures[-1].axes for im in ax.images}
    assert clims == {(26.0, 32.0)}
    assert "chance 20" in saved_figures[-1].axes[-1].get_ylabel()
    _, cols = episode_rows({"rgb8": {"episodes": [{"ways": 5, "shots": 1, "prototype": {
        "mean": 0.5, "half": 0.01, "n": 600}}]}})
    assert cols[-1][1] == "5-way 1-shot (%, 95% CI; chance 20)"


def test_wide_html_tables_are_split_and_grouped(tmp_path):
    import re

    cols = [("name", "name")] + [(f"c{i}", f"column {i}") for i in range(20)]
    rows = [{"name": "a", **{f"c{i}": i for i in range(20)}}]
    md, page = report.write_report(tmp_path, title="T", intro="I", rows=rows, columns=cols,
                                   figures=[], tables=[("wide", rows, cols)],
                                   column_groups=[("first", ["c0", "c1"]), ("second", ["c5"])])
    text = page.read_text()
    heads = re.findall(r"<thead><tr>(.*?)</tr></thead>", text)
    assert max(h.count("<th>") for h in heads) <= report.MAX_HTML_COLUMNS
    assert all(h.startswith("<th>name</th>") for h in heads)  # the row key in every part
    shown = [c for h in heads for c in re.findall(r"<th>(column \d+)</th>", h)]
    assert sorted(shown) == sorted([f"column {i}" for i in range(20)] * 2)  # each column once per table
    assert "first" in text and "other columns (1 of 2)" in text
    assert md.read_text().count("| column 19 |") == 2  # Markdown keeps whole tables
