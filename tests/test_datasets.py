"""Tests of anchorlib.datasets: the four annotation loaders, the synthetic boxes, letterbox scaling."""

import json
from pathlib import Path

import numpy as np
import pytest

import anchorlib
from tools.make_sample_data import sample_annotations, write_sample

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "book" / "data" / "sample"
SAMPLE_PATHS = {
    "coco": SAMPLE / "annotations.json",
    "yolo": SAMPLE / "labels",
    "voc": SAMPLE / "Annotations",
    "csv": SAMPLE / "annotations.csv",
}


def _truth():
    """The generator's own integer boxes, in continuous pixels, before any file is written."""
    images = sample_annotations()
    rows = [(im, obj) for im in images for obj in im["objects"]]
    boxes = np.array([obj[1:] for _, obj in rows], dtype=float)
    image_wh = np.array([(im["width"], im["height"]) for im, _ in rows], dtype=float)
    classes = tuple(obj[0] for _, obj in rows)
    names = tuple(f"{im['name']}.png" for im, _ in rows)
    return boxes, image_wh, classes, names, len(images)


@pytest.mark.parametrize("fmt", sorted(SAMPLE_PATHS))
def test_every_format_of_the_shipped_sample_gives_the_same_boxes(fmt):
    boxes, image_wh, classes, names, num_images = _truth()
    data = anchorlib.load_boxes(SAMPLE_PATHS[fmt])  # format guessed from the path
    assert data.fmt == fmt
    # YOLO stores cx, cy, w, h / image size with 8 decimals: at most 0.5e-8 * 1024 px off.
    atol = 1e-5 if fmt == "yolo" else 0
    np.testing.assert_allclose(data.boxes, boxes, rtol=0, atol=atol)
    np.testing.assert_array_equal(data.image_wh, image_wh)
    assert data.classes == classes
    assert tuple(Path(name).name for name in data.images) == names
    assert data.num_images == num_images and data.skipped == ()
    assert 200 <= len(data.boxes) <= 400  # "a few hundred boxes"


def test_sample_is_reproducible(tmp_path):
    write_sample(tmp_path)
    for path in sorted(SAMPLE.rglob("*")):
        if path.is_file():
            fresh = tmp_path / path.relative_to(SAMPLE)
            if path.suffix == ".png":  # PNG bytes depend on zlib; the header size is what counts
                from PIL import Image

                assert Image.open(fresh).size == Image.open(path).size
            else:
                assert fresh.read_bytes() == path.read_bytes(), path


def test_yolo_root_folder_and_given_image_size(tmp_path):
    (tmp_path / "labels").mkdir()
    # By hand: 100 x 50 image, cx 0.5 cy 0.5 w 0.2 h 0.4 -> x 40..60, y 15..35.
    (tmp_path / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.4\n\n")
    data = anchorlib.load_boxes(tmp_path, image_size=(100, 50))
    assert data.fmt == "yolo" and data.classes == ("0",)
    np.testing.assert_allclose(data.boxes, [[40, 15, 60, 35]])
    data = anchorlib.load_boxes(tmp_path / "labels", "yolo", image_size={"a": (200, 100)})
    np.testing.assert_allclose(data.boxes, [[80, 30, 120, 70]])


def test_yolo_image_sizes_from_headers_follow_exif_rotation(tmp_path):
    from PIL import Image

    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": the image is shown 20 wide and 30 tall
    Image.new("1", (30, 20)).save(tmp_path / "images" / "a.png", exif=exif)
    Image.new("1", (30, 20)).save(tmp_path / "images" / "b.png")
    for stem in "ab":
        (tmp_path / "labels" / f"{stem}.txt").write_text("1.0 0.5 0.5 0.5 0.5\n")  # float class ids are read too
    data = anchorlib.load_boxes(tmp_path)
    assert data.image_wh.tolist() == [[20.0, 30.0], [30.0, 20.0]] and data.classes == ("1", "1")
    assert data.images == ("a.png", "b.png")


def test_voc_is_one_based_inclusive(tmp_path):
    # py-faster-rcnn lib/datasets/pascal_voc.py: x1 = xmin - 1 (0-based), width = xmax - xmin + 1.
    # A box covering pixels 1..10 (1-based) is [0, 10) in continuous coordinates, 10 px wide.
    (tmp_path / "a.xml").write_text(
        "<annotation><size><width>20</width><height>20</height></size><object><name>cat</name>"
        "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>10</xmax><ymax>5</ymax></bndbox></object></annotation>"
    )
    data = anchorlib.load_boxes(tmp_path)
    assert data.boxes.tolist() == [[0.0, 0.0, 10.0, 5.0]] and data.images == ("a.jpg",)


def _coco(tmp_path, annotations, images=None):
    data = {
        "images": images or [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 80}],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": annotations,
    }
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data))
    return path


def test_degenerate_and_crowd_boxes_are_reported_not_silently_dropped(tmp_path):
    path = _coco(tmp_path, [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10]},
        {"id": 2, "image_id": 1, "category_id": 1, "bbox": [5, 5, 0, 10]},
        {"id": 3, "image_id": 1, "category_id": 1, "bbox": [5, 5, 50, 50], "iscrowd": 1},
        {"id": 4, "image_id": 1, "category_id": 1, "bbox": [90, 70, 20, 20]},
    ])
    data = anchorlib.load_boxes(path)
    assert len(data.boxes) == 2 and len(data.skipped) == 2
    assert "annotations[1] (id 2)" in data.skipped[0] and "zero width" in data.skipped[0]
    assert "iscrowd" in data.skipped[1]
    summary = data.summary()
    assert "2 boxes left out" in summary and "1 boxes extend beyond their image" in summary


def test_csv_rows_and_unknown_image_sizes(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("missing.jpg,1,2,11,22,dog\nempty.jpg,,,,,\nmissing.jpg,3,3,3,9,dog\n")
    data = anchorlib.load_boxes(path)
    assert data.boxes.tolist() == [[1.0, 2.0, 11.0, 22.0]] and data.num_images == 2
    assert np.isnan(data.image_wh).all() and "image size unknown for 1 boxes" in data.summary()
    assert "line 3" in data.skipped[0]
    assert anchorlib.load_boxes(path, image_size=(64, 32)).image_wh.tolist() == [[64.0, 32.0]]


MALFORMED = [
    ("a.csv", "img.jpg,1,2,3\n", "line 1: expected 6 fields"),
    ("a.csv", "img.jpg,1,2,3,4,cat\nimg.jpg,1,x,3,4,cat\n", "line 2: y1 is not a number: 'x'"),
    ("a.csv", "img.jpg,5,2,3,4,cat\n", "line 1: box has negative width"),
    ("a.csv", "img.jpg,1,2,3,4,\n", "line 1: empty class name"),
    ("a.json", "{not json", "not valid JSON"),
    ("a.json", json.dumps({"images": []}), "missing list 'annotations'"),
    ("a.json", json.dumps({"images": [{"id": 1, "width": 10, "height": 10}], "categories": [],
                           "annotations": [{"id": 9, "image_id": 2, "category_id": 1, "bbox": [0, 0, 1, 1]}]}),
     "annotations[0] (id 9): image_id 2 is not in 'images'"),
    ("a.json", json.dumps({"images": [{"id": 1, "width": 10, "height": 10}], "categories": [{"id": 1, "name": "a"}],
                           "annotations": [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1]}]}),
     "annotations[0]: bbox must be [x, y, width, height]"),
    ("a.json", json.dumps({"images": [{"id": 1, "width": 10, "height": 10}], "categories": [{"id": 1, "name": "a"}],
                           "annotations": [{"image_id": 1, "category_id": 1, "bbox": [0, 0, -1, 2]}]}),
     "annotations[0]: box has negative width"),
    ("a.xml", "<annotation><object>", "not valid XML"),
    ("a.xml", "<annotation><object><name>a</name></object></annotation>", "missing <size>"),
    ("a.xml", "<annotation><size><width>9</width><height>9</height></size><object><name>a</name>"
              "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>4</xmax></bndbox></object></annotation>",
     "object 1: missing <ymax>"),
]


@pytest.mark.parametrize("name, text, words", MALFORMED)
def test_malformed_files_name_the_file_the_entry_and_the_problem(tmp_path, name, text, words):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError) as error:
        anchorlib.load_boxes(path)
    assert str(path) in str(error.value) and words in str(error.value)


@pytest.mark.parametrize(
    "line, words",
    [
        ("0 0.5 0.5 0.2", "line 2: expected 5 values"),
        ("-1 0.5 0.5 0.2 0.2", "line 2: class must be a non-negative integer"),
        ("0.5 0.5 0.5 0.2 0.2", "line 2: class must be a non-negative integer"),
        ("cat 0.5 0.5 0.2 0.2", "line 2: class is not a number: 'cat'"),
        ("3 0.5 0.5 0.2 0.2", "line 2: class 3 is not in classes.txt"),
        ("0 0.5 0.5 1.2 0.2", "line 2: cx cy w h must be normalised"),
        ("0 0.5 nan 0.2 0.2", "line 2: cy is not finite"),
    ],
)
def test_malformed_yolo_labels(tmp_path, line, words):
    (tmp_path / "labels").mkdir()
    (tmp_path / "classes.txt").write_text("a\nb\n")
    path = tmp_path / "labels" / "x.txt"
    path.write_text("0 0.5 0.5 0.1 0.1\n" + line + "\n")
    with pytest.raises(ValueError) as error:
        anchorlib.load_boxes(tmp_path, image_size=(10, 10))
    assert str(path) in str(error.value) and words in str(error.value)


def test_yolo_without_images_or_sizes(tmp_path):
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "x.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    with pytest.raises(FileNotFoundError, match="x.txt: no image x.* in .*image_size="):
        anchorlib.load_boxes(tmp_path)


def test_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        anchorlib.load_boxes(tmp_path / "nothing.json")
    with pytest.raises(ValueError, match="fmt must be one of"):
        anchorlib.load_boxes(SAMPLE_PATHS["coco"], "kitti")
    with pytest.raises(ValueError, match="cannot guess .* \\(found voc and yolo\\)"):
        anchorlib.load_boxes(SAMPLE)
    (tmp_path / "x.txt.bak").write_text("")
    with pytest.raises(ValueError, match="cannot guess"):
        anchorlib.load_boxes(tmp_path / "x.txt.bak")
    with pytest.raises(TypeError, match="image_size must be a \\(width, height\\) pair"):  # as shape_pair
        anchorlib.load_boxes(SAMPLE_PATHS["yolo"], image_size=640)
    with pytest.raises(ValueError, match="image_size\\[1\\] must be positive"):
        anchorlib.load_boxes(SAMPLE_PATHS["yolo"], image_size=(640, 0))


def test_synthetic_boxes_are_seeded_and_coco_like():
    a = anchorlib.synthetic_boxes(5000, seed=1)
    b = anchorlib.synthetic_boxes(5000, seed=1)
    np.testing.assert_array_equal(a.boxes, b.boxes)
    assert not np.array_equal(a.boxes, anchorlib.synthetic_boxes(5000, seed=2).boxes)
    assert np.all(a.boxes[:, :2] >= 0) and np.all(a.boxes[:, 2:] <= [640, 480])
    # COCO's published size mix (cocodataset.org detection evaluation): 41 % small (< 32^2),
    # 34 % medium, 24 % large. Within sampling noise plus the clipping to the image:
    area = a.wh.prod(axis=1)
    assert abs(np.mean(area < 32**2) - 0.41) < 0.03
    assert abs(np.mean(area >= 96**2) - 0.24) < 0.03
    ratio = a.wh[:, 1] / a.wh[:, 0]
    tall = np.array(a.classes) == "tall"
    assert np.median(ratio[tall]) > 2 and np.median(ratio[~tall]) < 1.2
    with pytest.raises(TypeError, match="seed must be an integer"):
        anchorlib.synthetic_boxes(5, seed=None)
    with pytest.raises(ValueError, match="n must be positive"):
        anchorlib.synthetic_boxes(0, seed=0)


def test_annotations_are_read_only():
    data = anchorlib.synthetic_boxes(3, seed=0)
    with pytest.raises(ValueError):
        data.boxes[0, 0] = 1
    with pytest.raises(AttributeError):
        data.fmt = "coco"


def test_letterbox_wh():
    # By hand: a 1280 x 720 image resized to long side 640 halves every box; a 480 x 640 image is
    # already there.
    wh = anchorlib.letterbox_wh([[0, 0, 100, 50], [10, 10, 20, 40]], [[1280, 720], [480, 640]], 640)
    assert wh.tolist() == [[50.0, 25.0], [10.0, 30.0]]
    with pytest.raises(ValueError, match="image_wh must have shape \\(1, 2\\)"):
        anchorlib.letterbox_wh([[0, 0, 1, 1]], [640, 480], 640)
    with pytest.raises(ValueError, match="image_wh holds unknown image sizes"):
        anchorlib.letterbox_wh([[0, 0, 1, 1]], [[np.nan, 480]], 640)
    with pytest.raises(ValueError, match="image_wh must be finite"):
        anchorlib.letterbox_wh([[0, 0, 1, 1]], [[np.inf, 480]], 640)
    with pytest.raises(ValueError, match="long_side must be positive"):
        anchorlib.letterbox_wh([[0, 0, 1, 1]], [[640, 480]], 0)


# --- the raccoon_dataset CSV layout and bad input (issue 17, items 6 and 7) ---------------------------

# Two rows written here by hand in the layout of datitran/raccoon_dataset's xml_to_csv.py (header
# `filename,width,height,class,xmin,ymin,xmax,ymax`, VOC values copied verbatim); the numbers are
# made up. The VOC XML of the same first object is written below to show both give one box.
VOC_CSV = """filename,width,height,class,xmin,ymin,xmax,ymax
a.jpg,650,417,raccoon,81,88,522,408
b.jpg,200,100,dog,1,1,50,100
"""

VOC_XML = """<annotation><filename>a.jpg</filename><size><width>650</width><height>417</height></size>
<object><name>raccoon</name><bndbox><xmin>81</xmin><ymin>88</ymin><xmax>522</xmax><ymax>408</ymax></bndbox></object>
</annotation>"""


def test_voc_csv_layout_reads_like_the_xml_it_was_made_from(tmp_path):
    (tmp_path / "labels.csv").write_text(VOC_CSV)
    (tmp_path / "a.xml").write_text(VOC_XML)
    data = anchorlib.load_boxes(tmp_path / "labels.csv")
    # By hand, the VOC rule: x1 = xmin - 1, y1 = ymin - 1, x2 = xmax, y2 = ymax.
    assert data.boxes.tolist() == [[80, 87, 522, 408], [0, 0, 50, 100]]
    assert data.image_wh.tolist() == [[650, 417], [200, 100]]  # from the width/height columns
    assert data.classes == ("raccoon", "dog") and data.num_images == 2 and data.fmt == "csv"
    xml = anchorlib.load_boxes(tmp_path / "a.xml")
    assert xml.boxes.tolist() == data.boxes[:1].tolist()
    assert "VOC boxes are xmax - xmin + 1 pixels wide" in xml.summary().splitlines()[1]


def test_voc_csv_layout_with_a_byte_order_mark_and_bad_rows(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_bytes(b"\xef\xbb\xbf" + VOC_CSV.encode())  # as spreadsheet programs save it
    assert len(anchorlib.load_boxes(path).boxes) == 2
    path.write_text(VOC_CSV + "c.jpg,10,10,cat,1,1\n")
    with pytest.raises(ValueError, match=r"labels.csv: line 4: expected 8 fields"):
        anchorlib.load_boxes(path)
    path.write_text(VOC_CSV)
    with pytest.raises(ValueError, match="drop image_size"):
        anchorlib.load_boxes(path, image_size=(10, 10))


@pytest.mark.parametrize("name", ["a.json", "a.csv", "labels/a.txt", "classes.txt"])
def test_text_that_is_not_utf8_names_the_file(tmp_path, name):
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "b.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (tmp_path / name).write_bytes("caf\u00e9 1 2".encode("latin-1"))  # Latin-1, not UTF-8
    path = tmp_path if name.endswith(".txt") else tmp_path / name
    with pytest.raises(ValueError, match=rf"{name}: not UTF-8 text"):
        sizes = (10, 10) if name.endswith((".txt", ".csv")) else None
        anchorlib.load_boxes(path, "yolo" if name.endswith(".txt") else None, image_size=sizes)


def _one_box_coco(tmp_path, bbox, images=None):
    images = images or [{"id": 1, "width": 64, "height": 48}]
    data = {"images": images, "categories": [{"id": 1, "name": "a"}],
            "annotations": [{"id": 9, "image_id": 1, "category_id": 1, "bbox": bbox}]}
    (tmp_path / "c.json").write_text(json.dumps(data))
    return tmp_path / "c.json"


@pytest.mark.parametrize(
    "bbox, words",
    [
        ([1e308, 0, 1e308, 10], "box area overflows"),
        ([0, 0, 1e6, 10], r"box \[0.0, 0.0, 1000000.0, 10.0\] lies more than one image size outside"),
        ([True, 0, 10, 10], "bbox must be a JSON number, got True"),
        (["10", 0, 10, 10], "bbox must be a JSON number, got '10'"),
    ],
)
def test_coco_boxes_that_would_move_the_anchors_are_refused(tmp_path, bbox, words):
    with pytest.raises(ValueError, match=rf"c.json: annotations\[0\] \(id 9\): {words}"):
        anchorlib.load_boxes(_one_box_coco(tmp_path, bbox))


def test_duplicate_coco_image_ids_are_refused(tmp_path):
    images = [{"id": 1, "width": 64, "height": 48}, {"id": 1, "width": 640, "height": 480}]
    with pytest.raises(ValueError, match=r"c.json: images\[1\]: id 1 appears twice"):
        anchorlib.load_boxes(_one_box_coco(tmp_path, [0, 0, 10, 10], images))


def test_image_size_is_refused_where_the_files_give_sizes(tmp_path):
    with pytest.raises(ValueError, match="image_size applies to YOLO labels and CSV files only: COCO"):
        anchorlib.load_boxes(_one_box_coco(tmp_path, [0, 0, 10, 10]), image_size=(10, 10))
    (tmp_path / "a.xml").write_text(VOC_XML)
    with pytest.raises(ValueError, match="only: VOC"):
        anchorlib.load_boxes(tmp_path / "a.xml", image_size=(10, 10))


def test_a_dataset_root_points_at_its_annotations_folder(tmp_path):
    (tmp_path / "annotations").mkdir()
    (tmp_path / "images").mkdir()
    (tmp_path / "annotations" / "a.xml").write_text(VOC_XML)
    with pytest.raises(ValueError, match=r"annotations are in .*annotations \(1 .xml file\): pass one of those"):
        anchorlib.load_boxes(tmp_path)


def test_keep_ratio_wh_by_hand():
    # 640x480 to short side 800: factor 800 / 480; 2000x500: 800 / 500 = 1.6 would make the long side
    # 3200 > 1333, so the factor is 1333 / 2000.
    wh = anchorlib.keep_ratio_wh([[0, 0, 30, 60], [0, 0, 30, 60]], [[640, 480], [2000, 500]], 800, 1333)
    np.testing.assert_allclose(wh, [[50, 100], [30 * 0.6665, 60 * 0.6665]])
    with pytest.raises(ValueError, match="unknown image sizes"):
        anchorlib.keep_ratio_wh([[0, 0, 1, 1]], [[np.nan, np.nan]], 800, 1333)


def test_an_array_in_an_error_message_stays_on_one_line():
    # The 5-line "image_wh must be finite ... array([[nan, nan], ..." came from an array's repr.
    with pytest.raises(ValueError) as error:
        anchorlib.letterbox_wh([[0, 0, 1, 1]] * 3, np.full((3, 2), np.inf), 640)
    assert "must be finite" in str(error.value) and "\n" not in str(error.value)
