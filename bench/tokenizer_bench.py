#!/usr/bin/env python3
"""Tokenizer benchmark: clipsearch against the Rust `tokenizers` library, same run, same machine.

  scripts/build.sh build && .venv/bin/python bench/tokenizer_bench.py [--build build] [--repeats 7]

Makes 10,000 seeded captions (words drawn from the CLIP vocabulary with a Zipf-like law, so
that there are many distinct words, with capitals, digits and punctuation), the vocabulary
files (derived from open_clip's BPE file, as the tests do), then measures single-thread
throughput and load time of:
  - transformers CLIPTokenizerFast (tokenizers 0.13.3, Rust), TOKENIZERS_PARALLELISM=false:
    one call per caption, and one batch call for all captions;
  - clipsearch's Tokenizer (build/bench/bench_tokenizer), pinned to one thread as well.
Both produce the same ids (checked by a checksum). Prints a Markdown table for bench/RESULTS.md.

Then the same for the SentencePiece Unigram tokenizer (XLM-R): 10,000 seeded multilingual captions
(the generators of tests/reference/unigram_golden.py: English, Chinese, Japanese, Korean, Arabic,
Hindi, Thai, Russian, mixed Chinese/English, emoji), the nmt_nfkc model that test trains
(8,000 pieces), transformers XLMRobertaTokenizerFast against clipsearch (kUnigram), truncated to
77 ids on both sides.

Then the same for the WordPiece flavour (Chinese-CLIP): 10,000 seeded Chinese, English and mixed
captions, the model folder of tests/reference/wordpiece_golden.py (a vocabulary trained at run
time, written to reference/wordpiece_bench), transformers BertTokenizerFast against clipsearch's
Tokenizer. --only clip|wordpiece|unigram runs one of the three.
"""
import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time

os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.setdefault("RAYON_NUM_THREADS", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))


def captions(vocab, n=10000, seed=7):
    rng = random.Random(seed)
    words = [t[:-4] for t in vocab if t.endswith("</w>") and t[:-4].isalpha() and len(t) > 6]
    weights = [1.0 / (i + 10) for i in range(len(words))]
    out = []
    for _ in range(n):
        ws = rng.choices(words, weights, k=rng.randint(5, 20))
        if rng.random() < 0.2:
            ws.insert(rng.randrange(len(ws)), str(rng.randint(2, 2025)))
        s = " ".join(ws)
        s = s[0].upper() + s[1:]
        if rng.random() < 0.3:
            s = s.replace(" ", ", ", 1)
        out.append(s + rng.choice(["", ".", "!", " #photo"]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--only", choices=["clip", "wordpiece", "unigram"])
    args = ap.parse_args()
    if args.only in (None, "clip"):
        bench_clip(args)
    if args.only in (None, "wordpiece"):
        bench_wordpiece(args)
    if args.only in (None, "unigram"):
        unigram_bench(args)


def machine_line():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import tokenizers
    import transformers
    return (f"Machine: {cpu}, {os.cpu_count()} cores visible, {platform.platform()}; "
            f"transformers {transformers.__version__}, tokenizers {tokenizers.__version__}")


def run_clipsearch(args, model, caps):
    tmp = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    tmp.write("\n".join(caps) + "\n")
    tmp.close()
    exe = os.path.join(args.build, "bench", "bench_tokenizer")
    out = subprocess.run(["taskset", "-c", "0", exe, model, tmp.name, str(args.repeats)],
                         check=True, capture_output=True, text=True).stdout
    os.unlink(tmp.name)
    return json.loads(out)


def wordpiece_captions(n=10000, seed=11):
    import wordpiece_golden as wg
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.45:
            s = "".join(rng.choices(wg.ZH, k=rng.randint(4, 16))) + rng.choice(["", "。", "，"])
        elif r < 0.6:
            s = "".join(rng.choices(wg.ZH_TRAD, k=rng.randint(4, 16)))
        elif r < 0.8:
            s = wg.en_words(rng, rng.randint(5, 20)) + rng.choice(["", ".", "!"])
        else:
            s = "".join(rng.choice(wg.ZH) if rng.random() < 0.6 else " " + rng.choice(wg.EN) + " "
                        for _ in range(rng.randint(4, 14)))
        if rng.random() < 0.2:
            s += str(rng.randint(2, 2025))
        out.append(s)
    return out


def bench_wordpiece(args):
    os.environ["CLIPSEARCH_REFERENCE_DIR"] = os.path.join(args.build, "reference")
    import wordpiece_golden as wg
    items = wg.corpus()
    # A folder of its own: the test fixture's models must stay those of its goldens.
    cnclip, _, _, tokens = wg.write_models([raw.decode("utf-8", errors="replace")
                                            for _, raw in items], wg.ROOT + "_bench")
    caps = wordpiece_captions()
    from transformers import BertTokenizerFast
    load, single, batch = [], [], []
    checksum = 0
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        tok = BertTokenizerFast.from_pretrained(cnclip)
        load.append((time.perf_counter() - t0) * 1e3)
        t0 = time.perf_counter()
        ids = [tok(c)["input_ids"] for c in caps]
        single.append(len(caps) / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        ids_batch = tok(caps)["input_ids"]
        batch.append(len(caps) / (time.perf_counter() - t0))
        assert ids == ids_batch
        checksum = sum(sum(x) for x in ids)
    backend = tok.backend_tokenizer
    raw = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        backend.encode_batch(caps)
        raw.append(len(caps) / (time.perf_counter() - t0))
    cs = run_clipsearch(args, cnclip, caps)
    assert cs["checksum"] == checksum, (cs["checksum"], checksum)
    med = statistics.median
    print(f"{machine_line()}; WordPiece, {len(caps)} Chinese/English captions, vocabulary of "
          f"{len(tokens)} tokens, {args.repeats} repeats, single thread.\n")
    print("| tokenizer | captions/s best | captions/s median | load ms min | load ms median |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = [
        ("transformers BertTokenizerFast, one call per caption", max(single), med(single),
         f"{min(load):.1f}", f"{med(load):.1f}"),
        ("transformers BertTokenizerFast, one batch call", max(batch), med(batch), "", ""),
        ("tokenizers (Rust) backend, encode_batch", max(raw), med(raw), "", ""),
        ("clipsearch Tokenizer (kWordPiece)", cs["warm_captions_per_s_max"],
         cs["warm_captions_per_s_median"], f"{cs['load_ms_min']:.1f}",
         f"{cs['load_ms_median']:.1f}"),
    ]
    for name, best, m, lmin, lmed in rows:
        print(f"| {name} | {best:,.0f} | {m:,.0f} | {lmin} | {lmed} |")
    fastest = max(med(batch), med(raw), med(single))
    print(f"\nclipsearch / fastest Rust path (median): "
          f"{cs['warm_captions_per_s_median'] / fastest:.2f}x")


def unigram_bench(args):
    os.environ["CLIPSEARCH_REFERENCE_DIR"] = os.path.join(args.build, "reference")
    import unigram_golden
    from transformers import AutoTokenizer

    models = os.path.join(unigram_golden.ROOT, "models")
    os.makedirs(models, exist_ok=True)
    model = os.path.join(models, "xlmr")
    if not os.path.exists(os.path.join(model, "tokenizer.json")):
        unigram_golden.train(models, "xlmr", "nmt_nfkc", 8000, 0.98)
    rng = random.Random(11)
    cats = ["ascii", "zh_hans", "zh_hant", "ja", "ko", "ar", "hi", "th", "ru", "zh_en", "emoji"]
    caps = [unigram_golden.gen(rng, rng.choice(cats)).replace("\n", " ") for _ in range(10000)]
    tmp = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8")
    tmp.write("\n".join(caps) + "\n")
    tmp.close()
    kw = dict(max_length=77, truncation=True)
    load, single, batch, raw = [], [], [], []
    checksum = 0
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        tok = AutoTokenizer.from_pretrained(model)
        load.append((time.perf_counter() - t0) * 1e3)
        t0 = time.perf_counter()
        ids = [tok(c, **kw)["input_ids"] for c in caps]
        single.append(len(caps) / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        ids_batch = tok(caps, **kw)["input_ids"]
        batch.append(len(caps) / (time.perf_counter() - t0))
        assert ids == ids_batch
        checksum = sum(sum(x) for x in ids)
        backend = tok.backend_tokenizer
        t0 = time.perf_counter()
        backend.encode_batch(caps)
        raw.append(len(caps) / (time.perf_counter() - t0))
    exe = os.path.join(args.build, "bench", "bench_tokenizer")
    out = subprocess.run(["taskset", "-c", "0", exe, model, tmp.name, str(args.repeats)],
                         check=True, capture_output=True, text=True).stdout
    cs = json.loads(out)
    os.unlink(tmp.name)
    assert cs["checksum"] == checksum, (cs["checksum"], checksum)
    med = statistics.median
    print(f"\nUnigram (XLM-R). {machine_line()}; {len(caps)} multilingual captions, "
          f"{args.repeats} repeats, single thread.\n")
    print("| tokenizer | captions/s best | captions/s median | load ms min | load ms median |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = [
        ("transformers XLMRobertaTokenizerFast, one call per caption", max(single), med(single),
         min(load), med(load)),
        ("transformers XLMRobertaTokenizerFast, one batch call", max(batch), med(batch), None, None),
        ("tokenizers (Rust) backend, encode_batch (no truncation)", max(raw), med(raw), None, None),
        ("clipsearch Tokenizer (kUnigram)", cs["cold_captions_per_s_max"],
         cs["cold_captions_per_s_median"], cs["load_ms_min"], cs["load_ms_median"]),
    ]
    for name, best, m, lmin, lmed in rows:
        lm = f"{lmin:.1f}" if lmin is not None else ""
        ld = f"{lmed:.1f}" if lmed is not None else ""
        print(f"| {name} | {best:,.0f} | {m:,.0f} | {lm} | {ld} |")
    print(f"\nclipsearch / fastest Rust path (median): "
          f"{cs['cold_captions_per_s_median'] / max(med(batch), med(raw), med(single)):.2f}x")


def bench_clip(args):
    os.environ["CLIPSEARCH_REFERENCE_DIR"] = os.path.join(args.build, "reference")
    import tokenizer_golden
    hf, published, _ = tokenizer_golden.write_models()
    with open(os.path.join(hf, "vocab.json")) as f:
        vocab = list(json.load(f))
    caps = captions(vocab)
    tmp = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    tmp.write("\n".join(caps) + "\n")
    tmp.close()

    import tokenizers
    import transformers
    from transformers import CLIPTokenizerFast
    load, single, batch = [], [], []
    checksum = 0
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        tok = CLIPTokenizerFast.from_pretrained(hf)
        load.append((time.perf_counter() - t0) * 1e3)
        t0 = time.perf_counter()
        ids = [tok(c)["input_ids"] for c in caps]
        single.append(len(caps) / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        ids_batch = tok(caps)["input_ids"]
        batch.append(len(caps) / (time.perf_counter() - t0))
        assert ids == ids_batch
        checksum = sum(sum(x) for x in ids)
    # The backend alone (no transformers wrapper): tokenizers.Tokenizer.encode_batch.
    backend = tok.backend_tokenizer
    raw, raw_load = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        tokenizers.Tokenizer.from_file(os.path.join(published, "tokenizer.json"))
        raw_load.append((time.perf_counter() - t0) * 1e3)
        t0 = time.perf_counter()
        backend.encode_batch(caps)
        raw.append(len(caps) / (time.perf_counter() - t0))

    exe = os.path.join(args.build, "bench", "bench_tokenizer")
    out = subprocess.run(["taskset", "-c", "0", exe, hf, tmp.name, str(args.repeats)],
                         check=True, capture_output=True, text=True).stdout
    cs = json.loads(out)
    os.unlink(tmp.name)
    assert cs["checksum"] == checksum, (cs["checksum"], checksum)

    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    med = statistics.median
    rows = [
        ("transformers CLIPTokenizerFast, one call per caption", max(single), med(single),
         min(load), med(load)),
        ("transformers CLIPTokenizerFast, one batch call", max(batch), med(batch), None, None),
        ("tokenizers (Rust) backend, encode_batch; load from tokenizer.json", max(raw), med(raw),
         min(raw_load), med(raw_load)),
        ("clipsearch Tokenizer, cold word cache", cs["cold_captions_per_s_max"],
         cs["cold_captions_per_s_median"], cs["load_ms_min"], cs["load_ms_median"]),
        ("clipsearch Tokenizer, warm word cache", cs["warm_captions_per_s_max"],
         cs["warm_captions_per_s_median"], None, None),
    ]
    print(f"Machine: {cpu}, {os.cpu_count()} cores visible, {platform.platform()}; "
          f"transformers {transformers.__version__}, tokenizers {tokenizers.__version__}; "
          f"{len(caps)} captions, {args.repeats} repeats, single thread "
          f"(TOKENIZERS_PARALLELISM=false; clipsearch pinned with taskset).\n")
    print("| tokenizer | captions/s best | captions/s median | load ms min | load ms median |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, best, m, lmin, lmed in rows:
        lm = f"{lmin:.1f}" if lmin is not None else ""
        ld = f"{lmed:.1f}" if lmed is not None else ""
        print(f"| {name} | {best:,.0f} | {m:,.0f} | {lm} | {ld} |")
    print(f"\nclipsearch / fastest Rust path (median): "
          f"{cs['cold_captions_per_s_median'] / max(med(batch), med(raw), med(single)):.2f}x cold, "
          f"{cs['warm_captions_per_s_median'] / max(med(batch), med(raw), med(single)):.2f}x warm")


if __name__ == "__main__":
    main()
