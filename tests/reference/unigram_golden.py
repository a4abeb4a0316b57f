#!/usr/bin/env python3
"""Golden token ids for the Unigram tokenizer tests (XLM-R), from transformers at test time.

Trains small SentencePiece Unigram models with the `sentencepiece` package (normalization
nmt_nfkc as XLM-R's, so its precompiled charsmap is the real one; and nmt_nfkc_cf), converts
each with XLMRobertaTokenizerFast(vocab_file=...) and save_pretrained, and writes under
$CLIPSEARCH_REFERENCE_DIR/unigram/ (the build folder; nothing is committed):
  models/xlmr/            tokenizer.json, special_tokens_map.json, tokenizer_config.json as the
                          slow-to-fast conversion saves them (tokenizer.json without added tokens)
  models/xlmr_resaved/    the same loaded with from_pretrained and saved again (added tokens in
                          tokenizer.json, as published XLM-R folders have them)
  models/xlmr_cf/         the nmt_nfkc_cf model
  models/xlmr_open_clip/   xlmr_resaved as an open_clip model folder: open_clip_config.json whose
                          model_cfg.text_cfg.hf_tokenizer_name names the folder itself (as
                          laion's xlm-roberta CLIPs name xlm-roberta-base), default cleaning
  models/xlmr_open_clip_lower/, models/xlmr_open_clip_canon/   the same with
                          text_cfg.tokenizer_kwargs {"clean": "lower"} (and context_length 32),
                          {"clean": "canonicalize"}
  golden_<model>.jsonl    one line per text: {"hex": UTF-8 bytes in hex, "ids": [...],
                          "category": ..., "valid_utf8": ...}
The ids are what open_clip's HFTokenizer gets from the tokenizer loaded with from_pretrained:
max_length=77, padding="max_length", truncation=True, with the padding taken off by the
attention mask; for the open_clip folders, the ids of open_clip.get_tokenizer (HFTokenizer, with
its text cleaning) on the folder's model config, padding removed. Invalid UTF-8 is given to the
reference decoded with errors="replace".
References: transformers 4.25.1 XLMRobertaTokenizerFast, tokenizers 0.13.3, sentencepiece 0.2,
open_clip 2.23.
"""
import json
import os
import random
import shutil
import sys
import unicodedata

# transformers 4.25's generated sentencepiece_model_pb2 needs the pure-Python protobuf with
# protobuf >= 4 (the slow-to-fast conversion reads the .model file through it).
os.environ["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = "python"

ROOT = os.path.join(os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference"), "unigram")
CONTEXT = 77
SEED = 20261217
PER_CATEGORY = 700

WORDS = ("a photo of the dog cat running on summer beach red car in city at night portrait "
         "woman man child playing with ball mountain lake sunset forest snow old house bicycle "
         "street market food plate coffee cup book table window light shadow bird flying sky").split()
PHRASES = {
    "zh_hans": ["一只猫在沙发上睡觉", "城市夜景", "海边的日落", "红色的汽车", "孩子们在公园里玩耍",
                "美丽的山和湖", "一杯咖啡和一本书", "中国传统建筑", "下雪的森林", "街头市场的食物"],
    "zh_hant": ["一隻貓在沙發上睡覺", "城市夜景", "海邊的日落", "紅色的汽車", "孩子們在公園裡玩耍",
                "美麗的山和湖", "一杯咖啡和一本書", "傳統建築", "下雪的森林", "街頭市場的食物"],
    "ja": ["猫がソファで寝ている", "東京の夜景", "海辺の夕日", "赤い車", "公園で遊ぶ子供たち",
           "コーヒーと本", "雪の森", "ラーメンを食べる", "富士山の写真", "かわいい犬"],
    "ko": ["소파에서 자는 고양이", "도시의 야경", "해변의 일몰", "빨간 자동차", "공원에서 노는 아이들",
           "커피 한 잔과 책", "눈 덮인 숲", "맛있는 음식", "서울 거리", "귀여운 강아지"],
    "ar": ["قطة نائمة على الأريكة", "مدينة في الليل", "غروب الشمس على الشاطئ", "سيارة حمراء",
           "أطفال يلعبون في الحديقة", "فنجان قهوة وكتاب", "غابة مغطاة بالثلج"],
    "hi": ["सोफे पर सोती हुई बिल्ली", "रात में शहर", "समुद्र तट पर सूर्यास्त", "लाल कार",
           "पार्क में खेलते बच्चे", "कॉफी और किताब", "बर्फ से ढका जंगल", "क्षत्रिय श्री"],
    "th": ["แมวนอนบนโซฟา", "เมืองยามค่ำคืน", "พระอาทิตย์ตกที่ชายหาด", "รถสีแดง",
           "เด็กๆ เล่นในสวน", "กาแฟและหนังสือ", "ป่าที่มีหิมะ"],
    "ru": ["Кошка спит на диване", "Ночной город", "Закат на пляже", "Красная машина",
           "Дети играют в парке", "Чашка кофе и книга", "Заснеженный лес", "ЁЛКА и ёжик"],
}
RANGES = {"zh_hans": (0x4E00, 0x9FFF), "zh_hant": (0x4E00, 0x9FFF), "ja": (0x3041, 0x30FA),
          "ko": (0xAC00, 0xD7A3), "ar": (0x0600, 0x06FF), "hi": (0x0900, 0x097F),
          "th": (0x0E00, 0x0E7F), "ru": (0x0400, 0x04FF)}
EMOJI = ["😀", "🐶", "🐱", "🏖", "🚗", "❤️", "👍", "🎉", "🌅", "🍕", "🇫🇷", "🇯🇵", "1️⃣", "#️⃣", "☕",
         "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🧑🏽‍🚀", "👋🏻", "👋🏿", "🤷‍♀️", "❤️‍🔥", "🫠"]
# Characters that NFKC (nmt_nfkc) changes: full-width forms, ligatures, circled and
# parenthesized numbers, compatibility jamo, squared and super/subscript forms, ...
NFKC = ([chr(c) for c in range(0xFF01, 0xFF5F)] + [chr(c) for c in range(0xFB00, 0xFB07)] +
        [chr(c) for c in range(0x2460, 0x24FF)] + [chr(c) for c in range(0x3131, 0x318F)] +
        [chr(c) for c in range(0x3300, 0x3358)] + [chr(c) for c in range(0x2070, 0x209D)] +
        [chr(c) for c in range(0x2150, 0x2189)] + [chr(c) for c in range(0xFF61, 0xFFDD)] +
        list("ℌℍℕ№℡™Ω℮ÅKſǆǈǉ㍱㎏㎞㏄ﷺ‥…″‴⁇⁈⁉ﬀ\u3000\u00a0\u2002\u2003\u2009\u200a\u202f\u205f"))
WHITESPACE = ["\t", "\n", "\x0b", "\x0c", "\r", " ", "  ", "   ", "\x85", "\xa0", "\u1680",
              "\u2000", "\u2005", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
              "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\r\n", "\t\t", "\n\n"]
CONTROLS = [chr(c) for c in range(0, 0x20)] + [chr(c) for c in range(0x7F, 0xA0)] + \
    ["\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\ufff9", "\ufffc", "\ufffd", "\U000e0001"]
SPECIALS = ["<s>", "</s>", "<pad>", "<unk>", "<mask>", " <mask>", "  <mask>  ", "<mask><mask>",
            "＜ｍａｓｋ＞", "＜ｓ＞", "<S>", "< s >", "<mask", "mask>", "<<mask>>", "</s><s>",
            "\u2581", "\u2581\u2581", "\u2581<mask>", "\t<mask>", "\u3000<mask>"]
COMBINING = ["\u0301", "\u0300", "\u0308", "\u0327", "\u0323", "\u0331", "\u20dd", "\u0345",
             "\u093f", "\u094d", "\u0e31", "\u0e48", "\u302a", "\u3099", "\u309a", "\ufe0f",
             "\u200d", "\U0001f3fd"]
INVALID = [b"\xff", b"\xfe", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
           b"\x80", b"\xbf", b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3\x28", b"\xe2\x28\xa1"]
CATEGORIES = ["ascii", "zh_hans", "zh_hant", "ja", "ko", "ar", "hi", "th", "ru", "emoji", "nfkc",
              "zh_en", "whitespace", "controls", "long", "invalid", "specials", "random",
              "combining", "empty"]


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
    sep = "" if lang in ("zh_hans", "zh_hant", "ja", "th") and rng.random() < 0.5 else " "
    return sep.join(parts) + rng.choice(["", "。", "、", "！", "?", ".", "؟", "।"])


def random_code_point(rng):
    while True:
        r = rng.random()
        c = rng.randint(0, 0x2FFFF) if r < 0.5 else rng.randint(0, 0x10FFFF) if r < 0.7 else \
            rng.randint(0, 0xFFFF)
        if not 0xD800 <= c <= 0xDFFF:
            return chr(c)


def gen(rng, cat):
    """One text of category `cat`, as bytes (invalid UTF-8 only in "invalid")."""
    if cat == "ascii":
        return caption(rng) + rng.choice(["", ".", "!", "?", ","])
    if cat in PHRASES:
        return script_text(rng, cat)
    if cat == "emoji":
        return " ".join(rng.choice(EMOJI) if rng.random() < 0.6 else rand_word(rng)
                        for _ in range(rng.randint(1, 8)))
    if cat == "nfkc":
        parts = []
        for _ in range(rng.randint(1, 8)):
            r = rng.random()
            parts.append("".join(rng.choice(NFKC) for _ in range(rng.randint(1, 5))) if r < 0.6
                         else rand_word(rng) if r < 0.8 else rng.choice(PHRASES["ja"]))
        return rng.choice(["", " "]).join(parts)
    if cat == "zh_en":
        return "".join(rng.choice([rng.choice(PHRASES["zh_hans"]), " " + rand_word(rng) + " ",
                                   rand_word(rng), str(rng.randint(0, 2024))])
                       for _ in range(rng.randint(2, 8)))
    if cat == "whitespace":
        return "".join(rng.choice(WHITESPACE) * rng.randint(1, 3) +
                       (rand_word(rng) if rng.random() < 0.6 else rng.choice(PHRASES["ko"]))
                       for _ in range(rng.randint(0, 6))) + rng.choice(["", " ", "\n", "\t "])
    if cat == "controls":
        return "".join(rng.choice(CONTROLS) if rng.random() < 0.4 else rand_word(rng) + " "
                       for _ in range(rng.randint(1, 10)))
    if cat == "long":
        langs = list(PHRASES)
        return " ".join(rng.choice([caption(rng, 5), script_text(rng, rng.choice(langs))])
                        for _ in range(rng.randint(8, 60)))
    if cat == "specials":
        return "".join(rng.choice([rng.choice(SPECIALS), rand_word(rng), " ", rng.choice(WHITESPACE),
                                   rng.choice(PHRASES["zh_hans"])])
                       for _ in range(rng.randint(1, 8)))
    if cat == "random":
        return "".join(random_code_point(rng) if rng.random() < 0.7 else " "
                       for _ in range(rng.randint(1, 25)))
    if cat == "combining":
        out = []
        for _ in range(rng.randint(1, 6)):
            base = rng.choice(["a", "e", "o", "ﬁ", "ｅ", "①", "क", "ก", "あ", "か", "ᄀ", "한", "😀",
                               "\u1100\u1161", "\u1100\u1161\u11a8", "👋", "\u0644", " "])
            marks = "".join(rng.choice(COMBINING) for _ in range(rng.randint(0, 4)))
            out.append(unicodedata.normalize(rng.choice(["NFC", "NFD", "NFKD"]), base + marks)
                       if rng.random() < 0.3 else base + marks)
        return rng.choice(["", " "]).join(out)
    if cat == "empty":
        return rng.choice(["", " ", "  ", "\t", "\n", "\u3000", "\u200b", "\x00", "\u2581", "。"])
    raise ValueError(cat)


def gen_invalid(rng):
    parts = [rng.choice(INVALID) if rng.random() < 0.5 else
             rng.choice([rand_word(rng), rng.choice(PHRASES["ja"])]).encode() for _ in
             range(rng.randint(1, 6))]
    return b" ".join(parts) if rng.random() < 0.5 else b"".join(parts)


def corpus():
    rng = random.Random(SEED)
    items = []
    for cat in CATEGORIES:
        for _ in range(PER_CATEGORY):
            raw = gen_invalid(rng) if cat == "invalid" else gen(rng, cat).encode("utf-8")
            items.append((cat, raw))
    return items


def training_text(path):
    """A seeded multilingual training corpus (other draws than the test corpus)."""
    rng = random.Random(SEED + 1)
    cats = [c for c in CATEGORIES if c not in ("invalid", "empty", "long", "random", "controls")]
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(30000):
            f.write(gen(rng, rng.choice(cats)).replace("\n", " ").replace("\r", " ") + "\n")


def train(models, name, rule, vocab_size, coverage):
    import sentencepiece as spm
    from transformers import XLMRobertaTokenizerFast

    work = os.path.join(ROOT, "train")
    os.makedirs(work, exist_ok=True)
    text = os.path.join(work, "corpus.txt")
    if not os.path.exists(text):
        training_text(text)
    prefix = os.path.join(work, name)
    spm.SentencePieceTrainer.train(
        input=text, model_prefix=prefix, vocab_size=vocab_size, model_type="unigram",
        normalization_rule_name=rule, character_coverage=coverage, seed_sentencepiece_size=200000,
        num_threads=4, minloglevel=2, hard_vocab_limit=False)
    out = os.path.join(models, name)
    shutil.rmtree(out, ignore_errors=True)
    XLMRobertaTokenizerFast(vocab_file=prefix + ".model").save_pretrained(out)
    return out


def reference_ids(model_dir, texts):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    assert type(tok).__name__ == "XLMRobertaTokenizerFast", type(tok).__name__
    # ref: open_clip 2.23 HFTokenizer.__call__ (after its text cleaning).
    enc = tok(texts, max_length=CONTEXT, padding="max_length", truncation=True)
    ids = []
    for row, mask in zip(enc["input_ids"], enc["attention_mask"]):
        n = sum(mask)
        assert all(i == tok.pad_token_id for i in row[n:]), row
        ids.append(row[:n])
    return ids


# open_clip folders: (name, extra text_cfg keys).
OPEN_CLIP_FOLDERS = [
    ("xlmr_open_clip", {}),
    ("xlmr_open_clip_lower", {"tokenizer_kwargs": {"clean": "lower"}, "context_length": 32}),
    ("xlmr_open_clip_canon", {"tokenizer_kwargs": {"clean": "canonicalize"}}),
]


def make_open_clip_folder(models, source, name, extra):
    """`source` copied as an open_clip model folder whose config names the folder itself as
    hf_tokenizer_name; returns (folder, model config)."""
    out = os.path.join(models, name)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(source, out)
    text_cfg = {"hf_model_name": "xlm-roberta-base", "hf_tokenizer_name": os.path.abspath(out),
                "hf_proj_type": "mlp", "hf_pooler_type": "mean_pooler"}
    text_cfg.update(extra)
    model_cfg = {"embed_dim": 512, "vision_cfg": {"image_size": 224, "layers": 12, "width": 768,
                                                  "patch_size": 32},
                 "text_cfg": text_cfg}
    with open(os.path.join(out, "open_clip_config.json"), "w") as f:
        json.dump({"model_cfg": model_cfg, "preprocess_cfg": {}}, f, indent=2)
    return out, model_cfg


def open_clip_ids(name, model_cfg, texts):
    """ids of open_clip.get_tokenizer(name) with `model_cfg` registered under `name`."""
    import open_clip

    registry = os.path.join(ROOT, "train", "open_clip_configs")
    os.makedirs(registry, exist_ok=True)
    with open(os.path.join(registry, name + ".json"), "w") as f:
        json.dump(model_cfg, f)
    open_clip.add_model_config(registry)
    tok = open_clip.get_tokenizer(name)
    assert type(tok).__name__ == "HFTokenizer", type(tok).__name__
    pad, eos = tok.tokenizer.pad_token_id, tok.tokenizer.eos_token_id
    ids = []
    for row in tok(texts).tolist():
        while row and row[-1] == pad:  # the last real id is always </s>
            row.pop()
        assert row and row[-1] == eos, row
        ids.append(row)
    return ids


def write_golden(path, items, ids):
    with open(path, "w") as f:
        for (cat, raw), row in zip(items, ids):
            f.write(json.dumps({"hex": raw.hex(), "ids": row, "category": cat,
                                "valid_utf8": valid_utf8(raw)}) + "\n")


def valid_utf8(raw):
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def main():
    from transformers import AutoTokenizer

    os.makedirs(ROOT, exist_ok=True)
    models = os.path.join(ROOT, "models")
    os.makedirs(models, exist_ok=True)
    xlmr = train(models, "xlmr", "nmt_nfkc", 8000, 0.98)
    resaved = os.path.join(models, "xlmr_resaved")
    shutil.rmtree(resaved, ignore_errors=True)
    AutoTokenizer.from_pretrained(xlmr).save_pretrained(resaved)
    cf = train(models, "xlmr_cf", "nmt_nfkc_cf", 8000, 0.98)
    open_clip_folders = [make_open_clip_folder(models, resaved, name, extra)
                         for name, extra in OPEN_CLIP_FOLDERS]
    if "--models-only" in sys.argv[1:]:
        return
    items = corpus()
    texts = [raw.decode("utf-8", errors="replace") for _, raw in items]
    for model in (xlmr, resaved, cf):
        ids = reference_ids(model, texts)
        write_golden(os.path.join(ROOT, f"golden_{os.path.basename(model)}.jsonl"), items, ids)
    for folder, model_cfg in open_clip_folders:
        name = os.path.basename(folder)
        write_golden(os.path.join(ROOT, f"golden_{name}.jsonl"), items,
                     open_clip_ids(name, model_cfg, texts))
    unk = sum(1 for row in ids if 3 in row)
    print(f"unigram_golden: {len(items)} texts, {unk} with an unknown token, in {ROOT}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
