"""Simulate a raw file through the sensor and both kinds of front end
==================================================================

Usage::

    .venv/bin/python examples/simulate_raw.py photo.dng -o sim-out
    .venv/bin/python examples/simulate_raw.py --tiny -o sim-out     # no file: writes a small DNG first

Without a path, a DNG is made from scikit-image's astronaut: unprocessed to a
12-bit RGGB mosaic (the inverse of a camera ISP), written with pidng, then read
back through rawpy like any camera file. Every stage (scene, electrons, DN,
8-bit RGB and gray, log-gradient codes per scale, HOG glyphs) is saved as .npz
and PNG, and the bits each front end sends off chip are printed.
"""
import argparse
from pathlib import Path

import numpy as np

from analogfe import scene as isp
from analogfe.app.config import load_config
from analogfe.app.report import text_table
from analogfe.app.simulate import simulate
from analogfe.scene.raw import write_dng


def make_dng(path, side):
    """A 12-bit RGGB DNG of the astronaut, ``side`` pixels on a side."""
    import skimage.data
    from skimage.transform import resize

    img = resize(skimage.data.astronaut(), (side, side), anti_aliasing=True)
    raw = isp.unprocess((img * 255).round().astype(np.uint8), cfa="RGGB")
    dn = np.round(raw * 4095).astype(np.uint16)
    return write_dng(path, dn, cfa="RGGB", bits=12)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("raw", nargs="?", help="a raw file (DNG, NEF, ...); default: write one")
    p.add_argument("-o", "--output", default="simulate-raw-out")
    p.add_argument("--tiny", action="store_true", help="a 64-pixel input (for the tests)")
    a = p.parse_args(argv)
    out = Path(a.output)
    out.mkdir(parents=True, exist_ok=True)
    path = a.raw or make_dng(out / "astronaut.dng", 64 if a.tiny else 256)
    res = simulate(path, load_config(None), out / "stages", max_side=64 if a.tiny else 1024,
                   progress=not a.tiny)
    print(f"{res['source']}: {res['height']}x{res['width']} raw, CFA {res['cfa']}")
    print(f"link bits on this frame; saving x: the {res['baseline']} baseline's link bits "
          "(its raw mosaic) over each front end's")
    print(text_table(res["bits"], [("frontend", "front end"), ("bits_per_frame", "bits/frame"),
                                   ("link_saving", "saving x", ".2f")]))
    print(f"{len(res['files'])} files in {out / 'stages'}")


if __name__ == "__main__":
    main()
