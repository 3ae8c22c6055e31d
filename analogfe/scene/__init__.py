"""The scene: sRGB <-> linear light, unprocessing to camera raw, Bayer
mosaics, and loading images and camera raw files.

The first stage of the data flow; it imports nothing else of analogfe.
"""
from .camera import unprocess, unprocess_params
from .cfa import CFA_PATTERNS, cfa_index, demosaic, mosaic
from .color import linear_to_srgb, rgb_to_gray, srgb_to_linear
from .io import IMAGE_SUFFIXES, read_image, resize_image
from .load import SAMPLES, load_scene
from .raw import RAW_SUFFIXES, RawImage, load_raw, write_dng

__all__ = [
    "CFA_PATTERNS", "cfa_index", "mosaic", "demosaic",
    "srgb_to_linear", "linear_to_srgb", "rgb_to_gray",
    "IMAGE_SUFFIXES", "read_image", "resize_image",
    "SAMPLES", "load_scene",
    "RAW_SUFFIXES", "RawImage", "load_raw", "write_dng",
    "unprocess", "unprocess_params",
]
