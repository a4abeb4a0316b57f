#!/usr/bin/env python3
"""Reference for `clipsearch index` + `clipsearch search`: a small random-weight CLIPModel with a
CLIP vocabulary and the published preprocessing settings, a small photo library, and the
rankings that numpy computes from the reference's own embeddings (Pillow + CLIPImageProcessor +
get_image_features; CLIPTokenizerFast + get_text_features), for a list of queries. Then the
same for a random-weight open_clip RN50 (the real image tower: ModifiedResNet [3, 4, 6, 3],
width 64, 224 px, embed_dim 1024; a 2-layer text tower) on a smaller library, its reference
embeddings from open_clip (image_transform on Pillow images + encode_image; open_clip's
tokenizer + encode_text).

Then a random-weight Chinese-CLIP (ChineseCLIPModel: the ViT and a BERT text tower, a WordPiece
vocabulary built for its queries) whose queries are in Chinese, its reference embeddings from
ChineseCLIPImageProcessor + BertTokenizerFast + get_*_features; and a random-weight open_clip
XLM-R CLIP (xlm-roberta-base-ViT-B-32 in small, a Unigram tokenizer trained for it) with the
same Chinese queries, its reference embeddings from open_clip (image_transform + encode_image,
HFTokenizer + encode_text).

Writes under $CLIPSEARCH_REFERENCE_DIR/search/ (and the same files, zero_shot.json aside, under
search/rn50/, the model folder in open_clip's layout: open_clip_config.json,
open_clip_model.safetensors, vocab.json, merges.txt; and under search/chinese_clip/, the model
folder as Chinese-CLIP publishes it: config.json, model.safetensors, vocab.txt,
tokenizer_config.json, special_tokens_map.json, preprocessor_config.json; and under
search/xlm_roberta/, open_clip's multilingual layout: open_clip_config.json,
open_clip_model.safetensors, hf_text_config.json, tokenizer.json and the other tokenizer files):
  model/          config.json, model.safetensors, vocab.json, merges.txt, preprocessor_config.json
  library/        the photos (PNG and JPEG, several sizes, one sub-folder) and two broken files
  query.png       the picture of the picture queries
  queries.json    [{"args": [search CLI arguments...], "results": [[relative path, score], ...]}]
                  each "results" is the full ranking (every indexed image), best first
  embeddings.json {relative path: normalized image embedding} for every good photo
  similarity.json {"texts": [...], "images": [{"path": relative path, "cosine": [...],
                  "probability": [...]}]}: `clipsearch similarity` for two photos

The query vector follows docs/SEARCH.md: texts and pictures averaged and renormalized,
q = (1 - w) t + w i, minus negative_weight times the negatives' normalized mean, normalized.
"""
import json
import os
import shutil
import sys

import numpy as np
import torch

os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")  # transformers' spm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokenizer_golden import derive_hf_vocab  # noqa: E402

ROOT = os.path.join(os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference"), "search")


def build_model(model_dir):
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel
    torch.manual_seed(20261127)
    config = CLIPConfig(
        text_config=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=77),
        vision_config=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                           num_attention_heads=4, image_size=64, patch_size=16),
        projection_dim=32)
    model = CLIPModel(config).eval()
    with torch.no_grad():  # move norms and biases off their identity/zero initialization
        g = torch.Generator().manual_seed(11)
        for name, p in model.named_parameters():
            if p.ndim == 1 or name.endswith("bias") or "embedding" in name:
                p.add_(torch.randn(p.shape, generator=g) * 0.1)
    model.save_pretrained(model_dir, safe_serialization=True)
    CLIPImageProcessor(size={"shortest_edge": 64}, crop_size={"height": 64, "width": 64}) \
        .save_pretrained(model_dir)
    derive_hf_vocab(model_dir)
    return model


def build_rn50(model_dir):
    """open_clip's RN50 (timm/resnet50_clip.openai) with random weights, its text tower cut to
    2 layers of width 64, batch norms calibrated as tests/reference/make_clip_models.py does."""
    from make_clip_models import build_open_clip, save_open_clip
    vision = dict(image_size=224, layers=[3, 4, 6, 3], width=64, patch_size=None)
    text = dict(context_length=77, vocab_size=49408, width=64, heads=4, layers=2)
    model = build_open_clip(np.random.default_rng(20261128), vision, text, embed_dim=1024,
                            quick_gelu=True)
    save_open_clip(model, model_dir, {"embed_dim": 1024, "quick_gelu": True,
                                      "vision_cfg": vision, "text_cfg": text})
    derive_hf_vocab(model_dir)
    return model


def write_wordpiece_vocab(model_dir):
    """A BERT WordPiece vocab.txt for the Chinese queries: the special tokens, every character of
    CHINESE and ENGLISH (alone and as a ##continuation), some whole words; saved with
    BertTokenizer.save_pretrained as the published Chinese-CLIP folders hold it."""
    from transformers import BertTokenizer
    chars = sorted({c for t in list(CHINESE.values()) + list(ENGLISH.values())
                    for text in ([t] if isinstance(t, str) else t) for c in text.lower()
                    if not c.isspace()})
    words = ["photo", "red", "blue", "circle", "square", "dog", "sea", "##s"]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + chars + ["##" + c for c in chars]
    vocab += [w for w in words if w not in vocab]
    path = os.path.join(model_dir, "vocab.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    BertTokenizer(path, do_lower_case=True).save_pretrained(model_dir)
    return len(vocab)


def build_chinese_clip(model_dir):
    """A random-weight ChineseCLIPModel (the ViT and a 2-layer BERT text tower) with a WordPiece
    vocabulary for the Chinese queries and ChineseCLIPImageProcessor's settings at 64 px."""
    from transformers import ChineseCLIPConfig, ChineseCLIPImageProcessor, ChineseCLIPModel
    os.makedirs(model_dir, exist_ok=True)
    vocab_size = write_wordpiece_vocab(model_dir)
    torch.manual_seed(20261203)
    config = ChineseCLIPConfig(
        text_config=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                         num_attention_heads=4, vocab_size=vocab_size,
                         max_position_embeddings=52),
        vision_config=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                           num_attention_heads=4, image_size=64, patch_size=16),
        projection_dim=32)
    model = ChineseCLIPModel(config).eval()
    with torch.no_grad():
        g = torch.Generator().manual_seed(12)
        for name, p in model.named_parameters():
            if p.ndim == 1 or name.endswith("bias") or "embedding" in name:
                p.add_(torch.randn(p.shape, generator=g) * 0.1)
    model.save_pretrained(model_dir, safe_serialization=True)
    ChineseCLIPImageProcessor(size={"height": 64, "width": 64},
                              crop_size={"height": 64, "width": 64}).save_pretrained(model_dir)
    return model


def chinese_clip_embedders(model, model_dir):
    """The reference's embeddings for Chinese-CLIP: ChineseCLIPImageProcessor on Pillow images,
    BertTokenizerFast (padded batch, truncated to the model's length), get_*_features."""
    from transformers import BertTokenizerFast, ChineseCLIPImageProcessor
    return hf_embedders(model, ChineseCLIPImageProcessor.from_pretrained(model_dir),
                        BertTokenizerFast.from_pretrained(model_dir),
                        model.config.text_config.max_position_embeddings)


def write_unigram_tokenizer(model_dir):
    """An XLM-R style tokenizer.json: a SentencePiece Unigram model (nmt_nfkc, as XLM-R's) trained
    on seeded multilingual captions that hold the queries' words, converted by transformers'
    XLMRobertaTokenizerFast. Returns its vocabulary size."""
    import random
    import tempfile

    import sentencepiece as spm
    from transformers import XLMRobertaTokenizerFast

    import unigram_golden
    rng = random.Random(20261203)
    words = [w for t in list(CHINESE.values()) + list(ENGLISH.values())
             for text in ([t] if isinstance(t, str) else t) for w in text.split()]
    cats = ["ascii", "zh_hans", "zh_hant", "ja", "ko", "ru"]
    with tempfile.TemporaryDirectory() as work:
        corpus = os.path.join(work, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            for _ in range(3000):
                line = unigram_golden.gen(rng, rng.choice(cats)).replace("\n", " ")
                f.write(line + " " + rng.choice(words) + "\n")
        prefix = os.path.join(work, "spm")
        spm.SentencePieceTrainer.train(
            input=corpus, model_prefix=prefix, vocab_size=3000, model_type="unigram",
            normalization_rule_name="nmt_nfkc", character_coverage=0.98, minloglevel=2,
            hard_vocab_limit=False, num_threads=2)
        tokenizer = XLMRobertaTokenizerFast(vocab_file=prefix + ".model")
        tokenizer.save_pretrained(model_dir)
    return len(tokenizer)


def build_xlm_roberta(model_dir):
    """open_clip's xlm-roberta-base-ViT-B-32 in small: a ViT at 64 px and a 2-layer XLM-R text
    tower (mean pooling, MLP projection), random weights, saved as the open_clip hub layout with
    the text tower's config.json as hf_text_config.json and a Unigram tokenizer.json."""
    import open_clip
    from transformers import XLMRobertaConfig
    os.makedirs(model_dir, exist_ok=True)
    vocab_size = write_unigram_tokenizer(model_dir)
    hf_dir = os.path.join(model_dir, "hf_text")
    XLMRobertaConfig(vocab_size=vocab_size, hidden_size=48, num_hidden_layers=2,
                     num_attention_heads=4, intermediate_size=96, max_position_embeddings=80,
                     type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0,
                     eos_token_id=2).save_pretrained(hf_dir)
    vision = dict(image_size=64, layers=2, width=48, head_width=16, patch_size=16)
    text_cfg = dict(hf_pooler_type="mean_pooler", hf_proj_type="mlp")
    torch.manual_seed(20261204)
    model = open_clip.model.CustomTextCLIP(
        embed_dim=32, vision_cfg=vision,
        text_cfg=dict(text_cfg, hf_model_name=hf_dir, hf_tokenizer_name=model_dir,
                      hf_model_pretrained=False)).eval()
    with torch.no_grad():
        g = torch.Generator().manual_seed(13)
        for name, p in model.named_parameters():
            if p.ndim == 1 or name.endswith("bias") or "embedding" in name:
                p.add_(torch.randn(p.shape, generator=g) * 0.1)
    from make_clip_models import save_open_clip
    save_open_clip(model, model_dir, {"embed_dim": 32, "vision_cfg": vision, "text_cfg": dict(
        text_cfg, hf_model_name="xlm-roberta-tiny", hf_tokenizer_name="xlm-roberta-tiny")})
    shutil.move(os.path.join(hf_dir, "config.json"), os.path.join(model_dir, "hf_text_config.json"))
    shutil.rmtree(hf_dir)
    return model


def open_clip_hf_embedders(model, model_dir):
    """open_clip's own for a Hugging Face text tower: image_transform + encode_image, and
    HFTokenizer (its whitespace cleaning, 77 ids) + encode_text."""
    import open_clip
    from PIL import Image
    transform = open_clip.image_transform(model.visual.image_size, is_train=False)
    tokenizer = open_clip.tokenizer.HFTokenizer(model_dir)

    def embed_images(files):
        pixels = torch.stack([transform(Image.open(f).convert("RGB")) for f in files])
        with torch.no_grad():
            return normalize(model.encode_image(pixels).double().numpy())

    def embed_texts(texts):
        with torch.no_grad():
            return normalize(model.encode_text(tokenizer(texts)).double().numpy())

    return embed_images, embed_texts


def draw_library(lib, count=36):
    """Photos of coloured shapes on coloured grounds, seeded; sizes odd and even."""
    from PIL import Image, ImageDraw
    rng = np.random.default_rng(5)
    os.makedirs(os.path.join(lib, "beach trip"), exist_ok=True)
    paths = []
    for i in range(count):
        w, h = int(rng.integers(40, 300)), int(rng.integers(40, 300))
        im = Image.new("RGB", (w, h), tuple(int(v) for v in rng.integers(0, 256, 3)))
        d = ImageDraw.Draw(im)
        for _ in range(int(rng.integers(1, 5))):
            x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
            box = [x0, y0, x0 + int(rng.integers(5, w)), y0 + int(rng.integers(5, h))]
            colour = tuple(int(v) for v in rng.integers(0, 256, 3))
            (d.ellipse if rng.random() < 0.5 else d.rectangle)(box, fill=colour)
        folder = "beach trip" if i % 3 == 0 else ""
        name = f"photo_{i:02d}." + ("jpg" if i % 2 else "png")
        rel = os.path.join(folder, name) if folder else name
        im.save(os.path.join(lib, rel), **({"quality": 92} if name.endswith("jpg") else {}))
        paths.append(rel)
    with open(os.path.join(lib, "truncated.jpg"), "wb") as f:
        f.write(open(os.path.join(lib, paths[1]), "rb").read()[:200])
    with open(os.path.join(lib, "not_an_image.png"), "wb") as f:
        f.write(b"this is text, not a PNG\n" * 10)
    return paths


def normalize(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def write_zero_shot(model, embed_texts, library, paths, query_image, query_image_vec):
    """zero_shot.json: what classify, albums and recommend must answer, from numpy on the
    reference's embeddings."""
    scale = float(model.logit_scale.exp())

    def label_vectors(labels, templates):
        out = []
        for label in labels:
            prompts = [t.replace("{}", label) for t in templates]
            out.append(normalize(np.mean(embed_texts(prompts), axis=0)))
        return np.stack(out)

    labels, templates = ["red", "blue", "green thing"], ["a photo of a {}.", "{} art"]
    lv = label_vectors(labels, templates)
    cos = lv @ query_image_vec
    classify = {"labels": ",".join(labels), "templates": templates, "image": query_image,
                "probabilities": dict(zip(labels, softmax(scale * cos).tolist())),
                "top1": {p: labels[int(np.argmax(lv @ library[i]))] for i, p in enumerate(paths)}}

    themes = {"warm": ["red", "orange", "fire"], "cool": ["blue", "the sea"]}
    tv = {name: normalize(np.mean(label_vectors(words, ["a photo of {}."]), axis=0))
          for name, words in themes.items()}
    scores = {name: library @ v for name, v in tv.items()}
    # Thresholds in the widest gap between scores near each theme's median, so that albums are
    # neither empty nor full and float rounding cannot move an image across a threshold.
    def split(sc):
        s = np.sort(sc)
        k = max(range(len(s) // 3, 2 * len(s) // 3), key=lambda i: s[i + 1] - s[i])
        return float((s[k] + s[k + 1]) / 2)
    thresholds = {name: split(sc) for name, sc in scores.items()}
    theme_file = {"templates": ["a photo of {}."], "themes": [
        {"name": n, "keywords": themes[n], "threshold": thresholds[n]} for n in themes]}
    albums = {n: sorted(p for i, p in enumerate(paths) if scores[n][i] >= thresholds[n])
              for n in themes}
    exclusive = {n: [] for n in themes}
    for i, p in enumerate(paths):
        passing = [n for n in themes if scores[n][i] >= thresholds[n]]
        if passing:
            exclusive[max(passing, key=lambda n: scores[n][i])].append(p)

    clicks = [paths[3], paths[10], paths[3], paths[20]]  # oldest first; a repeat counts twice
    taste = normalize(np.mean([library[paths.index(c)] for c in clicks], axis=0))
    ranked = sorted(((p, float(library[i] @ taste)) for i, p in enumerate(paths)
                     if p not in clicks), key=lambda r: -r[1])
    out = {"classify": classify, "themes": theme_file, "albums": albums,
           "albums_exclusive": {n: sorted(v) for n, v in exclusive.items()},
           "clicks": clicks, "recommend": ranked[:5]}
    with open(os.path.join(ROOT, "zero_shot.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)


def open_clip_embedders(model):
    """The same from open_clip: image_transform(224, is_train=False) (OpenAI's mean and std, as
    the model's open_clip_config.json says) on Pillow images and encode_image; its tokenizer and
    encode_text."""
    import open_clip
    from PIL import Image
    transform = open_clip.image_transform(model.visual.image_size, is_train=False)

    def embed_images(files):
        pixels = torch.stack([transform(Image.open(f).convert("RGB")) for f in files])
        with torch.no_grad():
            return normalize(model.encode_image(pixels).double().numpy())

    def embed_texts(texts):
        with torch.no_grad():
            return normalize(model.encode_text(open_clip.tokenize(texts)).double().numpy())

    return embed_images, embed_texts


def hf_embedders(model, processor, tokenizer, max_length):
    """embed_images(files), embed_texts(texts): a transformers model's normalized float64
    embeddings through its image processor (Pillow images) and tokenizer (padded batch)."""
    from PIL import Image

    def embed_images(files):
        images = [Image.open(f).convert("RGB") for f in files]
        with torch.no_grad():
            pixels = processor(images=images, return_tensors="pt")["pixel_values"]
            return normalize(model.get_image_features(pixel_values=pixels).double().numpy())

    def embed_texts(texts):
        with torch.no_grad():
            ids = tokenizer(texts, padding=True, truncation=True, max_length=max_length,
                            return_tensors="pt")
            return normalize(model.get_text_features(**ids).double().numpy())

    return embed_images, embed_texts


def reference_embedders(model, model_dir):
    """The reference's image and text embeddings (normalized, float64) for files and texts:
    CLIPImageProcessor and CLIPTokenizerFast."""
    from transformers import CLIPImageProcessor, CLIPTokenizerFast
    return hf_embedders(model, CLIPImageProcessor.from_pretrained(model_dir),
                        CLIPTokenizerFast.from_pretrained(model_dir), 77)


# The texts of the queries and of `clipsearch similarity`, in English and in Chinese.
ENGLISH = {"query": "a dog on a summer beach", "shouty": "RED square, bright!",
           "red": "a red thing", "sea": "a photo of the sea", "sand": "sand",
           "people": "people", "circle": "a blue circle",
           "similarity": ["a red square", "a blue circle on grass", "a photo of a cat"]}
CHINESE = {"query": "夏日海滩度假风格", "shouty": "红色的正方形，很亮！",
           "red": "一个红色的东西", "sea": "大海的照片", "sand": "沙子", "people": "人们",
           "circle": "草地上的蓝色circle",
           "similarity": ["红色的正方形", "一只猫的照片", "a photo of 一只狗"]}


def write_search_reference(root, model, embedders, photos, words=ENGLISH):
    """The library, queries.json, embeddings.json and similarity.json under `root`, the queries
    in `words`' language; returns what write_zero_shot needs."""
    from PIL import Image

    lib = os.path.join(root, "library")
    paths = draw_library(lib, photos)
    embed_images, embed_texts = embedders

    library = embed_images([os.path.join(lib, p) for p in paths])  # [N, P], float64, normalized
    by_path = dict(zip(paths, library))
    query_image = os.path.join(root, "query.png")
    Image.new("RGB", (80, 60), (200, 40, 30)).save(query_image)
    query_image_vec = embed_images([query_image])[0]

    def combine(texts=(), images=(), negatives=(), image_weight=0.5, negative_weight=0.5):
        t = normalize(np.mean(embed_texts(list(texts)), axis=0)) if texts else None
        i = normalize(np.mean(np.stack(images), axis=0)) if images else None
        q = t if i is None else i if t is None else (1 - image_weight) * t + image_weight * i
        q = normalize(q)
        if negatives:
            q = q - negative_weight * normalize(np.mean(embed_texts(list(negatives)), axis=0))
        return normalize(q)

    def ranking(q, folder=None):
        rows = [(p, float(by_path[p] @ q)) for p in paths
                if folder is None or p.startswith(folder + os.sep)]
        return sorted(rows, key=lambda r: -r[1])

    like = paths[4]
    t = words
    queries = [
        ([t["query"]], combine([t["query"]]), None),
        ([t["shouty"]], combine([t["shouty"]]), None),
        (["--image", query_image], combine(images=[query_image_vec]), None),
        (["--like", os.path.join(lib, like)], combine(images=[by_path[like]]), None),
        ([t["red"], "--image", query_image, "--image-weight", "0.3"],
         combine([t["red"]], [query_image_vec], image_weight=0.3), None),
        ([t["sea"], "--not", t["sand"], "--not", t["people"], "--not-weight", "0.7"],
         combine([t["sea"]], negatives=[t["sand"], t["people"]], negative_weight=0.7),
         None),
        ([t["circle"], "--folder", os.path.join(lib, "beach trip")],
         combine([t["circle"]]), "beach trip"),
    ]
    out = []
    for args, q, folder in queries:
        out.append({"args": args, "results": ranking(q, folder)})
    with open(os.path.join(root, "queries.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    with open(os.path.join(root, "embeddings.json"), "w", encoding="utf-8") as f:
        json.dump({p: [float(v) for v in e] for p, e in by_path.items()}, f)

    # `clipsearch similarity`: cosines, and CLIP's probabilities softmax(exp(logit_scale) cos).
    texts = words["similarity"]
    tv = embed_texts(texts)
    scale = float(model.logit_scale.exp())
    similarity = {"texts": texts, "images": []}
    for p in (paths[1], paths[2]):
        cos = tv @ by_path[p]
        similarity["images"].append({"path": p, "cosine": cos.tolist(),
                                     "probability": softmax(scale * cos).tolist()})
    with open(os.path.join(root, "similarity.json"), "w", encoding="utf-8") as f:
        json.dump(similarity, f, indent=1)
    print(f"search reference: {len(paths)} photos, {len(queries)} queries in {root}",
          file=sys.stderr)
    return library, paths, query_image, query_image_vec


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    model_dir = os.path.join(ROOT, "model")
    os.makedirs(model_dir)
    model = build_model(model_dir)
    embedders = reference_embedders(model, model_dir)
    library, paths, query_image, query_image_vec = write_search_reference(ROOT, model,
                                                                          embedders, 36)
    write_zero_shot(model, embedders[1], library, paths, query_image, query_image_vec)

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    rn50_root = os.path.join(ROOT, "rn50")
    rn50 = build_rn50(os.path.join(rn50_root, "model"))
    write_search_reference(rn50_root, rn50, open_clip_embedders(rn50), 16)

    chinese_root = os.path.join(ROOT, "chinese_clip")
    chinese = build_chinese_clip(os.path.join(chinese_root, "model"))
    write_search_reference(chinese_root, chinese,
                           chinese_clip_embedders(chinese, os.path.join(chinese_root, "model")),
                           16, CHINESE)

    xlmr_root = os.path.join(ROOT, "xlm_roberta")
    xlmr_dir = os.path.join(xlmr_root, "model")
    xlmr = build_xlm_roberta(xlmr_dir)
    write_search_reference(xlmr_root, xlmr, open_clip_hf_embedders(xlmr, xlmr_dir), 16, CHINESE)


if __name__ == "__main__":
    main()
