"""Ground-truth boxes from annotation files, and a synthetic stand-in.

:func:`anchorlib.load_boxes` reads the four annotation formats anchor tools meet most often and
returns every box in the book's convention: ``(N, 4)`` float64 ``xyxy`` in continuous pixel
coordinates (pixel ``k`` spans ``[k, k + 1)``, width ``x2 - x1``), together with each box's image
size and class.

=========  ====================================  =================================================
format     what ``path`` is                      coordinates in the file
=========  ====================================  =================================================
``coco``   a COCO ``.json`` file                 ``bbox = [x, y, w, h]``, continuous pixels
``yolo``   a folder with ``labels/`` and         ``class cx cy w h`` per line, divided by the
           ``images/``, or the ``labels/``       image width and height; sizes come from the
           folder itself                         image headers (read with Pillow, EXIF rotation
                                                 applied) or ``image_size``
``voc``    a folder of Pascal VOC ``.xml``       ``xmin ymin xmax ymax``: 1-based, inclusive pixel
           files (or one file)                   indices, so ``x1 = xmin - 1`` and ``x2 = xmax``
``csv``    a keras-retinanet ``.csv`` file       ``image,x1,y1,x2,y2,class``, continuous pixels;
                                                 ``image,,,,,`` is an image without boxes
=========  ====================================  =================================================

The Pascal VOC rule is the one of py-faster-rcnn (``lib/datasets/pascal_voc.py``: "Make pixel
indexes 0-based", ``x1 = xmin - 1``, and widths ``x2 - x1 + 1``). keras-retinanet's CSV boxes
are continuous since it dropped the "+1" in May 2020.

Nothing is dropped silently. A file that cannot be read raises a :class:`ValueError` naming the
file, the line or entry, and what is wrong. Boxes of zero width or height, and COCO boxes marked
``iscrowd``, are left out and listed in :attr:`anchorlib.Annotations.skipped`; boxes that extend
beyond their image are kept and counted by :meth:`anchorlib.Annotations.summary`.
"""

from __future__ import annotations

import csv
import json
import math
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._checks import boxes_array, positive_int, positive_scalar, real_array

__all__ = ["Annotations", "ANNOTATION_FORMATS", "load_boxes", "synthetic_boxes", "letterbox_wh"]

#: The annotation formats :func:`load_boxes` reads.
ANNOTATION_FORMATS = ("coco", "yolo", "voc", "csv")

_IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")


@dataclass(frozen=True, eq=False)
class Annotations:
    """Boxes read from a dataset, one row per box (a read-only record).

    Attributes
    ----------
    boxes : numpy.ndarray, shape (N, 4)
        ``xyxy`` float64, continuous pixel coordinates of the original image.
    image_wh : numpy.ndarray, shape (N, 2)
        ``(width, height)`` of the image each box belongs to (NaN where unknown: a CSV whose
        images are absent).
    classes : tuple of str
        Class name of each box (a YOLO class id as text when there is no ``classes.txt``).
    images : tuple of str
        Image file name of each box.
    skipped : tuple of str
        One line per box left out (``"file: entry: reason"``): zero width or height, crowd.
    fmt : str
        The format read, one of :data:`ANNOTATION_FORMATS` or ``"synthetic"``.
    source : str
        The path read, or how the boxes were generated.
    num_images : int
        Images seen, including images without boxes.

    Examples
    --------
    >>> data = synthetic_boxes(3, seed=0)
    >>> data.boxes.shape, data.image_wh[0].tolist(), data.fmt
    ((3, 4), [640.0, 480.0], 'synthetic')
    """

    boxes: np.ndarray
    image_wh: np.ndarray
    classes: tuple[str, ...]
    images: tuple[str, ...]
    skipped: tuple[str, ...]
    fmt: str
    source: str
    num_images: int

    @property
    def wh(self) -> np.ndarray:
        """``(N, 2)`` widths and heights of the boxes, in pixels of the original images."""
        return self.boxes[:, 2:] - self.boxes[:, :2]

    def summary(self) -> str:
        """A few lines saying what was read and what was left out.

        Examples
        --------
        >>> print(synthetic_boxes(5, seed=0).summary().splitlines()[0])
        synthetic_boxes(5, seed=0): 5 boxes in 1 images, 3 classes (synthetic)
        """
        lines = [
            f"{self.source}: {len(self.boxes)} boxes in {self.num_images} images, "
            f"{len(set(self.classes))} classes ({self.fmt})"
        ]
        outside = _outside(self.boxes, self.image_wh)
        if outside:
            lines.append(f"{outside} boxes extend beyond their image (kept)")
        unknown = int(np.isnan(self.image_wh).any(axis=1).sum())
        if unknown:
            lines.append(f"image size unknown for {unknown} boxes")
        if self.skipped:
            lines.append(f"{len(self.skipped)} boxes left out:")
            lines += [f"  {line}" for line in self.skipped[:10]]
            if len(self.skipped) > 10:
                lines.append(f"  ... and {len(self.skipped) - 10} more")
        else:
            lines.append("no box left out")
        return "\n".join(lines)


def _outside(boxes: np.ndarray, image_wh: np.ndarray) -> int:
    with np.errstate(invalid="ignore"):
        beyond = (boxes[:, :2] < 0).any(axis=1) | (boxes[:, 2:] > image_wh).any(axis=1)
    return int(beyond.sum())


class _Collector:
    """Accumulates boxes while a loader reads; degenerate boxes go to ``skipped``."""

    def __init__(self) -> None:
        self.boxes: list[list[float]] = []
        self.image_wh: list[tuple[float, float]] = []
        self.classes: list[str] = []
        self.images: list[str] = []
        self.skipped: list[str] = []

    def add(self, box, image_wh, cls: str, image: str, where: str) -> None:
        x1, y1, x2, y2 = box
        if x2 < x1 or y2 < y1:
            raise ValueError(f"{where}: box has negative width or height: {[x1, y1, x2, y2]}")
        if x2 == x1 or y2 == y1:
            self.skipped.append(f"{where}: zero width or height {[x1, y1, x2, y2]}")
            return
        self.boxes.append([x1, y1, x2, y2])
        self.image_wh.append(image_wh)
        self.classes.append(cls)
        self.images.append(image)

    def result(self, fmt: str, source: Path, num_images: int) -> Annotations:
        boxes = np.array(self.boxes, dtype=np.float64).reshape(-1, 4)
        image_wh = np.array(self.image_wh, dtype=np.float64).reshape(-1, 2)
        for array in (boxes, image_wh):
            array.setflags(write=False)
        return Annotations(
            boxes, image_wh, tuple(self.classes), tuple(self.images), tuple(self.skipped),
            fmt, str(source), num_images,
        )


def _number(text: Any, where: str, what: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {what} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: {what} is not finite: {text!r}")
    return value


def _image_size(value: Any, name: str) -> tuple[float, float]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"{name} must be a (width, height) pair, got {value!r}")
    return positive_scalar(value[0], f"{name}[0]"), positive_scalar(value[1], f"{name}[1]")


def _header_size(path: Path) -> tuple[float, float]:
    from PIL import Image, UnidentifiedImageError  # only the header is read

    try:
        with Image.open(path) as image:
            width, height = image.size
            orientation = image.getexif().get(0x0112)  # EXIF Orientation
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"{path}: cannot read the image size: {error}") from None
    if orientation in (5, 6, 7, 8):  # stored rotated by 90 degrees: YOLOv5's exif_size swaps too
        width, height = height, width
    return float(width), float(height)


def _guess_format(path: Path) -> str:
    if path.is_file():
        guesses = {".json": "coco", ".csv": "csv", ".xml": "voc"}
        if path.suffix.lower() in guesses:
            return guesses[path.suffix.lower()]
        raise ValueError(f"cannot guess the annotation format of {path}; pass the format (fmt=, --format)")
    candidates = []
    if any(path.glob("*.xml")) or (path / "Annotations").is_dir():
        candidates.append("voc")
    if (path / "labels").is_dir() or any(p.name != "classes.txt" for p in path.glob("*.txt")):
        candidates.append("yolo")
    if len(candidates) != 1:
        found = " and ".join(candidates) if candidates else "no .xml or YOLO .txt labels"
        raise ValueError(
            f"cannot guess the annotation format of {path} (found {found}); pass the format (fmt=, --format)"
        )
    return candidates[0]


def load_boxes(
    path: str | Path,
    fmt: str | None = None,
    *,
    image_size: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
) -> Annotations:
    """Read ground-truth boxes from COCO JSON, YOLO labels, Pascal VOC XML or keras-retinanet CSV.

    Parameters
    ----------
    path : str or pathlib.Path
        A COCO ``.json`` file, a keras-retinanet ``.csv`` file, a folder of VOC ``.xml`` files (or
        one file, or a folder with an ``Annotations/`` sub-folder), or a YOLO dataset folder holding
        ``labels/`` and ``images/`` (or the ``labels/`` folder itself, with ``images/`` beside it).
    fmt : {"coco", "yolo", "voc", "csv"}, optional
        Guessed from ``path`` when omitted: by suffix for a file; for a folder, ``voc`` if it holds
        ``.xml`` files or ``Annotations/``, ``yolo`` if it holds ``labels/`` or ``.txt`` files.
    image_size : (width, height) or mapping of image stem to (width, height), optional
        Image sizes for YOLO labels (and CSV rows) when the image files are not at hand. By default
        they are read from the image headers.

    Returns
    -------
    Annotations
        Boxes in ``xyxy`` continuous pixels, with each box's image size, class and image name.

    Raises
    ------
    ValueError
        For an unknown or unguessable format, or a malformed file: the message names the file, the
        line or entry, and what is wrong.
    FileNotFoundError
        If ``path`` (or a YOLO box's image, when sizes are read from headers) does not exist.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> coco = {"images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}],
    ...         "categories": [{"id": 3, "name": "car"}],
    ...         "annotations": [{"id": 7, "image_id": 1, "category_id": 3, "bbox": [8, 4, 16, 12]}]}
    >>> _ = (folder / "train.json").write_text(json.dumps(coco))
    >>> data = load_boxes(folder / "train.json")
    >>> data.boxes.tolist(), data.image_wh.tolist(), data.classes
    ([[8.0, 4.0, 24.0, 16.0]], [[64.0, 48.0]], ('car',))
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"path {str(path)!r} does not exist")
    if fmt is None:
        fmt = _guess_format(path)
    if fmt not in ANNOTATION_FORMATS:
        raise ValueError(f"fmt must be one of {ANNOTATION_FORMATS}, got {fmt!r}")
    sizes = _sizes_lookup(image_size)
    if fmt == "coco":
        return _load_coco(path)
    if fmt == "voc":
        return _load_voc(path)
    if fmt == "csv":
        return _load_csv(path, sizes)
    return _load_yolo(path, sizes)


def _sizes_lookup(image_size: Any):
    """A function ``stem -> (w, h) or None`` from the ``image_size`` argument."""
    if image_size is None:
        return lambda stem: None
    if isinstance(image_size, Mapping):
        table = {str(k): _image_size(v, f"image_size[{k!r}]") for k, v in image_size.items()}
        return table.get
    size = _image_size(image_size, "image_size")
    return lambda stem: size


def _load_coco(path: Path) -> Annotations:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object with 'images' and 'annotations'")
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise ValueError(f"{path}: missing list {key!r}")
    images: dict[Any, tuple[str, tuple[float, float]]] = {}
    for index, image in enumerate(data["images"]):
        where = f"{path}: images[{index}]"
        if not isinstance(image, dict) or not {"id", "width", "height"} <= image.keys():
            raise ValueError(f"{where}: needs 'id', 'width' and 'height'")
        size = (_number(image["width"], where, "width"), _number(image["height"], where, "height"))
        if min(size) <= 0:
            raise ValueError(f"{where}: width and height must be positive, got {list(size)}")
        images[image["id"]] = (str(image.get("file_name", image["id"])), size)
    names = {}
    for index, category in enumerate(data["categories"]):
        if not isinstance(category, dict) or not {"id", "name"} <= category.keys():
            raise ValueError(f"{path}: categories[{index}]: needs 'id' and 'name'")
        names[category["id"]] = str(category["name"])
    out = _Collector()
    for index, ann in enumerate(data["annotations"]):
        where = f"{path}: annotations[{index}]"
        if not isinstance(ann, dict):
            raise ValueError(f"{where}: expected an object, got {ann!r}")
        if "id" in ann:
            where += f" (id {ann['id']})"
        for key in ("image_id", "category_id", "bbox"):
            if key not in ann:
                raise ValueError(f"{where}: missing {key!r}")
        if ann["image_id"] not in images:
            raise ValueError(f"{where}: image_id {ann['image_id']!r} is not in 'images'")
        if ann["category_id"] not in names:
            raise ValueError(f"{where}: category_id {ann['category_id']!r} is not in 'categories'")
        bbox = ann["bbox"]
        if not isinstance(bbox, list) or len(bbox) != 4:
            raise ValueError(f"{where}: bbox must be [x, y, width, height], got {bbox!r}")
        x, y, w, h = (_number(v, where, "bbox") for v in bbox)
        if ann.get("iscrowd", 0):
            out.skipped.append(f"{where}: iscrowd (a crowd region, not one object)")
            continue
        file_name, size = images[ann["image_id"]]
        out.add((x, y, x + w, y + h), size, names[ann["category_id"]], file_name, where)
    return out.result("coco", path, len(images))


def _voc_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    folder = path / "Annotations" if (path / "Annotations").is_dir() else path
    files = sorted(folder.glob("*.xml"))
    if not files:
        raise ValueError(f"{folder}: no .xml files")
    return files


def _load_voc(path: Path) -> Annotations:
    out = _Collector()
    files = _voc_files(path)
    for file in files:
        try:
            root = ElementTree.parse(file).getroot()
        except ElementTree.ParseError as error:
            raise ValueError(f"{file}: not valid XML: {error}") from None

        def text(node, tag: str, where: str) -> str:
            child = node.find(tag)
            if child is None or child.text is None or not child.text.strip():
                raise ValueError(f"{where}: missing <{tag}>")
            return child.text.strip()

        size = root.find("size")
        if size is None:
            raise ValueError(f"{file}: missing <size>")
        image_wh = (
            _number(text(size, "width", f"{file}: <size>"), f"{file}: <size>", "width"),
            _number(text(size, "height", f"{file}: <size>"), f"{file}: <size>", "height"),
        )
        if min(image_wh) <= 0:
            raise ValueError(f"{file}: <size> must be positive, got {list(image_wh)}")
        filename = root.findtext("filename", default=file.stem + ".jpg").strip()
        for index, obj in enumerate(root.findall("object")):
            where = f"{file}: object {index + 1}"
            name = text(obj, "name", where)
            bndbox = obj.find("bndbox")
            if bndbox is None:
                raise ValueError(f"{where}: missing <bndbox>")
            xmin, ymin, xmax, ymax = (
                _number(text(bndbox, tag, where), where, tag) for tag in ("xmin", "ymin", "xmax", "ymax")
            )
            # 1-based inclusive pixel indices -> continuous coordinates
            out.add((xmin - 1, ymin - 1, xmax, ymax), image_wh, name, filename, where)
    return out.result("voc", path, len(files))


def _load_csv(path: Path, sizes) -> Annotations:
    out = _Collector()
    header_sizes: dict[str, tuple[float, float]] = {}
    images_seen: set[str] = set()

    def image_size_of(name: str) -> tuple[float, float]:
        if name not in header_sizes:
            given = sizes(Path(name).stem)
            file = path.parent / name
            if given is not None:
                header_sizes[name] = given
            elif file.is_file():
                header_sizes[name] = _header_size(file)
            else:
                header_sizes[name] = (math.nan, math.nan)
        return header_sizes[name]

    with open(path, newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.reader(handle), start=1):
            where = f"{path}: line {line}"
            if not row:
                continue
            if len(row) != 6:
                raise ValueError(
                    f"{where}: expected 6 fields 'image,x1,y1,x2,y2,class' or 'image,,,,,', got {len(row)}"
                )
            image, *coords, cls = (field.strip() for field in row)
            if not image:
                raise ValueError(f"{where}: empty image path")
            images_seen.add(image)
            if coords == ["", "", "", ""] and cls == "":
                continue  # an image without boxes
            if not cls:
                raise ValueError(f"{where}: empty class name")
            box = tuple(_number(v, where, name) for v, name in zip(coords, ("x1", "y1", "x2", "y2")))
            out.add(box, image_size_of(image), cls, image, where)
    return out.result("csv", path, len(images_seen))


def _yolo_folders(path: Path) -> tuple[Path, Path]:
    if (path / "labels").is_dir():
        return path / "labels", path / "images"
    parts = list(path.parts)
    if "labels" in parts:  # YOLOv5's rule: the images are where 'labels' is replaced by 'images'
        index = len(parts) - 1 - parts[::-1].index("labels")
        parts[index] = "images"
        return path, Path(*parts)
    return path, path.parent / "images"


def _yolo_class_names(labels: Path) -> list[str] | None:
    for candidate in (labels / "classes.txt", labels.parent / "classes.txt"):
        if candidate.is_file():
            lines = candidate.read_text(encoding="utf-8").splitlines()
            return [line.strip() for line in lines if line.strip()]
    return None


def _load_yolo(path: Path, sizes) -> Annotations:
    labels, images = _yolo_folders(path)
    names = _yolo_class_names(labels)
    files = sorted(p for p in labels.glob("*.txt") if p.name != "classes.txt")
    if not files:
        raise ValueError(f"{labels}: no YOLO label files (*.txt)")
    image_files: dict[str, Path] = {}
    if images.is_dir():
        for file in sorted(images.iterdir()):
            if file.suffix.lower() in _IMAGE_SUFFIXES:
                image_files.setdefault(file.stem, file)
    out = _Collector()
    for file in files:
        rows = []
        for line, text in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            where = f"{file}: line {line}"
            fields = text.split()
            if not fields:
                continue
            if len(fields) != 5:
                raise ValueError(f"{where}: expected 5 values 'class cx cy w h', got {len(fields)}")
            class_value = _number(fields[0], where, "class")
            if class_value < 0 or not class_value.is_integer():
                raise ValueError(f"{where}: class must be a non-negative integer, got {fields[0]!r}")
            class_id = int(class_value)
            if names is not None and class_id >= len(names):
                raise ValueError(f"{where}: class {class_id} is not in classes.txt ({len(names)} classes)")
            values = [_number(v, where, name) for v, name in zip(fields[1:], ("cx", "cy", "w", "h"))]
            if not all(0 <= v <= 1 for v in values):
                raise ValueError(f"{where}: cx cy w h must be normalised to [0, 1], got {fields[1:]}")
            rows.append((where, class_id, values))
        size = sizes(file.stem)
        image_name = image_files[file.stem].name if file.stem in image_files else file.stem
        if size is None:
            if file.stem not in image_files:
                if not rows:
                    continue
                raise FileNotFoundError(
                    f"{file}: no image {file.stem}.* in {images} to read its size from; pass image_size="
                )
            size = _header_size(image_files[file.stem])
        width, height = size
        for where, class_id, (cx, cy, w, h) in rows:
            box = ((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height)
            cls = names[class_id] if names is not None else str(class_id)
            out.add(box, size, cls, image_name, where)
    num_images = len(set(image_files) | {file.stem for file in files})
    return out.result("yolo", path, num_images)


def synthetic_boxes(n: int, *, seed: int, image_size: Sequence[float] = (640, 480)) -> Annotations:
    """Seeded boxes with COCO-like statistics, for running the book without a download.

    Each box belongs to one of three shape families, chosen with probabilities 0.4 / 0.3 / 0.3:
    ``"square"`` (median height / width 1), ``"tall"`` (2.5, like standing people) and ``"wide"``
    (0.6, like cars); the log of the ratio has standard deviation 0.3 around the median. The side
    ``sqrt(w * h)`` is log-normal with median ``42 * L / 640`` and log standard deviation 1.2, where
    ``L`` is the image's longer side: at 640 x 480 this puts about 41 % of the boxes below 32² px,
    34 % between 32² and 96² and 25 % above, close to the 41 / 34 / 24 % that the COCO detection
    evaluation reports for COCO. Sides are clipped to ``[2, image side]``, positions are uniform inside the
    image, and the boxes are grouped seven to an image.

    Parameters
    ----------
    n : int
        Number of boxes.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same boxes.
    image_size : (width, height), default (640, 480)

    Returns
    -------
    Annotations
        With ``classes`` the family names and ``fmt == "synthetic"``.

    Examples
    --------
    >>> data = synthetic_boxes(1000, seed=0)
    >>> area = data.wh.prod(axis=1)
    >>> bool(0.3 < (area < 32**2).mean() < 0.5), sorted(set(data.classes))
    (True, ['square', 'tall', 'wide'])
    """
    count = positive_int(n, "n")
    seed = positive_int(seed, "seed", allow_zero=True)
    width, height = _image_size(image_size, "image_size")
    rng = np.random.default_rng(seed)
    families = np.array(["square", "tall", "wide"])
    family = rng.choice(3, size=count, p=[0.4, 0.3, 0.3])
    log_ratio = np.log(np.array([1.0, 2.5, 0.6]))[family] + 0.3 * rng.standard_normal(count)
    side = 42.0 * max(width, height) / 640 * np.exp(1.2 * rng.standard_normal(count))
    w = np.clip(side * np.exp(-log_ratio / 2), 2, width)
    h = np.clip(side * np.exp(log_ratio / 2), 2, height)
    x1 = rng.uniform(0, 1, count) * (width - w)
    y1 = rng.uniform(0, 1, count) * (height - h)
    boxes = np.stack([x1, y1, x1 + w, y1 + h], axis=1)
    image_wh = np.tile([width, height], (count, 1))
    for array in (boxes, image_wh):
        array.setflags(write=False)
    names = tuple(f"synthetic_{k // 7:05d}" for k in range(count))
    return Annotations(
        boxes, image_wh, tuple(families[family].tolist()), names, (), "synthetic",
        f"synthetic_boxes({count}, seed={seed})", (count + 6) // 7,
    )


def letterbox_wh(boxes: ArrayLike, image_wh: ArrayLike, long_side: float) -> np.ndarray:
    """Box widths and heights after resizing each image so that its longer side is ``long_side``.

    This is how YOLOv5's AutoAnchor brings labels to the training resolution
    (``utils/autoanchor.py``: ``shapes = img_size * dataset.shapes / dataset.shapes.max(1)``):
    the aspect ratio of every image is kept, and a box scales with its image.

    Parameters
    ----------
    boxes : array_like, shape (N, 4)
        ``xyxy`` boxes in pixels of their original images.
    image_wh : array_like, shape (N, 2)
        ``(width, height)`` of each box's image.
    long_side : float
        The training resolution, e.g. 640.

    Returns
    -------
    numpy.ndarray, shape (N, 2)
        ``(w, h)`` of each box at the training resolution.

    Examples
    --------
    >>> letterbox_wh([[0, 0, 100, 50]], [[1280, 720]], 640).tolist()
    [[50.0, 25.0]]
    """
    array = boxes_array(boxes, "boxes")
    sizes = real_array(image_wh, "image_wh")
    if sizes.shape != (len(array), 2):
        raise ValueError(f"image_wh must have shape ({len(array)}, 2), got {sizes.shape}")
    if np.any(sizes <= 0):
        raise ValueError(f"image_wh must be positive, got {sizes[np.any(sizes <= 0, axis=1)][0].tolist()}")
    target = positive_scalar(long_side, "long_side")
    factor = target / sizes.max(axis=1, keepdims=True)
    return (array[:, 2:] - array[:, :2]) * factor
