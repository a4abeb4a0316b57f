"""clipsearch.Model with SigLIP (no class token, attention-probe pooling, an unmasked text tower
pooled at its last padded position, SiglipTokenizer's spiece.model, sigmoid scores) against
transformers 4.37.2, which runs in its own venv (.venv-siglip): the reference's folder and
probabilities come from tests/reference/make_siglip_search_reference.py run there."""
import json
import os
import subprocess

import numpy as np
import pytest

import clipsearch
from conftest import ROOT

SIGLIP_PYTHON = os.environ.get("CLIPSEARCH_SIGLIP_PYTHON",
                               os.path.join(ROOT, ".venv-siglip", "bin", "python"))


@pytest.fixture(scope="module")
def siglip(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("siglip"))
    subprocess.run([SIGLIP_PYTHON, "-W", "ignore",
                    os.path.join(ROOT, "tests", "reference", "make_siglip_search_reference.py"),
                    "--out", out], check=True, capture_output=True)
    with open(os.path.join(out, "reference.json")) as f:
        return out, json.load(f)


def test_siglip_tokenizes_pads_and_scores_as_the_reference(siglip):
    out, want = siglip
    model = clipsearch.Model.from_pretrained(os.path.join(out, "model"))
    info = model.info
    assert info["text_tower"] == "siglip"
    assert info["score_kind"] == "sigmoid"
    assert model.tokenize(want["texts"]) == want["text_ids"]  # padded to 64 with </s>
    files = [os.path.join(out, "library", name) for name in want["images"]]
    images = model.get_image_features(files)
    texts = model.get_text_features(want["texts"])
    # ref: SiglipModel.forward: sigmoid(exp(logit_scale) * cosine + logit_bias), per text.
    logits = np.exp(info["logit_scale"]) * texts @ images.T + info["logit_bias"]
    probabilities = 1 / (1 + np.exp(-logits))
    assert np.abs(probabilities - np.array(want["probabilities"])).max() < 1e-5
