"""The documentation builds with warnings as errors, and its tutorial runs.

A docstring that numpydoc or Sphinx cannot parse, a public name missing from
the API reference, a configuration key without a documented meaning, or a
broken cross-reference fails the build and so this test.
"""
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_docs_build_without_warnings(tmp_path):
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q",
           "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    took = time.perf_counter() - t0
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-6000:])
    html = tmp_path / "html"
    for page in ("index", "getting_started", "api", "configuration", "validation",
                 "auto_examples/index", "auto_examples/train_wakeup",
                 "generated/analogfe.sensor.Sensor", "generated/analogfe.learn.stats.wilson_interval"):
        assert (html / f"{page}.html").is_file(), page
    # every constant has its own description, never its type's docstring
    builtin = ("Built-in immutable sequence", "int([x]) -&gt; integer", "Convert a string or number",
               "str(object=", "dict() -&gt; new empty")
    for page in (html / "generated").glob("analogfe.*.html"):
        text = page.read_text(encoding="utf-8")
        assert not any(b in text for b in builtin), page.name
        if re.search(r"\.[A-Z][A-Z0-9_]+\.html$", page.name):  # a constant: its description
            dd = re.search(r"<dd>(.*?)</dd>", text, re.S)
            assert dd and re.sub(r"<[^>]+>", "", dd.group(1)).strip(), page.name
    # code blocks wrap instead of being cut off on the right
    assert "analogfe.css" in (html / "index.html").read_text(encoding="utf-8")
    assert "pre-wrap" in (html / "_static" / "analogfe.css").read_text(encoding="utf-8")
    config = (html / "configuration.html").read_text(encoding="utf-8")
    for key in ("hard_negative_rounds", "ae_max_gain", "full_well_e", "baselines"):
        assert key in config
    print(f"docs built in {took:.1f} s")


def test_getting_started_session_runs():
    """The Python session of the tutorial runs as written."""
    text = (DOCS / "getting_started.rst").read_text(encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", text)
    assert len(blocks) >= 5
    code = "\n".join("\n".join(line[3:] for line in b.splitlines()) for b in blocks)
    ns = {}
    exec(compile(code, "getting_started.rst", "exec"), ns)
    assert ns["codes"].scales == (1, 2, 4)
    assert ns["fe"].bits_per_frame(240, 320) == 399280
    assert ns["lg"].energy_pj < ns["base"].energy_pj
