"""Builds random-weight SigLIP models with the reference (transformers 4.37.2 SiglipModel, run
by CLIPSEARCH_SIGLIP_PYTHON), saves them as the published folders are (config.json +
model.safetensors by save_pretrained, preprocessor_config.json by SiglipImageProcessor), and
writes the reference outputs that the C++ engine must reproduce.

Output, under $CLIPSEARCH_REFERENCE_DIR/siglip_models (or --out):
  manifest.json            one entry per model, read by src/model/siglip_reference_test.cpp
  <name>/config.json + model.safetensors + preprocessor_config.json
  <name>/pixels.npy        float32 [N,3,H,W]: SiglipImageProcessor's pixel_values of random
                           pictures of several sizes, then one random normal array
  <name>/token_ids.json    id lists of the context length, as SiglipTokenizer pads them (text,
                           </s>, then the pad id to the end; one text filling it, cut short)
  <name>/image_raw.npy     float32 [N,D] get_image_features
  <name>/text_raw.npy      float32 [T,D] get_text_features (the padded batch, no attention mask,
                           as SiglipModel is used)
  <name>/probabilities.npy float32 [T,N] sigmoid(logits_per_text) of SiglipModel.forward

Layer-norm weights, biases, embeddings and the probe are perturbed away from their initial
values, logit_scale and logit_bias drawn away from 0, so that a skipped bias, norm or scalar
cannot pass. Nothing is downloaded.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

PAD = 1  # SiglipTokenizer: </s> (id 1) ends the text and pads it


def perturb(model, generator):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1 or name.endswith("bias") or "embedding" in name or "probe" in name:
                p.add_(torch.randn(p.shape, generator=generator) * 0.1)
        model.logit_scale.fill_(float(2.0 + torch.rand(1, generator=generator)))
        model.logit_bias.fill_(float(-1.0 - torch.rand(1, generator=generator)))


def random_texts(rng, context_length, vocab_size):
    """Padded id lists: short, medium, one that fills the context (no </s>, as truncation leaves
    it) and one using the highest ids of the vocabulary."""
    texts = []
    for n in (1, 4, context_length // 2, context_length):
        body = rng.integers(2, vocab_size, size=n).tolist()
        ids = body + [PAD] if n < context_length else body
        texts.append(ids + [PAD] * (context_length - len(ids)))
    top = [vocab_size - 1, vocab_size - 2, 2, 3, PAD]
    texts.append(top + [PAD] * (context_length - len(top)))
    return texts


def processed_pixels(rng, processor, size):
    """pixel_values of random pictures of other sizes than the model's (SiglipImageProcessor),
    and one random normal array."""
    pictures = [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
                for h, w in ((37, 53), (size[0] * 2 + 3, size[1] + 1), (size[0], size[1]))]
    pixels = processor(images=pictures, return_tensors="np")["pixel_values"].astype(np.float32)
    noise = rng.standard_normal((1, 3, size[0], size[1])).astype(np.float32)
    return np.concatenate([pixels, noise])


def siglip_model(name, out_root, rng, text, vision):
    from transformers import SiglipConfig, SiglipImageProcessor, SiglipModel

    torch.manual_seed(int(rng.integers(1 << 30)))
    config = SiglipConfig(text_config=text, vision_config=vision)
    model = SiglipModel(config).eval()
    perturb(model, torch.Generator().manual_seed(int(rng.integers(1 << 30))))
    out_dir = os.path.join(out_root, name)
    model.save_pretrained(out_dir, safe_serialization=True)
    vc, tc = config.vision_config, config.text_config
    processor = SiglipImageProcessor(size={"height": vc.image_size, "width": vc.image_size},
                                     resample=3)
    processor.save_pretrained(out_dir)
    pixels = processed_pixels(rng, processor, (vc.image_size, vc.image_size))
    texts = random_texts(rng, tc.max_position_embeddings, tc.vocab_size)
    with torch.no_grad():
        ids = torch.tensor(texts, dtype=torch.long)
        pixel_values = torch.from_numpy(pixels)
        image = model.get_image_features(pixel_values=pixel_values).numpy()
        text = model.get_text_features(input_ids=ids).numpy()
        out = model(input_ids=ids, pixel_values=pixel_values)
        probabilities = torch.sigmoid(out.logits_per_text).numpy()
    assert np.allclose(out.text_embeds.numpy() * np.linalg.norm(text, axis=1, keepdims=True),
                       text, atol=1e-5)
    np.save(os.path.join(out_dir, "pixels.npy"), pixels)
    np.save(os.path.join(out_dir, "image_raw.npy"), image.astype(np.float32))
    np.save(os.path.join(out_dir, "text_raw.npy"), text.astype(np.float32))
    np.save(os.path.join(out_dir, "probabilities.npy"), probabilities.astype(np.float32))
    with open(os.path.join(out_dir, "token_ids.json"), "w") as f:
        json.dump(texts, f)
    print(f"{name}: logit_scale {model.logit_scale.item():.4f} "
          f"logit_bias {model.logit_bias.item():.4f}, probabilities "
          f"{probabilities.min():.4f}..{probabilities.max():.4f}")
    return {"name": name, "dir": out_dir, "logit_scale": model.logit_scale.item(),
            "logit_bias": model.logit_bias.item()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(
        os.environ.get("CLIPSEARCH_REFERENCE_DIR", "reference"), "siglip_models"))
    parser.add_argument("--no-full", action="store_true", help="skip the B/16-224-sized model")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(20240)
    entries = []
    # Small, at odd sizes: 48 px in patches of 8 (36 tokens), 3 heads, a context of 20, another
    # layer norm eps, exact GELU in the text tower.
    entries.append(siglip_model(
        "siglip_small_odd", args.out, rng,
        text=dict(vocab_size=1000, hidden_size=96, intermediate_size=200, num_hidden_layers=2,
                  num_attention_heads=3, max_position_embeddings=20, layer_norm_eps=1e-5,
                  hidden_act="gelu"),
        vision=dict(hidden_size=96, intermediate_size=200, num_hidden_layers=2,
                    num_attention_heads=3, image_size=48, patch_size=8)))
    # 256 px in patches of 16 (the -256 checkpoints' grid), narrow.
    entries.append(siglip_model(
        "siglip_256_narrow", args.out, rng,
        text=dict(vocab_size=500, hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                  num_attention_heads=4),
        vision=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                    num_attention_heads=4, image_size=256, patch_size=16)))
    if not args.no_full:
        # google/siglip-base-patch16-224's shapes: every size at SiglipConfig's defaults.
        entries.append(siglip_model("siglip_base_full", args.out, rng, text={}, vision={}))
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(entries, f, indent=2)
    print(f"wrote {len(entries)} reference models to {args.out}")


if __name__ == "__main__":
    sys.exit(main())
