"""`inception`: a one-line error naming the missing weights file, the architecture's shape (pinned to
the parameter count of torchvision's Inception-v3 with a 1008-way classifier), and the weight-file
round trip (random weights: the real ones cannot be fetched offline)."""
from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

import gankit.features.inception as inception
from gankit.errors import GankitError
from gankit.features import get_extractor


@pytest.fixture
def no_weights(monkeypatch, tmp_path):
    monkeypatch.delenv("GANKIT_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.setattr(inception, "DEFAULT_WEIGHTS", tmp_path / inception.WEIGHTS_NAME)
    return tmp_path / inception.WEIGHTS_NAME


def test_without_weights_the_error_is_one_line_naming_the_file_and_where_it_goes(no_weights):
    with pytest.raises(GankitError) as error:
        get_extractor("inception")
    message = str(error.value)
    assert "\n" not in message
    assert "pt_inception-2015-12-05-6726825d.pth" in message and str(no_weights) in message
    assert "GANKIT_INCEPTION_WEIGHTS" in message and "eval.inception_weights" in message


def test_an_explicit_path_that_does_not_exist_is_named(no_weights, tmp_path):
    with pytest.raises(GankitError, match=str(tmp_path / "elsewhere.pth")):
        get_extractor("inception", inception_weights=str(tmp_path / "elsewhere.pth"))


def test_architecture_matches_the_fid_network_in_size_and_names():
    net = inception.FIDInceptionV3()
    # torchvision's Inception-v3 without aux logits has 23,834,568 parameters with 1000 classes;
    # the FID graph's classifier has 1008: + 8 x (2048 + 1).
    assert sum(p.numel() for p in net.parameters()) == 23_834_568 + 8 * 2049
    shapes = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    assert shapes["Conv2d_1a_3x3.conv.weight"] == (32, 3, 3, 3)
    assert shapes["Mixed_6b.branch7x7_2.conv.weight"] == (128, 128, 1, 7)
    assert shapes["Mixed_7c.branch3x3dbl_3b.conv.weight"] == (384, 384, 3, 1)
    assert shapes["fc.weight"] == (1008, 2048)


def test_weights_from_a_file_give_2048_d_features_and_1008_class_probabilities(no_weights, tmp_path, monkeypatch):
    torch.manual_seed(0)
    state = {k: v.contiguous() for k, v in inception.FIDInceptionV3().state_dict().items()
             if not k.endswith("num_batches_tracked")}  # old .pth files lack the counters
    path = tmp_path / "fid.safetensors"
    save_file(state, str(path))
    monkeypatch.setenv("GANKIT_INCEPTION_WEIGHTS", str(path))
    extractor = get_extractor("inception")
    images = torch.randint(0, 256, (2, 1, 28, 28), dtype=torch.uint8)
    out = extractor.extract(images)
    assert out.features.shape == (2, 2048) and out.probs.shape == (2, 1008)
    assert (out.features >= 0).all()  # an average of ReLU outputs
    assert extractor.describe()["weights_sha256"] is not None and extractor.describe()["input_shape"] == [3, 299, 299]


def test_a_pth_that_is_not_the_inception_state_dict_is_refused(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"weight": torch.zeros(3)}, path)
    with pytest.raises(GankitError, match="not the FID Inception-v3 state dict"):
        get_extractor("inception", inception_weights=str(path))
    path.write_bytes(b"not a pickle")
    with pytest.raises(GankitError, match="cannot read Inception weights"):
        get_extractor("inception", inception_weights=str(path))
