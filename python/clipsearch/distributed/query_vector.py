"""The query arithmetic of the local search (src/search/query_vector.cpp,
query_vector_combine), in numpy, so a query against Milvus is the vector the local Library
would scan with:

    T = normalized mean of the texts, I = of the pictures and examples,
    q = normalize((1 - image_weight) * T + image_weight * I)   (or whichever there is),
    q = normalize(q - negative_weight * N)                     (N: of the negative texts).

float32 values as there, with the sums of squares in float64."""
from typing import Optional

import numpy as np

from ..errors import QueryError


def _is_unit(x: np.ndarray) -> bool:
    return abs(float(np.dot(x.astype(np.float64), x.astype(np.float64))) - 1) <= 1e-6


def normalize(x: np.ndarray) -> np.ndarray:
    total = float(np.dot(x.astype(np.float64), x.astype(np.float64)))
    if not (total > 0) or not np.isfinite(total):
        raise QueryError("query: the combined query vector is zero (its parts cancel out)",
                         "invalid argument")
    return (x * np.float32(1.0 / np.sqrt(total))).astype(np.float32)


def normalized_mean(parts: np.ndarray) -> Optional[np.ndarray]:
    """[n, dim] rows -> their normalized mean; one unit row is returned as it is (as the C++
    does: renormalizing would move its last bits)."""
    if len(parts) == 0:
        return None
    if len(parts) == 1 and _is_unit(parts[0]):
        return parts[0].astype(np.float32)
    mean = np.zeros(parts.shape[1], np.float32)
    for row in parts:
        mean += row.astype(np.float32)
    return normalize(mean)


def combine(texts: np.ndarray, images: np.ndarray, negatives: np.ndarray,
            image_weight: float, negative_weight: float) -> np.ndarray:
    if len(texts) == 0 and len(images) == 0:
        raise QueryError("query: nothing to search for (give a text, an image or an image to "
                         "find more like)", "invalid argument")
    if not 0 <= image_weight <= 1:
        raise QueryError(f"query: the image weight must be between 0 and 1, got {image_weight}",
                         "invalid argument")
    if not (negative_weight >= 0 and np.isfinite(negative_weight)):
        raise QueryError(f"query: the negative weight must be >= 0, got {negative_weight}",
                         "invalid argument")
    t, im = normalized_mean(texts), normalized_mean(images)
    if t is None:
        q = im
    elif im is None:
        q = t
    else:
        w = np.float32(image_weight)
        q = normalize((np.float32(1) - w) * t + w * im)
    n = normalized_mean(negatives)
    if n is not None and negative_weight > 0:
        q = normalize(q - np.float32(negative_weight) * n)
    return q
