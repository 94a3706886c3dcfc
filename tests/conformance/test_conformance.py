"""anchorlib against the goldens of torchvision, mmdetection, detectron2, keras-retinanet and
py-faster-rcnn, and the receptive fields of the detectors' real FPN backbones, by gradient support
(receptive_torch: torchvision and detectron2; receptive_keras: keras-retinanet 1.0.0), and the FPN
level each box is pooled from (fpn_level: torchvision and detectron2)
(tests/conformance/<library>/, made by running each library itself with
`make conformance`; tools/conformance/<library>.py says exactly how and with which shims).

Every group of cases must be bit-exact, or be a known difference (replay.KNOWN_DIFFERENCES, with its
reason) that stays within its stated bounds. The expected values are the libraries' own outputs.
"""

import pytest
import replay

RESULTS = [result for library in replay.LIBRARIES for result in replay.replay(library)]


@pytest.mark.parametrize("result", RESULTS, ids=[f"{r.library}:{r.group}" for r in RESULTS])
def test_group(result):
    assert result.cases > 0
    known = result.known
    if known is None:
        assert result.exact == result.cases, (
            f"{result.cases - result.exact} of {result.cases} cases differ (max {result.max_difference:g}); "
            f"library call: {result.call}; anchorlib: {result.anchorlib}"
        )
    else:
        reason, fraction, largest = known
        assert result.cases - result.exact <= fraction * result.cases, reason
        assert result.max_difference <= largest, reason


@pytest.mark.parametrize("library", replay.LIBRARIES)
def test_goldens_name_the_library_version(library):
    about = replay.about(library)
    assert about["library"] == library and about["version"]


@pytest.mark.parametrize("library", replay.LIBRARIES)
def test_every_preset_is_checked_at_every_image_size(library):
    """The brief of the goldens: >= 12 sizes per preset, including 1x1, 2x3, 800x1333 and 2048x2048."""
    meta, _ = replay.load(library)
    sizes = {}
    for record in meta["groups"]:
        if record["kind"] == "anchors":
            sizes.setdefault(record["preset"], set()).add(tuple(record["image_shape"]))
    if library.startswith("receptive_") or library == "fpn_level":  # no preset in these goldens
        assert not sizes
        return
    assert sizes
    for preset, seen in sizes.items():
        assert len(seen) >= 12 and {(1, 1), (2, 3), (800, 1333), (2048, 2048)} <= seen, preset
