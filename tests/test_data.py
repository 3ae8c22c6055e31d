"""Datasets: LFW subset, wake-up scenes, crops, VOC / PASCALRAW, image folders,
the registry and the cached torch Dataset."""
import os

import imageio.v3 as iio
import numpy as np
import pytest
import skimage.data

from analogfe import data
from analogfe.data.boxes import box_iou
from analogfe.frontend import GradientCodes
from analogfe.learn import dataset as td


# ---------------------------------------------------------------- LFW
def test_lfw_split_is_stratified_seeded_and_labelled():
    split = data.load_lfw(seed=0)
    assert split.X_train.shape == (150, 25, 25) and split.X_test.shape == (50, 25, 25)
    assert split.X_train.dtype == np.uint8
    assert split.classes == ("non-face", "face")
    assert split.y_train.sum() == 75 and split.y_test.sum() == 25
    # label 1 <=> the image is one of the first 100 (the faces) of skimage's file
    raw = np.rint(skimage.data.lfw_subset() * 255).astype(np.uint8)
    faces = {im.tobytes() for im in raw[:100]}
    for X, y in ((split.X_train, split.y_train), (split.X_test, split.y_test)):
        assert all((im.tobytes() in faces) == bool(lab) for im, lab in zip(X, y))
    again = data.load_lfw(seed=0)
    assert np.array_equal(again.X_test, split.X_test)
    other = data.load_lfw(seed=1)
    assert not np.array_equal(other.X_test, split.X_test)
    X_train, X_test, y_train, y_test = split  # unpacks like train_test_split
    assert X_test is split.X_test


def test_lfw_resize_and_bad_test_size():
    split = data.load_lfw(seed=0, test_size=40, size=32)
    assert split.X_train.shape == (160, 32, 32) and split.X_test.shape == (40, 32, 32)
    with pytest.raises(ValueError, match="test_size"):
        data.load_lfw(test_size=1.5)
    with pytest.raises(ValueError, match="size"):
        data.load_lfw(size=0)


# ---------------------------------------------------------------- wake-up scenes
def test_wakeup_scenes_seeded_and_prefix_stable():
    a = data.make_wakeup_scenes(6, seed=3, size=(48, 64), target_size=(12, 24))
    b = data.make_wakeup_scenes(6, seed=3, size=(48, 64), target_size=(12, 24))
    c = data.make_wakeup_scenes(3, seed=3, size=(48, 64), target_size=(12, 24))
    d = data.make_wakeup_scenes(6, seed=4, size=(48, 64), target_size=(12, 24))
    assert a.images.shape == (6, 48, 64) and a.images.dtype == np.uint8
    assert np.array_equal(a.images, b.images) and np.array_equal(a.lux, b.lux)
    assert all(np.array_equal(x, y) for x, y in zip(a.boxes, b.boxes))
    assert np.array_equal(a.images[:3], c.images) and np.array_equal(a.lux[:3], c.lux)
    assert not np.array_equal(a.images, d.images)


def test_wakeup_scenes_boxes_lux_and_labels():
    s = data.make_wakeup_scenes(30, seed=0, size=(40, 56), target_size=(10, 20),
                                p_empty=0.0, max_targets=2, lux_range=(1.0, 1e4))
    assert all(1 <= len(b) <= 2 for b in s.boxes) and s.labels.all()
    for b in s.boxes:
        assert (b[:, 0] >= 0).all() and (b[:, 1] >= 0).all()
        assert (b[:, 2] <= 56).all() and (b[:, 3] <= 40).all()
        side = b[:, 2] - b[:, 0]
        assert ((side >= 10) & (side <= 20)).all() and np.array_equal(side, b[:, 3] - b[:, 1])
        if len(b) == 2:  # targets never overlap
            assert box_iou(b[:1], b[1:])[0, 0] == 0.0
    assert (s.lux >= 1.0).all() and (s.lux <= 1e4).all()
    assert np.log10(s.lux).max() - np.log10(s.lux).min() > 2  # spans decades
    empty = data.make_wakeup_scenes(4, seed=0, size=(40, 56), target_size=(10, 20), p_empty=1.0)
    assert not empty.labels.any() and all(len(b) == 0 for b in empty.boxes)
    rgb = data.make_wakeup_scenes(2, seed=0, size=(40, 56), target_size=(10, 20), color=True)
    assert rgb.images.shape == (2, 40, 56, 3)


def test_wakeup_target_is_pasted_where_the_box_says():
    # a single white target on a scene: the box region must be the brightest
    target = np.full((1, 25, 25), 255, np.uint8)
    s = data.make_wakeup_scenes(3, seed=2, size=(60, 80), target_size=(20, 20), p_empty=0.0,
                                max_targets=1, targets=target, backgrounds=["moon"],
                                target_gain=(1.0, 1.0), shading=0.0)
    for im, b in zip(s.images, s.boxes):
        x0, y0, x1, y1 = b[0].astype(int)
        cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
        assert im[cy - 3:cy + 3, cx - 3:cx + 3].min() == 255


def test_wakeup_crops_and_errors():
    s = data.make_wakeup_scenes(5, seed=1, size=(48, 64), target_size=(12, 24), p_empty=0.0)
    X, y, lux = s.crops(16, negatives_per_image=2)
    assert X.shape[1:] == (16, 16) and X.dtype == np.uint8
    assert y.sum() == sum(len(b) for b in s.boxes)
    assert (y == 0).sum() <= 10 and len(lux) == len(y)
    assert set(lux) <= set(s.lux)
    with pytest.raises(ValueError, match="target_size.*larger than the scene"):
        data.make_wakeup_scenes(2, size=(30, 40), target_size=(10, 35))
    with pytest.raises(ValueError, match="'brick'"):
        data.make_wakeup_scenes(2, backgrounds=["astronaut"])
    with pytest.raises(ValueError, match="lux_range"):
        data.make_wakeup_scenes(2, lux_range=(0.0, 10.0))


def test_scene_signal_e_follows_photometry():
    # independent formula: E R / (4 N^2) * 4.09e15 photons/(s m^2 lux) * area * QE * t
    want = 1.0 / (4 * 2.0**2) * 4.09e15 * (5e-6) ** 2 * 0.6 * 0.033
    got = data.scene_signal_e(1.0)
    assert got == pytest.approx(want, rel=5e-3)
    arr = data.scene_signal_e([1.0, 10.0, 1e4])
    assert arr == pytest.approx([want, 10 * want, 1e4 * want], rel=5e-3)
    assert data.scene_signal_e([1.0, 1e4], max_signal_e=10000.0)[1] == 10000.0
    s = data.make_wakeup_scenes(3, seed=0, size=(40, 56), target_size=(10, 20))
    assert s.signal_e() == pytest.approx(s.lux * want, rel=5e-3)
    with pytest.raises(ValueError, match="lux"):
        data.scene_signal_e(0.0)


# ---------------------------------------------------------------- crops
def test_crop_box_exact_and_padded():
    image = np.arange(60 * 80, dtype=np.uint16).reshape(60, 80).astype(np.float32)
    crop = data.crop_box(image, (10, 20, 35, 45), 25)
    assert np.array_equal(crop, image[20:45, 10:35])
    edge = data.crop_box(image, (-5, 0, 5, 10), 10)  # half outside: edge-padded
    assert np.array_equal(edge[:, 5:], image[0:10, 0:5])
    assert np.array_equal(edge[:, 0], image[0:10, 0])


def test_negatives_avoid_objects_and_reject_large_windows():
    image = np.zeros((50, 50), np.uint8)
    image[10:30, 10:30] = 255
    neg = data.sample_negatives(image, [[10, 10, 30, 30]], 8, 20, seed=0, max_overlap=0.0)
    assert len(neg) > 0 and neg.max() == 0  # never touches the object
    with pytest.raises(ValueError, match=r"window \(64, 64\) is larger than image"):
        data.sample_negatives(image, [], 64, 2, seed=0)
    with pytest.raises(ValueError, match="larger than image 1"):
        data.make_crops([image, image[:10, :10]], [[], []], 16, negatives_per_image=1)


# ---------------------------------------------------------------- VOC / PASCALRAW
XML = """<annotation>
  <folder>PASCALRAW</folder><filename>{fid}.png</filename>
  <size><width>60</width><height>40</height><depth>3</depth></size>
  {objects}
</annotation>"""
OBJ = """<object><name>{name}</name><truncated>0</truncated><difficult>{diff}</difficult>
  <bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>"""


def _write_voc(root, entries, splits):
    """entries: {id: [(name, (xmin, ymin, xmax, ymax), difficult), ...]}; images 2x the annotation."""
    (root / "Annotations").mkdir(parents=True)
    (root / "RawImages").mkdir()
    (root / "ImageSets" / "Main").mkdir(parents=True)
    for k, (fid, objs) in enumerate(entries.items()):
        objects = "".join(OBJ.format(name=n, b=b, diff=int(d)) for n, b, d in objs)
        (root / "Annotations" / f"{fid}.xml").write_text(XML.format(fid=fid, objects=objects))
        raw = np.full((80, 120), 200 + k, np.uint16)
        for _, (x0, y0, x1, y1), _ in objs:  # objects bright, in image pixels (x2)
            raw[2 * (y0 - 1):2 * y1, 2 * (x0 - 1):2 * x1] = 4000
        iio.imwrite(root / "RawImages" / f"{fid}.png", raw)
    for name, ids in splits.items():
        (root / "ImageSets" / "Main" / f"{name}.txt").write_text("\n".join(ids) + "\n")


@pytest.fixture
def voc_root(tmp_path):
    root = tmp_path / "voc"
    _write_voc(root, {
        "2014_000001": [("person", (11, 5, 30, 20), False), ("dog", (40, 5, 55, 20), False)],
        "2014_000002": [("car", (5, 10, 25, 35), False), ("bicycle", (35, 20, 58, 38), True)],
        "2014_000003": [("car", (31, 1, 50, 15), False)],
    }, {"train": ["2014_000001", "2014_000002"], "val": ["2014_000003"]})
    return root


def test_voc_reader_boxes_scaled_and_split(voc_root):
    ds = data.load_voc(voc_root, split="train", classes=data.PASCALRAW_CLASSES)
    assert len(ds) == 2 and ds.classes == ("person", "car", "bicycle")
    image = ds.load_image(0)
    assert image.shape == (80, 120) and image.dtype == np.float32
    assert image.max() == pytest.approx(4000 / 4095)
    boxes, labels, difficult = ds.annotations(0, image.shape)
    assert np.array_equal(boxes, [[20, 8, 60, 40]])  # VOC (11,5,30,20) -> half-open x2
    assert labels.tolist() == [1]  # the dog is filtered out
    boxes, labels, difficult = ds.annotations(1)
    assert np.array_equal(boxes, [[4, 9, 25, 35], [34, 19, 58, 38]])
    assert labels.tolist() == [2, 3] and difficult.tolist() == [False, True]
    val = data.load_voc(voc_root, split="val")
    assert [r.image_id for r in val.records] == ["2014_000003"] and val.classes == ("car",)
    easy = data.load_voc(voc_root, split="train", include_difficult=False, classes=["bicycle"])
    assert sum(len(r.objects) for r in easy.records) == 0
    every = data.load_voc(voc_root)
    assert len(every) == 3 and "dog" in every.classes


def test_voc_crops(voc_root):
    ds = data.load_voc(voc_root, split="train", classes=["person", "car", "bicycle"])
    X, y, classes = ds.crops(16, negatives_per_image=2, context=0.0, output="linear", seed=0)
    assert classes == ("background", "person", "car", "bicycle")
    assert X.shape[1:] == (16, 16) and X.dtype == np.float32
    assert sorted(y[y > 0].tolist()) == [1, 2]  # difficult bicycle left out
    assert X[y > 0][:, 6:10, 6:10].min() > 0.9 and X[y == 0].mean() < 0.3
    Xs, ys, _ = ds.crops(16, negatives_per_image=1, include_difficult=True, seed=0)
    assert Xs.dtype == np.uint8 and sorted(ys[ys > 0].tolist()) == [1, 2, 3]


def test_voc_bad_input(voc_root, tmp_path):
    with pytest.raises(ValueError, match="unknown class 'unicorn'.*'person'"):
        data.load_voc(voc_root, classes=["unicorn"])
    with pytest.raises(FileNotFoundError, match="split file not found.*test.txt"):
        data.load_voc(voc_root, split="test")
    with pytest.raises(FileNotFoundError, match="dataset folder not found"):
        data.load_voc(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="at least one class"):
        data.load_voc(voc_root, classes=[])
    with pytest.raises(ValueError, match=r"window \(100, 100\) is larger than .*2014_000001.png"):
        data.load_voc(voc_root, split="train").crops(100)
    # annotation listed in a split but missing
    (voc_root / "ImageSets" / "Main" / "extra.txt").write_text("2014_000001\n2014_000009\n")
    with pytest.raises(FileNotFoundError, match="annotation file not found.*2014_000009.xml"):
        data.load_voc(voc_root, split="extra")
    # image missing
    os.remove(voc_root / "RawImages" / "2014_000003.png")
    with pytest.raises(FileNotFoundError, match="2014_000003"):
        data.load_voc(voc_root, split="val")
    # corrupt image
    (voc_root / "RawImages" / "2014_000003.png").write_bytes(b"\x89PNG not really")
    ds = data.load_voc(voc_root, split="val")
    with pytest.raises(ValueError, match="cannot read image file .*2014_000003.png"):
        ds.load_image(0)
    # a 16-bit file above the 12-bit white level
    iio.imwrite(voc_root / "RawImages" / "2014_000003.png", np.full((80, 120), 5000, np.uint16))
    with pytest.raises(ValueError, match="2014_000003.png.*raw_bits=16"):
        ds.load_image(0)
    assert data.load_voc(voc_root, split="val", raw_bits=16).load_image(0).max() == pytest.approx(5000 / 65535)
    # XML without required fields: the message names file and field
    ann = voc_root / "Annotations" / "2014_000003.xml"
    ann.write_text(ann.read_text().replace("<xmin>31</xmin>", ""))
    with pytest.raises(ValueError, match=r"2014_000003.xml.*object\[0\]/bndbox/xmin"):
        data.load_voc(voc_root, split="val")
    ann.write_text("<annotation><object><name>car</name></object></annotation>")
    with pytest.raises(ValueError, match="2014_000003.xml.*'size'"):
        data.parse_voc_xml(ann)
    ann.write_text("<annotation><size><width>6")
    with pytest.raises(ValueError, match="2014_000003.xml is not valid XML"):
        data.parse_voc_xml(ann)


def test_voc_reads_dng_through_load_raw(tmp_path):
    from analogfe.scene.raw import load_raw, write_dng

    root = tmp_path / "dngvoc"
    (root / "Annotations").mkdir(parents=True)
    (root / "raw").mkdir()
    rng = np.random.default_rng(0)
    dn = rng.integers(300, 3800, size=(48, 64)).astype(np.uint16)
    dn[8:40, 16:48] = 4000  # the object, in image pixels
    write_dng(root / "raw" / "img_1.dng", dn, cfa="RGGB", black_level=64, white_level=4095, bits=12)
    objects = OBJ.format(name="car", b=(9, 5, 24, 20), diff=0)  # annotation at half resolution
    (root / "Annotations" / "img_1.xml").write_text(
        XML.format(fid="img_1", objects=objects).replace("<width>60</width><height>40</height>",
                                                      "<width>32</width><height>24</height>"))
    ds = data.load_voc(root)
    assert ds.image_paths[0].suffix == ".dng"
    image = ds.load_image(0)
    assert np.array_equal(image, load_raw(root / "raw" / "img_1.dng").data)
    linear = ds.load_linear(0)  # demosaicked with the file's own Bayer pattern
    assert linear.shape == (48, 64, 3)
    boxes, labels, _ = ds.annotations(0, image.shape)
    assert np.array_equal(boxes, [[16, 8, 48, 40]]) and ds.classes == ("car",)


def test_voc_black_level_and_cfa_check(voc_root):
    ds = data.load_voc(voc_root, split="val", black_level=202)
    expected = (4000 - 202) / (4095 - 202)
    assert ds.load_image(0).max() == pytest.approx(expected)
    assert ds.load_image(0).min() == 0.0  # the background (202 DN) is black
    with pytest.raises(ValueError, match="unknown cfa 'RGBW'"):
        data.load_voc(voc_root, cfa="RGBW")


def test_committed_voc_sample_reads():
    root = os.path.join(os.path.dirname(__file__), os.pardir, "datasets", "voc-sample")
    ds = data.load_voc(root, split="train", classes=data.PASCALRAW_CLASSES, cfa="RGGB")
    assert len(ds) >= 1
    image = ds.load_linear(0)
    assert image.ndim == 3 and image.dtype == np.float32
    boxes, labels, _ = ds.annotations(0, image.shape[:2])
    assert len(boxes) >= 1 and (boxes[:, 2] <= image.shape[1]).all()


# ---------------------------------------------------------------- image folder
def _write_folder(root, sizes=((20, 20),) * 2):
    for k, name in enumerate(["cat", "bird"]):
        (root / name).mkdir(parents=True)
        for j, shape in enumerate(sizes):
            iio.imwrite(root / name / f"{j}.png", np.full(shape, 40 * k + j, np.uint8))


def test_image_folder(tmp_path):
    _write_folder(tmp_path / "ok")
    s = data.load_image_folder(tmp_path / "ok")
    assert s.classes == ("bird", "cat") and s.images.shape == (4, 20, 20)
    assert s.labels.tolist() == [0, 0, 1, 1] and s.images[2, 0, 0] == 0  # cat/0.png
    images, labels = s
    assert s.split(test_size=0.5, seed=0).X_test.shape == (2, 20, 20)
    rgb = data.load_image_folder(tmp_path / "ok", mode="rgb", size=8)
    assert rgb.images.shape == (4, 8, 8, 3)


def test_committed_image_folder_sample_is_lfw():
    root = os.path.join(os.path.dirname(__file__), os.pardir, "datasets", "image-folder", "sample")
    s = data.load_dataset(root)
    assert s.classes == ("face", "non-face") and s.images.shape == (6, 25, 25)
    raw = np.rint(skimage.data.lfw_subset() * 255).astype(np.uint8)
    assert np.array_equal(s.images[:3], raw[:3]) and np.array_equal(s.images[3:], raw[100:103])


def test_image_folder_bad_input(tmp_path):
    _write_folder(tmp_path / "mixed", sizes=((20, 20), (10, 12)))
    with pytest.raises(ValueError, match="differ in size.*size="):
        data.load_image_folder(tmp_path / "mixed")
    assert data.load_image_folder(tmp_path / "mixed", size=(10, 10)).images.shape == (4, 10, 10)
    _write_folder(tmp_path / "empty")
    (tmp_path / "empty" / "zebra").mkdir()
    with pytest.raises(ValueError, match="class folder .*zebra holds no images"):
        data.load_image_folder(tmp_path / "empty")
    _write_folder(tmp_path / "bad")
    (tmp_path / "bad" / "cat" / "2.png").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"cannot read image file .*cat.2\.png"):
        data.load_image_folder(tmp_path / "bad")
    with pytest.raises(ValueError, match="unknown class 'dog'"):
        data.load_image_folder(tmp_path / "mixed", classes=["dog"])
    (tmp_path / "none").mkdir()
    with pytest.raises(ValueError, match="no class folders"):
        data.load_image_folder(tmp_path / "none")


# ---------------------------------------------------------------- registry
def test_load_dataset_registry(voc_root, tmp_path):
    assert isinstance(data.load_dataset("lfw"), data.Split)
    scenes = data.load_dataset("wakeup-scenes", n=2, size=(40, 56), target_size=(10, 20))
    assert isinstance(scenes, data.WakeupScenes) and len(scenes) == 2
    assert isinstance(data.load_dataset(voc_root, split="val"), data.VOCDataset)
    _write_folder(tmp_path / "folder")
    assert isinstance(data.load_dataset(str(tmp_path / "folder")), data.ImageSet)
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'; valid: 'lfw', 'wakeup-scenes'"):
        data.load_dataset("imagenet")


def test_load_split_for_every_kind(voc_root, tmp_path):
    lfw = data.load_split("lfw", window=32)
    assert lfw.X_train.shape == (150, 32, 32)
    scenes = data.load_split("wakeup-scenes", n=12, size=(40, 56), target_size=(10, 20),
                             window=16, test_size=0.25, seed=0)
    assert scenes.X_train.shape[1:] == (16, 16) and scenes.classes == ("non-face", "face")
    assert set(scenes.y_train) <= {0, 1} and len(scenes.X_test) > 0
    # split by scene: the test crops are the crops of the test scenes only
    full = data.make_wakeup_scenes(12, size=(40, 56), target_size=(10, 20))
    assert len(scenes.y_train) + len(scenes.y_test) == len(full.crops(16)[1])
    voc = data.load_split(voc_root, window=16, test_size=0.34, seed=0, classes=["person", "car"])
    assert voc.classes == ("background", "person", "car") and voc.X_test.dtype == np.uint8
    _write_folder(tmp_path / "folder")
    folder = data.load_split(tmp_path / "folder", window=8, test_size=0.5)
    assert folder.X_train.shape == (2, 8, 8) and folder.classes == ("bird", "cat")


# ---------------------------------------------------------------- EmulatedDataset
class _FakeEmulate:
    """Deterministic stand-in for the emulate of the torch dataset, counting its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, image, frontend, *, sensor_config=None, seed=0, brightness=1.0, signal_e=None,
                 exposure="auto"):
        self.calls.append(seed)
        rng = np.random.default_rng(seed)
        h, w = image.shape[:2]
        dx = [rng.integers(-1, 2, (h // k, w // k)).astype(np.int8) for k in (1, 2)]
        dy = [(d * np.int8(-1)) for d in dx]
        return GradientCodes(dx=dx, dy=dy, scales=(1, 2), levels=3, bits=2)


@pytest.fixture
def fake_emulate(monkeypatch):
    fake = _FakeEmulate()
    monkeypatch.setattr(td, "emulate", fake)
    return fake


def _tiny_images(n=3):
    return data.load_lfw(size=16).X_train[:n]


def test_emulated_dataset_cache_hit_is_identical(fake_emulate, tmp_path):
    images = _tiny_images()
    ds = td.EmulatedDataset(images, [1, 0, 1], "lg1.5", seed=5, cache_dir=tmp_path / "c")
    first = [ds[i] for i in range(3)]
    assert len(fake_emulate.calls) == 3 and ds.cache_misses == 3
    again = td.EmulatedDataset(images, [1, 0, 1], "lg1.5", seed=5, cache_dir=tmp_path / "c")
    second = [again[i] for i in (2, 1, 0)][::-1]
    assert len(fake_emulate.calls) == 3 and again.cache_hits == 3  # no recomputation
    for (xa, ya), (xb, yb) in zip(first, second):
        assert ya == yb and isinstance(xb, GradientCodes) and xb.scales == (1, 2)
        for s in range(2):
            assert xb.dx[s].dtype == np.int8
            assert np.array_equal(xa.dx[s], xb.dx[s]) and np.array_equal(xa.dy[s], xb.dy[s])
    # per-item seed depends on (seed, index) only
    assert fake_emulate.calls == [td.item_seed(5, i) for i in range(3)]
    arr, y = td.EmulatedDataset(images, [1, 0, 1], "lg1.5", seed=5, cache_dir=tmp_path / "c",
                                  transform=td.codes_to_array)[1]
    assert arr.shape == (2, 16, 16) and arr.dtype == np.int8 and y == 0
    assert np.array_equal(arr[0], first[1][0].dx[0])


def test_emulated_dataset_key_covers_configuration(fake_emulate, tmp_path):
    from analogfe.sensor import AutoExposure, SensorConfig

    images = _tiny_images(1)
    base = td.EmulatedDataset(images, [1], "lg1.5", cache_dir=tmp_path)
    keys = {base.cache_key(0)}
    for kw in ({"seed": 1}, {"brightness": 2.0}, {"signal_e": 500.0},
               {"sensor_config": SensorConfig(read_noise_e=3.0)},
               {"exposure": "fixed"}, {"exposure": AutoExposure(max_gain=8.0)}):
        keys.add(td.EmulatedDataset(images, [1], "lg1.5", cache_dir=tmp_path, **kw).cache_key(0))
    keys.add(td.EmulatedDataset(images, [1], "lg2.75", cache_dir=tmp_path).cache_key(0))
    keys.add(td.EmulatedDataset(images[:, ::-1].copy(), [1], "lg1.5", cache_dir=tmp_path).cache_key(0))
    assert len(keys) == 9
    assert td.EmulatedDataset(images, [1], "lg1.5", cache_dir=tmp_path).cache_key(0) == base.cache_key(0)
    # the default mode is auto-exposure with the default parameters, however it is named
    same = td.EmulatedDataset(images, [1], "lg1.5", cache_dir=tmp_path, exposure=AutoExposure())
    assert same.cache_key(0) == base.cache_key(0)


def test_emulated_dataset_recomputes_corrupt_entries(fake_emulate, tmp_path):
    images = _tiny_images(2)
    ds = td.EmulatedDataset(images, [1, 0], "lg1.5", cache_dir=tmp_path)
    x0, _ = ds[0]
    path = ds._cache_path(ds.cache_key(0))
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[: size // 2])  # truncated entry
    x1, _ = ds[0]
    assert len(fake_emulate.calls) == 2 and np.array_equal(x0.dx[1], x1.dx[1])
    assert path.stat().st_size == size  # rewritten whole
    path.write_bytes(b"not a zip file at all")
    ds[0]
    assert len(fake_emulate.calls) == 3
    blob = bytearray(path.read_bytes())  # flipped bytes inside the compressed data
    for k in range(60, len(blob) - 200, 7):
        blob[k] ^= 0xFF
    path.write_bytes(bytes(blob))
    x2, _ = ds[0]
    assert len(fake_emulate.calls) == 4 and np.array_equal(x2.dx[0], x0.dx[0])
    # an entry holding another key (e.g. a copied file) is not trusted
    other = ds._cache_path(ds.cache_key(1))
    ds[1]
    os.replace(other, path)
    ds[0]
    assert len(fake_emulate.calls) == 6


def test_emulated_dataset_interrupted_write_leaves_no_entry(fake_emulate, tmp_path, monkeypatch):
    images = _tiny_images(1)
    ds = td.EmulatedDataset(images, [1], "lg1.5", cache_dir=tmp_path)

    def boom(fh, **arrays):
        fh.write(b"PK\x03\x04partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(td.np, "savez_compressed", boom)
    with pytest.raises(KeyboardInterrupt):
        ds[0]
    path = ds._cache_path(ds.cache_key(0))
    assert not path.exists() and not list(path.parent.glob("*.tmp"))
    monkeypatch.undo()
    monkeypatch.setattr(td, "emulate", fake_emulate)
    ds[0]
    assert path.exists() and ds.cache_misses == 2


def test_emulated_dataset_per_item_signal(fake_emulate, tmp_path, monkeypatch):
    seen = []

    def recording(image, frontend, **kw):
        seen.append(kw.get("signal_e"))
        return fake_emulate(image, frontend, **kw)

    monkeypatch.setattr(td, "emulate", recording)
    scenes = data.make_wakeup_scenes(2, seed=0, size=(40, 56), target_size=(10, 20), p_empty=0.0)
    X, y, lux = scenes.crops(16, negatives_per_image=1)
    signal = data.scene_signal_e(lux, max_signal_e=10000.0)
    ds = td.EmulatedDataset(X, y, "lg1.5", signal_e=signal, cache_dir=tmp_path)
    for i in range(len(ds)):
        ds[i]
    assert seen == pytest.approx(list(signal))
    assert len({ds.cache_key(i) for i in range(len(ds))}) == len(ds)


def test_emulated_dataset_bad_input():
    images = _tiny_images(2)
    with pytest.raises(ValueError, match="labels must have one entry per image"):
        td.EmulatedDataset(images, [1], "lg1.5")
    with pytest.raises(ValueError, match="brightness"):
        td.EmulatedDataset(images, [1, 0], "lg1.5", brightness=0.0)
    with pytest.raises(ValueError, match="signal_e"):
        td.EmulatedDataset(images, [1, 0], "lg1.5", signal_e=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="unknown exposure 'on'"):
        td.EmulatedDataset(images, [1, 0], "lg1.5", exposure="on")
    with pytest.raises(TypeError, match="images"):
        td.EmulatedDataset(images.astype(np.float32), [1, 0], "lg1.5")


def test_emulated_dataset_with_the_real_front_end(tmp_path):
    """Through analogfe.frontend.emulate: seeded, order-independent, cache == compute."""
    import torch

    images = _tiny_images(3)
    plain = td.EmulatedDataset(images, [1, 0, 1], "lg1.5", seed=0)
    forward = [plain[i][0] for i in range(3)]
    backward = [plain[i][0] for i in (2, 1, 0)][::-1]
    for a, b in zip(forward, backward):
        assert all(np.array_equal(p, q) for p, q in zip(a.dx + a.dy, b.dx + b.dy))
    cached = td.EmulatedDataset(images, [1, 0, 1], "lg1.5", seed=0, cache_dir=tmp_path)
    for i in range(3):
        for out in (cached[i][0], cached[i][0]):
            assert all(np.array_equal(p, q) for p, q in zip(out.dx, forward[i].dx))
    assert cached.cache_hits == 3
    gray = td.EmulatedDataset(images, [1, 0, 1], "gray8", seed=0, cache_dir=tmp_path)
    img, _ = gray[0]
    assert img.dtype == np.uint8 and img.shape == (16, 16)
    assert np.array_equal(gray[0][0], img)
    enc = td.EmulatedDataset(images, [1, 0, 1], "lg1.5", seed=0, encoding="lg-signed")
    x, y = enc[0]
    assert isinstance(x, torch.Tensor) and x.ndim == 3 and x.shape[-2:] == (16, 16)
    loader = torch.utils.data.DataLoader(
        td.EmulatedDataset(images, [1, 0, 1], "lg1.5", transform=td.codes_to_array), batch_size=2)
    xb, yb = next(iter(loader))
    assert tuple(xb.shape) == (2, 2, 16, 16) and yb.tolist() == [1, 0]


@pytest.mark.parametrize("planted", ["/etc/passwd", "../../outside.png", "sub/../../x.png",
                                     "..\\outside.png"])
def test_voc_refuses_filenames_outside_the_dataset(voc_root, planted):
    xml = voc_root / "Annotations" / "2014_000001.xml"
    xml.write_text(xml.read_text().replace("<filename>2014_000001.png</filename>",
                                           f"<filename>{planted}</filename>"))
    with pytest.raises(ValueError, match=r"2014_000001\.xml.*<filename>.*not a plain file name"):
        data.load_voc(voc_root, split="train")


@pytest.mark.parametrize("planted", ["../outside", "/tmp/outside", "a/../../b"])
def test_voc_refuses_image_ids_outside_the_dataset(voc_root, planted):
    lst = voc_root / "ImageSets" / "Main" / "train.txt"
    lst.write_text(f"2014_000001\n{planted}\n")
    with pytest.raises(ValueError, match=r"train\.txt.*image id.*not a plain file name"):
        data.load_voc(voc_root, split="train")


def _link_out(link, target):
    """Replace ``link`` by a symbolic link to ``target`` (outside the dataset)."""
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(target)


@pytest.mark.parametrize("what", ["image", "annotation", "split", "image_dir", "in_root_ok"])
def test_voc_does_not_follow_links_out_of_the_dataset(voc_root, tmp_path, what):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.png"
    iio.imwrite(secret, np.full((40, 60), 7, np.uint8))
    ann = voc_root / "Annotations"
    if what == "image":
        _link_out(voc_root / "RawImages" / "2014_000001.png", secret)
    elif what == "annotation":
        (outside / "a.xml").write_text((ann / "2014_000001.xml").read_text())
        _link_out(ann / "2014_000001.xml", outside / "a.xml")
    elif what == "split":
        (outside / "t.txt").write_text("2014_000001\n")
        _link_out(voc_root / "ImageSets" / "Main" / "train.txt", outside / "t.txt")
    elif what == "image_dir":
        img_dir, copy = voc_root / "RawImages", outside / "imgs"
        img_dir.rename(copy)
        img_dir.symlink_to(copy, target_is_directory=True)
    else:  # a link that stays inside the dataset is fine
        (ann / "copy.xml").write_text((ann / "2014_000001.xml").read_text())
        _link_out(ann / "2014_000001.xml", ann / "copy.xml")
        assert len(data.load_voc(voc_root, split="train")) == 2
        return
    with pytest.raises(ValueError, match=r"outside .*refused"):
        data.load_voc(voc_root, split="train")


def test_image_folder_does_not_follow_links_out_of_the_folder(tmp_path):
    _write_folder(tmp_path / "ok")
    iio.imwrite(tmp_path / "secret.png", np.full((20, 20), 9, np.uint8))
    (tmp_path / "ok" / "cat" / "2.png").symlink_to(tmp_path / "secret.png")
    with pytest.raises(ValueError, match=r"2\.png: image file resolves to .*secret\.png, outside"):
        data.load_image_folder(tmp_path / "ok")
    (tmp_path / "ok" / "cat" / "2.png").unlink()
    (tmp_path / "ok" / "cat" / "2.png").symlink_to(tmp_path / "ok" / "bird" / "0.png")  # inside
    assert len(data.load_image_folder(tmp_path / "ok").labels) == 5
    (tmp_path / "ok" / "cat" / "2.png").unlink()
    (tmp_path / "elsewhere").mkdir()
    iio.imwrite(tmp_path / "elsewhere" / "0.png", np.full((20, 20), 9, np.uint8))
    (tmp_path / "ok" / "fish").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(ValueError, match=r"fish/0\.png: image file .*outside"):
        data.load_image_folder(tmp_path / "ok")


def _write_images(folder, n, value):
    folder.mkdir(parents=True, exist_ok=True)
    for j in range(n):
        iio.imwrite(folder / f"{j}.png", np.full((12, 12), value + j, np.uint8))


def test_grouped_image_folder_keeps_every_group_on_one_side(tmp_path):
    # root/<class>/<group>/<image>: 5 sources per class, 3 patches each; a
    # patch's value names its source, so a leak would show as a shared value
    for k, name in enumerate(("cat", "dog")):
        for g in range(5):
            _write_images(tmp_path / name / f"src{g}", 3, 100 * k + 10 * g)
    s = data.load_image_folder(tmp_path, group_by="folder")
    assert s.classes == ("cat", "dog") and len(s) == 30
    assert s.groups[0] == "cat/src0" and len(set(s.groups.tolist())) == 10
    for seed in range(5):
        sp = s.split(test_size=0.4, seed=seed)
        src_train = {int(v) // 10 for v in sp.X_train[:, 0, 0]}
        src_test = {int(v) // 10 for v in sp.X_test[:, 0, 0]}
        assert not src_train & src_test
        # stratified: 2 of each class's 5 groups (3 images each) on the test side
        assert np.bincount(sp.y_test).tolist() == [6, 6]
    # the same seed gives the same split; another seed may give another
    a, b = s.split(0.4, seed=3), s.split(0.4, seed=3)
    assert np.array_equal(a.X_test, b.X_test)
    # a flat split of the same images mixes sources (what the grouped split prevents)
    flat = data.ImageSet(s.images, s.labels, s.classes, s.paths).split(0.4, seed=0)
    assert {int(v) // 10 for v in flat.X_train[:, 0, 0]} & {int(v) // 10 for v in flat.X_test[:, 0, 0]}


def test_grouped_image_folder_bad_input(tmp_path):
    _write_images(tmp_path / "one" / "cat" / "only", 3, 0)
    _write_images(tmp_path / "one" / "dog" / "a", 2, 50)
    _write_images(tmp_path / "one" / "dog" / "b", 2, 60)
    with pytest.raises(ValueError, match="class 'cat' has 1 group"):
        data.load_image_folder(tmp_path / "one", group_by="folder").split(0.5)
    with pytest.raises(ValueError, match="unknown group_by 'source'"):
        data.load_image_folder(tmp_path / "one", group_by="source")
    _write_images(tmp_path / "flat" / "cat", 2, 0)
    with pytest.raises(ValueError, match="holds no images in its group sub-folders"):
        data.load_image_folder(tmp_path / "flat", group_by="folder")


def test_presplit_image_folder(tmp_path):
    root = tmp_path / "ds"
    for part, n in (("train", 4), ("val", 2), ("test", 3)):
        _write_images(root / part / "cat", n, 0)
        _write_images(root / part / "dog", n, 100)
    assert data.is_presplit_folder(root) and not data.is_presplit_folder(root / "train")
    sp = data.load_split(root, test_size=0.5, seed=7)
    assert sp.classes == ("cat", "dog")
    assert (len(sp.y_train), len(sp.y_val), len(sp.y_test)) == (8, 4, 6)
    assert sp.y_test.tolist() == [0, 0, 0, 1, 1, 1] and sp.X_test[3, 0, 0] == 100
    # load_dataset of the root gives the same split, whatever the seed
    again = data.load_dataset(root)
    assert np.array_equal(again.X_test, sp.X_test) and np.array_equal(again.X_val, sp.X_val)
    # test/ may lack a class; labels still index the training classes
    (root / "test" / "cat").rename(tmp_path / "away")
    sp = data.load_presplit_folder(root)
    assert sp.classes == ("cat", "dog") and set(sp.y_test.tolist()) == {1}
    # ... but may not hold one that train/ lacks
    _write_images(root / "test" / "emu", 1, 200)
    with pytest.raises(ValueError, match=r"class folder\(s\) \['emu'\]"):
        data.load_presplit_folder(root)
    with pytest.raises(FileNotFoundError, match="needs .*train"):
        data.load_presplit_folder(root / "train")


def test_a_presplit_validation_side_is_the_validation_set():
    from analogfe.learn.experiments import _training_split

    X = np.zeros((6, 4, 4), np.uint8)
    sp = data.Split(X, X[:2], np.array([0, 1] * 3), np.array([0, 1]), ("a", "b"),
                    X_val=np.ones((2, 4, 4), np.uint8), y_val=np.array([1, 0]))
    Xa, ya, _, itr, iva = _training_split(sp, 0.2, seed=0)
    assert itr.tolist() == list(range(6)) and iva.tolist() == [6, 7]
    assert Xa[6:].min() == 1 and ya[6:].tolist() == [1, 0]


def test_texture_task_is_balanced_repeatable_and_its_sides_share_no_source():
    s = data.load_split("textures", test_size=0.25, seed=3)
    assert s.classes == data.TEXTURE_CLASSES == ("plain", "grain", "weave")
    assert s.X_train.shape == (900, 32, 32) and s.X_test.shape == (300, 32, 32)
    assert s.X_train.dtype == np.uint8
    assert np.bincount(s.y_train).tolist() == [300] * 3 and np.bincount(s.y_test).tolist() == [100] * 3
    again = data.load_textures(seed=3)
    assert np.array_equal(again.X_test, s.X_test)
    # the test stream is not a continuation of the training one: a larger
    # training side leaves the test images as they were
    bigger = data.load_textures(1500, test_size=0.2, seed=3)
    assert np.array_equal(bigger.X_test, s.X_test)
    # no test image occurs on the training side
    train = {im.tobytes() for im in s.X_train}
    assert not any(im.tobytes() in train for im in s.X_test)
    # the fine component is fine and faint: the classes differ in the
    # high-frequency energy, not in the mean level
    def hf(x):
        x = x.astype(float)
        return np.mean(np.abs(np.diff(x, axis=2)))
    means = [s.X_train[s.y_train == k].mean() for k in range(3)]
    assert max(means) - min(means) < 10
    assert hf(s.X_train[s.y_train == 1]) > 1.5 * hf(s.X_train[s.y_train == 0])
    with pytest.raises(ValueError, match="n must be"):
        data.load_textures(3)
    with pytest.raises(ValueError, match="test_size"):
        data.load_textures(test_size=0.0)
