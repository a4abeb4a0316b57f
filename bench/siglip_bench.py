"""Benchmark: SigLIP B/16-224, clipsearch against transformers' SiglipModel on PyTorch, same
random weights, same threads, same machine, same run (issue 18).

The model is built once with random weights at google/siglip-base-patch16-224's shapes
(SiglipConfig's defaults: ViT-B/16 at 224 px, a 12-layer 768-wide text tower of 64 positions,
vocabulary 32000) by transformers 4.37.2 (.venv-siglip), with a SentencePiece Unigram
spiece.model trained here on a small corpus (SiglipTokenizer), and cached under
build/bench-siglip/.

Measures, after checking that both sides give the same token ids and embeddings (cosine >=
0.9999), min / median over --repeats of:
  - images/s at batch 32 on preprocessed pixels (random, the same for both sides):
    clipsearch `clipsearch bench --batch 32` (the engine alone, as the reference's
    get_image_features(pixel_values) is);
  - a query of about 10 tokens end to end, ms: clipsearch.Model.get_text_features (tokenize, pad
    to 64, text tower) against SiglipTokenizer(padding="max_length", max_length=64) +
    SiglipModel.get_text_features.
Each side runs in its own process with the same environment (OMP/OpenBLAS threads,
torch.set_num_threads / --threads / clipsearch.set_num_threads, OPENBLAS_CORETYPE as clipsearch
selects it); the sides alternate over --rounds processes each.

Usage: .venv-siglip/bin/python -W ignore bench/siglip_bench.py [--threads 2] [--repeats 10]
Needs build/src/cli/clipsearch and the Python package installed in .venv (scripts/test.sh, or
`.venv/bin/pip install -q --no-build-isolation --no-deps .`). Prints a Markdown section for
bench/RESULTS.md.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The timing, BLAS-core and figure helpers of the multilingual benchmark (stdlib only there).
from multilingual_text_bench import blas_core, figure, timed  # noqa: E402
WORK = os.path.join(ROOT, "build", "bench-siglip")
MODEL = os.path.join(WORK, "siglip-base-patch16-224")
CLI = os.path.join(ROOT, "build", "src", "cli", "clipsearch")
CLIPSEARCH_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
QUERY = "a dog running on the beach at sunset"
BATCH = 32

CORPUS = [
    "a dog running on the beach at sunset", "two cats sleeping on a sofa", "a red car in the rain",
    "mountains and a lake under a clear sky", "children playing football in a park",
    "a cup of coffee next to a book", "the old town at night with lights", "a plate of pasta",
    "snow on the pine trees in the forest", "a bicycle leaning against a brick wall",
    "people walking in a busy street market", "a sailing boat on the blue sea",
]


def build_model():
    if os.path.exists(os.path.join(MODEL, "model.safetensors")):
        return
    os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
    import io
    import random

    import sentencepiece as spm
    import torch
    from transformers import SiglipConfig, SiglipImageProcessor, SiglipModel, SiglipTokenizer
    os.makedirs(MODEL, exist_ok=True)
    rng = random.Random(18)
    words = " ".join(CORPUS).split()
    lines = CORPUS + [" ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
                      for _ in range(5000)]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=model,
                                   vocab_size=400, model_type="unigram",
                                   normalization_rule_name="nmt_nfkc", minloglevel=2,
                                   hard_vocab_limit=False, eos_id=1, unk_id=2, pad_id=-1,
                                   bos_id=-1)
    vocab = os.path.join(WORK, "spiece.model")
    with open(vocab, "wb") as f:
        f.write(model.getvalue())
    SiglipTokenizer(vocab).save_pretrained(MODEL)
    SiglipImageProcessor().save_pretrained(MODEL)
    torch.manual_seed(18)
    m = SiglipModel(SiglipConfig()).eval()  # google/siglip-base-patch16-224's shapes
    with torch.no_grad():
        m.logit_scale.fill_(4.7)
        m.logit_bias.fill_(-12.9)
    m.save_pretrained(MODEL, safe_serialization=True)


# --- workers (one process each) -----------------------------------------------------------

def reference_worker(threads, repeats, out_npy):
    import numpy as np
    import torch
    from transformers import SiglipModel, SiglipTokenizer
    torch.set_num_threads(threads)
    model = SiglipModel.from_pretrained(MODEL).eval()
    tokenizer = SiglipTokenizer.from_pretrained(MODEL)
    pixels = torch.from_numpy(np.load(os.path.join(WORK, "pixels.npy")))

    def text(q):
        ids = tokenizer([q], padding="max_length", max_length=64, truncation=True,
                        return_tensors="pt")
        with torch.no_grad():
            return model.get_text_features(input_ids=ids.input_ids).numpy()

    def images():
        with torch.no_grad():
            return model.get_image_features(pixel_values=pixels).numpy()

    result = {"text": timed(lambda: text(QUERY), repeats),
              "images": timed(images, max(2, repeats // 4)),
              "ids": tokenizer([QUERY], padding="max_length", max_length=64)["input_ids"][0],
              "versions": {"torch": torch.__version__}}
    np.save(out_npy, np.concatenate([text(QUERY), images()]))
    return result


def clipsearch_worker(threads, repeats, out_npy):
    import clipsearch
    import numpy as np
    clipsearch.set_num_threads(threads)
    model = clipsearch.Model.from_pretrained(MODEL)
    result = {"text": timed(lambda: model.get_text_features([QUERY], normalize=False), repeats),
              "ids": model.tokenize([QUERY])[0], "versions": {"clipsearch": clipsearch.__version__}}
    np.save(out_npy, model.get_text_features([QUERY], normalize=False))
    return result


def clipsearch_images(threads, repeats, env):
    """images/s of `clipsearch bench --batch 32` runs, and the embeddings of the bench pixels."""
    out = subprocess.run([CLI, "bench", "--model", MODEL, "--threads", str(threads), "--batch",
                          str(BATCH), "--iters", str(max(2, repeats // 4)), "--text-batch", "1"],
                         env=env, check=True, capture_output=True, text=True)
    runs = json.loads(out.stdout)["image_batch_s"]
    import numpy as np
    emb = subprocess.run([CLI, "embed", "--model", MODEL, "--raw", "--pixels",
                          os.path.join(WORK, "pixels.npy")],
                         env=env, check=True, capture_output=True, text=True)
    rows = [json.loads(line)["embedding"] for line in emb.stdout.splitlines() if line.strip()]
    np.save(os.path.join(WORK, "images_clipsearch.npy"), np.asarray(rows, dtype=np.float32))
    return runs


def run_worker(side, args, env, out_npy):
    python = CLIPSEARCH_PYTHON if side == "clipsearch" else sys.executable
    out = subprocess.run([python, "-W", "ignore", __file__, "--worker", side, "--threads",
                          str(args.threads), "--repeats", str(args.repeats), "--out", out_npy],
                         env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the run ------------------------------------------------------------------------------

def least_cosine(a, b):
    import numpy as np
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(axis=1).min())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--rounds", type=int, default=2, help="processes per side, alternated")
    p.add_argument("--worker")
    p.add_argument("--out")
    a = p.parse_args()
    if a.worker:
        work = clipsearch_worker if a.worker == "clipsearch" else reference_worker
        print(json.dumps(work(a.threads, a.repeats, a.out)))
        return

    import numpy as np
    os.makedirs(WORK, exist_ok=True)
    build_model()
    np.save(os.path.join(WORK, "pixels.npy"),
            np.random.default_rng(0).standard_normal((BATCH, 3, 224, 224)).astype("float32"))
    core = blas_core()
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads),
               TOKENIZERS_PARALLELISM="false")
    if core:
        env["OPENBLAS_CORETYPE"] = core
    loads = [os.getloadavg()[0]]
    runs = {"clipsearch": {"text": [], "images": []}, "reference": {"text": [], "images": []}}
    results = {}
    for _ in range(a.rounds):
        for side in ("clipsearch", "reference"):
            npy = os.path.join(WORK, f"out_{side}.npy")
            r = run_worker(side, a, env, npy)
            results[side] = r
            runs[side]["text"] += r["text"]
            if side == "reference":
                runs[side]["images"] += r["images"]
            else:
                runs[side]["images"] += clipsearch_images(a.threads, a.repeats, env)
            loads.append(os.getloadavg()[0])
    ref = np.load(os.path.join(WORK, "out_reference.npy"))
    ours_text = np.load(os.path.join(WORK, "out_clipsearch.npy"))
    ours_images = np.load(os.path.join(WORK, "images_clipsearch.npy"))
    text_cos = least_cosine(ours_text, ref[:1])
    image_cos = least_cosine(ours_images, ref[1:])
    same_ids = list(results["clipsearch"]["ids"]) == list(results["reference"]["ids"])
    check = (f"token ids {'identical' if same_ids else 'DIFFER'} ({len(results['reference']['ids'])}"
             f" with the padding), least cosine text {text_cos:.6f}, images {image_cos:.6f} over "
             f"{BATCH}")
    if not same_ids or text_cos < 0.9999 or image_cos < 0.9999:
        sys.exit("mismatch: " + check)

    import transformers
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    versions = dict(results["clipsearch"]["versions"], **results["reference"]["versions"])
    print(f"### SigLIP B/16-224, {time.strftime('%Y-%m-%d')}, {cpu}, {os.cpu_count()} cores, "
          f"{a.threads} threads, {a.repeats} repeats x {a.rounds} rounds, load "
          f"{min(loads):.1f}-{max(loads):.1f}\n")
    print(f"Machine: {platform.platform()}; clipsearch {versions.get('clipsearch')}, PyTorch "
          f"{versions.get('torch')}, transformers {transformers.__version__}; "
          f"OPENBLAS_CORETYPE={core} for both sides.\n")
    print("| measure | clipsearch | transformers SiglipModel | clipsearch / it (min / median) |")
    print("|---|---|---|---|")
    rows = [(f"images/s, batch {BATCH} (pixels in)", "images", BATCH, True),
            (f"query \"{QUERY}\" end to end, ms", "text", 1, False)]
    for label, key, count, rate in rows:
        ob, om = figure(runs["clipsearch"][key], count, rate)
        tb, tm = figure(runs["reference"][key], count, rate)
        sb, sm = (ob / tb, om / tm) if rate else (tb / ob, tm / om)
        print(f"| {label} | {ob:.3g} / {om:.3g} | {tb:.3g} / {tm:.3g} | {sb:.2f}x / {sm:.2f}x |")
    print(f"\nChecks before timing: {check}. Ratios > 1 mean clipsearch is faster.")


if __name__ == "__main__":
    main()
