"""Metrics. Image metrics work on (N, D) feature arrays (numpy or torch) and return plain floats:

    gankit.metrics.fid(a, b)                       Fréchet distance between Gaussian fits
    gankit.metrics.kid(a, b)                       (mean, std) of the unbiased polynomial-kernel MMD^2
    gankit.metrics.precision_recall(a, b, k=3)     {"precision", "recall"}
    gankit.metrics.density_coverage(a, b, k=5)     {"density", "coverage"}
Toy metrics (modes, high-quality %, MMD, sliced Wasserstein, ...) are in gankit.metrics.toy.
"""
from gankit.metrics.frechet import feature_stats, fid, frechet_distance
from gankit.metrics.inception_score import inception_score
from gankit.metrics.kid import kid
from gankit.metrics.memorisation import memorisation_summary, nearest_neighbours
from gankit.metrics.prdc import density_coverage, prdc, precision_recall

__all__ = ["density_coverage", "feature_stats", "fid", "frechet_distance", "inception_score", "kid",
           "memorisation_summary", "nearest_neighbours", "prdc", "precision_recall"]
