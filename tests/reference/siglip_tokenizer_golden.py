#!/usr/bin/env python3
"""Golden token ids for the SigLIP tokenizer tests, from transformers 4.37.2 at test time.

Run by the SigLIP reference venv (CLIPSEARCH_SIGLIP_PYTHON: transformers 4.37.2, sentencepiece
0.2). Trains SentencePiece Unigram models with the `sentencepiece` package on a seeded
multilingual corpus, saves each as SiglipTokenizer.save_pretrained writes it, and writes under
$CLIPSEARCH_REFERENCE_DIR/siglip_tokenizer/ (the build folder; nothing is committed):
  models/siglip/          like google/siglip-*: nmt_nfkc, add_dummy_prefix, remove_extra_whitespaces,
                          6,000 pieces, no byte fallback, ids <pad> 0, </s> 1, <unk> 2; spiece.model,
                          tokenizer_config.json, special_tokens_map.json as saved, and a config.json
                          of model_type "siglip" without max_position_embeddings (64)
  models/siglip_legacy/   the same model, tokenizer_config.json without added_tokens_decoder nor
                          tokenizer_class (found by config.json's model_type, as AutoTokenizer
                          does), special tokens from special_tokens_map.json, do_lower_case false
  models/siglip_multi/    another model: 16,000 pieces over many scripts, nmt_nfkc_cf, byte
                          fallback, user-defined symbols, remove_extra_whitespaces off;
                          SiglipTokenizer(pad_token="<pad>", additional_special_tokens=["<img>"],
                          model_max_length=32) and config.json text_config.max_position_embeddings 32
  golden_<model>.jsonl    one line per text: {"hex": UTF-8 bytes in hex, "ids": [...],
                          "category": ..., "valid_utf8": ...}
The ids are AutoTokenizer.from_pretrained(folder)(text, padding="max_length", max_length=64 (32 for
siglip_multi), truncation=True)["input_ids"], as SiglipProcessor calls it. Invalid UTF-8 is given
to the reference decoded with errors="replace". The texts are unigram_golden.py's 20 categories
plus SigLIP's own (punctuation and case, digits, special-token literals and U+2581, whitespace
around special tokens), 12,000 in all.
"""
import json
import os
import random
import shutil
import sys

os.environ["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = "python"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import unigram_golden as ug  # noqa: E402  (its text generators)

ROOT = os.path.join(os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference"),
                    "siglip_tokenizer")
SEED = 20270301
PER_CATEGORY = 500
EXTRA_CATEGORIES = ["punct", "digits", "siglip_specials", "strip"]
SIGLIP_SPECIALS = ["</s>", "<unk>", "<pad>", "<img>", "</S>", "<UNK>", "<Unk>", "</s></s>",
                   "< /s>", "</s", "<unk", "\u2581", "\u2581\u2581", "\u2581</s>", "＜/ｓ＞",
                   "<IMG>", "<img><img>", "</s>\u2581", "ΣΑΣ", "İ", "\n</s>\n"]
PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def gen_extra(rng, cat):
    if cat == "punct":
        return "".join(ug.rand_word(rng) + rng.choice(["", " ", "  "]) +
                       "".join(rng.choice(PUNCT + "¡¿«»“”‘’—–…·。、") for _ in range(rng.randint(0, 3)))
                       + rng.choice(["", " "]) for _ in range(rng.randint(1, 10)))
    if cat == "digits":
        return " ".join(rng.choice([str(rng.randint(0, 10 ** rng.randint(1, 12))),
                                    f"{rng.random() * 1000:.{rng.randint(0, 4)}f}",
                                    ug.rand_word(rng), "١٢٣", "४२", "１２３", "2024-01-0" +
                                    str(rng.randint(1, 9))]) for _ in range(rng.randint(1, 8)))
    if cat == "siglip_specials":
        return "".join(rng.choice([rng.choice(SIGLIP_SPECIALS), ug.rand_word(rng), " ",
                                   rng.choice(ug.WHITESPACE), rng.choice(ug.PHRASES["ru"])])
                       for _ in range(rng.randint(1, 8)))
    if cat == "strip":
        return "".join(rng.choice(ug.WHITESPACE) * rng.randint(0, 2) + rng.choice(
            ["</s>", "<unk>", ug.rand_word(rng), "!", "\u2581", rng.choice(ug.PHRASES["hi"])])
            for _ in range(rng.randint(1, 6)))
    raise ValueError(cat)


def corpus():
    rng = random.Random(SEED)
    items = []
    for cat in ug.CATEGORIES + EXTRA_CATEGORIES:
        for _ in range(PER_CATEGORY):
            if cat == "invalid":
                raw = ug.gen_invalid(rng)
            elif cat in EXTRA_CATEGORIES:
                raw = gen_extra(rng, cat).encode("utf-8")
            else:
                raw = ug.gen(rng, cat).encode("utf-8")
            items.append((cat, raw))
    return items


def training_text(path, lines):
    rng = random.Random(SEED + 1)
    cats = [c for c in ug.CATEGORIES if c not in ("invalid", "empty", "long", "random", "controls")]
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(lines):
            f.write(ug.gen(rng, rng.choice(cats)).replace("\n", " ").replace("\r", " ") + "\n")


def train(name, **options):
    import sentencepiece as spm

    work = os.path.join(ROOT, "train")
    os.makedirs(work, exist_ok=True)
    text = os.path.join(work, "corpus.txt")
    if not os.path.exists(text):
        training_text(text, 30000)
    prefix = os.path.join(work, name)
    spm.SentencePieceTrainer.train(
        input=text, model_prefix=prefix, model_type="unigram", seed_sentencepiece_size=200000,
        num_threads=4, minloglevel=2, hard_vocab_limit=False, **options)
    return prefix + ".model"


def save(models, name, tokenizer, config):
    out = os.path.join(models, name)
    shutil.rmtree(out, ignore_errors=True)
    tokenizer.save_pretrained(out)
    if config is not None:
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
    return out


def reference_ids(model_dir, texts, context):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    assert type(tok).__name__ == "SiglipTokenizer", type(tok).__name__
    # ref: SiglipProcessor's documented call.
    ids = tok(texts, padding="max_length", max_length=context, truncation=True)["input_ids"]
    assert all(len(row) == context for row in ids)
    return ids


def main():
    from transformers import SiglipTokenizer

    os.makedirs(ROOT, exist_ok=True)
    models = os.path.join(ROOT, "models")
    os.makedirs(models, exist_ok=True)
    # Like google/siglip-*'s spiece.model: <pad> 0, </s> 1, <unk> 2, no <s>.
    base = train("siglip", vocab_size=6000, normalization_rule_name="nmt_nfkc",
                 character_coverage=0.98, pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    siglip = save(models, "siglip", SiglipTokenizer(base),
                  {"model_type": "siglip", "text_config": {"hidden_size": 64}})
    legacy = os.path.join(models, "siglip_legacy")
    shutil.rmtree(legacy, ignore_errors=True)
    shutil.copytree(siglip, legacy)
    with open(os.path.join(legacy, "tokenizer_config.json")) as f:
        config = json.load(f)
    for key in ("added_tokens_decoder", "tokenizer_class"):
        config.pop(key)
    config["do_lower_case"] = False
    with open(os.path.join(legacy, "tokenizer_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    multi_model = train("siglip_multi", vocab_size=16000, normalization_rule_name="nmt_nfkc_cf",
                        character_coverage=0.99, byte_fallback=True,
                        remove_extra_whitespaces=False,
                        user_defined_symbols=["<img>", "http", "...", "▁▁"],
                        pad_id=0, eos_id=1, unk_id=2, bos_id=3)
    multi = save(models, "siglip_multi",
                 SiglipTokenizer(multi_model, pad_token="<pad>", additional_special_tokens=["<img>"],
                                 model_max_length=32),
                 {"model_type": "siglip", "text_config": {"max_position_embeddings": 32}})
    if "--models-only" in sys.argv[1:]:
        return
    items = corpus()
    texts = [raw.decode("utf-8", errors="replace") for _, raw in items]
    for model, context in ((siglip, 64), (legacy, 64), (multi, 32)):
        ids = reference_ids(model, texts, context)
        ug.write_golden(os.path.join(ROOT, f"golden_{os.path.basename(model)}.jsonl"), items, ids)
        unk = sum(1 for row in ids if 2 in row)
        print(f"siglip_tokenizer_golden: {os.path.basename(model)}: {len(items)} texts, "
              f"{unk} with an unknown token", file=sys.stderr)


if __name__ == "__main__":
    main()
