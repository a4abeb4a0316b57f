"""Builds random-weight CLIP models with the reference (transformers 4.25.1 CLIPModel and
open_clip), saves them in the published layouts, and writes the reference embeddings that the
C++ engine must reproduce.

Output, under $CLIPSEARCH_REFERENCE_DIR/clip_models (or --out):
  manifest.json                       one entry per model, read by src/model/clip_reference_test.cpp
  <name>/config.json + model.safetensors            Hugging Face CLIPModel layout
  <name>/open_clip_config.json + open_clip_model.safetensors   open_clip layout
  <name>/pixels.npy        float32 [N,3,H,W] random pixels
  <name>/token_ids.json    list of token-id lists (unpadded, as clipsearch receives them)
  <name>/image_raw.npy     float32 [N,P] get_image_features / encode_image
  <name>/text_raw.npy      float32 [T,P] get_text_features / encode_text

Layer-norm weights, biases and embeddings are perturbed away from their initial values so a
skipped bias or norm cannot pass. Nothing is downloaded.
"""
import argparse
import copy
import json
import os
import shutil
import sys

import numpy as np
import torch
from safetensors.torch import save_file

BOS, EOS = 49406, 49407


def perturb(model, generator):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1 or name.endswith("bias") or "embedding" in name:
                p.add_(torch.randn(p.shape, generator=generator) * 0.1)


def random_texts(rng, context_length, vocab_size):
    """Token-id lists of varied lengths: short, medium, full context, and one with no EOS
    (pooling then falls on the highest id, wherever it is)."""
    top = min(vocab_size, BOS) - 1
    lengths = [2, 5, 11, context_length]
    texts = []
    for n in lengths:
        body = rng.integers(1, top, size=n - 2).tolist()
        texts.append([BOS] + body + [EOS] if vocab_size > EOS else [top + 1] + body + [top])
    no_eos = rng.integers(1, top, size=9).tolist()
    no_eos[4] = top  # highest id in the middle: pooled there, later tokens ignored
    texts.append(no_eos)
    return texts


def pad(texts, length, value):
    return torch.tensor([t + [value] * (length - len(t)) for t in texts], dtype=torch.long)


def save_hf(model, out_dir, dtype=torch.float32, shard_bytes=None):
    """Saves config.json + model.safetensors (or shards with an index) as save_pretrained does."""
    os.makedirs(out_dir, exist_ok=True)
    # A copy: converting in place would round the float32 model's own weights.
    model = copy.deepcopy(model).to(dtype)
    if shard_bytes:
        model.save_pretrained(out_dir, safe_serialization=True, max_shard_size=shard_bytes)
    else:
        model.save_pretrained(out_dir, safe_serialization=True)


def hf_model(name, out_root, rng, vision, text, projection_dim, variants=()):
    from transformers import CLIPConfig, CLIPModel

    torch.manual_seed(int(rng.integers(1 << 30)))
    config = CLIPConfig(text_config=text, vision_config=vision, projection_dim=projection_dim)
    model = CLIPModel(config).eval()
    g = torch.Generator().manual_seed(int(rng.integers(1 << 30)))
    perturb(model, g)
    out_dir = os.path.join(out_root, name)
    save_hf(model, out_dir)
    vc, tc = config.vision_config, config.text_config
    pixels = rng.standard_normal((3, 3, vc.image_size, vc.image_size)).astype(np.float32)
    texts = random_texts(rng, tc.max_position_embeddings, tc.vocab_size)
    with torch.no_grad():
        image = model.get_image_features(pixel_values=torch.from_numpy(pixels)).numpy()
        # Each text alone, unpadded: pooling at the highest id is then what the model defines
        # for every case, the text without <|endoftext|> included.
        text = np.concatenate([
            model.get_text_features(input_ids=torch.tensor([t])).numpy() for t in texts])
        # The recipe's padded batch (CLIPTokenizer pads with <|endoftext|>, with an attention
        # mask) must agree for every text that ends with <|endoftext|>.
        with_eos = [i for i, t in enumerate(texts) if t[-1] == max(t)]
        length = max(len(texts[i]) for i in with_eos)
        ids = pad([texts[i] for i in with_eos], length, EOS)
        mask = pad([[1] * len(texts[i]) for i in with_eos], length, 0)
        padded = model.get_text_features(input_ids=ids, attention_mask=mask).numpy()
        assert np.allclose(padded, text[with_eos], rtol=1e-4, atol=1e-5), name
    entries = [write_case(out_root, name, "huggingface", pixels, texts, image, text, "f32")]
    for variant in variants:
        vdir = os.path.join(out_root, name + "_" + variant)
        if variant == "f16":
            save_hf(model, vdir, dtype=torch.float16)
        elif variant == "bf16":
            save_hf(model, vdir, dtype=torch.bfloat16)
        elif variant == "sharded":
            save_hf(model, vdir, shard_bytes="200KB")
        entries.append(
            write_case(out_root, name + "_" + variant, "huggingface", pixels, texts, image, text,
                       variant))
    return entries


def calibrate_batch_norms(model, size, rng):
    """Gives every BatchNorm2d the statistics of real activations (a train-mode pass over
    random pictures, cumulative averages), then moves gamma, beta and the statistics away from
    them, so that a folded or skipped batch norm cannot pass and activations stay O(1).

    The last batch norm of each residual branch (bn3) gets a small gamma, as trained ResNets have
    (open_clip initializes it to zero): with gammas near 1 there, 16 random blocks amplify float32
    rounding about a thousandfold and no float32 implementation, PyTorch's own included, stays
    within 1e-4 of the float64 result."""
    named = [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.BatchNorm2d)]
    norms = [m for _, m in named]
    if not norms:
        return
    g = torch.Generator().manual_seed(int(rng.integers(1 << 30)))
    with torch.no_grad():
        for name, bn in named:
            low, span = (0.1, 0.2) if name.endswith("bn3") else (0.5, 1.0)
            bn.weight.copy_(low + span * torch.rand(bn.weight.shape, generator=g))
            bn.bias.copy_(0.1 * torch.randn(bn.bias.shape, generator=g))
            bn.reset_running_stats()
            bn.momentum = None
        model.visual.train()
        for _ in range(2):
            model.visual(torch.from_numpy(
                rng.standard_normal((2, 3, size, size)).astype(np.float32)))
        model.visual.eval()
        for bn in norms:
            bn.running_mean.add_(0.05 * torch.randn(bn.running_mean.shape, generator=g))
            bn.running_var.mul_(0.8 + 0.4 * torch.rand(bn.running_var.shape, generator=g))


def build_open_clip(rng, vision, text, embed_dim, quick_gelu, custom_text=False):
    """A random-weight open_clip CLIP (CustomTextCLIP with custom_text): biases, norms and
    embeddings perturbed, batch norms calibrated."""
    import open_clip

    torch.manual_seed(int(rng.integers(1 << 30)))
    cls = open_clip.model.CustomTextCLIP if custom_text else open_clip.model.CLIP
    model = cls(embed_dim=embed_dim, vision_cfg=vision, text_cfg=text,
                quick_gelu=quick_gelu).eval()
    g = torch.Generator().manual_seed(int(rng.integers(1 << 30)))
    perturb(model, g)
    calibrate_batch_norms(model, vision["image_size"], rng)
    return model


def save_open_clip(model, out_dir, model_cfg):
    """open_clip's hub layout: open_clip_config.json (OpenAI's mean and std) and
    open_clip_model.safetensors."""
    os.makedirs(out_dir, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(out_dir, "open_clip_model.safetensors"))
    cfg = {"model_cfg": model_cfg,
           "preprocess_cfg": {"mean": [0.48145466, 0.4578275, 0.40821073],
                              "std": [0.26862954, 0.26130258, 0.27577711]}}
    with open(os.path.join(out_dir, "open_clip_config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


def open_clip_model(name, out_root, rng, vision, text, embed_dim, quick_gelu, custom_text=False,
                    images=2):
    model = build_open_clip(rng, vision, text, embed_dim, quick_gelu, custom_text)
    size = vision["image_size"]
    out_dir = os.path.join(out_root, name)
    model_cfg = {"embed_dim": embed_dim, "quick_gelu": quick_gelu, "vision_cfg": vision,
                 "text_cfg": text}
    if custom_text:
        model_cfg["custom_text"] = True
    save_open_clip(model, out_dir, model_cfg)
    return open_clip_case(model, name, out_root, rng, size, text, images)


def open_clip_case(model, name, out_root, rng, size, text, images=2):
    """Random pixels and texts through an open_clip model, written as the model's case."""
    context = text.get("context_length", 77)
    vocab = text.get("vocab_size", 49408)
    pixels = rng.standard_normal((images, 3, size, size)).astype(np.float32)
    texts = random_texts(rng, context, vocab)
    with torch.no_grad():
        image = model.encode_image(torch.from_numpy(pixels)).numpy()
        text_out = model.encode_text(pad(texts, context, 0)).numpy()
    return [write_case(out_root, name, "open_clip", pixels, texts, image, text_out, "f32")]


def resized_positions(state, model, key):
    """open_clip's resize_pos_embed (2.23) for the position embedding at `key`: the first row
    kept, the square grid resized by F.interpolate(bicubic, antialias, align_corners=False).
    open_clip calls it for the ViT's visual.positional_embedding; a ResNet's attention pooling
    positions are resized the same way."""
    import math
    import torch.nn.functional as F

    old = state[key]
    new_len = dict(model.named_parameters())[key].shape[0]
    grid = int(math.sqrt(new_len - 1))
    old_grid = int(math.sqrt(old.shape[0] - 1))
    img = old[1:].reshape(1, old_grid, old_grid, -1).permute(0, 3, 1, 2)
    img = F.interpolate(img, size=(grid, grid), mode="bicubic", antialias=True,
                        align_corners=False)
    img = img.permute(0, 2, 3, 1).reshape(grid * grid, -1)
    state[key] = torch.cat([old[:1], img], dim=0)


def open_clip_resized(name, out_root, rng, vision, trained_size, text, embed_dim, quick_gelu):
    """A checkpoint made at trained_size in a folder whose config asks for vision["image_size"]:
    the reference is open_clip's own model at that size with the checkpoint's position
    embeddings resized as open_clip's loader resizes them."""
    import open_clip

    trained = build_open_clip(rng, dict(vision, image_size=trained_size), text, embed_dim,
                              quick_gelu)
    model_cfg = {"embed_dim": embed_dim, "quick_gelu": quick_gelu, "vision_cfg": vision,
                 "text_cfg": text}
    out_dir = os.path.join(out_root, name)
    save_open_clip(trained, out_dir, model_cfg)
    model = open_clip.model.CLIP(embed_dim=embed_dim, vision_cfg=vision, text_cfg=text,
                                 quick_gelu=quick_gelu).eval()
    state = trained.state_dict()
    key = ("visual.attnpool.positional_embedding" if isinstance(vision.get("layers"), list)
           else "visual.positional_embedding")
    resized_positions(state, model, key)
    model.load_state_dict(state)
    return open_clip_case(model, name, out_root, rng, vision["image_size"], text)


def bert_texts(rng, context_length, vocab_size, cls=101, sep=102):
    """[CLS] body [SEP] id lists of varied lengths, the model's full context among them."""
    texts = []
    for n in [2, 3, 7, 16, context_length]:
        body = rng.integers(103, vocab_size, size=n - 2).tolist()
        texts.append([cls] + body + [sep])
    return texts


def chinese_clip_model(name, out_root, rng, vision, text, projection_dim):
    """A random-weight ChineseCLIPModel (transformers 4.25.1): CLIP's ViT and a BERT text tower."""
    from transformers import ChineseCLIPConfig, ChineseCLIPModel

    torch.manual_seed(int(rng.integers(1 << 30)))
    config = ChineseCLIPConfig(text_config=text, vision_config=vision,
                               projection_dim=projection_dim)
    model = ChineseCLIPModel(config).eval()
    perturb(model, torch.Generator().manual_seed(int(rng.integers(1 << 30))))
    out_dir = os.path.join(out_root, name)
    save_hf(model, out_dir)
    vc, tc = config.vision_config, config.text_config
    pixels = rng.standard_normal((2, 3, vc.image_size, vc.image_size)).astype(np.float32)
    texts = bert_texts(rng, tc.max_position_embeddings, tc.vocab_size)
    with torch.no_grad():
        image = model.get_image_features(pixel_values=torch.from_numpy(pixels)).numpy()
        text = np.concatenate([
            model.get_text_features(input_ids=torch.tensor([t])).numpy() for t in texts])
        # The recipe's padded batch ([PAD] = 0, with an attention mask) must agree.
        length = max(len(t) for t in texts)
        padded = model.get_text_features(input_ids=pad(texts, length, tc.pad_token_id),
                                         attention_mask=pad([[1] * len(t) for t in texts],
                                                            length, 0)).numpy()
        assert np.allclose(padded, text, rtol=1e-4, atol=1e-5), name
    return [write_case(out_root, name, "huggingface", pixels, texts, image, text, "f32")]


def hf_text_open_clip_model(name, out_root, rng, vision, text_config, text_cfg, embed_dim):
    """open_clip's CustomTextCLIP with a Hugging Face text tower (HFTextEncoder), as the
    multilingual xlm-roberta-*-ViT-* models: text_config is the transformers config (its
    config.json is saved as hf_text_config.json, the file clipsearch reads the architecture
    from), text_cfg the open_clip text_cfg (pooler and projection)."""
    import open_clip
    from transformers import AutoConfig

    out_dir = os.path.join(out_root, name)
    os.makedirs(out_dir, exist_ok=True)
    model_type = text_config.pop("model_type")
    config = AutoConfig.for_model(model_type, **text_config)
    hf_dir = os.path.join(out_root, name + "_hf_text")
    config.save_pretrained(hf_dir)  # open_clip reads it as AutoConfig.from_pretrained(hf_dir)
    shutil.copy(os.path.join(hf_dir, "config.json"), os.path.join(out_dir, "hf_text_config.json"))
    torch.manual_seed(int(rng.integers(1 << 30)))
    model = open_clip.model.CustomTextCLIP(
        embed_dim=embed_dim, vision_cfg=vision,
        text_cfg=dict(text_cfg, hf_model_name=hf_dir, hf_model_pretrained=False)).eval()
    perturb(model, torch.Generator().manual_seed(int(rng.integers(1 << 30))))
    published_cfg = dict(text_cfg, hf_model_name=name + "-text", hf_tokenizer_name=name + "-text")
    save_open_clip(model, out_dir, {"embed_dim": embed_dim, "vision_cfg": vision,
                                    "text_cfg": published_cfg})
    size = vision["image_size"]
    pixels = rng.standard_normal((2, 3, size, size)).astype(np.float32)
    bos, eos, pad_id = config.bos_token_id, config.eos_token_id, config.pad_token_id
    context = 77
    texts = []
    for n in [2, 3, 9, 30, context]:
        body = rng.integers(max(bos, eos, pad_id) + 1, config.vocab_size, size=n - 2).tolist()
        texts.append([bos] + body + [eos])
    with torch.no_grad():
        image = model.encode_image(torch.from_numpy(pixels)).numpy()
        # As open_clip's HFTokenizer gives them: padded to the context with pad_token_id,
        # which HFTextEncoder masks out.
        text_out = model.encode_text(pad(texts, context, pad_id)).numpy()
    return [write_case(out_root, name, "open_clip", pixels, texts, image, text_out, "f32")]


def write_case(out_root, name, layout, pixels, texts, image, text, dtype):
    out_dir = os.path.join(out_root, name)
    np.save(os.path.join(out_dir, "pixels.npy"), pixels)
    with open(os.path.join(out_dir, "token_ids.json"), "w") as f:
        json.dump(texts, f)
    np.save(os.path.join(out_dir, "image_raw.npy"), image.astype(np.float32))
    np.save(os.path.join(out_dir, "text_raw.npy"), text.astype(np.float32))
    return {"name": name, "dir": out_dir, "layout": layout, "dtype": dtype}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(
        os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference"), "clip_models"))
    parser.add_argument("--no-full-size", action="store_true",
                        help="skip the full-size ViT-B/32 and B/16 models (about 600 MB each)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    rng = np.random.default_rng(20261126)
    entries = []
    entries += hf_model(
        "tiny_quick_gelu", args.out, rng,
        vision=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                    num_attention_heads=4, image_size=32, patch_size=8, hidden_act="quick_gelu"),
        text=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                  num_attention_heads=4, max_position_embeddings=77, hidden_act="quick_gelu"),
        projection_dim=32, variants=("f16", "bf16", "sharded"))
    entries += hf_model(
        "small_gelu_eps", args.out, rng,
        vision=dict(hidden_size=96, intermediate_size=200, num_hidden_layers=3,
                    num_attention_heads=6, image_size=64, patch_size=16, hidden_act="gelu",
                    layer_norm_eps=1e-6),
        text=dict(hidden_size=64, intermediate_size=160, num_hidden_layers=3,
                  num_attention_heads=2, max_position_embeddings=77, hidden_act="gelu",
                  layer_norm_eps=1e-6),
        projection_dim=48)
    entries += hf_model(
        "odd_patch14_ctx32", args.out, rng,
        vision=dict(hidden_size=80, intermediate_size=320, num_hidden_layers=2,
                    num_attention_heads=5, image_size=42, patch_size=14, hidden_act="quick_gelu"),
        text=dict(hidden_size=40, intermediate_size=100, num_hidden_layers=4,
                  num_attention_heads=5, max_position_embeddings=32, vocab_size=49408,
                  hidden_act="quick_gelu"),
        projection_dim=24)
    entries += open_clip_model(
        "open_clip_small", args.out, rng,
        vision=dict(image_size=48, layers=2, width=128, head_width=32, patch_size=16),
        text=dict(context_length=77, vocab_size=49408, width=64, heads=4, layers=2),
        embed_dim=40, quick_gelu=True)
    entries += open_clip_model(
        "open_clip_gelu", args.out, rng,
        vision=dict(image_size=32, layers=3, width=64, head_width=16, patch_size=8,
                    mlp_ratio=2.5),
        text=dict(context_length=20, vocab_size=49408, width=32, heads=2, layers=2),
        embed_dim=16, quick_gelu=False)
    if not args.no_full_size:
        entries += hf_model("vit_b32_full", args.out, rng, vision=dict(hidden_act="quick_gelu"),
                            text=dict(hidden_act="quick_gelu"), projection_dim=512,
                            variants=("f16",))
        # ViT-B/16 (197 tokens per image): the reduced precisions' other benchmark shape
        # (src/model/precision_reference_test.cpp).
        entries += hf_model("vit_b16_full", args.out, rng,
                            vision=dict(hidden_act="quick_gelu", patch_size=16),
                            text=dict(hidden_act="quick_gelu"), projection_dim=512)
    # Drawn after the models above, so that their random weights stay what they were.
    # ModifiedResNet image towers (OpenAI's RN50 family as open_clip publishes it): a small one
    # with odd sizes, then the real RN50 and RN50x4 image towers below.
    entries += open_clip_model(
        "open_clip_resnet_small", args.out, rng,
        vision=dict(image_size=96, layers=[2, 1, 1, 2], width=16, head_width=32,
                    patch_size=None),
        text=dict(context_length=77, vocab_size=49408, width=64, heads=4, layers=2),
        embed_dim=48, quick_gelu=True, images=3)
    # LAION-style: GELU, heads of 80 (ViT-H/14's head width), bigG's fractional mlp_ratio.
    entries += open_clip_model(
        "open_clip_laion_style", args.out, rng,
        vision=dict(image_size=56, layers=2, width=160, head_width=80, patch_size=14,
                    mlp_ratio=4.9231),
        text=dict(context_length=77, vocab_size=49408, width=96, heads=2, layers=2,
                  mlp_ratio=4.9231),
        embed_dim=64, quick_gelu=False)
    # DataComp's ViT-B-32-256: 256 px pictures, an 8 x 8 grid of 32 px patches.
    entries += open_clip_model(
        "open_clip_256px", args.out, rng,
        vision=dict(image_size=256, layers=2, width=64, head_width=32, patch_size=32),
        text=dict(context_length=77, vocab_size=49408, width=64, heads=4, layers=2),
        embed_dim=32, quick_gelu=False)
    # CustomTextCLIP (model_cfg.custom_text): the text tower's tensors under "text.".
    entries += open_clip_model(
        "open_clip_custom_text", args.out, rng,
        vision=dict(image_size=32, layers=2, width=64, head_width=32, patch_size=16),
        text=dict(context_length=77, vocab_size=49408, width=48, heads=4, layers=2),
        embed_dim=24, quick_gelu=True, custom_text=True)
    # Checkpoints made for another image size: position embeddings resized at load (a ViT's
    # 3 x 3 grid to 5 x 5, a ResNet pooling's 2 x 2 to 4 x 4).
    entries += open_clip_resized(
        "open_clip_resized_vit", args.out, rng,
        vision=dict(image_size=80, layers=2, width=64, head_width=32, patch_size=16),
        trained_size=48, text=dict(context_length=77, vocab_size=49408, width=48, heads=4,
                                   layers=2),
        embed_dim=24, quick_gelu=False)
    entries += open_clip_resized(
        "open_clip_resized_resnet", args.out, rng,
        vision=dict(image_size=128, layers=[1, 1, 1, 1], width=16, head_width=32,
                    patch_size=None),
        trained_size=64, text=dict(context_length=77, vocab_size=49408, width=48, heads=4,
                                   layers=2),
        embed_dim=24, quick_gelu=True)
    if not args.no_full_size:
        # RN50 as open_clip's RN50 (timm/resnet50_clip.openai) and RN50x4's image tower at 288 px
        # (its text tower cut to 2 layers: the text tower is the usual one).
        entries += open_clip_model(
            "rn50_full", args.out, rng,
            vision=dict(image_size=224, layers=[3, 4, 6, 3], width=64, patch_size=None),
            text=dict(context_length=77, vocab_size=49408, width=512, heads=8, layers=12),
            embed_dim=1024, quick_gelu=True)
        entries += open_clip_model(
            "rn50x4_vision", args.out, rng,
            vision=dict(image_size=288, layers=[4, 6, 10, 6], width=80, patch_size=None),
            text=dict(context_length=77, vocab_size=49408, width=640, heads=10, layers=2),
            embed_dim=640, quick_gelu=True)
    # Chinese-CLIP: the ViT with a BERT (RoBERTa-wwm) text tower, post-norm, [CLS] pooled; one
    # with BERT's defaults (exact GELU, eps 1e-12), one with other options.
    entries += chinese_clip_model(
        "chinese_clip_small", args.out, rng,
        vision=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                    num_attention_heads=4, image_size=32, patch_size=16),
        text=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=4, vocab_size=1200, max_position_embeddings=40),
        projection_dim=32)
    entries += chinese_clip_model(
        "chinese_clip_odd", args.out, rng,
        vision=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=1,
                    num_attention_heads=3, image_size=28, patch_size=14, hidden_act="gelu"),
        text=dict(hidden_size=96, intermediate_size=200, num_hidden_layers=3,
                  num_attention_heads=6, vocab_size=700, max_position_embeddings=24,
                  type_vocab_size=3, layer_norm_eps=1e-5, hidden_act="gelu_new"),
        projection_dim=40)
    # open_clip with Hugging Face text towers: XLM-R as xlm-roberta-base-ViT-B-32 (mean pooling,
    # MLP projection), RoBERTa with the first token and a linear projection, BERT with none.
    small_vit = dict(image_size=32, layers=2, width=64, head_width=32, patch_size=16)
    entries += hf_text_open_clip_model(
        "open_clip_xlm_roberta", args.out, rng, small_vit,
        dict(model_type="xlm-roberta", vocab_size=900, hidden_size=64, num_hidden_layers=2,
             num_attention_heads=4, intermediate_size=128, max_position_embeddings=80,
             type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0,
             eos_token_id=2),
        dict(hf_pooler_type="mean_pooler", hf_proj_type="mlp"), embed_dim=40)
    entries += hf_text_open_clip_model(
        "open_clip_roberta_cls", args.out, rng, small_vit,
        dict(model_type="roberta", vocab_size=700, hidden_size=48, num_hidden_layers=3,
             num_attention_heads=3, intermediate_size=100, max_position_embeddings=90,
             type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0,
             eos_token_id=2, hidden_act="gelu_new"),
        dict(hf_pooler_type="cls_last_hidden_state_pooler", hf_proj_type="linear"),
        embed_dim=24)
    entries += hf_text_open_clip_model(
        "open_clip_bert_identity", args.out, rng, small_vit,
        dict(model_type="bert", vocab_size=500, hidden_size=32, num_hidden_layers=2,
             num_attention_heads=2, intermediate_size=64, max_position_embeddings=77,
             type_vocab_size=2, pad_token_id=0, bos_token_id=101, eos_token_id=102),
        dict(hf_pooler_type="mean_pooler", hf_proj_type=None), embed_dim=32)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(entries, f, indent=2)
    print(f"wrote {len(entries)} reference models to {args.out}")


if __name__ == "__main__":
    sys.exit(main())
