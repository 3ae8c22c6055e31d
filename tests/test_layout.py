"""The package layout: stages import one way, and ``import analogfe`` is light."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"
PUBLIC = ("Sensor", "SensorConfig", "electrons_from_lux", "LogGradientFrontEnd", "DigitalFrontEnd",
          "GradientCodes", "FRONTENDS", "make_frontend", "emulate", "cost", "CostResult",
          "WakeUpClassifier", "SlidingWindowDetector", "train_detector", "__version__")
STAGES = ("scene", "sensor", "frontend", "features", "data", "learn", "system", "app")


def _lint(config=None):
    assert LINT.exists(), "import-linter (a test dependency) is not installed"
    args = [str(LINT), "--no-cache"] + (["--config", str(config)] if config else [])
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True)


def test_layers_contract_is_kept():
    res = _lint()
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 kept, 0 broken" in res.stdout


def test_layers_contract_can_fail(tmp_path):
    # the same layers upside down: every real import breaks it
    cfg = tmp_path / "reversed.toml"
    layers = ",\n".join(f'    "analogfe.{s}"' for s in ("scene", "sensor", "frontend", "features",
                                                        "system | analogfe.data", "learn", "app"))
    cfg.write_text('[tool.importlinter]\nroot_package = "analogfe"\n\n'
                   '[[tool.importlinter.contracts]]\nname = "reversed"\ntype = "layers"\n'
                   f"layers = [\n{layers}\n]\n")
    assert _lint(cfg).returncode != 0


def test_import_is_light_and_public_names_resolve():
    code = ("import sys, analogfe as afe\n"
            "heavy = [m for m in ('torch', 'sklearn', 'dask', 'distributed', 'matplotlib') "
            "if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            f"names = {PUBLIC + STAGES!r}\n"
            "missing = [n for n in names if not hasattr(afe, n)]\n"
            "assert not missing, missing\n"
            "assert set(names) <= set(dir(afe))\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_stage_subpackages_are_the_top_level():
    pkg = ROOT / "analogfe"
    subpackages = sorted(p.name for p in pkg.iterdir() if (p / "__init__.py").exists())
    assert subpackages == sorted(STAGES + ("_ext",))
    modules = sorted(p.name for p in pkg.glob("*.py"))
    assert modules == ["__init__.py", "_io.py", "_threads.py", "_validation.py", "_version.py"]
