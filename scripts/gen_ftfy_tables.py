#!/usr/bin/env python3
"""Generates the data behind ftfy's encoding repair (run by hand with the reference venv; the
output is committed): src/text/ftfy_char_classes.inc (used by ftfy_badness.cpp) and
src/text/ftfy_codecs.inc (used by ftfy_encoding.cpp).

  .venv/bin/python scripts/gen_ftfy_tables.py

The tables reproduce ftfy 6.3.1 (the version open_clip's tokenizer runs) as data:
  - the character classes of ftfy's mojibake heuristic (ftfy.badness.MOJIBAKE_CATEGORIES) and
    of its UTF-8 detector (ftfy.chardata.UTF8_CLUES), read from the installed package and
    expanded to code points;
  - for each single-byte codec ftfy tries (ftfy.chardata.CHARMAP_ENCODINGS), which characters
    it can encode and to which byte, computed with the codecs themselves (Python's and ftfy's
    "sloppy" ones, which fill the holes of windows-125x with Latin-1);
  - Python's `\\w` (str regex), as corrections to utf8proc's L and N categories.
The rules that combine these classes are code (src/text/ftfy_badness.cpp).
"""
import ctypes
import ctypes.util
import os
import re
import sys

import ftfy
import ftfy.badness
import ftfy.chardata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX = 0x110000
UTF8PROC = ctypes.CDLL(ctypes.util.find_library("utf8proc") or "libutf8proc.so.2")
UTF8PROC.utf8proc_category_string.restype = ctypes.c_char_p

# Bit order of the class mask; the names become kFtfy<CamelCase> constants.
CLASSES = [
    ("c1", ftfy.badness.MOJIBAKE_CATEGORIES),
    ("bad", ftfy.badness.MOJIBAKE_CATEGORIES),
    ("lower_accented", ftfy.badness.MOJIBAKE_CATEGORIES),
    ("upper_accented", ftfy.badness.MOJIBAKE_CATEGORIES),
    ("box", ftfy.badness.MOJIBAKE_CATEGORIES),
    ("start_punctuation", ftfy.badness.MOJIBAKE_CATEGORIES),
    ("end_punctuation", ftfy.badness.MOJIBAKE_CATEGORIES),
    ("currency", ftfy.badness.MOJIBAKE_CATEGORIES),
    ("numeric", ftfy.badness.MOJIBAKE_CATEGORIES),
    ("law", ftfy.badness.MOJIBAKE_CATEGORIES),
    ("lower_common", ftfy.badness.MOJIBAKE_CATEGORIES),
    ("upper_common", ftfy.badness.MOJIBAKE_CATEGORIES),
    ("kaomoji", ftfy.badness.MOJIBAKE_CATEGORIES),
    ("common", ftfy.badness.MOJIBAKE_CATEGORIES),
    ("utf8_first_of_2", ftfy.chardata.UTF8_CLUES),
    ("utf8_first_of_3", ftfy.chardata.UTF8_CLUES),
    ("utf8_first_of_4", ftfy.chardata.UTF8_CLUES),
    ("utf8_continuation", ftfy.chardata.UTF8_CLUES),
    ("utf8_continuation_strict", ftfy.chardata.UTF8_CLUES),
]


def camel(name):
    return "kFtfy" + "".join(p.capitalize() for p in name.split("_"))


def class_members(text):
    # Each category is spliced into regex character classes by ftfy; expand it the same way.
    # A '-' at either end would form a range with its neighbour in the spliced classes.
    assert not text.startswith("-") and not text.endswith("-"), text
    assert "]" not in text and "\\" not in text and "^" not in text, text
    pattern = re.compile("[" + text + "]")
    return [c for c in range(MAX) if not 0xD800 <= c <= 0xDFFF and pattern.match(chr(c))]


def ranges(cps):
    out = []
    for c in sorted(cps):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def emit_ranges(name, comment, cps, lines):
    rs = ranges(cps)
    lines.append(f"// {comment} ({len(cps)} code points)")
    lines.append(f"constexpr CodePointRange {name}[] = {{")
    row = []
    for a, b in rs:
        row.append(f"{{0x{a:X}, 0x{b:X}}},")
        if len(row) == 4:
            lines.append("    " + " ".join(row))
            row = []
    if row:
        lines.append("    " + " ".join(row))
    if not rs:
        lines.append("    {0x110000, 0x110000},  // empty")
    lines.append("};")
    lines.append("")


def char_classes(lines):
    masks = {}
    lines.append("// Character classes (bit masks), in the order of kFtfyCharClasses' masks.")
    for bit, (name, source) in enumerate(CLASSES):
        lines.append(f"constexpr uint32_t {camel(name)} = 1u << {bit};  // {name}")
        for c in class_members(source[name]):
            masks[c] = masks.get(c, 0) | (1 << bit)
    lines.append("")
    lines.append("// Every character in at least one class, with its classes (ftfy.badness")
    lines.append(f"// MOJIBAKE_CATEGORIES, ftfy.chardata UTF8_CLUES); {len(masks)} characters.")
    lines.append("constexpr FtfyCharClasses kFtfyCharClasses[] = {")
    items = sorted(masks.items())
    for i in range(0, len(items), 4):
        lines.append("    " + " ".join(f"{{0x{c:X}, 0x{m:05X}}}," for c, m in items[i:i + 4]))
    lines.append("};")
    lines.append("")


def codecs_table(lines):
    encodings = ftfy.chardata.CHARMAP_ENCODINGS
    assert len(encodings) <= 16
    lines.append("// The single-byte codecs ftfy's fix_encoding tries, in its order (CHARMAP_ENCODINGS).")
    lines.append(f"constexpr int kFtfyEncodingCount = {len(encodings)};")
    lines.append("constexpr FtfyEncoding kFtfyEncodings[kFtfyEncodingCount] = {")
    for e in encodings:
        lines.append(f'    {{"{e}", {str(e.startswith("sloppy")).lower()}, '
                     f'{str(e == "macroman").lower()}}},')
    lines.append("};")
    lines.append("")
    # ref: ftfy.chardata.possible_encoding: ASCII but 0x1A, plus what bytes 0x80..0xFF and 0x1A
    # decode to. Every such character is encoded with the codec itself.
    table = {}
    for i, e in enumerate(encodings):
        chars = (bytes(range(0x80, 0x100)) + b"\x1a").decode(e)
        for ch in chars:
            b = ch.encode(e)
            assert len(b) == 1 and b.decode(e) == ch, (e, ch)
            entry = table.setdefault(ord(ch), [0, [0] * len(encodings)])
            entry[0] |= 1 << i
            entry[1][i] = b[0]
    lines.append("// The characters beyond ASCII (and U+001A) that some codec encodes: the codecs that")
    lines.append("// can (bit i = kFtfyEncodings[i]) and the byte in each (0 where it cannot).")
    lines.append(f"// {len(table)} characters.")
    lines.append("constexpr FtfyCodecChar kFtfyCodecChars[] = {")
    for c, (mask, bs) in sorted(table.items()):
        lines.append(f"    {{0x{c:X}, 0x{mask:03X}, {{" + ", ".join(f"0x{b:02X}" for b in bs) + "}},")
    lines.append("};")
    lines.append("")
    high = bytes(range(0x80, 0x100)).decode("sloppy-windows-1252")
    lines.append("// sloppy-windows-1252, bytes 0x80..0xFF: windows-1252 with its five holes read as")
    lines.append("// Latin-1 (ftfy's fix_c1_controls; a hole decodes to the code point of its byte).")
    lines.append("constexpr char32_t kFtfySloppyWindows1252High[128] = {")
    for i in range(0, 128, 8):
        lines.append("    " + " ".join(f"0x{ord(c):04X}," for c in high[i:i + 8]))
    lines.append("};")
    lines.append("")
    strict = bytes(range(0x80, 0xA0)).decode("windows-1252", errors="replace")
    holes = [0x80 + i for i, c in enumerate(strict) if c == "\ufffd"]
    assert all(ord(high[b - 0x80]) == b for b in holes)
    assert all(ord(high[b - 0x80]) != b for b in range(0x80, 0xA0) if b not in holes)


def word_corrections(lines):
    word = re.compile(r"\w")
    extra, missing = [], []
    for c in range(MAX):
        if 0xD800 <= c <= 0xDFFF:
            continue
        py = bool(word.match(chr(c)))
        ln = UTF8PROC.utf8proc_category_string(c).decode()[0] in "LN"
        if py and not ln:
            extra.append(c)
        if ln and not py:
            missing.append(c)
    emit_ranges("kPythonWordExtra", "Python re \\w, not L or N for utf8proc", extra, lines)
    emit_ranges("kPythonWordMissing", "L or N for utf8proc, not Python re \\w (Unicode 14.0)",
                missing, lines)


def main():
    header = ["// Generated by scripts/gen_ftfy_tables.py from ftfy's data and Python's codecs; do not",
              f"// edit. ftfy {ftfy.__version__}, Python {sys.version.split()[0]}.", ""]
    lines = list(header)
    char_classes(lines)
    word_corrections(lines)
    with open(os.path.join(ROOT, "src/text/ftfy_char_classes.inc"), "w") as f:
        f.write("\n".join(lines))
    lines = list(header)
    codecs_table(lines)
    with open(os.path.join(ROOT, "src/text/ftfy_codecs.inc"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
