"""Features of what the front end sends out: HOG from codes or gradients
(:mod:`.hog`), the released log-HOG detector's features (:mod:`.dpm`), HOG
and gradients of images (:mod:`.image`), window features and pyramids
(:mod:`.pyramid`), and the size of a HOG descriptor (:mod:`.bits`)."""
from .bits import (
    PUBLISHED_HOG_COMPRESSION,
    bin_word_bits,
    code_bits,
    hog_compression,
    hog_descriptor_bits,
    published_bin_bits,
    reachable_bins,
)
from .dpm import DPM_FEATURES, dpm_log_codes, dpm_log_hog
from .histograms import BLOCK_NORMS, HOG_METHODS, HogMethod, hog, hog_lut
from .image import centred_gradients, frontend_features, image_gradients, image_hog
from .pyramid import PyramidLevel, feature_pyramid, gaussian_levels, window_features

__all__ = [
    "HOG_METHODS", "HogMethod", "BLOCK_NORMS", "hog_lut", "hog",
    "dpm_log_hog", "dpm_log_codes", "DPM_FEATURES",
    "image_hog", "image_gradients", "centred_gradients", "frontend_features",
    "window_features", "gaussian_levels", "PyramidLevel", "feature_pyramid",
    "reachable_bins", "code_bits", "bin_word_bits", "hog_descriptor_bits", "hog_compression",
    "PUBLISHED_HOG_COMPRESSION", "published_bin_bits",
]
