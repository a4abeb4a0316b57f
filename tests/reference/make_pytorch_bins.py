"""Re-saves reference models (written by make_clip_models.py, the clip_reference_models fixture)
as PyTorch `pytorch_model.bin` checkpoints, so src/model/clip_reference_test.cpp checks that
clipsearch reads them to the same embeddings.

Output, under $CLIPSEARCH_REFERENCE_DIR/pytorch_bins:
  manifest.json        entries in make_clip_models.py's format (dtype "f32", "f16", "sharded")
  <name>_bin/          save_pretrained(safe_serialization=False), as transformers 4.25.1 does by
                       default: config.json + pytorch_model.bin (+ reference inputs/outputs)
  <name>_bin_sharded/  the same in shards: pytorch_model-0000x-of-0000y.bin + index
  <name>_bin_f16/      a float16 copy
  <name>_bin_views/    torch.save of a state dict made of views: weights stored transposed
                       (non-contiguous strides), q/k/v as slices of one shared fused storage
                       (storage offsets), a bias as a strided slice
  <name>_bin_legacy/   the same views in the legacy (PyTorch < 1.6) format
"""
import json
import os
import shutil
import sys

import torch
from transformers import AutoModel

REFERENCE_FILES = ("pixels.npy", "token_ids.json", "image_raw.npy", "text_raw.npy")


def copy_reference(src, dst):
    for name in REFERENCE_FILES:
        shutil.copy(os.path.join(src, name), os.path.join(dst, name))


def views_state_dict(model):
    """The same values as model.state_dict(), but held by views with unusual layouts."""
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    out = dict(state)
    for key in list(state):
        if key.endswith("self_attn.q_proj.weight"):
            base = key[: -len("q_proj.weight")]
            q, k, v = (state[base + n + "_proj.weight"] for n in ("q", "k", "v"))
            fused = torch.cat([q, k, v], dim=0)  # one storage, three offsets
            rows = q.shape[0]
            for i, n in enumerate(("q", "k", "v")):
                out[base + n + "_proj.weight"] = fused[i * rows:(i + 1) * rows]
        elif key.endswith("mlp.fc1.weight"):
            out[key] = state[key].t().contiguous().t()  # strides (1, rows)
        elif key.endswith("mlp.fc2.bias"):
            spaced = torch.zeros(state[key].shape[0] * 3)
            spaced[1::3] = state[key]
            out[key] = spaced[1::3]  # offset 1, stride 3
    for t in out.values():
        assert isinstance(t, torch.Tensor)
    return out


def main():
    root = os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference")
    src_root = os.path.join(root, "clip_models")
    out_root = os.path.join(root, "pytorch_bins")
    os.makedirs(out_root, exist_ok=True)
    entries = []
    # chinese_clip_small: Chinese-CLIP is published as pytorch_model.bin (a BERT text tower).
    for name in ("tiny_quick_gelu", "small_gelu_eps", "chinese_clip_small"):
        src = os.path.join(src_root, name)
        model = AutoModel.from_pretrained(src).eval()
        variants = {
            name + "_bin": ("f32", lambda d: model.save_pretrained(d)),
            name + "_bin_sharded": ("sharded",
                                    lambda d: model.save_pretrained(d, max_shard_size="200KB")),
            name + "_bin_f16": ("f16", lambda d: AutoModel.from_pretrained(src).half()
                                .save_pretrained(d)),
        }
        for variant, (dtype, save) in variants.items():
            out = os.path.join(out_root, variant)
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            save(out)
            copy_reference(src, out)
            entries.append({"name": variant, "dir": out, "layout": "huggingface", "dtype": dtype})
        out = os.path.join(out_root, name + "_bin_views")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        shutil.copy(os.path.join(src, "config.json"), out)
        torch.save(views_state_dict(model), os.path.join(out, "pytorch_model.bin"))
        copy_reference(src, out)
        entries.append({"name": name + "_bin_views", "dir": out, "layout": "huggingface",
                        "dtype": "f32"})
        out = os.path.join(out_root, name + "_bin_legacy")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        shutil.copy(os.path.join(src, "config.json"), out)
        torch.save(views_state_dict(model), os.path.join(out, "pytorch_model.bin"),
                   _use_new_zipfile_serialization=False)
        copy_reference(src, out)
        entries.append({"name": name + "_bin_legacy", "dir": out, "layout": "huggingface",
                        "dtype": "f32"})
    with open(os.path.join(out_root, "manifest.json"), "w") as f:
        json.dump(entries, f, indent=2)
    print(f"wrote {len(entries)} pytorch_model.bin models to {out_root}")


if __name__ == "__main__":
    sys.exit(main())
