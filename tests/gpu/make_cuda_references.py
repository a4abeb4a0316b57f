"""transformers on CUDA as the reference for the CUDA engine (issue 16), run on the GPU machine by
scripts/gpu_check.sh: random-weight CLIPModels of ViT-B/32, B/16 and L/14's shapes saved as
Hugging Face folders, and their image and text embeddings computed on the GPU in float32 (TF32
off), in the layout of tests/reference/make_clip_models.py's fixtures (manifest.json; each
folder: pixels.npy, token_ids.json, image_raw.npy, text_raw.npy). src/cuda/cuda_reference_test.cpp
loads each folder on the GPU and compares.

Usage: python tests/gpu/make_cuda_references.py OUT_DIR [DEVICE]
(DEVICE: cuda, the default; cpu makes the same folders without a GPU, to check the script.)
"""
import json
import os
import sys

import numpy as np
import torch
import transformers
from transformers import CLIPConfig, CLIPModel

SHAPES = {  # vision width, heads, layers, patch; text width, heads, layers; projection
    "vit_b32": (768, 12, 12, 32, 512, 8, 12, 512),
    "vit_b16": (768, 12, 12, 16, 512, 8, 12, 512),
    "vit_l14": (1024, 16, 24, 14, 768, 12, 12, 768),
}
VOCAB = 49408  # CLIP's: the end-of-text token is the highest id, where both pooling rules agree


def random_model(shape, seed):
    vw, vh, vl, patch, tw, th, tl, proj = shape
    config = CLIPConfig(
        vision_config=dict(hidden_size=vw, num_attention_heads=vh, num_hidden_layers=vl,
                           intermediate_size=4 * vw, patch_size=patch, image_size=224,
                           hidden_act="quick_gelu"),
        text_config=dict(hidden_size=tw, num_attention_heads=th, num_hidden_layers=tl,
                         intermediate_size=4 * tw, vocab_size=VOCAB, max_position_embeddings=77,
                         hidden_act="quick_gelu", eos_token_id=VOCAB - 1),
        projection_dim=proj)
    torch.manual_seed(seed)
    model = CLIPModel(config).eval()
    with torch.no_grad():  # every bias and norm away from its init, so that each one counts
        for name, p in model.named_parameters():
            if name.endswith("bias") or "layer_norm" in name or "layrnorm" in name:
                p.add_(torch.randn_like(p) * 0.02)
    return model


def texts(rng):
    lengths = [2, 5, 9, 17, 33, 50, 76, 77]
    out = []
    for n in lengths:
        ids = [49406] + rng.integers(1, VOCAB - 2, size=n - 2).tolist() + [VOCAB - 1]
        out.append([int(i) for i in ids])
    return out


def main():
    out_dir = sys.argv[1]
    device = sys.argv[2] if len(sys.argv) > 2 else "cuda"
    os.makedirs(out_dir, exist_ok=True)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    manifest = []
    for seed, (name, shape) in enumerate(SHAPES.items()):
        folder = os.path.join(out_dir, name)
        model = random_model(shape, seed)
        model.save_pretrained(folder, safe_serialization=True)
        model = model.to(device)
        rng = np.random.default_rng(seed)
        pixels = rng.standard_normal((8, 3, 224, 224)).astype(np.float32)
        ids = texts(rng)
        with torch.no_grad():
            images = model.get_image_features(pixel_values=torch.from_numpy(pixels).to(device))
            embeddings = [model.get_text_features(input_ids=torch.tensor([t]).to(device))[0]
                          for t in ids]  # one by one: no padding, no mask to agree on
        np.save(os.path.join(folder, "pixels.npy"), pixels)
        np.save(os.path.join(folder, "image_raw.npy"), images.float().cpu().numpy())
        np.save(os.path.join(folder, "text_raw.npy"),
                torch.stack(embeddings).float().cpu().numpy())
        with open(os.path.join(folder, "token_ids.json"), "w") as f:
            json.dump(ids, f)
        manifest.append({"name": name, "dir": os.path.abspath(folder), "layout": "huggingface",
                         "dtype": "f32"})
        where = torch.cuda.get_device_name(0) if device == "cuda" else device
        print(f"{name}: transformers {transformers.__version__} on {where}, float32")
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
