"""Tests of analogfe.scene.raw: DNG files written here (pidng) read back through rawpy."""
import numpy as np
import pytest

from analogfe.scene.raw import RawImage, load_raw, write_dng
from analogfe.sensor import Sensor, SensorConfig


def _dn(h=24, w=34, bits=12, seed=0):
    return np.random.default_rng(seed).integers(0, 2**bits, (h, w)).astype(np.uint16)


@pytest.mark.parametrize("cfa", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_dng_round_trip(tmp_path, cfa):
    dn = _dn()
    path = write_dng(tmp_path / "frame.dng", dn, cfa, black_level=200, white_level=4000,
                     bits=12)
    img = load_raw(path, keep_dn=True)
    assert isinstance(img, RawImage)
    assert img.cfa == cfa and img.path == str(path)
    assert img.black_level == 200.0 and img.white_level == 4000.0
    assert img.black_level_per_site == (200.0,) * 4
    np.testing.assert_array_equal(img.raw_dn, dn)
    want = np.clip((dn.astype(np.float64) - 200) / 3800, 0, 1).astype(np.float32)
    np.testing.assert_allclose(img.data, want, atol=1e-7)
    assert img.data.dtype == np.float32 and img.data.flags.c_contiguous
    assert load_raw(str(path)).raw_dn is None


def test_sensor_readout_to_dng_and_back(tmp_path):
    cfg = SensorConfig(height=32, width=40, cfa="GRBG", adc_bits=12, gain_dn_per_e=0.4,
                       black_level_dn=128)
    s = Sensor(cfg, seed=0)
    scene = np.random.default_rng(0).random(cfg.shape).astype(np.float32)
    dn = s.capture(scene, signal_e=8000.0)
    img = load_raw(write_dng(tmp_path / "s.dng", dn, "GRBG", black_level=128, bits=12))
    assert img.cfa == "GRBG" and img.shape == cfg.shape
    # the loader clips a dark pixel read below the black level (read noise) to 0
    np.testing.assert_allclose(img.data * (4095 - 128) + 128, np.maximum(dn, 128), atol=1e-3)
    # the loaded frame is a valid scene for the same sensor
    assert s.expose(img.data).shape == cfg.shape


def test_monochrome_dng(tmp_path):
    from pidng.core import RAW2DNG, DNGTags, Tag
    from pidng.defs import DNGVersion, Orientation, PhotometricInterpretation

    h, w = 24, 30
    t = DNGTags()
    for k, v in [(Tag.ImageWidth, w), (Tag.ImageLength, h), (Tag.TileWidth, w),
                 (Tag.TileLength, h), (Tag.Orientation, Orientation.Horizontal),
                 (Tag.PhotometricInterpretation, PhotometricInterpretation.Linear_Raw),
                 (Tag.SamplesPerPixel, 1), (Tag.BitsPerSample, 16), (Tag.BlackLevel, 10),
                 (Tag.WhiteLevel, 1000), (Tag.DNGVersion, DNGVersion.V1_4),
                 (Tag.DNGBackwardVersion, DNGVersion.V1_2)]:
        t.set(k, v)
    r = RAW2DNG()
    r.options(t, path="", compress=False)
    dn = (np.arange(h * w).reshape(h, w) % 1001).astype(np.uint16)
    (tmp_path / "mono.dng").write_bytes(r.convert(dn, filename=""))
    img = load_raw(tmp_path / "mono.dng")
    assert img.cfa is None
    np.testing.assert_allclose(img.data, np.clip((dn - 10.0) / 990.0, 0, 1), atol=1e-7)


def test_errors_name_the_path(tmp_path):
    missing = tmp_path / "missing.dng"
    with pytest.raises(FileNotFoundError, match="missing.dng"):
        load_raw(missing)
    text = tmp_path / "notes.txt"
    text.write_text("not a raw file")
    with pytest.raises(ValueError, match="notes.txt.*not a readable raw file"):
        load_raw(text)
    corrupt = tmp_path / "corrupt.dng"
    corrupt.write_bytes(b"II*\x00" + bytes(range(256)) * 4)
    with pytest.raises(ValueError, match="corrupt.dng"):
        load_raw(corrupt)
    good = write_dng(tmp_path / "good.dng", _dn(), "RGGB", bits=12)
    truncated = tmp_path / "truncated.dng"
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(ValueError, match="truncated.dng"):
        load_raw(truncated)
    with pytest.raises(ValueError, match="directory"):
        load_raw(tmp_path)
    with pytest.raises(TypeError, match="path"):
        load_raw(12)


def test_write_dng_bad_input(tmp_path):
    with pytest.raises(ValueError, match="cfa"):
        write_dng(tmp_path / "x.dng", _dn(), "RGBW")
    with pytest.raises(ValueError, match="dn"):
        write_dng(tmp_path / "x.dng", _dn(bits=12), "RGGB", bits=10)
    with pytest.raises(TypeError, match="dn"):
        write_dng(tmp_path / "x.dng", _dn().astype(np.float32), "RGGB")
    with pytest.raises(ValueError, match="white_level"):
        write_dng(tmp_path / "x.dng", _dn(), "RGGB", black_level=100, white_level=50)
    assert not list(tmp_path.iterdir())  # nothing half-written
