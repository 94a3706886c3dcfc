"""Compiled reference loops: the floors the numpy kernels are measured against (benchmark-only).

Each floor is a loop of a few lines of C, compiled when the benchmark runs with the system C compiler
(``cc``, plain ``-O2``: IEEE arithmetic, no fused multiply-add, so it computes the same numbers as
the library) and called through :mod:`ctypes`. Nothing here is part of ``anchorlib``: the library
stays pure numpy; these loops only say how fast the same arithmetic can go on this machine.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

# The IoU of one (box, anchor) pair exactly as anchorlib.boxes computes it: intersection width and
# height clipped at 0, union = area_box + area_anchor - intersection, 0 where the union is 0.
SOURCE = r"""
#include <stddef.h>
#include <stdint.h>

static inline double pair_iou(const double *b, double area_b, const double *a, double area_a) {
    double w = (a[2] < b[2] ? a[2] : b[2]) - (a[0] > b[0] ? a[0] : b[0]);
    double h = (a[3] < b[3] ? a[3] : b[3]) - (a[1] > b[1] ? a[1] : b[1]);
    if (w < 0) w = 0;
    if (h < 0) h = 0;
    double inter = w * h, uni = area_b + area_a - inter;
    return uni > 0 ? inter / uni : 0.0;
}

/* best[i] = max over every anchor j of iou(boxes[i], anchors[j]): all n * m pairs. */
void best_iou_all(const double *boxes, size_t n, const double *anchors, const double *areas,
                  size_t m, double *best) {
    for (size_t i = 0; i < n; i++) {
        const double *b = boxes + 4 * i;
        double area_b = (b[2] - b[0]) * (b[3] - b[1]), top = 0.0;
        for (size_t j = 0; j < m; j++) {
            double v = pair_iou(b, area_b, anchors + 4 * j, areas[j]);
            if (v > top) top = v;
        }
        best[i] = top;
    }
}

/* The same over given pairs only: block k is the boxes rows[row_ptr[k]:row_ptr[k+1]] against the
   anchors cols[col_ptr[k]:col_ptr[k+1]] (the candidates a pruning kept). */
void best_iou_pairs(const double *boxes, const double *anchors, const double *areas,
                    size_t blocks, const int64_t *row_ptr, const int64_t *rows,
                    const int64_t *col_ptr, const int64_t *cols, double *best) {
    for (size_t k = 0; k < blocks; k++) {
        for (int64_t r = row_ptr[k]; r < row_ptr[k + 1]; r++) {
            const double *b = boxes + 4 * rows[r];
            double area_b = (b[2] - b[0]) * (b[3] - b[1]), top = best[rows[r]];
            for (int64_t c = col_ptr[k]; c < col_ptr[k + 1]; c++) {
                double v = pair_iou(b, area_b, anchors + 4 * cols[c], areas[cols[c]]);
                if (v > top) top = v;
            }
            best[rows[r]] = top;
        }
    }
}
"""

_DOUBLES = np.ctypeslib.ndpointer(np.float64, flags="C_CONTIGUOUS")
_INTS = np.ctypeslib.ndpointer(np.int64, flags="C_CONTIGUOUS")


def compiler() -> str | None:
    """The system C compiler, or None (then the floors are skipped)."""
    return shutil.which("cc") or shutil.which("gcc")


@lru_cache(maxsize=1)
def _library() -> ctypes.CDLL:
    cc = compiler()
    if cc is None:
        raise RuntimeError("no C compiler (cc or gcc) on PATH: the compiled floors cannot be measured")
    folder = Path(tempfile.mkdtemp(prefix="anchorlib-floors-"))
    source, shared = folder / "floors.c", folder / "floors.so"
    source.write_text(SOURCE)
    subprocess.run([cc, "-O2", "-ffp-contract=off", "-fPIC", "-shared", str(source), "-o", str(shared)],
                   check=True)
    library = ctypes.CDLL(str(shared))
    library.best_iou_all.argtypes = [_DOUBLES, ctypes.c_size_t, _DOUBLES, _DOUBLES, ctypes.c_size_t, _DOUBLES]
    library.best_iou_pairs.argtypes = [_DOUBLES, _DOUBLES, _DOUBLES, ctypes.c_size_t,
                                       _INTS, _INTS, _INTS, _INTS, _DOUBLES]
    for function in (library.best_iou_all, library.best_iou_pairs):
        function.restype = None
    return library


def compiler_version() -> str:
    cc = compiler()
    if cc is None:
        return ""
    return subprocess.run([cc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]


def _areas(anchors: np.ndarray) -> np.ndarray:
    return (anchors[:, 2] - anchors[:, 0]) * (anchors[:, 3] - anchors[:, 1])


def best_iou_all_pairs(boxes: np.ndarray, anchors: np.ndarray):
    """A callable computing ``box_iou(boxes, anchors).max(axis=1)`` by one fused loop over all pairs."""
    library = _library()
    boxes, anchors = np.ascontiguousarray(boxes, float), np.ascontiguousarray(anchors, float)
    areas = _areas(anchors)

    def run() -> np.ndarray:
        best = np.zeros(len(boxes))
        library.best_iou_all(boxes, len(boxes), anchors, areas, len(anchors), best)
        return best

    return run


def best_iou_given_pairs(boxes: np.ndarray, anchors: np.ndarray, blocks):
    """A callable computing the best IoU over the given blocks of pairs only, by one fused loop.

    ``blocks`` is a sequence of ``(box indices, anchor indices)``, e.g. the candidates the library's
    pruning keeps; building the index lists is not timed, only the loop over the pairs.
    """
    library = _library()
    boxes, anchors = np.ascontiguousarray(boxes, float), np.ascontiguousarray(anchors, float)
    areas = _areas(anchors)
    rows = [np.asarray(r, np.int64) for r, _ in blocks]
    cols = [np.asarray(c, np.int64) for _, c in blocks]
    row_ptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    col_ptr = np.concatenate([[0], np.cumsum([len(c) for c in cols])]).astype(np.int64)
    flat_rows = np.concatenate(rows + [np.zeros(0, np.int64)])
    flat_cols = np.concatenate(cols + [np.zeros(0, np.int64)])

    def run() -> np.ndarray:
        best = np.zeros(len(boxes))
        library.best_iou_pairs(boxes, anchors, areas, len(rows), row_ptr, flat_rows, col_ptr, flat_cols, best)
        return best

    run.pairs = int(sum(len(r) * len(c) for r, c in zip(rows, cols)))
    return run
