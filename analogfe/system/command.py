"""The ``analogfe cost`` command: its configuration file and the text it prints.

The file has the layout every analogfe command reads (a ``[cost]`` section,
the constants in ``[cost.options]``); the text is a preset's table
(:func:`analogfe.system.model.cost_preset`) and its ratios to every baseline of
:data:`analogfe.system.baseline.BASELINES`. This module sits above both
(``model`` costs, ``baseline`` names the pipelines a ratio is taken against),
so neither imports the other's users.
"""
from __future__ import annotations

import tomllib

from .._validation import check_choice, check_float, check_keys
from ..frontend.registry import frontend_spec
from .baseline import BASELINES
from .model import PRESETS, SCENARIO_KEYS, cost_preset
from .params import CostParams
from .result import compare_costs

__all__ = ["COST_SECTION_KEYS", "load_cost_config", "cost_cli"]


#: The keys of a configuration file's ``[cost]`` section (the layout ``compare``
#: reads too); ``[cost.options]`` holds :class:`CostParams` fields.
COST_SECTION_KEYS = ("height", "width", "fps", "baselines", "options")


def load_cost_config(path):
    """Read the ``[cost]`` section of a TOML configuration as :func:`cost_preset` overrides.

    The layout is the one every analogfe command reads: ``[cost]`` with
    ``height``, ``width``, ``fps`` and ``baselines`` (names of
    :data:`analogfe.system.baseline.BASELINES`), and ``[cost.options]`` with
    :class:`CostParams` fields (every one but ``cnn``). Other sections of the
    file (``[dataset]``, ``[frontends]``, ...) belong to other commands and
    are left alone, so one file serves ``compare`` and ``cost``. Arrays
    become tuples.

    Returns
    -------
    overrides : dict
        ``height``, ``width``, ``fps`` and the options, flat, as given;
        ``baselines`` as a tuple when given.

    Raises
    ------
    ValueError
        Invalid TOML, no ``[cost]`` section, or an unknown key (the message
        lists the valid ones).
    """
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config {str(path)!r} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ValueError(f"config {str(path)!r} nests its tables or arrays too deeply") from None
    flat = [k for k, v in data.items() if not isinstance(v, dict)]
    if flat or "cost" not in data:
        what = f"key {flat[0]!r} outside any section" if flat else "no [cost] section"
        raise ValueError(f"config {str(path)!r}: {what}; cost settings go in a [cost] section "
                         "(height, width, fps, baselines) with the constants in [cost.options], "
                         "the layout of 'analogfe config --defaults'")
    section = data["cost"]
    check_keys(section, COST_SECTION_KEYS, "cost config key", prefix="cost.")
    options = section.get("options", {})
    if not isinstance(options, dict):
        raise ValueError(f"cost.options must be a table of CostParams fields, got {options!r}")
    check_keys(options, tuple(k for k in CostParams.keys() if k != "cnn"), "cost config key",
               prefix="cost.options.")
    out = {k: v for k, v in section.items() if k != "options"}
    out.update(options)
    if "baselines" in out:
        names = out["baselines"]
        if not isinstance(names, list) or not names:
            raise ValueError(f"cost.baselines must be a non-empty list of names, got {names!r}")
        for n in names:
            check_choice(n, "cost.baselines", tuple(BASELINES))
    return {k: tuple(v) if isinstance(v, list) else v for k, v in out.items()}


def cost_cli(preset, config=None, fps=None, frontend=None):
    """The text that ``analogfe cost --preset NAME [--config FILE] [--fps N]``
    prints: the preset's table, with the file's overrides and the frame rate
    applied (``frontend``: another front end in the preset's scenario, by
    name, import path ``package.module:Class`` or entry-point name),
    followed by its ratios to every baseline of
    :data:`analogfe.system.baseline.BASELINES`, each costed at the preset's
    own frame size, frame rate and constants (so every row of a ratio
    table is at one resolution).

    Raises
    ------
    ValueError
        Unknown preset or config key (the message lists the valid ones), or
        a value of the wrong type or range (the message names the key).
    """
    check_choice(preset, "preset", tuple(PRESETS))
    overrides = load_cost_config(config) if config is not None else {}
    baselines = overrides.pop("baselines", tuple(BASELINES))
    try:
        if frontend is not None:  # another front end (a name, import path or entry point)
            frontend_spec(frontend, "frontend")
            overrides["frontend"] = frontend
        if fps is not None:
            overrides["fps"] = check_float(fps, "fps", low=0.0, low_open=True)
        result = cost_preset(preset, **overrides)
    except TypeError as exc:  # a wrongly typed value in the file: a usage error too
        raise ValueError(str(exc)) from None
    text = result.table()
    params = {k: v for k, v in overrides.items() if k not in SCENARIO_KEYS}
    # the baselines search the scales the preset's front end searches
    scales = getattr(result, "params", {}).get("pyramid_scales")
    if result.frontend.startswith("lg"):
        scales = {**PRESETS[preset], **overrides}.get("scales", (1, 2, 4))
    params.setdefault("pyramid_scales", tuple(scales))
    for b in (BASELINES[n] for n in baselines):
        # The same frame, rate and constants: only what defines the baseline differs.
        base = b.cost(result.height, result.width, result.fps, result.backend, **params)
        text += (f"\n\nagainst baseline {b.name} ({b.label}: {b.frontend}, {b.adc_bits}-bit raw "
                 f"over the link, ISP on the {b.isp_location}, ADC FoM {b.adc_fom_fj:g} fJ/step) "
                 f"at the same {result.width}x{result.height}, {result.fps:g} frame/s\n"
                 + compare_costs([base, result], baseline=b.name))
    return text
