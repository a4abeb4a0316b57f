"""Benchmark: text queries on Chinese-CLIP and open_clip's multilingual XLM-R CLIP, clipsearch
(the Python package) against the reference (transformers 4.25.1 / open_clip 2.23 on PyTorch),
same random weights, same threads, same machine, same run (issue 17).

Models, built once with random weights at the published shapes and cached under
build/bench-multilingual/:
  chinese-clip-vit-base-patch16   Hugging Face ChineseCLIPModel as OFA-Sys/chinese-clip-vit-base-
      patch16: RoBERTa-wwm-base text tower (vocab 21128, 768 wide, 12 layers, 12 heads, 3072,
      512 positions, 2 token types), ViT-B/16 at 224, projection 512; a generated WordPiece
      vocab.txt of 21128 entries (specials, the CJK Unified Ideographs block, ASCII, ## pieces).
  xlm-roberta-base-ViT-B-32       open_clip CustomTextCLIP as xlm-roberta-base-ViT-B-32: XLM-R
      base (vocab 250002, 768, 12 layers, 12 heads, 3072, 514 positions, pad 1, eps 1e-5), mean
      pooling, MLP projection, ViT-B/32, embed_dim 512; a Unigram tokenizer.json trained here
      with sentencepiece on tests/reference/unigram_golden.py's multilingual corpus (its size is
      printed: smaller than XLM-R's, which changes nothing but the embedding rows looked up).

Measures, after a check that both sides give the same token ids and embeddings (cosine >=
0.9999), min / median over --repeats of:
  - a 10-character Chinese query end to end (tokenize + text tower), both models;
  - an English query of about 10 tokens on the XLM-R model;
  - texts/s at batch 32 (32 Chinese captions; for XLM-R half Chinese, half English).
clipsearch: clipsearch.Model.get_text_features. Reference: BertTokenizerFast +
ChineseCLIPModel.get_text_features; open_clip's HFTokenizer (AutoTokenizer on the folder, padded
to 77 tokens as open_clip does) + CustomTextCLIP.encode_text, and the same with padding to the
longest text only. Each side runs in its own process with the same environment: OMP/OpenBLAS
threads, torch.set_num_threads / clipsearch.set_num_threads, OPENBLAS_CORETYPE as clipsearch
selects it. The sides alternate over --rounds processes each.

Usage: .venv/bin/python -W ignore bench/multilingual_text_bench.py [--threads 2] [--repeats 20]
clipsearch is the package installed in .venv: after changing the engine, reinstall it first
(`.venv/bin/pip install -q --no-build-isolation --no-deps .`, as scripts/test.sh does).
Prints a Markdown section for bench/RESULTS.md.
"""
import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
WORK = os.path.join(ROOT, "build", "bench-multilingual")
CHINESE_CLIP = os.path.join(WORK, "chinese-clip-vit-base-patch16")
XLMR = os.path.join(WORK, "xlm-roberta-base-ViT-B-32")
CONTEXT = 77  # open_clip's context length for the XLM-R models

ZH_QUERY = "夏日海滩度假风格照片"
EN_QUERY = "a dog running on the beach at sunset"
assert len(ZH_QUERY) == 10
ZH_PHRASES = ["一只猫在沙发上睡觉", "城市夜景", "海边的日落", "红色的汽车", "孩子们在公园里玩耍",
              "美丽的山和湖", "一杯咖啡和一本书", "中国传统建筑", "下雪的森林", "街头市场的食物",
              "夏日海滩度假", "老房子的窗户"]


def zh_captions(n):
    """n Chinese captions of 4 to 20 characters, from the phrases above."""
    out = []
    for i in range(n):
        a, b = ZH_PHRASES[i % len(ZH_PHRASES)], ZH_PHRASES[(3 * i + 1) % len(ZH_PHRASES)]
        out.append(a if i % 3 == 0 else a + b if i % 3 == 1 else b + "的" + a)
    return out


def en_captions(n):
    from unigram_golden import caption
    rng = random.Random(17)
    return [caption(rng, rng.randint(4, 12)).lower() for _ in range(n)]


def workload(kind):
    """(named single queries, the batch of 32) for a model kind."""
    if kind == "chinese_clip":
        return {"zh": ZH_QUERY}, zh_captions(32)
    return {"zh": ZH_QUERY, "en": EN_QUERY}, [t for pair in zip(zh_captions(16), en_captions(16))
                                               for t in pair]


# --- models -------------------------------------------------------------------------------

def write_wordpiece_vocab(model_dir, size=21128):
    """specials + the CJK Unified Ideographs block + printable ASCII + ## pieces, `size` lines,
    saved with BertTokenizer.save_pretrained as the published folder holds it."""
    from transformers import BertTokenizer
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += [chr(c) for c in range(0x4E00, 0xA000)]
    vocab += [chr(c) for c in range(0x21, 0x7F) if not chr(c).isupper()]
    pieces = [c for c in vocab[5:] if c.isascii()] + [chr(c) for c in range(0x4E00, 0xA000)]
    vocab += ["##" + c for c in pieces[:size - len(vocab)]]
    assert len(vocab) == size and all(c in vocab for c in "".join(zh_captions(32)) + ZH_QUERY)
    path = os.path.join(model_dir, "vocab.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    BertTokenizer(path, do_lower_case=True).save_pretrained(model_dir)


def build_chinese_clip():
    if os.path.exists(os.path.join(CHINESE_CLIP, "model.safetensors")):
        return
    import numpy as np
    from make_clip_models import chinese_clip_model
    from transformers import ChineseCLIPImageProcessor
    chinese_clip_model(
        os.path.basename(CHINESE_CLIP), WORK, np.random.default_rng(17),
        vision=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                    num_attention_heads=12, image_size=224, patch_size=16),
        text=dict(vocab_size=21128, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                  intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2),
        projection_dim=512)
    write_wordpiece_vocab(CHINESE_CLIP)
    ChineseCLIPImageProcessor().save_pretrained(CHINESE_CLIP)


def train_unigram(out_dir):
    """A SentencePiece Unigram model (nmt_nfkc, as XLM-R's) on unigram_golden's training corpus
    plus the benchmark's texts, converted by XLMRobertaTokenizerFast, loaded and saved again
    (tokenizer.json with the added tokens, as published XLM-R folders have it)."""
    import sentencepiece as spm
    from transformers import AutoTokenizer, XLMRobertaTokenizerFast
    from unigram_golden import training_text
    work = os.path.join(WORK, "unigram")
    os.makedirs(work, exist_ok=True)
    corpus = os.path.join(work, "corpus.txt")
    training_text(corpus)
    singles, batch = workload("xlmr")
    with open(corpus, "a", encoding="utf-8") as f:
        f.write("\n".join(list(singles.values()) + batch) + "\n")
    prefix = os.path.join(work, "xlmr")
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, vocab_size=250000, model_type="unigram",
        normalization_rule_name="nmt_nfkc", character_coverage=1.0,
        seed_sentencepiece_size=1000000, num_threads=2, minloglevel=2, hard_vocab_limit=False)
    XLMRobertaTokenizerFast(vocab_file=prefix + ".model").save_pretrained(work + "/converted")
    AutoTokenizer.from_pretrained(work + "/converted").save_pretrained(out_dir)


def build_xlmr():
    if os.path.exists(os.path.join(XLMR, "open_clip_model.safetensors")):
        return
    import numpy as np
    from make_clip_models import hf_text_open_clip_model
    hf_text_open_clip_model(
        os.path.basename(XLMR), WORK, np.random.default_rng(18),
        dict(image_size=224, layers=12, width=768, patch_size=32),
        dict(model_type="xlm-roberta", vocab_size=250002, hidden_size=768, num_hidden_layers=12,
             num_attention_heads=12, intermediate_size=3072, max_position_embeddings=514,
             type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0,
             eos_token_id=2),
        dict(hf_pooler_type="mean_pooler", hf_proj_type="mlp"), embed_dim=512)
    train_unigram(XLMR)


def open_clip_reference(folder):
    """The CustomTextCLIP of the folder's config, with the folder's weights."""
    import open_clip
    from safetensors.torch import load_file
    with open(os.path.join(folder, "open_clip_config.json")) as f:
        cfg = json.load(f)["model_cfg"]
    text_cfg = dict(cfg["text_cfg"], hf_model_name=folder + "_hf_text", hf_model_pretrained=False)
    text_cfg.pop("hf_tokenizer_name", None)
    model = open_clip.model.CustomTextCLIP(embed_dim=cfg["embed_dim"], vision_cfg=cfg["vision_cfg"],
                                           text_cfg=text_cfg)
    model.load_state_dict(load_file(os.path.join(folder, "open_clip_model.safetensors")))
    return model.eval()


# --- workers (one process each) -----------------------------------------------------------

def timed(fn, repeats):
    fn()
    fn()  # warm-up: first-call allocations, tokenizer caches
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return runs


def clipsearch_embedder(folder, threads):
    import clipsearch
    clipsearch.set_num_threads(threads)
    model = clipsearch.Model.from_pretrained(folder)
    return (lambda texts: model.get_text_features(texts, normalize=False),
            lambda texts: model.tokenize(texts),
            {"clipsearch": clipsearch.__version__, "text_tower": model.info.get("text_tower")})


def reference_embedder(folder, threads, padding):
    import torch
    torch.set_num_threads(threads)
    if os.path.exists(os.path.join(folder, "config.json")):  # Chinese-CLIP, Hugging Face layout
        from transformers import BertTokenizerFast, ChineseCLIPModel
        model = ChineseCLIPModel.from_pretrained(folder).eval()
        tokenizer = BertTokenizerFast.from_pretrained(folder)
        limit = model.config.text_config.max_position_embeddings

        def ids(texts):
            return tokenizer(texts, padding=True, truncation=True, max_length=limit,
                             return_tensors="pt")

        def embed(texts):
            with torch.no_grad():
                return model.get_text_features(**ids(texts)).numpy()
        pad_id = tokenizer.pad_token_id
    else:  # open_clip with an XLM-R text tower
        from open_clip.tokenizer import HFTokenizer
        model = open_clip_reference(folder)
        tokenizer = HFTokenizer(folder, context_length=CONTEXT)
        pad_id = tokenizer.tokenizer.pad_token_id

        def ids(texts):
            if padding == "context":  # ref: open_clip 2.23 HFTokenizer.__call__
                return {"input_ids": tokenizer(texts)}
            t = tokenizer.tokenizer([tokenizer.clean_fn(x) for x in texts], padding="longest",
                                    max_length=CONTEXT, truncation=True, return_tensors="pt")
            return {"input_ids": t.input_ids}

        def embed(texts):
            with torch.no_grad():  # HFTextEncoder masks pad_token_id itself
                return model.encode_text(ids(texts)["input_ids"]).numpy()

    def token_ids(texts):
        return [[int(i) for i in row if i != pad_id] for row in ids(texts)["input_ids"]]
    return embed, token_ids, {"torch": torch.__version__}


def worker(side, folder, kind, threads, repeats, batch_repeats, out_npy):
    import numpy as np
    if side == "clipsearch":
        embed, token_ids, versions = clipsearch_embedder(folder, threads)
    else:
        embed, token_ids, versions = reference_embedder(folder, threads, side.split(":")[1])
    singles, batch = workload(kind)
    result = {"versions": versions}
    for name, text in singles.items():
        result[name] = timed(lambda: embed([text]), repeats)
    result["batch"] = timed(lambda: embed(batch), batch_repeats)
    texts = list(singles.values()) + batch
    np.save(out_npy, np.concatenate([embed([t]) for t in singles.values()] + [embed(batch)]))
    result["ids"] = token_ids(texts)
    return result


def run_worker(side, folder, kind, args, env, out_npy):
    out = subprocess.run([sys.executable, "-W", "ignore", __file__, "--worker", side,
                          "--folder", folder, "--kind", kind, "--threads", str(args.threads),
                          "--repeats", str(args.repeats), "--batch-repeats",
                          str(args.batch_repeats), "--out", out_npy],
                         env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the run ------------------------------------------------------------------------------

def blas_core():
    probe = subprocess.run([os.path.join(ROOT, "build", "bench", "sgemm_peak"), "1", "1"],
                           capture_output=True, text=True)
    try:
        return json.loads(probe.stdout)["blas_core"]
    except (ValueError, KeyError):
        return None


def cosines(a, b):
    import numpy as np
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def merge(runs):
    """Worker results of several rounds -> one list of timings per measure."""
    out = {}
    for r in runs:
        for key, value in r.items():
            if key not in ("versions", "ids"):
                out.setdefault(key, []).extend(value)
    return out


def figure(runs, count, rate):
    values = [count / r for r in runs] if rate else [r * 1000 for r in runs]
    best = max(values) if rate else min(values)
    return best, statistics.median(values)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--batch-repeats", type=int, help="repeats at batch 32 (default --repeats)")
    p.add_argument("--rounds", type=int, default=1, help="processes per side, alternated")
    p.add_argument("--worker")
    p.add_argument("--folder")
    p.add_argument("--kind")
    p.add_argument("--out")
    a = p.parse_args()
    a.batch_repeats = a.batch_repeats or a.repeats
    if a.worker:
        print(json.dumps(worker(a.worker, a.folder, a.kind, a.threads, a.repeats,
                                a.batch_repeats, a.out)))
        return

    import numpy as np
    os.makedirs(WORK, exist_ok=True)
    build_chinese_clip()
    build_xlmr()
    core = blas_core()
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads),
               TOKENIZERS_PARALLELISM="false")
    if core:
        env["OPENBLAS_CORETYPE"] = core
    loads = [os.getloadavg()[0]]
    models = [("Chinese-CLIP ViT-B/16 (RoBERTa-wwm-base text tower, WordPiece)", CHINESE_CLIP,
               "chinese_clip", ["reference:longest"]),
              ("open_clip xlm-roberta-base-ViT-B-32 (XLM-R base, Unigram)", XLMR, "xlmr",
               ["reference:context", "reference:longest"])]
    sections, versions, notes = [], {}, []
    for title, folder, kind, refs in models:
        sides = ["clipsearch"] + refs
        results = {s: [] for s in sides}
        for rnd in range(a.rounds):
            for side in sides:
                npy = os.path.join(WORK, f"emb_{kind}_{side.replace(':', '_')}.npy")
                results[side].append(run_worker(side, folder, kind, a, env, npy))
                loads.append(os.getloadavg()[0])
        singles, batch = workload(kind)
        ours = np.load(os.path.join(WORK, f"emb_{kind}_clipsearch.npy"))
        for side in refs:
            theirs = np.load(os.path.join(WORK, f"emb_{kind}_{side.replace(':', '_')}.npy"))
            c = cosines(ours, theirs)
            same_ids = results["clipsearch"][0]["ids"] == results[side][0]["ids"]
            notes.append(f"{os.path.basename(folder)} vs {side}: least cosine {c.min():.6f} over "
                         f"{len(c)} texts, token ids {'identical' if same_ids else 'DIFFER'}")
            if c.min() < 0.9999 or not same_ids:
                sys.exit("mismatch: " + notes[-1])
        for side in sides:
            versions.update(results[side][0]["versions"])
        ids = results["clipsearch"][0]["ids"]
        tokens = {name: len(ids[i]) for i, name in enumerate(singles)}
        batch_tokens = statistics.mean(len(t) for t in ids[len(singles):])
        merged = {s: merge(results[s]) for s in sides}
        rows = []
        labels = {"zh": f"Chinese query \"{ZH_QUERY}\" (10 characters, {tokens['zh']} tokens), ms",
                  "en": f"English query \"{EN_QUERY}\" ({tokens.get('en')} tokens), ms"}
        for name in singles:
            rows.append((labels[name], name, 1, False))
        rows.append((f"texts/s, batch 32 (mean {batch_tokens:.1f} tokens)", "batch", 32, True))
        head = "| measure | clipsearch |"
        ref_names = {"reference:longest": "reference, padded to the longest",
                     "reference:context": "open_clip as published (HFTokenizer, padded to 77)"}
        if kind == "chinese_clip":
            ref_names["reference:longest"] = "transformers (BertTokenizerFast, padding=True)"
        for side in refs:
            head += f" {ref_names[side]} | clipsearch / it (min / median) |"
        lines = [f"#### {title}\n", head, "|---" * (2 + 2 * len(refs)) + "|"]
        for label, key, count, rate in rows:
            ob, om = figure(merged["clipsearch"][key], count, rate)
            line = f"| {label} | {ob:.3g} / {om:.3g} |"
            for side in refs:
                tb, tm = figure(merged[side][key], count, rate)
                # ratios as speed-ups: > 1 means clipsearch is faster
                sb, sm = (ob / tb, om / tm) if rate else (tb / ob, tm / om)
                line += f" {tb:.3g} / {tm:.3g} | {sb:.2f}x / {sm:.2f}x |"
            lines.append(line)
        sections.append("\n".join(lines))

    import tokenizers
    import transformers
    from importlib.metadata import version
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    with open(os.path.join(XLMR, "tokenizer.json"), encoding="utf-8") as f:
        unigram_size = len(json.load(f)["model"]["vocab"])
    print(f"### Chinese and multilingual text queries, {time.strftime('%Y-%m-%d')}, {cpu}, "
          f"{os.cpu_count()} cores, {a.threads} threads, {a.repeats} repeats "
          f"({a.batch_repeats} at batch 32) x {a.rounds} round(s), load "
          f"{min(loads):.1f}-{max(loads):.1f}\n")
    print(f"Machine: {platform.platform()}; Python {platform.python_version()}, clipsearch "
          f"{versions.get('clipsearch')}, PyTorch {versions.get('torch')}, transformers "
          f"{transformers.__version__}, open_clip {version('open_clip_torch')}, tokenizers "
          f"{tokenizers.__version__}; OPENBLAS_CORETYPE={core} for both sides; "
          f"{a.threads} threads each (OMP/OpenBLAS, torch.set_num_threads, "
          "clipsearch.set_num_threads).\n")
    print("Random weights at the published shapes; the XLM-R folder's Unigram tokenizer.json "
          f"is trained here ({unigram_size:,} pieces; XLM-R's has 250,002). Each figure "
          "min / median of the repeats (texts/s: best / median); clipsearch / reference as "
          "a speed-up, > 1 when clipsearch is faster.\n")
    print("\n\n".join(sections) + "\n")
    print("Checks before timing: " + "; ".join(notes) + ".")


if __name__ == "__main__":
    main()
