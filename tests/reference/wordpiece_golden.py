#!/usr/bin/env python3
"""Golden token ids for the WordPiece tokenizer tests, from transformers' BertTokenizerFast.

Writes under $CLIPSEARCH_REFERENCE_DIR/wordpiece/ (the build folder; nothing is committed):
  models/cnclip/        a model folder laid out like OFA-Sys/chinese-clip-vit-base-patch16:
                        vocab.txt (trained at test time on the corpus with tokenizers'
                        WordPieceTrainer; rare characters left out so that [UNK] happens),
                        tokenizer_config.json, special_tokens_map.json, config.json
                        (model_type chinese_clip, text_config.max_position_embeddings 512)
  models/cnclip_saved/  the same saved by BertTokenizerFast.save_pretrained (adds tokenizer.json)
  models/cased/         the same vocabulary with do_lower_case false (no lowercase, no accent
                        stripping)
  golden_<name>.jsonl   one line per text: {"hex": UTF-8 bytes in hex, "ids": [...],
                        "category": ..., "valid_utf8": ...}; cnclip, cnclip_52 (max_length 52, as
                        Chinese-CLIP's own code uses), cnclip_saved, cased
  golden_chars.jsonl    every code point through the reference's BertNormalizer (lowercase on,
                        and off) and BertPreTokenizer, as runs {"first", "last", "lower", "cased",
                        "split"} of code points that are not left alone

References: transformers 4.25.1 BertTokenizerFast (tokenizers 0.13.3), loaded from the folders
with truncation=True and max_length the model's. Invalid UTF-8 inputs are given to the reference
decoded with errors="replace".
"""
import json
import os
import random
import shutil
import sys

ROOT = os.path.join(os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference"), "wordpiece")
SEED = 20261127
PER_CATEGORY = 600
MAX_LENGTH = 512
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# ---------------------------------------------------------------------------------------------
# The corpus.

EN = ("a photo of the dog cat running on summer beach red car in city at night portrait woman "
      "man child playing with ball mountain lake sunset forest snow old house bicycle street "
      "market food plate coffee cup book table window light shadow bird flying sky blue green "
      "yellow painting drawing sketch 3d render close-up aerial view").split()
ZH = ("一只 猫 狗 在 草地 上 奔跑 的 照片 海边 日落 城市 夜景 红色 汽车 女人 男人 孩子 玩 球 山 湖 "
      "森林 雪 老 房子 自行车 街道 市场 食物 盘子 咖啡 杯子 书 桌子 窗户 光 影子 鸟 飞 天空 蓝色 "
      "绿色 黄色 画 素描 北京 上海 长城 熊猫 宝可梦 杰尼龟 皮卡丘 妙蛙种子 小火龙 中国 风景 美丽").split()
ZH_TRAD = ("一隻 貓 狗 在 草地 上 奔跑 的 照片 海邊 日落 城市 夜景 紅色 汽車 女人 孩子 玩 球 "
           "山 湖 森林 雪 老 房子 腳踏車 街道 市場 食物 盤子 咖啡 杯子 書 桌子 窗戶 光 影子 鳥 飛 "
           "天空 藍色 綠色 黃色 畫 臺北 香港 龍 鳳凰 國家 風景 美麗 體育 學校 醫院").split()
JA = ("猫 が 草 の 上 で 走っ て いる 写真 東京 の 夜景 ラーメン おいしい です カメラ "
      "さくら 富士山 こんにちは ありがとう ｶﾀｶﾅ ﾊﾟﾝ").split()
KO = "고양이 가 잔디 위 에서 뛰어 노는 사진 서울 의 야경 맛있는 김치 안녕하세요 감사합니다".split()
AR = "قطة تجري على العشب صورة غروب الشمس مدينة في الليل مرحبا".split()
HI = "एक बिल्ली घास पर दौड़ रही है सूर्यास्त शहर रात नमस्ते".split()
TH = "แมว วิ่ง บน หญ้า ภาพ พระอาทิตย์ตก เมือง กลางคืน สวัสดี".split()
RU = "Кошка бежит по траве фото заката город ночью Привет ЁЖИК ёлка".split()
LATIN = ("café crème brûlée naïve façade Ångström São Paulo Łódź Gdańsk Český Krumlov İstanbul "
         "Übergrößenträger Straße piñata señor résumé œuvre Ærøskøbing ΟΔΟΣ Ελληνικά").split()
EMOJI = ["😀", "🐶", "🐱", "🏖", "🚗", "❤️", "👍", "🎉", "🇨🇳", "🇯🇵", "1️⃣", "☕", "👩‍💻",
         "👨‍👩‍👧‍👦", "🏳️‍🌈", "🧑🏽‍🚀", "👋🏻", "🫠", "🀄", "㊗️"]
PUNCT = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»„“”‘’–—…·•§¶©®™°±×÷¢£¥€") + \
    list("，。、；：？！“”‘’（）【】《》〈〉「」『』〔〕…—～·￥")
CONTROLS = ["\x00", "\x01", "\x07", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f",
            "\u200b", "\u200c", "\u200d", "\u200e", "\u2060", "\ufeff", "\u00ad", "\ufffd",
            "\ue000", "\U000f0000", "\U000e0001", "\u0378", "\u2028", "\u2029"]
WHITESPACE = ["\t", "\n", "\r", " ", "\xa0", "\u1680", "\u2000", "\u2003", "\u200a", "\u202f",
              "\u205f", "\u3000", "\r\n", "  "]
SPECIAL_LITERALS = ["[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]", "[cls]", "[mask]", "[Mask]",
                    "[CLS", "CLS]", "[[SEP]]", "[MASK][MASK]", "x[UNK]y", "[unused1]", "［ＣＬＳ］"]
COMBINING = ["\u0301", "\u0300", "\u0308", "\u0327", "\u0323", "\u0345", "\u0651", "\u093c",
             "\u0e31", "\u302a", "\u3099", "\u20dd", "\u1ab0", "\U0001d165"]
INVALID = [b"\xff", b"\xfe", b"\xc0\xaf", b"\xe0\x80\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
           b"\x80", b"\xbf", b"\xc3", b"\xe4\xb8", b"\xf0\x9f\x98", b"\xc3\x28", b"\xe2\x28\xa1"]
CATEGORIES = ["zh_simplified", "zh_traditional", "zh_random", "japanese", "korean", "arabic",
              "hindi", "thai", "cyrillic", "emoji", "fullwidth", "latin", "mixed_zh_en",
              "punctuation", "controls", "whitespace", "specials", "long", "long_words",
              "random"]


def pick(rng, words, n):
    return [rng.choice(words) for _ in range(n)]


def zh_sentence(rng, words):
    s = "".join(pick(rng, words, rng.randint(2, 12)))
    if rng.random() < 0.5:
        s += rng.choice(["。", "！", "？", "，", "", "…"])
    return s


def en_words(rng, n):
    ws = pick(rng, EN, n)
    return " ".join(w.upper() if rng.random() < 0.1 else w.capitalize() if rng.random() < 0.2
                    else w for w in ws)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c
                   for c in s)


def random_code_point(rng):
    while True:
        r = rng.random()
        c = rng.randint(0, 0x2FFFF) if r < 0.5 else rng.randint(0, 0x10FFFF) if r < 0.7 \
            else rng.randint(0, 0xFFFF)
        if not 0xD800 <= c <= 0xDFFF:
            return chr(c)


def gen(rng, cat):
    if cat == "zh_simplified":
        return zh_sentence(rng, ZH)
    if cat == "zh_traditional":
        return zh_sentence(rng, ZH_TRAD)
    if cat == "zh_random":  # ideographs of every block that handle_chinese_chars spaces out
        blocks = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
                  (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
                  (0x2E80, 0x2EFF), (0x3000, 0x303F), (0x2CEB0, 0x2EBEF), (0x30000, 0x3134F)]
        out = []
        for _ in range(rng.randint(1, 10)):
            lo, hi = rng.choice(blocks)
            out.append(chr(rng.randint(lo, hi)))
        return "".join(out)
    if cat == "japanese":
        return "".join(pick(rng, JA, rng.randint(2, 10)))
    if cat == "korean":
        return " ".join(pick(rng, KO, rng.randint(2, 8)))
    if cat == "arabic":
        return " ".join(pick(rng, AR, rng.randint(2, 8)))
    if cat == "hindi":
        return " ".join(pick(rng, HI, rng.randint(2, 8)))
    if cat == "thai":
        return "".join(pick(rng, TH, rng.randint(2, 8)))
    if cat == "cyrillic":
        return " ".join(pick(rng, RU, rng.randint(2, 8)))
    if cat == "emoji":
        return "".join(rng.choice(EMOJI + [" ", "a", "猫"]) for _ in range(rng.randint(1, 8)))
    if cat == "fullwidth":
        return fullwidth(rng.choice([en_words(rng, rng.randint(1, 5)), "ABC 123 !?",
                                     "Ｈｅｌｌｏ", "ＣＬＩＰ"])) + rng.choice(["", "猫", "ｶﾞ"])
    if cat == "latin":
        import unicodedata
        s = " ".join(pick(rng, LATIN, rng.randint(1, 6)))
        return unicodedata.normalize(rng.choice(["NFC", "NFD", "NFKD"]), s)
    if cat == "mixed_zh_en":
        parts = []
        for _ in range(rng.randint(2, 6)):
            parts.append(zh_sentence(rng, ZH) if rng.random() < 0.5 else en_words(rng, 2))
        return rng.choice(["", " "]).join(parts)
    if cat == "punctuation":
        return "".join(rng.choice(PUNCT + ["a", "猫", " ", "1"]) for _ in range(rng.randint(1, 12)))
    if cat == "controls":
        return "".join(rng.choice(CONTROLS + ["a", "猫", " ", "b"]) for _ in range(rng.randint(1, 10)))
    if cat == "whitespace":
        return "".join(rng.choice(WHITESPACE + ["cat", "猫", "dog"]) for _ in range(rng.randint(1, 8)))
    if cat == "specials":
        return "".join(rng.choice(SPECIAL_LITERALS + [" ", "猫", "dog ", "a"])
                       for _ in range(rng.randint(1, 6)))
    if cat == "long":  # far past 512 and 52 tokens
        return " ".join(gen(rng, rng.choice(["zh_simplified", "mixed_zh_en", "latin"]))
                        for _ in range(rng.randint(30, 120)))
    if cat == "long_words":  # around max_input_chars_per_word (100 code points)
        unit = rng.choice(["a", "ab", "é", "e\u0301", "x", "photo", "ı", "İ", "ß"])
        n = rng.choice([99, 100, 101, 102, 50, 200])
        word = (unit * n)[:n] if len(unit) == 1 else unit * (n // len(unit) + rng.randint(0, 1))
        return rng.choice(["", "cat "]) + word + rng.choice(["", " dog", "!"])
    if cat == "random":
        s = "".join(random_code_point(rng) for _ in range(rng.randint(1, 12)))
        if rng.random() < 0.3:
            s += rng.choice(COMBINING)
        return s
    raise ValueError(cat)


def gen_invalid(rng):
    parts = []
    for _ in range(rng.randint(1, 6)):
        parts.append(rng.choice(INVALID) if rng.random() < 0.5 else
                     rng.choice(ZH + EN).encode())
    return b" ".join(parts) if rng.random() < 0.5 else b"".join(parts)


def corpus():
    rng = random.Random(SEED)
    items = []
    for cat in CATEGORIES:
        for _ in range(PER_CATEGORY):
            items.append((cat, gen(rng, cat).encode("utf-8")))
    for _ in range(PER_CATEGORY):
        items.append(("invalid_utf8", gen_invalid(rng)))
    for _ in range(PER_CATEGORY):
        text = " ".join(gen(rng, rng.choice(CATEGORIES[:-3])) for _ in range(rng.randint(2, 4)))
        items.append(("mixed", text.encode("utf-8")))
    for _ in range(PER_CATEGORY // 2):  # combining marks on letters, for strip_accents
        text = "".join(rng.choice(EN + LATIN)[:3] + "".join(pick(rng, COMBINING, rng.randint(0, 3)))
                       for _ in range(rng.randint(1, 5)))
        items.append(("combining", text.encode("utf-8")))
    return items


# ---------------------------------------------------------------------------------------------
# The model folders.

def train_vocab(texts):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    # Cased training text, so the vocabulary also has capitals and accents for the cased model.
    trainer = trainers.WordPieceTrainer(vocab_size=6000, special_tokens=SPECIALS,
                                        limit_alphabet=1500, min_frequency=2)
    tok.train_from_iterator(texts + [t.lower() for t in texts], trainer)
    vocab = tok.get_vocab()
    tokens = sorted(vocab, key=vocab.get)
    assert all("\n" not in t and "\r" not in t for t in tokens)
    return tokens


def write_models(texts, root=ROOT):
    """The three model folders under root/models. The trainer's ties are broken in Rust hash
    order, so the vocabulary can differ between runs: goldens belong to the models of their run."""
    from transformers import BertTokenizerFast
    models = os.path.join(root, "models")
    cnclip, saved, cased = (os.path.join(models, d) for d in ("cnclip", "cnclip_saved", "cased"))
    for d in (cnclip, saved, cased):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    tokens = train_vocab(texts)
    special_map = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                   "cls_token": "[CLS]", "mask_token": "[MASK]"}
    config = {"model_type": "chinese_clip", "projection_dim": 512,
              "text_config": {"model_type": "chinese_clip_text_model", "vocab_size": len(tokens),
                              "max_position_embeddings": MAX_LENGTH, "hidden_size": 768},
              "vision_config": {"model_type": "chinese_clip_vision_model", "patch_size": 16}}
    for d, lower in ((cnclip, True), (cased, False)):
        with open(os.path.join(d, "vocab.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(tokens) + "\n")
        with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
            json.dump(dict(special_map, do_lower_case=lower, tokenize_chinese_chars=True,
                           strip_accents=None, model_max_length=MAX_LENGTH,
                           tokenizer_class="BertTokenizer"), f, indent=2)
        with open(os.path.join(d, "special_tokens_map.json"), "w") as f:
            json.dump(special_map, f)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
    BertTokenizerFast.from_pretrained(cnclip).save_pretrained(saved)
    shutil.copy(os.path.join(cnclip, "config.json"), saved)
    assert os.path.exists(os.path.join(saved, "tokenizer.json"))
    return cnclip, saved, cased, tokens


# ---------------------------------------------------------------------------------------------
# Goldens.

def reference_ids(model_dir, texts, max_length):
    from transformers import BertTokenizerFast
    tok = BertTokenizerFast.from_pretrained(model_dir)
    return tok(texts, truncation=True, max_length=max_length)["input_ids"]


def valid_utf8(raw):
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def write_golden(name, items, ids):
    with open(os.path.join(ROOT, f"golden_{name}.jsonl"), "w") as f:
        for (cat, raw), t in zip(items, ids):
            f.write(json.dumps({"hex": raw.hex(), "ids": t, "category": cat,
                                "valid_utf8": valid_utf8(raw)}) + "\n")


def write_chars():
    from tokenizers import normalizers, pre_tokenizers
    lower = normalizers.BertNormalizer(handle_chinese_chars=False, lowercase=True)
    cased = normalizers.BertNormalizer(handle_chinese_chars=False, lowercase=False)
    pre = pre_tokenizers.BertPreTokenizer()
    runs = []
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        ch = chr(c)
        lo, ca = lower.normalize_str(ch), cased.normalize_str(ch)
        n = len(pre.pre_tokenize_str("a" + ch + "a"))
        key = (None if lo == ch else lo.encode().hex(), None if ca == ch else ca.encode().hex(),
               {2: "space", 3: "punct"}.get(n, ""))
        if key == (None, None, ""):
            continue
        if runs and runs[-1][1] == c - 1 and runs[-1][2] == key:
            runs[-1][1] = c
        else:
            runs.append([c, c, key])
    with open(os.path.join(ROOT, "golden_chars.jsonl"), "w") as f:
        for first, last, (lo, ca, split) in runs:
            f.write(json.dumps({"first": first, "last": last, "lower": lo, "cased": ca,
                                "split": split}) + "\n")


def main():
    os.makedirs(ROOT, exist_ok=True)
    items = corpus()
    texts = [raw.decode("utf-8", errors="replace") for _, raw in items]
    cnclip, saved, cased, tokens = write_models(texts)
    if "--models-only" in sys.argv[1:]:
        return
    write_golden("cnclip", items, reference_ids(cnclip, texts, MAX_LENGTH))
    write_golden("cnclip_52", items, reference_ids(cnclip, texts, 52))
    write_golden("cnclip_saved", items, reference_ids(saved, texts, MAX_LENGTH))
    write_golden("cased", items, reference_ids(cased, texts, MAX_LENGTH))
    write_chars()
    unk = sum(ids.count(1) for ids in reference_ids(cnclip, texts, MAX_LENGTH))
    print(f"wordpiece_golden: {len(items)} texts, vocabulary of {len(tokens)} tokens, {unk} [UNK] "
          f"in the cnclip ids, in {ROOT}", file=sys.stderr)


if __name__ == "__main__":
    main()
