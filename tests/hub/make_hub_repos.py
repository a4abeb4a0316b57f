"""Builds the repositories the fake hub (tests/hub/fake_hub.py) serves in src/hub/hub_test.cpp,
from the random-weight text model of the text_embed_reference fixture.

Output, under $CLIPSEARCH_REFERENCE_DIR/hub_repos:
  clip-tiny/       config.json, model.safetensors, vocab.json, merges.txt,
                   preprocessor_config.json (no tokenizer_config.json, special_tokens_map.json:
                   the optional files answer 404)
  clip-tiny-bin/   the same model saved by transformers 4.25.1's save_pretrained default:
                   pytorch_model.bin instead of model.safetensors
  no-weights/      config.json only
  openclip-tiny/   a random-weight open_clip ViT as open_clip publishes it:
                   open_clip_config.json, open_clip_model.safetensors, open_clip_pytorch_model.bin,
                   no tokenizer
  openclip-timm/   the same with timm's extra files (a timm config.json, the image tower alone as
                   model.safetensors), as timm/resnet50_clip.openai is laid out
  openclip-bin/    open_clip_config.json + open_clip_pytorch_model.bin only
  clip-dual/       clip-tiny plus open_clip files (a laion/* repository has both layouts)
  no-config/       a README.md only
  clip-tokenizer/  vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json as
                   transformers saves them: served as openai/clip-vit-base-patch32
  chinese-clip-tiny/  a random-weight ChineseCLIPModel as OFA-Sys publishes it: config.json,
                   pytorch_model.bin, vocab.txt, tokenizer_config.json, special_tokens_map.json,
                   preprocessor_config.json
  openclip-xlmr/   a random-weight open_clip CustomTextCLIP with an XLM-R text tower as laion's
                   xlm-roberta CLIPs are published: open_clip_config.json (text_cfg.hf_model_name
                   and hf_tokenizer_name "test/xlm-roberta-tiny", mean_pooler, mlp projection) +
                   open_clip_pytorch_model.bin only, no tokenizer
  openclip-xlmr-legacy/  the same naming "xlm-roberta-tiny", a legacy one-part id (as laion's
                   configs name "xlm-roberta-base", which the hub redirects to
                   FacebookAI/xlm-roberta-base)
  xlm-roberta-tiny/  served as test/xlm-roberta-tiny: config.json (a small XLMRobertaConfig),
                   tokenizer.json, tokenizer_config.json, special_tokens_map.json (a SentencePiece
                   Unigram trained at test time and converted as tests/reference/unigram_golden.py
                   does)
  xlmr_reference/  ids.json: {"text": CHINESE_TEXT, "ids": open_clip HFTokenizer's ids, padding
                   removed}; text_raw.npy: open_clip's encode_text of them (padded to 77 as
                   open_clip does); model/: xlm-roberta-tiny's config.json as open_clip built the
                   tower from it
  chinese_clip_reference/text_raw.npy   get_text_features of CHINESE_TEXT (BertTokenizerFast)
  openclip_reference/text_raw.npy   open_clip's encode_text of open_clip.tokenize(OPEN_CLIP_TEXT)
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
OPEN_CLIP_TEXT = "a photo of a cat"
CHINESE_TEXT = "夏日海滩度假风格"


def write_chinese_clip(out_root):
    """chinese-clip-tiny/ (pytorch_model.bin, as the OFA-Sys repositories hold it) and the
    reference's raw text embedding of CHINESE_TEXT."""
    import numpy as np
    import torch
    from transformers import BertTokenizerFast

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                    "reference"))
    from make_search_reference import build_chinese_clip
    folder = os.path.join(out_root, "chinese-clip-tiny")
    model = build_chinese_clip(folder)
    for name in ("model.safetensors",):
        os.remove(os.path.join(folder, name))
    model.save_pretrained(folder)  # pytorch_model.bin by default in 4.25.1
    ids = BertTokenizerFast.from_pretrained(folder)([CHINESE_TEXT], return_tensors="pt")
    with torch.no_grad():
        text = model.get_text_features(**ids).numpy().astype(np.float32)
    ref = os.path.join(out_root, "chinese_clip_reference")
    os.makedirs(ref)
    np.save(os.path.join(ref, "text_raw.npy"), text)


def write_open_clip_xlmr(out_root):
    """openclip-xlmr/, xlm-roberta-tiny/ and xlmr_reference/ (see the module docstring)."""
    import numpy as np
    import open_clip
    import torch
    from transformers import AutoTokenizer, XLMRobertaConfig

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                    "reference"))
    import unigram_golden
    unigram_golden.ROOT = os.path.join(out_root, "xlmr_work")  # its training folder, not shared
    work = os.path.join(unigram_golden.ROOT, "models")
    os.makedirs(work)
    corpus = os.path.join(unigram_golden.ROOT, "train", "corpus.txt")  # what train() reads
    os.makedirs(os.path.dirname(corpus))
    unigram_golden.training_text(corpus)
    with open(corpus, "a", encoding="utf-8") as f:  # CHINESE_TEXT's characters in the vocabulary
        f.write((CHINESE_TEXT + "\n") * 50 + "夏日\n海滩\n度假\n风格\n" * 50)
    trained = unigram_golden.train(work, "xlmr", "nmt_nfkc", 4000, 0.98)
    hf_repo = os.path.join(out_root, "xlm-roberta-tiny")
    AutoTokenizer.from_pretrained(trained).save_pretrained(hf_repo)  # as published: added tokens
    for name in os.listdir(hf_repo):
        if name not in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            os.remove(os.path.join(hf_repo, name))
    tokenizer = AutoTokenizer.from_pretrained(hf_repo)
    XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=64, num_hidden_layers=2,
                     num_attention_heads=4, intermediate_size=128, max_position_embeddings=80,
                     type_vocab_size=1, layer_norm_eps=1e-5).save_pretrained(hf_repo)
    shutil.rmtree(unigram_golden.ROOT)

    torch.manual_seed(20261217)
    vision = dict(image_size=32, layers=1, width=64, head_width=32, patch_size=16)
    local_text = dict(hf_model_name=hf_repo, hf_tokenizer_name=hf_repo, hf_model_pretrained=False,
                      hf_pooler_type="mean_pooler", hf_proj_type="mlp")
    model = open_clip.model.CustomTextCLIP(embed_dim=40, vision_cfg=vision,
                                           text_cfg=local_text).eval()
    with torch.no_grad():  # away from the initial values, so a skipped bias or norm shows
        for name, p in model.named_parameters():
            if p.ndim == 1 or "embedding" in name:
                p.add_(torch.randn(p.shape) * 0.1)
    text = dict(local_text, hf_model_name="test/xlm-roberta-tiny",
                hf_tokenizer_name="test/xlm-roberta-tiny")
    del text["hf_model_pretrained"]  # as published: the default, True
    config = {"model_cfg": {"embed_dim": 40, "vision_cfg": vision, "text_cfg": text},
              "preprocess_cfg": {"mean": PREPROCESSOR["image_mean"],
                                 "std": PREPROCESSOR["image_std"]}}
    repo = os.path.join(out_root, "openclip-xlmr")
    os.makedirs(repo)
    with open(os.path.join(repo, "open_clip_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    torch.save(state, os.path.join(repo, "open_clip_pytorch_model.bin"))
    legacy = os.path.join(out_root, "openclip-xlmr-legacy")
    os.makedirs(legacy)
    os.link(os.path.join(repo, "open_clip_pytorch_model.bin"),
            os.path.join(legacy, "open_clip_pytorch_model.bin"))
    text.update(hf_model_name="xlm-roberta-tiny", hf_tokenizer_name="xlm-roberta-tiny")
    with open(os.path.join(legacy, "open_clip_config.json"), "w") as f:
        json.dump(config, f, indent=2)

    reference = os.path.join(out_root, "xlmr_reference")
    os.makedirs(reference)
    hf_tokenizer = open_clip.tokenizer.HFTokenizer(hf_repo, context_length=77)
    padded = hf_tokenizer([CHINESE_TEXT])
    ids = padded[0].tolist()
    while ids[-1] == tokenizer.pad_token_id:
        ids.pop()
    with open(os.path.join(reference, "ids.json"), "w") as f:
        json.dump({"text": CHINESE_TEXT, "ids": ids}, f, ensure_ascii=False)
    with torch.no_grad():
        embedding = model.encode_text(padded).numpy()
    np.save(os.path.join(reference, "text_raw.npy"), embedding.astype(np.float32))
    shutil.copytree(hf_repo, os.path.join(reference, "model"))


def write_open_clip(out_root, source):
    """The open_clip repositories, the tokenizer repository and open_clip's text embedding."""
    import numpy as np
    import open_clip
    import torch
    from safetensors.torch import save_file
    from transformers import CLIPTokenizer

    torch.manual_seed(20261127)
    vision = dict(image_size=32, layers=1, width=64, head_width=32, patch_size=16)
    text = dict(context_length=77, vocab_size=49408, width=64, heads=4, layers=1)
    model = open_clip.model.CLIP(embed_dim=40, vision_cfg=vision, text_cfg=text,
                                 quick_gelu=True).eval()
    with torch.no_grad():  # away from the initial values, so a skipped bias or norm shows
        for name, p in model.named_parameters():
            if p.ndim == 1 or "embedding" in name:
                p.add_(torch.randn(p.shape) * 0.1)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    config = {"model_cfg": {"embed_dim": 40, "quick_gelu": True, "vision_cfg": vision,
                            "text_cfg": text},
              "preprocess_cfg": {"mean": PREPROCESSOR["image_mean"],
                                 "std": PREPROCESSOR["image_std"]}}
    tiny = os.path.join(out_root, "openclip-tiny")
    os.makedirs(tiny)
    with open(os.path.join(tiny, "open_clip_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    save_file(state, os.path.join(tiny, "open_clip_model.safetensors"))
    torch.save(state, os.path.join(tiny, "open_clip_pytorch_model.bin"))
    timm = os.path.join(out_root, "openclip-timm")
    shutil.copytree(tiny, timm)
    with open(os.path.join(timm, "config.json"), "w") as f:
        json.dump({"architecture": "vit_tiny_clip", "num_classes": 40, "num_features": 64,
                   "pretrained_cfg": {"tag": "openai", "input_size": [3, 32, 32]}}, f, indent=2)
    tower = {k[len("visual."):]: v for k, v in state.items() if k.startswith("visual.")}
    save_file(tower, os.path.join(timm, "model.safetensors"))
    binary = os.path.join(out_root, "openclip-bin")
    os.makedirs(binary)
    for name in ("open_clip_config.json", "open_clip_pytorch_model.bin"):
        shutil.copy(os.path.join(tiny, name), binary)
    dual = os.path.join(out_root, "clip-dual")
    shutil.copytree(os.path.join(out_root, "clip-tiny"), dual)
    for name in ("open_clip_config.json", "open_clip_model.safetensors"):
        shutil.copy(os.path.join(tiny, name), dual)
    bare = os.path.join(out_root, "no-config")
    os.makedirs(bare)
    with open(os.path.join(bare, "README.md"), "w") as f:
        f.write("# not a model\n")
    tokenizer = os.path.join(out_root, "clip-tokenizer")
    CLIPTokenizer(os.path.join(source, "vocab.json"),
                  os.path.join(source, "merges.txt")).save_pretrained(tokenizer)
    for name in os.listdir(tokenizer):
        if name not in ("vocab.json", "merges.txt", "tokenizer_config.json",
                        "special_tokens_map.json"):
            os.remove(os.path.join(tokenizer, name))
    reference = os.path.join(out_root, "openclip_reference")
    os.makedirs(reference)
    with torch.no_grad():
        embedding = model.encode_text(open_clip.tokenize([OPEN_CLIP_TEXT])).numpy()
    np.save(os.path.join(reference, "text_raw.npy"), embedding.astype(np.float32))


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
    write_open_clip(out_root, source)
    write_chinese_clip(out_root)
    write_open_clip_xlmr(out_root)
    print(f"wrote hub repositories to {out_root}")


if __name__ == "__main__":
    sys.exit(main())
