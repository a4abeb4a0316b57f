"""Builds the repositories the fake hub (tests/hub/fake_hub.py) serves in src/hub/hub_test.cpp,
from the random-weight text model of the text_embed_reference fixture.

Output, under $CLIPSEARCH_REFERENCE_DIR/hub_repos:
  clip-tiny/       config.json, model.safetensors, vocab.json, merges.txt,
                   preprocessor_config.json (no tokenizer_config.json, special_tokens_map.json:
                   the optional files answer 404)
  clip-tiny-bin/   the same model saved by transformers 4.25.1's save_pretrained default:
                   pytorch_model.bin instead of model.safetensors
  no-weights/      config.json only
"""
import json
import os
import shutil
import sys

ROOT = os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference")
PREPROCESSOR = {
    "crop_size": 32, "do_center_crop": True, "do_normalize": True, "do_resize": True,
    "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 32,
}


def main():
    from transformers import CLIPModel

    source = os.path.join(ROOT, "text_embed", "model")
    out_root = os.path.join(ROOT, "hub_repos")
    shutil.rmtree(out_root, ignore_errors=True)
    tiny = os.path.join(out_root, "clip-tiny")
    os.makedirs(tiny)
    for name in ("config.json", "model.safetensors", "vocab.json", "merges.txt"):
        shutil.copy(os.path.join(source, name), tiny)
    with open(os.path.join(tiny, "preprocessor_config.json"), "w") as f:
        json.dump(PREPROCESSOR, f, indent=2)
    binary = os.path.join(out_root, "clip-tiny-bin")
    CLIPModel.from_pretrained(source).save_pretrained(binary)  # pytorch_model.bin by default
    assert os.path.exists(os.path.join(binary, "pytorch_model.bin"))
    for name in ("vocab.json", "merges.txt", "preprocessor_config.json"):
        shutil.copy(os.path.join(tiny, name), binary)
    bare = os.path.join(out_root, "no-weights")
    os.makedirs(bare)
    shutil.copy(os.path.join(source, "config.json"), bare)
    print(f"wrote hub repositories to {out_root}")


if __name__ == "__main__":
    sys.exit(main())
