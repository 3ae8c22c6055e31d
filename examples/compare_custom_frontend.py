"""Compare a custom log-gradient front end against the RGB baseline
================================================================

Usage::

    .venv/bin/python examples/compare_custom_frontend.py
    .venv/bin/python examples/compare_custom_frontend.py --tiny

The custom front end: 1.5-bit codes at two scales, read with explicit ratio
thresholds (1.5:1 instead of the formula's 2:1) and with converter
non-idealities on (a fixed comparator offset per column and temporal
comparator noise, in nepers). Both are trained as wake-up classifiers on the
same LFW split and costed by the system model on a QVGA sensor at 1 frame/s;
the ratios are against the named baseline ``survey-adc``
(:data:`analogfe.system.BASELINES`), as ``analogfe compare`` reports them,
and the bits are those that cross the link in the energy model.
"""
import argparse

from analogfe import system
from analogfe.app.report import text_table
from analogfe.data import load_lfw
from analogfe.frontend import LogGradientFrontEnd, make_frontend
from analogfe.learn import WakeUpClassifier
from analogfe.sensor import SensorConfig


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threshold", type=float, default=1.5, help="ratio threshold of the +-1 codes")
    p.add_argument("--offset", type=float, default=0.05, help="comparator offset std (nepers)")
    p.add_argument("--noise", type=float, default=0.02, help="comparator noise std (nepers)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tiny", action="store_true", help="60 images")
    a = p.parse_args(argv)
    custom = LogGradientFrontEnd(scales=(1, 2), thresholds=(a.threshold,),
                                 comparator_offset_ln=a.offset, comparator_noise_ln=a.noise, seed=a.seed)
    split = load_lfw(seed=a.seed)
    X_tr, y_tr, X_te, y_te = split.X_train, split.y_train, split.X_test, split.y_test
    if a.tiny:
        X_tr, y_tr, X_te, y_te = X_tr[:45], y_tr[:45], X_te[:15], y_te[:15]
    qvga = SensorConfig(height=240, width=320, cfa="RGGB")
    rows = []
    for label, fe, cost_fe in (("rgb8 (baseline)", "rgb8", make_frontend("rgb8", sensor_config=qvga)),
                               (f"custom {custom.name}", custom, custom)):
        clf = WakeUpClassifier(frontend=fe, C=0.01, cell_size=5, seed=a.seed).fit(X_tr, y_tr)
        c = system.cost(cost_fe, 240, 320, 1.0)
        rows.append({"front end": label, "accuracy": clf.score(X_te, y_te),
                     "link bits/frame": int(c.link_bits),
                     "uJ/frame": c.energy_pj * 1e-6, "memory KiB": c.memory_bits / 8192})
    base = system.get_baseline("survey-adc").cost(240, 320, 1.0)
    for r in rows:
        r["energy vs baseline"] = r["uJ/frame"] / (base.energy_pj * 1e-6)
        r["link saving x"] = base.link_bits / r["link bits/frame"]
    print(text_table(rows))
    print(f"baseline survey-adc: {base.energy_pj * 1e-6:.2f} uJ/frame, {int(base.link_bits)} link "
          f"bits/frame (rgb8, 10-bit raw over the link, ISP on the SoC)")


if __name__ == "__main__":
    main()
