#!/usr/bin/env python3
"""Golden token ids for the tokenizer tests, from the Python reference tokenizers.

Writes under $CLIPSEARCH_REFERENCE_DIR/tokenizer/ (the build folder; nothing is committed):
  models/hf/              vocab.json + merges.txt, derived from open_clip's BPE file
  models/hf_published/    the same saved by CLIPTokenizerFast.save_pretrained (tokenizer.json,
                          special_tokens_map.json, tokenizer_config.json) + a config.json
  models/open_clip/       bpe_simple_vocab_16e6.txt.gz as open_clip ships it
  golden_<name>.jsonl     one line per text: {"hex": UTF-8 bytes in hex, "ids": [...],
                          "category": ..., "valid_utf8": ...}
  golden_ftfy.jsonl       one line per text: {"hex": the text given to the references, in
                          UTF-8, "fixed": ftfy.fix_text of it, in UTF-8} (open_clip's ftfy step
                          alone, compared before lowercasing and tokenization hide differences)

The corpus comes from a seeded generator (>= 10,000 texts) covering the categories of issue 3,
and deliberate mojibake (UTF-8 text decoded with the wrong codecs) for ftfy's encoding repair.
References: transformers 4.25.1 CLIPTokenizerFast (tokenizers 0.13.3), loaded from the local
folders, and open_clip 2.23.0 SimpleTokenizer (its default 'lower' cleaning, ftfy included).
Invalid UTF-8 inputs are given to the references decoded with errors="replace".
With --models-only, writes the model folders and nothing else.
"""
import gzip
import json
import os
import random
import shutil
import sys
import unicodedata

import ftfy

ROOT = os.path.join(os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference"), "tokenizer")
CONTEXT = 77
SEED = 20261126
PER_CATEGORY = 750


# ---------------------------------------------------------------------------------------------
# Vocabulary files (derived at test time from the BPE file inside the open_clip package).

def derive_hf_vocab(out_dir, ensure_ascii=True):
    """Writes vocab.json + merges.txt as transformers publishes them for CLIP, derived from the
    BPE file inside the open_clip package (the same tokens, with the Hugging Face names of the
    special tokens). With ensure_ascii, vocab.json uses \\u escapes."""
    import open_clip.tokenizer as oct

    os.makedirs(out_dir, exist_ok=True)
    lines = gzip.open(oct.default_bpe()).read().decode("utf-8").split("\n")
    merges = lines[1:49152 - 256 - 2 + 1]
    symbols = list(oct.bytes_to_unicode().values())
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m.split()) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=ensure_ascii)
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")


def write_models():
    import open_clip.tokenizer as oct
    from transformers import CLIPTokenizerFast

    models = os.path.join(ROOT, "models")
    hf, published, oc = (os.path.join(models, d) for d in ("hf", "hf_published", "open_clip"))
    for d in (hf, published, oc):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    shutil.copy(oct.default_bpe(), os.path.join(oc, "bpe_simple_vocab_16e6.txt.gz"))
    # \u escapes here; save_pretrained writes hf_published/vocab.json with raw UTF-8.
    derive_hf_vocab(hf, ensure_ascii=True)
    tok = CLIPTokenizerFast.from_pretrained(hf)
    tok.save_pretrained(published)
    with open(os.path.join(published, "config.json"), "w") as f:
        json.dump({"text_config": {"max_position_embeddings": CONTEXT}}, f)
    return hf, published, oc


# ---------------------------------------------------------------------------------------------
# The corpus.

WORDS = ("a photo of the dog cat running on summer beach red car in city at night portrait "
         "woman man child playing with ball mountain lake sunset forest snow old house bicycle "
         "street market food plate coffee cup book table window light shadow bird flying sky "
         "blue green yellow painting drawing sketch 3d render close-up aerial view of").split()
LATIN = "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿąćęłńśźżčďěňřšťůžőűğışçăâîșțÀÉÎÕÜŸĄĆŁŃŚŹŻČŘŠŽŐŰĞİŞßẞœŒ"
SCRIPTS = {
    "cjk": (0x4E00, 0x9FFF), "hiragana": (0x3041, 0x3096), "katakana": (0x30A1, 0x30FA),
    "hangul": (0xAC00, 0xD7A3), "cyrillic": (0x0400, 0x04FF), "greek": (0x0370, 0x03FF),
    "arabic": (0x0600, 0x06FF), "hebrew": (0x0590, 0x05FF), "devanagari": (0x0900, 0x097F),
    "thai": (0x0E00, 0x0E7F),
}
EMOJI = ["😀", "🐶", "🐱", "🏖", "🚗", "❤️", "👍", "🎉", "🌅", "🍕", "🇫🇷", "🇯🇵", "1️⃣", "#️⃣", "☕",
         "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🧑🏽‍🚀", "👋🏻", "👋🏼", "👋🏽", "👋🏾", "👋🏿", "🤷‍♀️", "❤️‍🔥", "🫠"]
PUNCT = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»‹›„“”‘’‚–—…·•†‡§¶©®™°±×÷¢£¥€")
WHITESPACE = ["\t", "\n", "\x0b", "\x0c", "\r", " ", "\x85", "\xa0", "\u1680"] + \
    [chr(c) for c in range(0x2000, 0x200B)] + \
    ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\x1c", "\x1d", "\x1e", "\x1f",
     "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e", "\r\n"]
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "’s", "'S", "'T", "'RE", "'Ve",
                "'M", "'LL", "'D", "'x", "''s", "'", "'ſ"]
SPECIALS = ["<|startoftext|>", "<|endoftext|>", "<|STARTOFTEXT|>", "<|EndOfText|>",
            "<start_of_text>", "<end_of_text>", "<START_OF_TEXT>", "<|endoftext", "endoftext|>",
            "<||>", "<|startoftext|><|endoftext|>", "<<|endoftext|>>", "<ſtart_of_text>"]
ENTITIES = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#x27;", "&nbsp;", "&eacute;",
            "&EACUTE;", "&amp;amp;", "&amp;lt;", "&ampx", "&copy", "&notit;", "&#128;",
            "&#0;", "&#xD800;", "&#1114112;", "&#99999999999999;", "&#x1F600;", "&hellip;",
            "&rsquo;", "&#8217;", "&", "&;", "&#;", "&#x;", "&unknown;", "&Aacute", "&AMP;"]


def rand_script(rng, name, n):
    lo, hi = SCRIPTS[name]
    return "".join(chr(rng.randint(lo, hi)) for _ in range(n))


def rand_word(rng):
    w = rng.choice(WORDS)
    r = rng.random()
    return w.upper() if r < 0.1 else w.capitalize() if r < 0.3 else w


def caption(rng, n=None):
    return " ".join(rand_word(rng) for _ in range(n or rng.randint(1, 14)))


def random_code_point(rng):
    while True:
        r = rng.random()
        if r < 0.4:
            c = rng.randint(0, 0x2FFFF)
        elif r < 0.5:
            c = rng.randint(0xE0000, 0x10FFFF)
        elif r < 0.7:
            c = rng.randint(0, 0x10FFFF)
        else:
            c = rng.randint(0, 0xFFFF)
        if not 0xD800 <= c <= 0xDFFF:
            return chr(c)


def mix(rng, parts):
    return "".join(rng.choice([p, " " + p, p + " "]) for p in parts)


def gen_category(rng, cat):
    if cat == "ascii":
        s = caption(rng)
        if rng.random() < 0.3:
            s += rng.choice([".", "!", "?", "...", ",", ";"])
        return s
    if cat == "latin":
        letters = [rng.choice(LATIN) if rng.random() < 0.4 else rng.choice("abcdefghijklmnopqrstuvwxyz")
                   for _ in range(rng.randint(1, 30))]
        s = "".join(letters)
        s = " ".join(s[i:i + rng.randint(2, 8)] for i in range(0, len(s), 6))
        form = rng.choice(["NFC", "NFD", "NFKD", None])
        return unicodedata.normalize(form, s) if form else s
    if cat == "scripts":
        name = rng.choice(list(SCRIPTS))
        parts = [rand_script(rng, name, rng.randint(1, 6)) for _ in range(rng.randint(1, 5))]
        if rng.random() < 0.3:
            parts.append(caption(rng, 2))
        if name == "greek" and rng.random() < 0.5:
            parts.append(rng.choice(["ΟΔΟΣ", "ΣΟΦΙΑ Σ", "ΑΣ.", "Σ'Σ", "ΝΙΚΟΣ-ΤΑΣ", "Σ"]))
        return mix(rng, parts)
    if cat == "emoji":
        return mix(rng, [rng.choice(EMOJI) if rng.random() < 0.6 else rand_word(rng)
                         for _ in range(rng.randint(1, 8))])
    if cat == "numbers":
        parts = []
        for _ in range(rng.randint(1, 6)):
            r = rng.random()
            if r < 0.3:
                parts.append(str(rng.randint(0, 10 ** rng.randint(1, 12))))
            elif r < 0.5:
                parts.append(f"{rng.uniform(-1e4, 1e4):,.{rng.randint(0, 4)}f}")
            elif r < 0.7:
                parts.append(rng.choice(["²", "½", "Ⅻ", "٣٤٥", "१२३", "๓", "①", "𝟘𝟙", "₂", "Ⅳ",
                                         "1st", "2nd", "3rd", "4th", "10:30", "1/2", "3.14"]))
            else:
                parts.append(rand_word(rng))
        return " ".join(parts)
    if cat == "punctuation":
        return mix(rng, ["".join(rng.choice(PUNCT) for _ in range(rng.randint(1, 8)))
                         if rng.random() < 0.7 else rand_word(rng) for _ in range(rng.randint(1, 6))])
    if cat == "urls":
        host = rng.choice(["example.com", "www.Photos.org", "images.example.co.uk", "localhost:8080"])
        path = "/".join(rand_word(rng) for _ in range(rng.randint(0, 4)))
        q = rng.choice(["", "?q=dog&size=large", "#section-2", "?id=123&ref=abc_def"])
        pre = rng.choice(["http://", "https://", "", "ftp://"])
        extra = rng.choice(["", " user@example.com", " @someone #hashtag", " C:\\Users\\photo.jpg"])
        return rng.choice(["", caption(rng, 3) + " "]) + pre + host + "/" + path + q + extra
    if cat == "whitespace":
        parts = []
        for _ in range(rng.randint(0, 6)):
            parts.append("".join(rng.choice(WHITESPACE) for _ in range(rng.randint(1, 4))))
            if rng.random() < 0.6:
                parts.append(rand_word(rng))
        return "".join(parts)
    if cat == "contractions":
        parts = []
        for _ in range(rng.randint(1, 6)):
            w = rand_word(rng)
            parts.append(w + rng.choice(CONTRACTIONS))
        return rng.choice([" ", "", "  "]).join(parts)
    if cat == "specials":
        parts = [rng.choice(SPECIALS) if rng.random() < 0.5 else rand_word(rng)
                 for _ in range(rng.randint(1, 6))]
        return rng.choice([" ", ""]).join(parts)
    if cat == "long":
        n = rng.randint(60, 300)
        if rng.random() < 0.5:
            return caption(rng, n)
        return "".join(rng.choice(["a", "b", "ab", " ", "!", "1", "é", "日本", "😀"]) for _ in range(n))
    if cat == "empty":
        return rng.choice(["", " ", "  ", "\t", "\n", "\r\n", "\u3000", "\xa0 \u2003", " \x1c "])
    if cat == "random":
        return "".join(random_code_point(rng) for _ in range(rng.randint(1, 12)))
    if cat == "html":
        return mix(rng, [rng.choice(ENTITIES) if rng.random() < 0.5 else rand_word(rng)
                         for _ in range(rng.randint(1, 6))]) + rng.choice(["", "", " <b>x</b>"])
    if cat == "ftfy":
        pool = ["ﬁ", "ﬂ", "ﬀ", "ﬃ", "ĳ", "Ǆ", "ǈ", "ｆｕｌｌ", "ｗｉｄｔｈ", "ＡＢＣ", "１２３", "ｶﾀｶﾅ",
                "“quoted”", "‘single’", "ʼ", "\x1b[31mred\x1b[0m", "\x00", "\x07", "\x7f", "\x80",
                "\x93", "\x94", "\x9d", "\ufeff", "\u206a", "\ufffc", "\r", "\u2028", "e\u0301",
                "A\u030a", "\u212b", "\u0958", "ſ", "İstanbul", "ΣΑΣ", "Ⓐ", "ǅ"]
        return mix(rng, [rng.choice(pool) if rng.random() < 0.6 else rand_word(rng)
                         for _ in range(rng.randint(1, 6))])
    if cat == "combining":
        base = rng.choice(["a", "e", "o", "ㄱ", "ᄀ", "ᅡ", "가", "α", "И", " ", "1", "<"])
        marks = "".join(chr(rng.choice([0x300, 0x301, 0x302, 0x308, 0x323, 0x327, 0x328, 0x345,
                                        0x1161, 0x11A8, 0x3099, 0x309A, 0x5B0, 0x64B, 0x93C,
                                        0x94D, 0xE31, 0x20DD, 0xFE0F, 0x1F3FB]))
                        for _ in range(rng.randint(1, 5)))
        return mix(rng, [base + marks, rand_word(rng)])
    raise ValueError(cat)


INVALID = [b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
           b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\x80", b"\xbf\xbf", b"\xf8\x88\x80\x80\x80",
           b"\xc3\x28", b"\xe2\x28\xa1", b"\xf0\x28\x8c\x28", b"\xef\xbf\xbe"]


def gen_invalid(rng):
    parts = []
    for _ in range(rng.randint(1, 6)):
        parts.append(rng.choice(INVALID) if rng.random() < 0.5 else rand_word(rng).encode())
    return b" ".join(parts) if rng.random() < 0.5 else b"".join(parts)


CATEGORIES = ["ascii", "latin", "scripts", "emoji", "numbers", "punctuation", "urls",
              "whitespace", "contractions", "specials", "long", "empty", "random", "html",
              "ftfy", "combining"]


# Mojibake: UTF-8 text of many scripts decoded with a wrong single-byte codec, as ftfy's
# fix_encoding expects to find it (and as it should leave it alone when it is not sure).
MOJIBAKE_SOURCES = [
    "café crème brûlée", "naïve façade", "Ångström", "São Paulo à noite", "Ærøskøbing",
    "Łódź Gdańsk Kraków", "Český Krumlov", "İstanbul'da güzel", "Übergrößenträger",
    "Москва зимой", "Київ", "Ελληνικά νησιά", "日本語のテキスト", "北京烤鸭", "한국어 문장",
    "עברית", "العربية", "हिन्दी", "ภาษาไทย", "“smart quotes” and ‘single’", "en – dash — em",
    "ellipsis…", "price: 10 €", "© ® ™ ° ± µ ½", "no\u00a0break\u00a0space", "😀 emoji 🐶 ❤️",
    "👩‍💻 at work", "Ça va? Très bien!", "résumé", "piñata señor", "fà cil", "à quelle heure",
    "Ã  quelque", "ça à ça", "œuvre", "Straße", "ĳsselmeer", "x² + y³", "a × b", "•bullet",
]
MOJIBAKE_CODECS = ["latin-1", "windows-1252", "sloppy-windows-1252", "windows-1251",
                   "sloppy-windows-1251", "windows-1250", "windows-1253", "windows-1254",
                   "windows-1257", "iso-8859-2", "mac-roman", "cp437", "cp850", "koi8-r"]


def mojibake_once(rng, text):
    codec = rng.choice(MOJIBAKE_CODECS)
    raw = text.encode("utf-8")
    errors = rng.choice(["replace", "replace", "ignore"]) if not codec.startswith("sloppy") \
        and codec not in ("latin-1", "mac-roman", "cp437", "cp850", "koi8-r") else "strict"
    return raw.decode(codec, errors=errors)


_FTFY_CHARS = []


def ftfy_class_chars():
    """The characters of ftfy's mojibake classes (and of its literal rules), for random runs that
    reach every rule of its heuristic."""
    if not _FTFY_CHARS:
        import re
        import ftfy.badness
        import ftfy.chardata
        chars = set("ÂÃÎÐ×ØÙà√≈‚Äâóв ЂВГРСўβΆΒΓΞΟāŒœ°²³µabcXYZ .,?!_1\n\x1a?\ufffd")
        for v in list(ftfy.badness.MOJIBAKE_CATEGORIES.values()) + \
                list(ftfy.chardata.UTF8_CLUES.values()):
            r = re.compile("[" + v + "]")
            chars |= {chr(c) for c in range(0x3000) if r.match(chr(c))}
        _FTFY_CHARS.extend(sorted(chars))
    return _FTFY_CHARS


def gen_mojibake(rng):
    if rng.random() < 0.2:
        return "".join(rng.choice(ftfy_class_chars()) for _ in range(rng.randint(1, 12)))
    base = rng.choice(MOJIBAKE_SOURCES)
    if rng.random() < 0.4:
        base = caption(rng, rng.randint(1, 4)) + " " + base
    if rng.random() < 0.3:
        base += " " + rand_script(rng, rng.choice(list(SCRIPTS)), rng.randint(1, 4))
    r = rng.random()
    if r < 0.55:
        bad = mojibake_once(rng, base)
    elif r < 0.7:  # doubled mojibake
        bad = mojibake_once(rng, mojibake_once(rng, base))
    elif r < 0.85:  # mixed good and bad segments
        bad = rng.choice([base + " ", ""]) + mojibake_once(rng, base) + \
            rng.choice(["", " " + base, " " + caption(rng, 2)])
    else:
        bad = base.encode("utf-8").decode(rng.choice(["latin-1", "sloppy-windows-1252"]))
    t = rng.random()
    if t < 0.25:  # a process that turned U+00A0 into a space
        bad = bad.replace("\xa0", " ")
    elif t < 0.35:  # lost bytes
        bad = "".join(rng.choice(["?", "\ufffd"]) if c >= "\x80" and rng.random() < 0.15 else c
                      for c in bad)
    elif t < 0.45:
        bad = rng.choice(["\n", "<b>", "&amp; ", "\x85", "\x93", "\u2028"]).join(
            [bad, mojibake_once(rng, caption(rng, 2) + " é")])
    return bad


def corpus():
    rng = random.Random(SEED)
    items = []  # (category, bytes)
    for cat in CATEGORIES:
        for _ in range(PER_CATEGORY):
            items.append((cat, gen_category(rng, cat).encode("utf-8")))
    for _ in range(PER_CATEGORY):
        items.append(("invalid_utf8", gen_invalid(rng)))
    for _ in range(PER_CATEGORY):
        items.append(("mojibake", gen_mojibake(rng).encode("utf-8")))
    # Mixtures of everything.
    for _ in range(PER_CATEGORY):
        text = " ".join(gen_category(rng, rng.choice(CATEGORIES)) for _ in range(rng.randint(2, 4)))
        items.append(("mixed", text.encode("utf-8")))
    return items


# ---------------------------------------------------------------------------------------------
# References.

def transformers_ids(model_dir, texts):
    from transformers import CLIPTokenizerFast
    tok = CLIPTokenizerFast.from_pretrained(model_dir)
    return tok(texts, truncation=True, max_length=CONTEXT)["input_ids"]


def open_clip_ids(model_dir, texts):
    from open_clip.tokenizer import SimpleTokenizer
    tok = SimpleTokenizer(os.path.join(model_dir, "bpe_simple_vocab_16e6.txt.gz"))
    out = []
    for t in texts:
        ids = [tok.sot_token_id] + tok.encode(t) + [tok.eot_token_id]  # ref: __call__
        if len(ids) > CONTEXT:
            ids = ids[:CONTEXT]
            ids[-1] = tok.eot_token_id
        out.append(ids)
    check = tok(texts[:50], context_length=CONTEXT).tolist()  # the same, padded
    for ids, row in zip(out[:50], check):
        assert row[:len(ids)] == ids and not any(row[len(ids):]), (ids, row)
    return out


def encoding_repaired(text):
    return ftfy.fix_text(text) != ftfy.fix_text(text, fix_encoding=False)


def valid_utf8(raw):
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def write_golden(name, items, texts, ids):
    path = os.path.join(ROOT, f"golden_{name}.jsonl")
    with open(path, "w") as f:
        for (cat, raw), t in zip(items, ids):
            row = {"hex": raw.hex(), "ids": t, "category": cat, "valid_utf8": valid_utf8(raw)}
            f.write(json.dumps(row) + "\n")
    return path


def write_ftfy_golden(items, texts):
    with open(os.path.join(ROOT, "golden_ftfy.jsonl"), "w") as f:
        for (cat, _), t in zip(items, texts):
            row = {"hex": t.encode("utf-8").hex(), "fixed": ftfy.fix_text(t).encode("utf-8").hex(),
                   "category": cat}
            f.write(json.dumps(row) + "\n")


def main():
    os.makedirs(ROOT, exist_ok=True)
    hf, published, oc = write_models()
    if "--models-only" in sys.argv[1:]:  # the vocabularies alone (fuzz/CMakeLists.txt)
        return
    items = corpus()
    texts = [raw.decode("utf-8", errors="replace") for _, raw in items]
    write_golden("transformers", items, texts, transformers_ids(hf, texts))
    write_golden("transformers_published", items, texts, transformers_ids(published, texts))
    write_golden("open_clip", items, texts, open_clip_ids(oc, texts))
    write_ftfy_golden(items, texts)
    repaired = sum(1 for t in texts if encoding_repaired(t))
    print(f"tokenizer_golden: {len(items)} texts, {repaired} of them changed by ftfy's encoding "
          f"repair, in {ROOT}", file=sys.stderr)


if __name__ == "__main__":
    main()
