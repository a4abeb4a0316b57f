#!/usr/bin/env python3
"""Reference for `clipsearch embed --text`: a small random-weight CLIPModel saved with a CLIP
vocabulary, and transformers' get_text_features on the ids of CLIPTokenizerFast.

Writes under $CLIPSEARCH_REFERENCE_DIR/text_embed/:
  model/        config.json + model.safetensors + vocab.json + merges.txt
  texts.json    the texts (UTF-8)
  text_raw.npy  float32 [T, P]: get_text_features (not normalized), one text at a time
"""
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokenizer_golden import derive_hf_vocab  # noqa: E402

ROOT = os.path.join(os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference"), "text_embed")
TEXTS = [
    "a photo of a cat",
    "",
    "A DOG running on a summer beach!!! 🏖️🐕",
    "Ünïcödé naïve café, ΟΔΟΣ, 日本語のテキスト, 한국어",
    "it's what they're doing <|endoftext|> after the end token",
    " ".join(["long caption"] * 60),  # truncated to 77 ids, end token kept
]


def main():
    from transformers import CLIPConfig, CLIPModel, CLIPTokenizerFast

    model_dir = os.path.join(ROOT, "model")
    shutil.rmtree(ROOT, ignore_errors=True)
    os.makedirs(model_dir)
    torch.manual_seed(20261126)
    config = CLIPConfig(
        text_config=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=77,
                         hidden_act="quick_gelu"),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, image_size=32, patch_size=16),
        projection_dim=24)
    model = CLIPModel(config).eval()
    with torch.no_grad():  # move norms and biases off their identity/zero initialization
        g = torch.Generator().manual_seed(7)
        for name, p in model.named_parameters():
            if p.ndim == 1 or name.endswith("bias") or "embedding" in name:
                p.add_(torch.randn(p.shape, generator=g) * 0.1)
    model.save_pretrained(model_dir, safe_serialization=True)
    derive_hf_vocab(model_dir)
    tok = CLIPTokenizerFast.from_pretrained(model_dir)
    rows = []
    with torch.no_grad():
        for text in TEXTS:
            ids = tok(text, truncation=True, max_length=77, return_tensors="pt")["input_ids"]
            rows.append(model.get_text_features(input_ids=ids)[0].numpy())
    np.save(os.path.join(ROOT, "text_raw.npy"), np.stack(rows).astype(np.float32))
    with open(os.path.join(ROOT, "texts.json"), "w", encoding="utf-8") as f:
        json.dump(TEXTS, f, ensure_ascii=False)
    print(f"wrote {len(TEXTS)} text embeddings to {ROOT}", file=sys.stderr)


if __name__ == "__main__":
    main()
