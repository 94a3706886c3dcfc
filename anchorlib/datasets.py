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
``csv``    a ``.csv`` with the header            Pascal VOC values copied verbatim (the layout
           ``filename,width,height,class,        ``xml_to_csv.py`` of datitran/raccoon_dataset
           xmin,ymin,xmax,ymax``                 writes): read with the VOC rule, image sizes
                                                 from the ``width``/``height`` columns
=========  ====================================  =================================================

The Pascal VOC rule is the one of py-faster-rcnn (``lib/datasets/pascal_voc.py``: "Make pixel
indexes 0-based", ``x1 = xmin - 1``, and widths ``x2 - x1 + 1``) and of the VOC development kit's
own evaluation (``VOCevaldet.m`` measures ``xmax - xmin + 1``): ``xmin`` and ``xmax`` are the first
and last pixel *inside* the box, so the box covers ``xmax - xmin + 1`` pixels. YOLOv5's VOC
converter (``data/VOC.yaml``, ``convert_box``) takes ``xmax - xmin`` instead, one pixel less per side
in the original image: anchors fitted here to VOC XML come out that much larger than anchors fitted
by YOLOv5 to its converted labels. The CSV layout ``filename,width,height,class,xmin,ymin,xmax,ymax``
is a verbatim copy of VOC XML values, so it is read with the same rule and gives the same boxes as
the XML it was made from. keras-retinanet's CSV boxes are continuous since it dropped the "+1" in
May 2020.

Nothing is dropped silently. A file that cannot be read raises a :class:`ValueError` naming the
file, the line or entry, and what is wrong (text that is not UTF-8 included). A box that reaches
further than one image width or height outside its image, or whose area overflows, is an error,
not an outlier: it would move every fitted anchor. Boxes of zero width or height, and COCO boxes marked
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

from ._checks import boxes_array, positive_int, positive_scalar, real_array, shape_pair
from .presets import keep_ratio_scale

__all__ = ["Annotations", "ANNOTATION_FORMATS", "load_boxes", "synthetic_boxes", "letterbox_wh", "keep_ratio_wh"]

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
        if self.fmt == "voc":
            lines.append("VOC boxes are xmax - xmin + 1 pixels wide (the VOC devkit's rule; "
                         "YOLOv5's VOC converter takes xmax - xmin)")
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
        _check_plausible((x1, y1, x2, y2), image_wh, where)
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


def _read_text(path: Path) -> str:
    """The file's text (UTF-8, an optional byte-order mark dropped); a decoding error names the file."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None


def _json_number(value: Any, where: str, what: str) -> float:
    """A JSON number (not a string, not true/false) that is finite."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: {what} must be a JSON number, got {value!r}")
    return _number(value, where, what)


def _check_plausible(box, image_wh, where: str) -> None:
    """Refuse a box whose numbers would overflow, or that lies more than one image size outside its
    image: such a box is a typo or a unit error, and k-means would move an anchor to it."""
    x1, y1, x2, y2 = box
    if not math.isfinite((x2 - x1) * (y2 - y1)):
        raise ValueError(f"{where}: box area overflows: {[x1, y1, x2, y2]}")
    width, height = image_wh
    if math.isnan(width) or math.isnan(height):
        return
    if x1 < -width or y1 < -height or x2 > 2 * width or y2 > 2 * height:
        raise ValueError(
            f"{where}: box {[x1, y1, x2, y2]} lies more than one image size outside its "
            f"{width:g}x{height:g} (width x height) image"
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
    return shape_pair(value, name, sides=("width", "height"), check=positive_scalar)


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
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise ValueError(
            f"cannot guess the annotation format of {path} (found {' and '.join(candidates)}); "
            "pass the format (fmt=, --format)"
        )
    hint = _annotation_hint(path)
    raise ValueError(f"cannot guess the annotation format of {path} (no .xml or YOLO .txt labels in it){hint}")


def _annotation_hint(folder: Path) -> str:
    """Where annotations are one level down (a dataset's root folder): '; try ...' or ''."""
    found = []
    for child in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for suffix in (".xml", ".json", ".csv"):
            count = sum(1 for _ in child.glob(f"*{suffix}"))
            if count:
                found.append(f"{child} ({count} {suffix} file{'s' if count > 1 else ''})")
    return f"; annotations are in {', '.join(found[:4])}: pass one of those" if found else ""


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
    if image_size is not None and fmt in ("coco", "voc"):
        raise ValueError(
            f"image_size applies to YOLO labels and CSV files only: {fmt.upper()} annotations give "
            "every image's size"
        )
    sizes = _sizes_lookup(image_size)
    if fmt == "coco":
        return _load_coco(path)
    if fmt == "voc":
        return _load_voc(path)
    if fmt == "csv":
        return _load_csv(path, sizes, sizes_given=image_size is not None)
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
        data = json.loads(_read_text(path))
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
        size = (_json_number(image["width"], where, "width"), _json_number(image["height"], where, "height"))
        if min(size) <= 0:
            raise ValueError(f"{where}: width and height must be positive, got {list(size)}")
        if image["id"] in images:
            raise ValueError(f"{where}: id {image['id']!r} appears twice in 'images'")
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
        x, y, w, h = (_json_number(v, where, "bbox") for v in bbox)
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


# The header of the CSV layout written by datitran/raccoon_dataset's ``xml_to_csv.py``.
_VOC_CSV_HEADER = ("filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax")


def _load_csv(path: Path, sizes, *, sizes_given: bool) -> Annotations:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    first = next((row for row in rows if row), [])
    if tuple(field.strip().lower() for field in first) == _VOC_CSV_HEADER:
        if sizes_given:
            raise ValueError(f"{path}: this CSV gives every image's size (width, height columns); drop image_size")
        return _load_voc_csv(path, rows)
    return _load_retinanet_csv(path, rows, sizes)


def _load_voc_csv(path: Path, rows: list[list[str]]) -> Annotations:
    """``filename,width,height,class,xmin,ymin,xmax,ymax``: VOC values, so the VOC rule applies."""
    out = _Collector()
    images_seen: set[str] = set()
    header_seen = False
    for line, row in enumerate(rows, start=1):
        where = f"{path}: line {line}"
        if not row:
            continue
        if not header_seen:
            header_seen = True
            continue
        if len(row) != len(_VOC_CSV_HEADER):
            raise ValueError(f"{where}: expected 8 fields '{','.join(_VOC_CSV_HEADER)}', got {len(row)}")
        image, width, height, cls, *coords = (field.strip() for field in row)
        if not image:
            raise ValueError(f"{where}: empty filename")
        if not cls:
            raise ValueError(f"{where}: empty class name")
        image_wh = (_number(width, where, "width"), _number(height, where, "height"))
        if min(image_wh) <= 0:
            raise ValueError(f"{where}: width and height must be positive, got {list(image_wh)}")
        images_seen.add(image)
        xmin, ymin, xmax, ymax = (_number(v, where, name) for v, name in zip(coords, _VOC_CSV_HEADER[4:]))
        out.add((xmin - 1, ymin - 1, xmax, ymax), image_wh, cls, image, where)  # as _load_voc
    return out.result("csv", path, len(images_seen))


def _load_retinanet_csv(path: Path, rows: list[list[str]], sizes) -> Annotations:
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

    for line, row in enumerate(rows, start=1):
        where = f"{path}: line {line}"
        if not row:
            continue
        if len(row) != 6:
            raise ValueError(
                f"{where}: expected 6 fields 'image,x1,y1,x2,y2,class' or 'image,,,,,' (keras-retinanet), "
                f"or the header '{','.join(_VOC_CSV_HEADER)}' on line 1; got {len(row)} fields"
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
            lines = _read_text(candidate).splitlines()
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
        for line, text in enumerate(_read_text(file).splitlines(), start=1):
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
                    f"{file}: no image {file.stem}.* in {images} to read its size from; give the image "
                    "size (--image HEIGHTxWIDTH on the command line, image_size= in Python)"
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
    sizes = _image_sizes(image_wh, len(array))
    target = positive_scalar(long_side, "long_side")
    factor = target / sizes.max(axis=1, keepdims=True)
    return (array[:, 2:] - array[:, :2]) * factor


def keep_ratio_wh(boxes: ArrayLike, image_wh: ArrayLike, short_side: float, max_size: float) -> np.ndarray:
    """Box widths and heights after the resize of RetinaNet-style detectors.

    Each image is scaled by ``min(short_side / shorter side, max_size / longer side)``: its
    shorter side becomes ``short_side`` unless its longer side would then exceed ``max_size``
    (computed by the same function as :meth:`anchorlib.AnchorConfig.resize`).
    This is the rule of torchvision's ``GeneralizedRCNNTransform``, mmdetection's
    ``Resize(scale=(max_size, short_side), keep_ratio=True)``, detectron2's
    ``ResizeShortestEdge`` and keras-retinanet's ``resize_image`` (read from their code, not run:
    the libraries then round the image to whole pixels, which moves a box by under one pixel).

    Parameters
    ----------
    boxes : array_like, shape (N, 4)
        ``xyxy`` boxes in pixels of their original images.
    image_wh : array_like, shape (N, 2)
        ``(width, height)`` of each box's image.
    short_side, max_size : float
        E.g. 800 and 1333.

    Returns
    -------
    numpy.ndarray, shape (N, 2)

    Examples
    --------
    >>> keep_ratio_wh([[0, 0, 100, 50]], [[640, 480]], 800, 1333).round(3).tolist()  # 800 / 480
    [[166.667, 83.333]]
    >>> keep_ratio_wh([[0, 0, 100, 50]], [[2000, 500]], 800, 1333).round(3).tolist()  # 1333 / 2000
    [[66.65, 33.325]]
    """
    array = boxes_array(boxes, "boxes")
    sizes = _image_sizes(image_wh, len(array))
    short = positive_scalar(short_side, "short_side")
    longest = positive_scalar(max_size, "max_size")
    factor = keep_ratio_scale(sizes.min(axis=1), sizes.max(axis=1), short, longest)[:, None]
    return (array[:, 2:] - array[:, :2]) * factor


def _image_sizes(image_wh: ArrayLike, count: int) -> np.ndarray:
    """``image_wh`` checked: shape (count, 2), finite and positive (NaN means unknown: refused)."""
    try:
        unknown = bool(np.isnan(np.asarray(image_wh, dtype=np.float64)).any())
    except (TypeError, ValueError):
        unknown = False  # not numbers: real_array says so
    if unknown:
        raise ValueError("image_wh holds unknown image sizes (NaN): give the images or their sizes")
    sizes = real_array(image_wh, "image_wh")
    if sizes.shape != (count, 2):
        raise ValueError(f"image_wh must have shape ({count}, 2), got {sizes.shape}")
    if np.any(sizes <= 0):
        raise ValueError(f"image_wh must be positive, got {sizes[np.any(sizes <= 0, axis=1)][0].tolist()}")
    return sizes
