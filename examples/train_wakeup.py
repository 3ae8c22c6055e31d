"""Train the wake-up classifier (front end + HOG + linear SVM) on emulated features
================================================================================

Usage::

    .venv/bin/python examples/train_wakeup.py              # LFW faces vs non-faces, every front end
    .venv/bin/python examples/train_wakeup.py --tiny

For each front end the same images go through the same emulated sensor; the
8-bit front ends and the log-gradient codes are compared through the same HOG.
"""
import argparse

from analogfe.app.report import text_table
from analogfe.data import load_lfw
from analogfe.learn import WakeUpClassifier


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frontends", nargs="+", default=["rgb8", "gray8", "lg1.5", "lg2.75"])
    p.add_argument("--C", type=float, default=0.01, help="SVM regularisation")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tiny", action="store_true", help="60 images, two front ends")
    a = p.parse_args(argv)
    split = load_lfw(seed=a.seed, test_size=0.25)
    X_tr, y_tr, X_te, y_te = split.X_train, split.y_train, split.X_test, split.y_test
    names = a.frontends
    if a.tiny:
        X_tr, y_tr, X_te, y_te, names = X_tr[:45], y_tr[:45], X_te[:15], y_te[:15], names[::2]
    rows = []
    for name in names:
        clf = WakeUpClassifier(frontend=name, C=a.C, cell_size=5, seed=a.seed).fit(X_tr, y_tr)
        m = clf.evaluate(X_te, y_te)
        rows.append({"frontend": name, "accuracy": m["accuracy"], "roc_auc": m["roc_auc"],
                     "hog_features": clf.n_hog_features_})
    print(text_table(rows))


if __name__ == "__main__":
    main()
