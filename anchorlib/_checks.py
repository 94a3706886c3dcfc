"""Input validation shared by every module.

Every public function of ``anchorlib`` validates its arguments with these helpers, so that bad input
fails early with a :class:`ValueError` or :class:`TypeError` naming the argument and the offending
value, instead of returning a silently wrong array.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__: list[str] = []  # private module


def _short(value: Any) -> str:
    text = " ".join(repr(value).split())  # one line: an array's repr spans several
    return text if len(text) <= 80 else text[:77] + "..."


def real_scalar(value: Any, name: str) -> float:
    """Return ``value`` as a finite float, or raise naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {_short(value)}")
    result = float(value)
    if not np.isfinite(result):
        raise ValueError(f"{name} must be finite, got {result!r}")
    return result


def positive_scalar(value: Any, name: str) -> float:
    """Return ``value`` as a finite float > 0, or raise naming ``name``."""
    result = real_scalar(value, name)
    if result <= 0:
        raise ValueError(f"{name} must be positive, got {_short(value)}")
    return result


def positive_int(value: Any, name: str, *, allow_zero: bool = False) -> int:
    """Return ``value`` as an int > 0 (or >= 0), or raise naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {_short(value)}")
    result = int(value)
    if result < 0 or (result == 0 and not allow_zero):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {bound}, got {result}")
    return result


def real_array(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a float64 array of finite numbers, or raise naming ``name``."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be numbers, got {type(values).__name__} {_short(values)}")
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as error:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers: {error}") from None
    if array.dtype == bool or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype} in {_short(values)}")
    array = array.astype(np.float64, copy=False)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (no NaN or inf), got {_short(values)}")
    return array


def positive_vector(values: Any, name: str) -> np.ndarray:
    """Return a non-empty 1-D float64 array of positive finite numbers (a scalar becomes length 1)."""
    array = np.atleast_1d(real_array(values, name))
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence, got shape {array.shape}")
    if np.any(array <= 0):
        raise ValueError(f"{name} must all be positive, got {_short(values)}")
    return array


def pair(value: Any, name: str, check) -> tuple[Any, Any]:
    """Accept a scalar (used for both axes) or a ``(y, x)`` pair; check each with ``check``."""
    if isinstance(value, (tuple, list, np.ndarray)):
        if len(value) != 2:
            raise ValueError(f"{name} must be a scalar or a (y, x) pair, got {_short(value)}")
        return check(value[0], f"{name}[0]"), check(value[1], f"{name}[1]")
    checked = check(value, name)
    return checked, checked


def shape_pair(
    value: Any, name: str, *, sides: tuple[str, str] = ("height", "width"), check=positive_int
) -> tuple[Any, Any]:
    """Return a ``(height, width)`` pair of positive ints, or raise naming ``name``.

    The one check of image and feature-map shapes: anything that is not a sequence of two (a
    scalar, a string) is a :class:`TypeError`, a sequence of another length a :class:`ValueError`,
    and each side must pass ``check`` (by default :func:`positive_int`). ``sides`` names the order
    in the message: the dataset loaders take image sizes as ``("width", "height")`` with
    ``check=positive_scalar``, as annotation files write them.
    """
    order = f"({sides[0]}, {sides[1]})"
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a {order} pair, got {type(value).__name__} {_short(value)}")
    if len(value) != 2:
        raise ValueError(f"{name} must be a {order} pair, got {len(value)} values {_short(value)}")
    return check(value[0], f"{name}[0]"), check(value[1], f"{name}[1]")


def boxes_array(boxes: Any, name: str = "boxes", *, fmt: str = "xyxy") -> np.ndarray:
    """Return an ``(N, 4)`` float64 array, checking that the boxes are well formed for ``fmt``."""
    array = real_array(boxes, name)
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4), got {array.shape}")
    if fmt == "xyxy":
        bad = np.flatnonzero((array[:, 2] < array[:, 0]) | (array[:, 3] < array[:, 1]))
        if bad.size:
            raise ValueError(
                f"{name} must have x2 >= x1 and y2 >= y1 (xyxy format); "
                f"row {bad[0]} is {array[bad[0]].tolist()}"
            )
    else:
        bad = np.flatnonzero((array[:, 2] < 0) | (array[:, 3] < 0))
        if bad.size:
            raise ValueError(
                f"{name} must have non-negative width and height ({fmt} format); "
                f"row {bad[0]} is {array[bad[0]].tolist()}"
            )
    return array


def wh_array(values: Any, name: str = "wh") -> np.ndarray:
    """Return an ``(N, 2)`` float64 array of positive widths and heights (N >= 1), or raise."""
    array = real_array(values, name)
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
        raise ValueError(f"{name} must have shape (N, 2) with N >= 1 (widths, heights), got {array.shape}")
    bad = np.flatnonzero((array <= 0).any(axis=1))
    if bad.size:
        raise ValueError(f"{name} must be positive; row {bad[0]} is {array[bad[0]].tolist()}")
    return array
