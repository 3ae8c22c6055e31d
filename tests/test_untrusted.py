"""Files that analogfe reads back never choose code or leave their folder: a
saved model or a cache entry naming an importable module does not import it,
and a state file naming a path outside its run folder is refused."""
import hashlib
import json
import sys

import numpy as np
import pytest

from analogfe.app import cli
from analogfe.frontend import GradientCodes
from analogfe.frontend.registry import FRONTENDS
from analogfe.learn import dataset as td
from analogfe.learn import load_model

_EVIL = "import pathlib\npathlib.Path({marker!r}).write_text('imported')\nclass Evil:\n    pass\n"


@pytest.fixture
def planted(tmp_path, monkeypatch):
    """A module ``evilmod_planted`` beside the files, importable, that writes a
    marker file when imported; returns the marker's path."""
    marker = tmp_path / "IMPORTED"
    (tmp_path / "evilmod_planted.py").write_text(_EVIL.format(marker=str(marker)))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    sys.modules.pop("evilmod_planted", None)  # imported by an earlier test: run it again
    yield marker
    sys.modules.pop("evilmod_planted", None)
    FRONTENDS.pop("evilmod_planted:Evil", None)


def _model_json(tmp_path, frontend):
    weights = tmp_path / "m.npz"
    weights.write_bytes(b"PK\x03\x04 not read before the front end is checked")
    meta = {"format": "analogfe-model", "version": 1,
            "frontend": {"name": frontend, "options": {}, "seed": 0},
            "architecture": {"name": "wakeup-svm", "arguments": {
                k: None for k in ("C", "scale", "cell_size", "method", "standardize",
                                  "class_weight", "max_iter")}},
            "sensor": {}, "classes": ["a", "b"], "image_shape": [16, 16], "exposure": "fixed",
            "seed": 0, "weights": {"file": "m.npz",
                                   "sha256": hashlib.sha256(weights.read_bytes()).hexdigest()}}
    path = tmp_path / "m.model.json"
    path.write_text(json.dumps(meta))
    return path


def test_a_saved_model_never_imports_the_module_it_names(planted, tmp_path, capsys):
    path = _model_json(tmp_path, "evilmod_planted:Evil")
    with pytest.raises(ValueError, match=r"m\.model\.json: frontend='evilmod_planted:Evil' is an "
                                         r"import path, which is not imported from a data file"):
        load_model(path)
    for cmd in (["predict", str(path), "x.png"], ["evaluate", str(path)]):
        with pytest.raises(SystemExit) as exc:
            cli.main(cmd)
        err = capsys.readouterr().err
        assert exc.value.code == 2 and "Traceback" not in err and "import path" in err
    assert not planted.exists()
    # the user's explicit opt-in imports it (so the test above can fail)
    with pytest.raises(ValueError, match="not a front-end class"):
        load_model(path, allow_import=True)
    assert planted.read_text() == "imported"


def _fake_emulate(image, frontend, **kw):
    d = [np.zeros((4, 4), np.int8)]
    return GradientCodes(dx=d, dy=d, scales=(1,), levels=3, bits=2)


def test_a_cache_entry_never_imports_the_module_it_names(planted, tmp_path, monkeypatch):
    monkeypatch.setattr(td, "emulate", _fake_emulate)
    ds = td.EmulatedDataset(np.zeros((1, 4, 4), np.uint8), [0], "lg1.5", cache_dir=tmp_path / "c")
    key = ds.cache_key(0)
    path = ds._cache_path(key)
    path.parent.mkdir(parents=True)
    for cls in ("analogfe.frontend.registry.make_frontend", "evilmod_planted.Evil",
                "analogfe.frontend.registry.frontend_spec"):
        meta = {"type": "dataclass", "key": key, "class": cls,
                "fields": {"name": {"value": "evilmod_planted:Evil", "tuple": False}}}
        np.savez(path, __meta__=np.frombuffer(json.dumps(meta).encode(), np.uint8))
        out = ds.emulated(0)  # recomputed, never decoded through the named callable
        assert isinstance(out, GradientCodes) and ds.cache_misses >= 1
        assert not planted.exists()
    assert ds.emulated(0).scales == (1,) and ds.cache_hits == 1  # its own entry is a hit
