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
