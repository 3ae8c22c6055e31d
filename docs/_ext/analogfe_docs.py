"""Sphinx extension of the analogfe documentation.

* ``.. config-reference::`` writes the configuration reference from
  :data:`analogfe.app.config.SCHEMA` (every section and key, its default and
  the check its validator makes) and the fields of
  :class:`analogfe.sensor.SensorConfig`; units and meanings come from
  :data:`KEYS` below. A key of the schema without an entry here, or an entry
  for a key the schema does not have, fails the build.
* ``.. readme-table:: HEADING`` copies the pipe table under ``## HEADING`` of
  the README into the page, so the table has one source.
* Every name in a stage's ``__all__`` must appear in ``api.rst``.
* A constant is described by its ``#:`` comment, also where a stage
  re-exports it, never by the docstring of its type; one without a comment
  fails the build.
* The ``set_*_request`` methods that scikit-learn adds to every estimator are
  left out of the API pages (they are scikit-learn's, documented there).
"""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]

#: The stages whose ``__all__`` api.rst must list.
STAGES = ("scene", "sensor", "frontend", "frontend.torch", "features", "data", "system", "learn", "app")

#: Meaning and unit of every configuration key: section -> key -> (unit, meaning).
KEYS = {
    "dataset": {
        "name": ("", "A built-in dataset (``wakeup-scenes``: faces composited onto natural "
                 "photographs, with boxes; ``lfw``: the LFW face / non-face subset; ``textures``: fine, "
                 "low-contrast detail on generated surfaces) or the path of a "
                 "folder: a PASCAL VOC / PASCALRAW layout when it holds ``Annotations/``, a "
                 "pre-split image folder when it holds ``train/`` and ``test/`` (and optionally "
                 "``val/``), else one sub-folder of images per class."),
        "test_size": ("fraction", "Share of the images (of the scenes, for a dataset with boxes) "
                      "in the test split."),
        "max_images": ("images", "Use at most this many images; 0: every image."),
        "image_size": ("pixels", "``[]``: each image at its own size, or ``[height, width]`` to "
                       "resize every image."),
        "window": ("pixels", "Side of every classification image or crop; ``\"auto\"``: the "
                   "dataset's own (32 for the wake-up scenes, 64 for VOC)."),
        "n_scenes": ("scenes", "Wake-up scenes generated (``wakeup-scenes`` only)."),
        "tasks": ("", "The tasks ``analogfe compare`` runs while ``name`` is left at its default "
                  "(``--tasks``, ``--dataset`` or another ``name`` give one list or one task): "
                  "each is compared as ``name`` would be, and the report's verdict table says "
                  "on which tasks each conclusion holds."),
        "group_by": ("", "How a flat image folder is split: ``\"none\"``, image by image "
                     "(stratified); ``\"folder\"``, ``root/<class>/<group>/<image>`` with every "
                     "group (a source photograph, an identity) whole on one side."),
    },
    "scene": {
        "signal_e": ("electrons", "Mean photo-electrons of a scene value of 1.0 in one exposure; "
                     "``\"auto\"``: with auto-exposure the full well at the nominal exposure "
                     "(the auto-exposure then sets each frame's); with fixed exposure the "
                     "auto-exposure's operating point on the median training image (its mean at "
                     "``ae_target`` of saturation), so k > 0 over- and k < 0 under-exposes."),
        "brightness_exponents": ("", "The brightness sweep: the scene's linear light is scaled "
                                 "by 2**k for each k."),
        "exposure": ("", "``auto``: the emulated camera's auto-exposure "
                     "(:class:`analogfe.sensor.AutoExposure`); ``fixed``: one exposure for every "
                     "brightness. The models train in this mode; the sweep runs in both."),
        "ae_target": ("fraction of full scale", "Auto-exposure target: the metered mean is set to "
                      "this level (18 % grey, ISO 2720)."),
        "ae_max_gain": ("x", "Largest analog gain the auto-exposure uses after the longest "
                        "exposure (16x, as the AR0330)."),
        "retrain_per_exposure": ("", "Sweep each exposure mode with a model trained in that mode "
                                 "(the ``exposure`` model tested in the other mode is reported as "
                                 "a separate mismatch row); false: the ``exposure`` model in "
                                 "both."),
    },
    "frontends": {
        "names": ("", "Front ends compared: registered names "
                  "(:data:`analogfe.frontend.FRONTENDS`) or import paths ``module:Class``."),
        "hog_method": ("", "HOG variant applied to every front end's output "
                       "(:data:`analogfe.features.HOG_METHODS`)."),
        "cell_size": ("pixels", "HOG cell side; ``\"auto\"``: 5 on crops under 64 px (LFW), "
                      "else 8."),
        "scale": ("scale index", "Which readout scale's codes feed the HOG (0: full "
                  "resolution)."),
        "options": ("", "Keywords per front end, ``{name = {keyword = value}}``; ``seed`` and "
                    "``sensor_config`` are set by the run and refused here."),
        "threshold_sweep": ("ratio", "The 1.5-bit front end is also evaluated (SVM accuracy and "
                            "detector AP) with its +-1 decision at each of these ratio "
                            "thresholds, beside the formula's 2; ``[]`` for none."),
    },
    "svm": {
        "C": ("", "Regularisation of the linear SVM; ``\"auto\"``: chosen by 5-fold "
              "cross-validation over ``C_grid``."),
        "C_grid": ("", "Values of C the cross-validation tries."),
        "max_iter": ("iterations", "Iteration limit of the SVM solver."),
        "hard_negative_rounds": ("rounds", "Detector of a dataset with boxes: rounds of "
                                 "hard-negative mining on the training scenes (Dalal & Triggs); "
                                 "0: random negatives only."),
        "detector_C": ("", "C of the detector's window SVM."),
    },
    "resnet": {
        "enabled": ("", "Train and report the ResNet-10 on every front end."),
        "epochs": ("epochs", "Training epochs."),
        "batch_size": ("images", "Mini-batch size."),
        "lr": ("", "Learning rate."),
        "weight_decay": ("", "Weight decay (L2 penalty)."),
        "width": ("channels", "Channels of the first stage (doubled at each later stage)."),
        "patience": ("epochs", "Early stopping after this many epochs without improvement; "
                     "0: off."),
        "threads": ("threads", "Torch threads while training."),
        "seeds": ("", "The run's seeds the ResNet-10 trains on (the SVM and detector run on "
                  "every seed); ``[]``: every seed."),
    },
    "compare": {
        "seeds": ("", "Seeds of the main job: scenes, faces, split, sensor noise and "
                  "initialisation follow each; ``--seed`` runs one, ``--seeds`` a list."),
        "n_workers": ("processes", "Worker processes of the local Dask cluster that runs the "
                      "task x seed x front end grid, one thread each (1: in this process; "
                      "``--scheduler`` uses a running cluster); results do not depend on it."),
    },
    "cost": {
        "height": ("pixels", "Rows of the deployed sensor that is costed (QVGA by default)."),
        "width": ("pixels", "Columns of the deployed sensor."),
        "fps": ("frames/s", "Frame rate of the deployed sensor."),
        "baselines": ("", "Digital pipelines every ratio is taken against "
                      "(:data:`analogfe.system.BASELINES`); the first is the denominator of the "
                      "main ratios and gives the 8-bit front ends their ADC; each one gets an "
                      "energy column."),
        "options": ("", "Overrides of :class:`analogfe.system.CostParams` fields (the cost "
                    "constants), checked when the configuration is read."),
    },
    "sweep": {
        "grid": ("", "The design-space grid, ``{keyword = [values]}``: keywords of the base "
                 "front end's constructor, plus ``resolution``; every combination is one task."),
        "base_frontend": ("", "The front end every grid point starts from (name or import "
                          "path)."),
        "model": ("", "Classifier trained at each point: ``svm`` or ``resnet10``."),
        "n_workers": ("workers", "Dask workers of the local cluster."),
        "threads_per_worker": ("threads", "Threads of each Dask worker."),
        "processes": ("", "Workers as separate processes (``true``) or threads (``false``)."),
    },
    "budget": {
        "frontends": ("", "Front ends the budget search may use (its ``frontend`` move); the "
                      "first feeds the initial network."),
        "budgets": ("", "Largest allowed value per resource: ``energy_uj`` (whole system, "
                    "uJ/frame), ``network_uj``, ``macs``, ``weight_bits``, ``activation_bits``, "
                    "``offchip_bits``, ``latency_ms`` (per-layer look-up table, measured on this machine) "
                    "(:mod:`analogfe.learn.budget.resources`)."),
        "relative": ("", "``true``: the budgets are fractions of the initial network's resources "
                     "(NetAdapt's budget ratio, 0.25)."),
        "initial_reduction": ("fraction", "Resource reduction asked of the first step, a "
                              "fraction of the initial resource (NetAdapt: 0.025)."),
        "decay": ("", "Factor on the reduction per step (NetAdapt: 0.96)."),
        "max_steps": ("steps", "Most steps of the search."),
        "short_term_iters": ("batches", "Short-term fine-tuning of each proposal."),
        "long_term_epochs": ("epochs", "Long-term fine-tuning of each member; 0: none."),
        "moves": ("", "Moves of the search: ``prune`` (channels), ``bits`` (8 to 4 bits per "
                  "layer group), ``frontend`` (switch the front end)."),
        "channel_step": ("channels", "Channels are pruned in multiples of this."),
        "min_channels": ("channels", "Fewest channels a channel group keeps."),
        "low_bits": ("bits", "Width a ``bits`` move drops the 8-bit layers of a group to."),
        "val_fraction": ("fraction", "Part of the training images held out to score the "
                         "proposals."),
        "weight_buffer_kib": ("KiB", "On-chip weight buffer of the dataflow model "
                              "(:mod:`analogfe.system.dataflow`)."),
        "activation_buffer_kib": ("KiB", "On-chip activation buffer of the dataflow model."),
        "latency_threads": ("threads", "torch threads of the latency measurements."),
        "latency_repeats": ("runs", "Timed runs per latency measurement; the median is kept."),
        "throughput_batch": ("images", "Batch size of the throughput measurement."),
        "within_points": ("points", "The chosen network is the smallest member whose test "
                          "accuracy is within this many points of the initial network's."),
    },
}


# --------------------------------------------------------------------------- validators
def _number(x):
    return f"{x:g}" if isinstance(x, float) else str(x)


def _describe_check(fn):
    """What a SCHEMA validator accepts, read from the validator itself."""
    qual = getattr(fn, "__qualname__", "")
    free = inspect.getclosurevars(fn).nonlocals if fn.__closure__ else {}
    outer = qual.split(".<locals>")[0]
    if outer in ("_int", "_float"):
        kind = "integer" if outer == "_int" else "number"
        low, high = free.get("low"), free.get("high")
        lo_op = "<" if free.get("low_open") else "<="
        if low is not None and high is not None:
            return f"{kind}, {_number(low)} {lo_op} x <= {_number(high)}"
        if low is not None:
            return f"{kind}, x {'>' if lo_op == '<' else '>='} {_number(low)}"
        return kind
    if outer == "_choice":
        return "one of " + ", ".join(f"``{c}``" for c in free["choices"])
    if outer == "_list_of":
        return f"list of at least {free['min_len']}: " + _describe_check(free["item"])
    if outer == "_auto_or":
        return "``\"auto\"`` or " + _describe_check(free["check"])
    named = {
        "_str": "non-empty string",
        "_bool": "``true`` or ``false``",
        "_size": "``[]`` or ``[height, width]``, each an integer, 8 <= x <= 4096",
        "_table": "table",
        "_frontend_name": "a registered front end or ``module:Class``",
        "_frontend_options": "table of tables, keyed by registered front end or ``module:Class``",
        "_cost_options": "table of :class:`~analogfe.system.CostParams` fields, checked by it",
        "_baselines": "list of distinct names of :data:`~analogfe.system.BASELINES`",
        "_budgets": "table of resource names to positive numbers",
        "_moves": "list of ``prune``, ``bits``, ``frontend``",
    }
    if qual in named:
        return named[qual]
    raise ExtensionError(f"config-reference: no description of the validator {qual!r}; "
                         "add one to docs/_ext/analogfe_docs.py")


def _literal(value):
    if isinstance(value, str):
        return f'``"{value}"``'
    if isinstance(value, bool):
        return f"``{str(value).lower()}``"
    if isinstance(value, (list, tuple)):
        return "``[" + ", ".join(_literal(v).strip("`") for v in value) + "]``"
    if isinstance(value, dict) and not value:
        return "``{}``"
    if isinstance(value, float):
        return f"``{value:g}``"
    return f"``{value}``"


def _table(header, rows, widths):
    out = [".. list-table::", "   :header-rows: 1", f"   :widths: {' '.join(map(str, widths))}", ""]
    for row in [header, *rows]:
        for i, cell in enumerate(row):
            out.append(("   * - " if i == 0 else "     - ") + (cell or ""))
    out.append("")
    return out


def config_reference_lines():
    """The reStructuredText of the configuration reference."""
    from numpydoc.docscrape import NumpyDocString

    from analogfe.app.config import SCHEMA
    from analogfe.sensor import SensorConfig

    missing = [f"{s}.{k}" for s, keys in SCHEMA.items() for k in keys if k not in KEYS.get(s, {})]
    extra = [f"{s}.{k}" for s, keys in KEYS.items() for k in keys if k not in SCHEMA.get(s, {})]
    if missing or extra:
        raise ExtensionError(f"config-reference: keys without a meaning: {missing}; "
                             f"meanings of keys that do not exist: {extra}")
    lines = []
    for section, keys in SCHEMA.items():
        lines += [f"``[{section}]``", "-" * (len(section) + 6), ""]
        rows = []
        for key, (default, check) in keys.items():
            unit, meaning = KEYS[section][key]
            rows.append([f"``{key}``", _literal(default), unit, _describe_check(check), meaning])
        lines += _table(["key", "default", "unit", "accepted values", "meaning"], rows,
                        (14, 14, 10, 24, 38))
    docs = {p.name: " ".join(p.desc) for p in NumpyDocString(inspect.getdoc(SensorConfig))["Parameters"]}
    lines += ["``[sensor]``", "------------", "",
              "The fields of :class:`analogfe.sensor.SensorConfig`, checked by it "
              "(``cfa = \"none\"`` is a monochrome sensor: TOML has no null).", ""]
    rows = []
    for field in dataclasses.fields(SensorConfig):
        desc = next((d for names, d in docs.items()
                     if field.name in [n.strip() for n in names.split(",")]), None)
        if desc is None:
            raise ExtensionError(f"config-reference: SensorConfig.{field.name} is not in its "
                                 "docstring's Parameters")
        default = "none" if field.default is None else field.default
        rows.append([f"``{field.name}``", _literal(default), desc])
    lines += _table(["key", "default", "meaning"], rows, (20, 12, 68))
    return lines


class _RstDirective(Directive):
    def _parse(self, lines, source):
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source=source), node)
        return node.children


class ConfigReference(_RstDirective):
    """``.. config-reference::``: the tables of every configuration section."""

    def run(self):
        return self._parse(config_reference_lines(), "analogfe.app.config.SCHEMA")


# --------------------------------------------------------------------------- README tables
_CODE = re.compile(r"`([^`]+)`")


def readme_table_lines(heading, readme=ROOT / "README.md"):
    """The first pipe table under ``## heading`` in the README, as a list-table."""
    text = readme.read_text(encoding="utf-8")
    m = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if m is None:
        raise ExtensionError(f"readme-table: no section '## {heading}' in {readme.name}")
    rows = [ln for ln in m.group(1).splitlines() if ln.startswith("|")]
    if len(rows) < 3:
        raise ExtensionError(f"readme-table: no table under '## {heading}'")
    cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
    header, body = cells[0], cells[2:]
    conv = [[_CODE.sub(r"``\1``", c) for c in row] for row in [header, *body]]
    return _table(conv[0], conv[1:], tuple(100 // len(header) for _ in header))


class ReadmeTable(_RstDirective):
    """``.. readme-table:: HEADING``: the table of a README section."""

    required_arguments = 1
    final_argument_whitespace = True
    option_spec = {"class": directives.class_option}

    def run(self):
        env = self.state.document.settings.env
        env.note_dependency(str(ROOT / "README.md"))
        return self._parse(readme_table_lines(self.arguments[0]), "README.md")


# --------------------------------------------------------------------------- checks
def check_api_lists_every_name(app):
    """Fail the build when a stage's public name is missing from api.rst."""
    text = (Path(app.srcdir) / "api.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^   ([\w.]+)$", text, re.M))
    for stage in STAGES:
        mod = importlib.import_module(f"analogfe.{stage}")
        for name in mod.__all__:
            if name not in listed and f"{stage.split('.')[-1]}.{name}" not in listed:
                logger.warning("api.rst does not list analogfe.%s.%s", stage, name,
                               type="analogfe", subtype="api")


def _comment_docs(fullname):
    """The ``#:`` comment above a module-level name, in the module that defines
    it: the module named, or (a stage re-exports its submodules' names) one of
    its submodules."""
    from sphinx.pycode import ModuleAnalyzer

    modname, _, attr = fullname.rpartition(".")
    try:
        mod = importlib.import_module(modname)
    except ImportError:
        return None
    names = [modname]
    path = Path(getattr(mod, "__file__", "") or "")
    if path.name == "__init__.py":
        names += [f"{modname}.{p.stem}" for p in sorted(path.parent.glob("*.py"))
                  if p.stem != "__init__"]
    for m in names:
        try:
            docs = ModuleAnalyzer.for_module(m).find_attr_docs()
        except Exception:  # noqa: BLE001 - a module Sphinx cannot analyse holds no comment
            continue
        if ("", attr) in docs and "".join(docs[("", attr)]).strip():
            return list(docs[("", attr)])
    return None


def document_constants(app, what, name, obj, options, lines):
    """A constant gets its ``#:`` comment, never the docstring of its type
    ("Built-in immutable sequence.", "int([x]) -> integer") or nothing; a
    public constant without a ``#:`` comment fails the build."""
    if what not in ("data", "attribute") or callable(obj) or isinstance(obj, type):
        return
    text = "\n".join(lines).strip()
    builtin = inspect.cleandoc(type(obj).__doc__ or "")
    if text and text != builtin and not (builtin and builtin.startswith(text)):
        return
    comment = _comment_docs(name)
    if comment is None:
        if what == "data":
            logger.warning("%s has no description: add a '#:' comment above its definition",
                           name, type="analogfe", subtype="constant")
        return
    lines[:] = [*comment, ""] if comment[-1].strip() else comment


def skip_sklearn_request_methods(app, what, name, obj, skip, options):
    if re.fullmatch(r"set_\w+_request", name):
        return True
    return None


def setup(app):
    app.add_directive("config-reference", ConfigReference)
    app.add_directive("readme-table", ReadmeTable)
    app.connect("builder-inited", check_api_lists_every_name)
    app.connect("autodoc-skip-member", skip_sklearn_request_methods)
    # before numpydoc (priority 500), which renders the lines it is given
    app.connect("autodoc-process-docstring", document_constants, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
