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


def _import_graph(root):
    """Module -> the package's modules it imports, anywhere in its body (imports
    inside functions count: a circle through a deferred import is still a circle)."""
    import ast

    mods = {".".join(p.relative_to(root.parent).with_suffix("").parts): p
            for p in root.rglob("*.py") if p.name != "__init__.py"}
    graph = {}
    for mod, path in mods.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = mod.split(".")[:-node.level] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                deps.update(f"{target}.{a.name}" if f"{target}.{a.name}" in mods else target
                            for a in node.names)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        graph[mod] = {d for d in deps if d in mods and d != mod}
    return graph


def _circles(graph):
    """The strongly connected components of more than one module."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_itself_through_others(tmp_path):
    assert _circles(_import_graph(ROOT / "analogfe")) == []
    # the check finds a circle through an import inside a function
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import f\n")
    (pkg / "b.py").write_text("def f():\n    from . import a\n")
    (pkg / "c.py").write_text("from . import a\n")
    assert _circles(_import_graph(pkg)) == [["pkg.a", "pkg.b"]]


def test_no_module_over_700_lines_that_this_layout_owns():
    """Modules stay within one screen of purpose."""
    long = [str(p.relative_to(ROOT)) for p in (ROOT / "analogfe").rglob("*.py")
            if len(p.read_text(encoding="utf-8").splitlines()) > 700]
    assert long == []
