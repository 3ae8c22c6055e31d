"""Shared fixtures: a non-interactive plot backend and a tiny run configuration."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

TINY_TOML = """
[dataset]
name = "lfw"
max_images = 48

[frontends]
names = ["rgb8", "lg1.5"]

[svm]
C = 0.1

[resnet]
epochs = 1
width = 8

[scene]
brightness_exponents = [-2, 0, 1]

[compare]
seeds = [0]
"""


@pytest.fixture
def tiny_config(tmp_path):
    """Path of a TOML configuration small enough for a test (a few seconds)."""
    p = tmp_path / "tiny.toml"
    p.write_text(TINY_TOML)
    return p


@pytest.fixture
def out_dir(tmp_path):
    """A fresh output folder."""
    d = tmp_path / "out"
    d.mkdir()
    return d


def _write_lfw_folder(root, layout):
    """The LFW subset (faces / non-faces) as an image folder of the given layout:
    "presplit" (train/val/test), or "grouped" (<class>/<group of 10>/<image>)."""
    import imageio.v3 as iio
    import numpy as np
    import skimage.data

    raw = np.rint(skimage.data.lfw_subset() * 255).astype(np.uint8)
    for label, name in ((1, "face"), (0, "non-face")):
        images = raw[:100] if label else raw[100:]
        for i, im in enumerate(images[:60]):
            if layout == "presplit":
                part = "train" if i < 36 else ("val" if i < 44 else "test")
                folder = root / part / name
            else:
                folder = root / name / f"g{i // 10}"
            folder.mkdir(parents=True, exist_ok=True)
            iio.imwrite(folder / f"{i}.png", im)
    return root


@pytest.fixture
def lfw_folder():
    """Writes the LFW subset as an image folder: ``lfw_folder(root, layout)``."""
    return _write_lfw_folder
