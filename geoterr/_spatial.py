"""Point-pair search shared by the cost models and the kernel smoother."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def pairs_within(src: np.ndarray, dst: np.ndarray, radius: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (source, target) pair closer than ``radius`` (metric coordinates, (n, 2)
    arrays): (source positions, target positions, distances), each pair once. Co-located
    pairs (distance 0) are included, which ``sparse_distance_matrix`` may leave out."""
    a, b = cKDTree(src), cKDTree(dst)
    m = a.sparse_distance_matrix(b, radius, output_type="coo_matrix")
    same = a.query_ball_tree(b, 1e-6)
    extra_r = np.repeat(np.arange(len(src)), [len(x) for x in same])
    extra_c = np.fromiter((j for x in same for j in x), dtype=np.int64, count=len(extra_r))
    rows = np.r_[m.row, extra_r].astype(np.int64)
    cols = np.r_[m.col, extra_c].astype(np.int64)
    dist = np.r_[m.data, np.zeros(len(extra_r))]
    _, first = np.unique(rows * max(len(dst), 1) + cols, return_index=True)
    return rows[first], cols[first], dist[first]
