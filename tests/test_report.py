"""Tables, plots and atomic files of analogfe.app.report."""
import json

import numpy as np
import pytest

from analogfe._io import atomic_write_json
from analogfe.app import plots, report

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
    assert plots.energy_group("linear ADC") == "converter"
    assert plots.energy_group("log-ratio converter") == "converter"
    assert plots.energy_group("pixel readout") == "sensor"
    assert plots.energy_group("link") == "link"
    assert plots.energy_group("HOG line buffer") == "memory"
    assert plots.energy_group("detector MACs") == "compute"
    assert plots.energy_group("something new") == "other"
    with pytest.raises(TypeError, match="component"):
        plots.energy_group(3)


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
    from analogfe.app.compare import _stage_figure
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
