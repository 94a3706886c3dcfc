"""Make the book's small sample dataset, the same boxes in every format `anchorlib.load_boxes` reads.

    python tools/make_sample_data.py            # writes book/data/sample/
    python tools/make_sample_data.py --out DIR  # anywhere else

The boxes are drawn from a seeded generator (nothing is downloaded): 48 images of five sizes,
each with 0 to 10 objects of three classes whose shapes differ ("person" tall, "car" wide, "sign"
small and square), integer corners in continuous pixel coordinates. The files written:

* ``annotations.json``: COCO (``bbox = [x, y, w, h]``);
* ``labels/*.txt`` + ``classes.txt``: YOLO (``class cx cy w h``, divided by the image size, 8 decimals);
* ``images/*.png``: blank 1-bit images whose headers give the YOLO and CSV loaders the image sizes;
* ``Annotations/*.xml``: Pascal VOC (1-based inclusive pixels: ``xmin = x1 + 1``, ``xmax = x2``);
* ``annotations.csv`` + ``classes.csv``: keras-retinanet CSV (``images/x.png,x1,y1,x2,y2,class``).

Running it twice gives byte-identical text files (the tests check that).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEED = 2026
CLASSES = ("person", "car", "sign")
IMAGE_SIZES = ((640, 480), (480, 640), (800, 600), (512, 512), (1024, 768))


def sample_annotations(seed: int = SEED) -> list[dict]:
    """The dataset as a list of images: ``{"name", "width", "height", "objects": [(class, x1, y1, x2, y2)]}``."""
    rng = np.random.default_rng(seed)
    # (median h / w, median side as a fraction of the image's shorter side, log-spread of the side)
    shapes = {"person": (2.4, 0.22, 0.6), "car": (0.55, 0.16, 0.6), "sign": (1.0, 0.05, 0.4)}
    images = []
    for index in range(48):
        width, height = IMAGE_SIZES[rng.integers(len(IMAGE_SIZES))]
        count = 0 if index == 47 else int(rng.integers(1, 11))  # the last image has no objects
        objects = []
        for _ in range(count):
            cls = CLASSES[rng.choice(3, p=[0.4, 0.35, 0.25])]
            ratio, side, spread = shapes[cls]
            s = min(width, height) * side * np.exp(spread * rng.standard_normal())
            r = ratio * np.exp(0.2 * rng.standard_normal())
            w = int(np.clip(round(s / np.sqrt(r)), 4, width))
            h = int(np.clip(round(s * np.sqrt(r)), 4, height))
            x1 = int(rng.integers(0, width - w + 1))
            y1 = int(rng.integers(0, height - h + 1))
            objects.append((cls, x1, y1, x1 + w, y1 + h))
        images.append({"name": f"img_{index:03d}", "width": width, "height": height, "objects": objects})
    return images


def _coco(images: list[dict]) -> str:
    annotations = []
    for image_id, image in enumerate(images, start=1):
        for cls, x1, y1, x2, y2 in image["objects"]:
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id,
                "category_id": CLASSES.index(cls) + 1, "bbox": [x1, y1, x2 - x1, y2 - y1],
                "area": (x2 - x1) * (y2 - y1), "iscrowd": 0,
            })
    data = {
        "info": {"description": "anchorlib sample dataset (tools/make_sample_data.py)"},
        "images": [
            {"id": k, "file_name": f"{im['name']}.png", "width": im["width"], "height": im["height"]}
            for k, im in enumerate(images, start=1)
        ],
        "annotations": annotations,
        "categories": [{"id": k, "name": name} for k, name in enumerate(CLASSES, start=1)],
    }
    return json.dumps(data, indent=1) + "\n"


def _yolo(image: dict) -> str:
    lines = []
    for cls, x1, y1, x2, y2 in image["objects"]:
        w, h = image["width"], image["height"]
        values = ((x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h)
        lines.append(f"{CLASSES.index(cls)} " + " ".join(f"{v:.8f}" for v in values))
    return "".join(line + "\n" for line in lines)


def _voc(image: dict) -> str:
    objects = "".join(
        "  <object>\n"
        f"    <name>{cls}</name>\n    <pose>Unspecified</pose>\n    <truncated>0</truncated>\n"
        "    <difficult>0</difficult>\n    <bndbox>\n"
        f"      <xmin>{x1 + 1}</xmin>\n      <ymin>{y1 + 1}</ymin>\n"
        f"      <xmax>{x2}</xmax>\n      <ymax>{y2}</ymax>\n    </bndbox>\n  </object>\n"
        for cls, x1, y1, x2, y2 in image["objects"]
    )
    return (
        "<annotation>\n  <folder>images</folder>\n"
        f"  <filename>{image['name']}.png</filename>\n"
        f"  <size>\n    <width>{image['width']}</width>\n    <height>{image['height']}</height>\n"
        "    <depth>1</depth>\n  </size>\n  <segmented>0</segmented>\n"
        f"{objects}</annotation>\n"
    )


def _csv(images: list[dict]) -> str:
    rows = []
    for image in images:
        path = f"images/{image['name']}.png"
        if not image["objects"]:
            rows.append(f"{path},,,,,")
        rows += [f"{path},{x1},{y1},{x2},{y2},{cls}" for cls, x1, y1, x2, y2 in image["objects"]]
    return "".join(row + "\n" for row in rows)


def write_sample(out: Path, seed: int = SEED) -> None:
    """Write every format of the sample dataset into ``out``."""
    from PIL import Image

    images = sample_annotations(seed)
    for folder in ("images", "labels", "Annotations"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    (out / "annotations.json").write_text(_coco(images))
    (out / "annotations.csv").write_text(_csv(images))
    (out / "classes.csv").write_text("".join(f"{name},{k}\n" for k, name in enumerate(CLASSES)))
    (out / "classes.txt").write_text("".join(f"{name}\n" for name in CLASSES))
    for image in images:
        (out / "labels" / f"{image['name']}.txt").write_text(_yolo(image))
        (out / "Annotations" / f"{image['name']}.xml").write_text(_voc(image))
        Image.new("1", (image["width"], image["height"])).save(out / "images" / f"{image['name']}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "book" / "data" / "sample")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    write_sample(args.out, args.seed)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
