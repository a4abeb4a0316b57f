#!/usr/bin/env python3
"""Golden token ids for the Gemma tokenizer tests (SigLIP 2), from transformers at test time.

Trains two SentencePiece BPE models with byte fallback as Gemma's is made (no dummy prefix,
identity normalization, digits split, whitespace kept, <pad> <eos> <bos> <unk> at ids 0-3,
user-defined <start_of_turn>/<end_of_turn>), converts each with GemmaTokenizerFast(vocab_file=...)
and save_pretrained, and writes under $CLIPSEARCH_REFERENCE_DIR/gemma/ (the build folder;
nothing is committed):
  models/small_default/     the 700-piece model as saved (GemmaTokenizerFast's defaults: <bos>
                            added, no <eos>, padding on the left); no config.json
  models/small_siglip2/     the same set up as a SigLIP 2 folder: tokenizer_config.json with
                            add_bos_token false, add_eos_token true, padding_side right,
                            model_max_length 64; config.json model_type "siglip"
  models/large_default/     the 8,000-piece model over many scripts, as saved
  models/large_siglip2/     as small_siglip2, with additional_special_tokens, config.json with
                            text_config.max_position_embeddings 64
  models/large_json_only/   large_siglip2 without tokenizer.model, config.json without
                            text_config (SigLIP's default 64)
  golden_<model>.jsonl      one line per text: {"hex": UTF-8 bytes in hex, "ids": [...],
                            "category": ..., "valid_utf8": ...}
The ids are tok(text, padding="max_length", max_length=64, truncation=True)["input_ids"] of the
folder loaded with AutoTokenizer.from_pretrained (a GemmaTokenizerFast), on text.lower() for the
folders whose config.json says model_type "siglip" (SigLIP 2 was trained on lower-cased text).
Invalid UTF-8 is given to the reference decoded with errors="replace".
References: transformers 4.50.0 GemmaTokenizerFast, tokenizers 0.21.4, sentencepiece 0.2.
"""
import io
import json
import os
import random
import shutil
import sys
import unicodedata

# The slow-to-fast conversion reads the .model file through transformers' generated protobuf
# module, which needs the pure-Python protobuf implementation.
os.environ["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = "python"

ROOT = os.path.join(os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference"), "gemma")
CONTEXT = 64
SEED = 20260311
PER_CATEGORY = 750

WORDS = ("a photo of the dog cat running on summer beach red car in city at night portrait "
         "woman man child playing with ball mountain lake sunset forest snow old house bicycle "
         "street market food plate coffee cup book table window light shadow bird flying sky "
         "don't it's we're I'll they've CAFÉ naïve résumé Straße İstanbul ΟΔΟΣ").split()
PHRASES = {
    "cjk": ["一只猫在沙发上睡觉", "城市夜景", "海边的日落", "紅色的汽車", "猫がソファで寝ている",
            "東京の夜景", "소파에서 자는 고양이", "도시의 야경", "ラーメンを食べる", "孩子們在公園裡玩耍"],
    "ar": ["قطة نائمة على الأريكة", "مدينة في الليل", "غروب الشمس على الشاطئ", "سيارة حمراء",
           "أطفال يلعبون في الحديقة", "فنجان قهوة وكتاب"],
    "hi": ["सोफे पर सोती हुई बिल्ली", "रात में शहर", "समुद्र तट पर सूर्यास्त", "लाल कार",
           "पार्क में खेलते बच्चे", "क्षत्रिय श्री"],
    "ru": ["Кошка спит на диване", "Ночной город", "Закат на пляже", "Красная машина",
           "Дети играют в парке", "ЁЛКА и ёжик"],
}
RANGES = {"cjk": (0x4E00, 0x9FFF), "ar": (0x0600, 0x06FF), "hi": (0x0900, 0x097F),
          "ru": (0x0400, 0x04FF)}
EMOJI = ["😀", "🐶", "🐱", "🏖", "🚗", "❤️", "👍", "🎉", "🌅", "🍕", "🇫🇷", "🇯🇵", "1️⃣", "#️⃣", "☕",
         "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🧑🏽‍🚀", "👋🏻", "🤷‍♀️", "❤️‍🔥", "🫠"]
WHITESPACE = ["\t", "\n", "\x0b", "\x0c", "\r", " ", "  ", "   ", "    ", "\x85", "\xa0",
              "\u1680", "\u2003", "\u2028", "\u202f", "\u3000", "\u200b", "\ufeff", "\r\n",
              "\t\t", "\n\n", "\u2581", "\u2581\u2581"]
CONTROLS = [chr(c) for c in range(0, 0x20)] + [chr(c) for c in range(0x7F, 0xA0)] + \
    ["\u200e", "\u202e", "\u2066", "\ufffc", "\ufffd", "\U000e0001", "\U0010fffd"]
SPECIALS = ["<bos>", "<eos>", "<pad>", "<unk>", "<start_of_turn>", "<end_of_turn>", "<BOS>",
            "<Eos>", "<START_OF_TURN>", "<s>", "</s>", "<bos", "bos>", "<<bos>>", "<bos><eos>",
            " <bos> ", "<start_of_turn>user\n", "<0x41>", "<0xE4>", "\u2581<eos>", "<mask>"]
PUNCT = list(".,;:!?¿¡'\"()[]{}<>/\\|@#$%^&*-_+=~`…—–«»“”‘’·•€£¥©®™°±×÷")
COMBINING = ["\u0301", "\u0300", "\u0308", "\u0327", "\u0323", "\u20dd", "\u0345", "\u093f",
             "\u094d", "\u0e31", "\u3099", "\ufe0f", "\u200d", "\U0001f3fd"]
INVALID = [b"\xff", b"\xfe", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
           b"\x80", b"\xbf", b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3\x28"]
CATEGORIES = ["ascii", "punct", "digits", "cjk", "ar", "hi", "ru", "combining", "emoji",
              "whitespace", "controls", "specials", "long", "random", "invalid"]


def rand_word(rng):
    w = rng.choice(WORDS)
    r = rng.random()
    return w.upper() if r < 0.1 else w.capitalize() if r < 0.3 else w


def caption(rng, n=None):
    return " ".join(rand_word(rng) for _ in range(n or rng.randint(1, 14)))


def script_text(rng, lang):
    parts = []
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.7:
            parts.append(rng.choice(PHRASES[lang]))
        else:
            lo, hi = RANGES[lang]
            parts.append("".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 6))))
    sep = "" if lang == "cjk" and rng.random() < 0.5 else " "
    return sep.join(parts) + rng.choice(["", "。", "、", "！", "?", ".", "؟", "।"])


def random_code_point(rng):
    while True:
        r = rng.random()
        c = rng.randint(0, 0x2FFFF) if r < 0.5 else rng.randint(0, 0x10FFFF) if r < 0.7 else \
            rng.randint(0, 0xFFFF)
        if not 0xD800 <= c <= 0xDFFF:
            return chr(c)


def gen(rng, cat):
    """One text of category `cat`, as a str (the "invalid" category is made by gen_invalid)."""
    if cat == "ascii":
        return caption(rng) + rng.choice(["", ".", "!", "?", ","])
    if cat == "punct":
        return "".join(rng.choice([rand_word(rng), " ", "".join(rng.choice(PUNCT) for _ in
                                                             range(rng.randint(1, 4)))])
                       for _ in range(rng.randint(1, 10)))
    if cat == "digits":
        return " ".join(rng.choice([str(rng.randint(0, 10 ** rng.randint(1, 12))), rand_word(rng),
                                    f"{rng.random() * 1000:.{rng.randint(0, 4)}f}",
                                    "٣٤٥", "१२३", "１２３", "½", "²"])
                        for _ in range(rng.randint(1, 8)))
    if cat in PHRASES:
        return script_text(rng, cat)
    if cat == "combining":
        out = []
        for _ in range(rng.randint(1, 6)):
            base = rng.choice(["a", "E", "o", "ﬁ", "क", "ก", "あ", "한", "😀", "\u1100\u1161",
                               "Σ", "I", " "])
            marks = "".join(rng.choice(COMBINING) for _ in range(rng.randint(0, 4)))
            out.append(unicodedata.normalize(rng.choice(["NFC", "NFD", "NFKD"]), base + marks)
                       if rng.random() < 0.3 else base + marks)
        return rng.choice(["", " "]).join(out)
    if cat == "emoji":
        return " ".join(rng.choice(EMOJI) if rng.random() < 0.6 else rand_word(rng)
                        for _ in range(rng.randint(1, 8)))
    if cat == "whitespace":
        return "".join(rng.choice(WHITESPACE) * rng.randint(1, 3) +
                       (rand_word(rng) if rng.random() < 0.6 else rng.choice(PHRASES["cjk"]))
                       for _ in range(rng.randint(0, 6))) + rng.choice(["", " ", "\n", "\t "])
    if cat == "controls":
        return "".join(rng.choice(CONTROLS) if rng.random() < 0.4 else rand_word(rng) + " "
                       for _ in range(rng.randint(1, 10)))
    if cat == "specials":
        return "".join(rng.choice([rng.choice(SPECIALS), rand_word(rng), " ", rng.choice(WHITESPACE),
                                   rng.choice(PHRASES["cjk"])])
                       for _ in range(rng.randint(1, 8)))
    if cat == "long":
        langs = list(PHRASES)
        return " ".join(rng.choice([caption(rng, 5), script_text(rng, rng.choice(langs)),
                                    rng.choice(SPECIALS)])
                        for _ in range(rng.randint(10, 80)))
    if cat == "random":
        return "".join(random_code_point(rng) if rng.random() < 0.7 else " "
                       for _ in range(rng.randint(0, 25)))
    raise ValueError(cat)


def gen_invalid(rng):
    parts = [rng.choice(INVALID) if rng.random() < 0.5 else
             rng.choice([rand_word(rng), rng.choice(PHRASES["cjk"]), "<eos>"]).encode()
             for _ in range(rng.randint(1, 6))]
    return b" ".join(parts) if rng.random() < 0.5 else b"".join(parts)


def corpus():
    rng = random.Random(SEED)
    items = []
    for cat in CATEGORIES:
        for _ in range(PER_CATEGORY):
            raw = gen_invalid(rng) if cat == "invalid" else gen(rng, cat).encode("utf-8")
            items.append((cat, raw))
    return items


def training_sentences(n, cats):
    """A seeded training corpus of categories `cats` (other draws than the test corpus), half
    lowered."""
    rng = random.Random(SEED + 1)
    # Pseudo-words over a few letters of each script the model knows, Zipf-distributed, so that
    # the merge list grows deep (pieces built from pieces) in every script.
    alphabets = ["etaoinshrdlucmfw"] + [
        "".join(chr(rng.randint(*RANGES[c])) for _ in range(12)) for c in RANGES if c in cats]
    lexicon = ["".join(rng.choice(a) for _ in range(rng.randint(2, 9)))
               for a in alphabets for _ in range(300)]
    weights = [1 / (i % 300 + 1) for i in range(len(lexicon))]
    out = []
    for _ in range(n):
        if rng.random() < 0.4:
            s = " ".join(rng.choices(lexicon, weights, k=rng.randint(2, 12)))
        else:
            s = gen(rng, rng.choice(cats)).replace("\n", " ").replace("\r", " ")
        out.append(s.lower() if rng.random() < 0.5 else s)
    return out


def train(models, name, vocab_size, coverage, cats):
    """A SentencePiece BPE model made the way Gemma's is, converted to GemmaTokenizerFast."""
    import sentencepiece as spm
    from transformers import GemmaTokenizerFast

    work = os.path.join(ROOT, "train")
    os.makedirs(work, exist_ok=True)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(training_sentences(20000, cats)), model_writer=model,
        vocab_size=vocab_size, model_type="bpe", byte_fallback=True, character_coverage=coverage,
        add_dummy_prefix=False, normalization_rule_name="identity", split_digits=True,
        remove_extra_whitespaces=False, allow_whitespace_only_pieces=True,
        pad_id=0, eos_id=1, bos_id=2, unk_id=3, pad_piece="<pad>", eos_piece="<eos>",
        bos_piece="<bos>", unk_piece="<unk>",
        user_defined_symbols=["<start_of_turn>", "<end_of_turn>"],
        num_threads=2, minloglevel=2)
    path = os.path.join(work, name + ".model")
    with open(path, "wb") as f:
        f.write(model.getvalue())
    out = os.path.join(models, name + "_default")
    shutil.rmtree(out, ignore_errors=True)
    GemmaTokenizerFast(vocab_file=path).save_pretrained(out)
    return out


def siglip2_folder(source, out, config, tokenizer_model=True, extra=None):
    """`source` set up as SigLIP 2 publishes its tokenizer: </s>-style <eos> at the end, padding
    on the right, config.json model_type "siglip"."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(source, out)
    if not tokenizer_model:
        os.remove(os.path.join(out, "tokenizer.model"))
    path = os.path.join(out, "tokenizer_config.json")
    with open(path) as f:
        cfg = json.load(f)
    cfg.update({"add_bos_token": False, "add_eos_token": True, "padding_side": "right",
                "model_max_length": CONTEXT})
    cfg.update(extra or {})
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return out


def reference_ids(model_dir, texts, lower):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    assert type(tok).__name__ == "GemmaTokenizerFast", type(tok).__name__
    if lower:
        texts = [t.lower() for t in texts]
    enc = tok(texts, padding="max_length", max_length=CONTEXT, truncation=True)
    assert all(len(row) == CONTEXT for row in enc["input_ids"])
    return enc["input_ids"]


def valid_utf8(raw):
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def write_golden(path, items, ids):
    with open(path, "w") as f:
        for (cat, raw), row in zip(items, ids):
            f.write(json.dumps({"hex": raw.hex(), "ids": row, "category": cat,
                                "valid_utf8": valid_utf8(raw)}) + "\n")


def main():
    os.makedirs(ROOT, exist_ok=True)
    models = os.path.join(ROOT, "models")
    os.makedirs(models, exist_ok=True)
    # 700 pieces, 256 of them bytes, trained on Latin text only: other scripts fall back to bytes.
    small = train(models, "small", 700, 0.98, ["ascii", "punct", "digits"])
    large = train(models, "large", 8000, 0.9995, ["ascii", "punct", "digits", "cjk", "ar", "hi",
                                                   "ru", "combining", "emoji", "whitespace"])
    folders = [(small, False), (large, False)]
    folders.append((siglip2_folder(small, os.path.join(models, "small_siglip2"),
                                   {"model_type": "siglip"}), True))
    folders.append((siglip2_folder(
        large, os.path.join(models, "large_siglip2"),
        {"model_type": "siglip", "text_config": {"max_position_embeddings": CONTEXT}},
        extra={"additional_special_tokens": ["<start_of_turn>", "<end_of_turn>"]}), True))
    folders.append((siglip2_folder(large, os.path.join(models, "large_json_only"),
                                   {"model_type": "siglip"}, tokenizer_model=False), True))
    if "--models-only" in sys.argv[1:]:
        return
    items = corpus()
    texts = [raw.decode("utf-8", errors="replace") for _, raw in items]
    for folder, lower in folders:
        ids = reference_ids(folder, texts, lower)
        write_golden(os.path.join(ROOT, f"golden_{os.path.basename(folder)}.jsonl"), items, ids)
    print(f"gemma_tokenizer_golden: {len(items)} texts, {len(folders)} folders, in {ROOT}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
