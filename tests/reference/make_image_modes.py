"""Golden data for the unusual BMP and TIFF modes Pillow reads (issue 23): every file is written
here, byte by byte where Pillow cannot write it (RLE, 16-bit and bit-field BMPs, 12-bit, signed,
32-bit and photometric-less TIFFs), and decoded by Pillow 9.4 the way the reference pipeline
does: Image.open(path).convert("RGB"), then CLIPImageProcessor (transformers 4.25.1).

Writes into $CLIPSEARCH_REFERENCE_DIR/image_modes/:
  models/clip224/preprocessor_config.json
  cases/<id>.bmp | .tif         the files
  cases/<id>.decoded.u8         Pillow's RGB pixels, raw [h, w, 3] (files Pillow reads)
  cases/<id>.npy                CLIPImageProcessor's pixel_values [3, 224, 224]
  manifest.json                 {"cases": [{id, file, exif, pillow: "reads" | "refuses",
                                            width, height, decoded, tensor | error}]}

src/image/image_modes_test.cpp decodes every file with clipsearch: the same pixels and tensor
where Pillow reads it, an error naming the file where Pillow refuses it.
"""
import json
import os
import struct
import zlib

import numpy as np
from PIL import Image
from transformers import CLIPImageProcessor

OUT = os.path.join(os.environ["CLIPSEARCH_REFERENCE_DIR"], "image_modes")
CASES = os.path.join(OUT, "cases")
os.makedirs(CASES, exist_ok=True)
rng = np.random.default_rng(23)

CLIP224 = {"crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True,
           "image_mean": [0.48145466, 0.4578275, 0.40821073],
           "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224}
PROCESSOR = CLIPImageProcessor(**CLIP224)
manifest = []


def write(name, data):
    path = os.path.join(CASES, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def add(cid, path, exif="ignore", expect=None):
    """Records what Pillow makes of `path`. `expect` ("reads" / "refuses") guards the intent of
    a case: a generator change that silently turns a refusal into a read fails here."""
    entry = {"id": cid, "file": os.path.basename(path), "exif": exif}
    try:
        im = Image.open(path)
        rgb = im.convert("RGB")  # loads; a TIFF's orientation tag is applied here by Pillow
    except Exception as e:  # noqa: BLE001 - any refusal is the answer to record
        entry.update(pillow="refuses", error=f"{type(e).__name__}: {e}")
    else:
        a = np.asarray(rgb)
        a.tofile(os.path.join(CASES, cid + ".decoded.u8"))
        entry.update(pillow="reads", width=rgb.size[0], height=rgb.size[1],
                     decoded=cid + ".decoded.u8")
        if min(rgb.size) >= 5:  # CLIPImageProcessor 4.25 mistakes 1- or 3-high images
            t = PROCESSOR(rgb, return_tensors="np")["pixel_values"][0].astype(np.float32)
            np.save(os.path.join(CASES, cid + ".npy"), t)
            entry["tensor"] = cid + ".npy"
    if expect is not None:
        assert entry["pillow"] == expect, (cid, entry.get("error"))
    manifest.append(entry)


# ---------------------------------------------------------------------------------------- BMP

def bmp(w, h, bits, pixels, palette=(), compression=0, masks=None, header=40, colors=None,
        topdown=False, offset=None, palette_entry=4):
    """A BMP: file header, info header (12 = OS/2 core header), masks after a 40-byte header,
    palette, pixel data."""
    pal = b"".join(bytes([b, g, r, 0][:palette_entry]) for r, g, b in palette)
    ncolors = len(palette) if colors is None else colors
    if header == 12:
        hdr = struct.pack("<IHHHH", 12, w, h, 1, bits)
    else:
        hdr = struct.pack("<IiiHHIIiiII", header, w, -h if topdown else h, 1, bits, compression,
                          len(pixels), 2835, 2835, ncolors, 0)
        if header > 40:
            m = list(masks or [0, 0, 0, 0]) + [0] * 4
            hdr += struct.pack("<IIII", *m[:4]) + b"\0" * (header - 56)
    extra = b""
    if masks is not None and header == 40:
        extra = b"".join(struct.pack("<I", m) for m in masks[:3])
    body = hdr + extra + pal
    off = 14 + len(body) if offset is None else offset
    return b"BM" + struct.pack("<IHHI", 14 + len(body) + len(pixels), 0, 0, off) + body + pixels


def rows_bytes(idx, bits, topdown=False):
    """Raw rows (bottom-up unless topdown), each padded to 4 bytes."""
    h, w = idx.shape[:2]
    out = b""
    for y in (range(h) if topdown else range(h - 1, -1, -1)):
        row = idx[y]
        if bits == 24:
            line = row[:, ::-1].astype(np.uint8).tobytes()
        elif bits == 16:
            line = row.astype("<u2").tobytes()
        elif bits == 32:
            line = row.astype("<u4").tobytes()
        else:
            per = 8 // bits
            vals = list(row) + [0] * (-len(row) % per)
            line = bytes(sum(int(v) << (8 - bits * (k + 1)) for k, v in enumerate(vals[i:i + per]))
                         for i in range(0, len(vals), per))
        out += line + b"\0" * (-len(line) % 4)
    return out


def rle_encode(idx, rle4, topdown=False, odd_align=False):
    """A standard RLE8/RLE4 stream: runs of equal pixels, absolute runs of 3+ others, end of line
    after each row, end of bitmap."""
    h, w = idx.shape
    out = bytearray()
    for y in (range(h) if topdown else range(h - 1, -1, -1)):
        row = [int(v) for v in idx[y]]
        x = 0
        while x < w:
            n = 1
            if rle4:  # runs of alternating pairs encode as one code byte
                while x + n < w and n < 255 and row[x + n] == row[x + (n % 2)]:
                    n += 1
            else:
                while x + n < w and n < 255 and row[x + n] == row[x]:
                    n += 1
            # Pillow 9.4 reads an odd RLE4 absolute run short (tested apart): even ones here.
            shortest = 4 if rle4 else 3
            if n >= 3 or w - x < shortest:
                code = (row[x] << 4 | row[x + 1 if x + 1 < w and n > 1 else x]) if rle4 else row[x]
                out += bytes([n, code])
                x += n
                continue
            m = min(w - x, 254)  # absolute run up to the next run of 3 or the row's end
            for k in range(x, x + m):
                if k + 2 < w and row[k] == row[k + 1] == row[k + 2]:
                    m = max(k - x, shortest)
                    break
            if rle4:
                m -= m % 2
            vals = row[x:x + m]
            if rle4:
                data = bytes((vals[i] << 4) | vals[i + 1] for i in range(0, m, 2))
            else:
                data = bytes(vals)
            out += bytes([0, m]) + data + (b"\0" if len(data) % 2 else b"")
            x += m
        out += b"\0\0"
    out += b"\0\1"
    return bytes(out)


def palette_of(n):
    return [tuple(int(c) for c in rng.integers(0, 256, 3)) for _ in range(n)]


def blobs(w, h, n):
    """Indices in patches (long runs) with noise (absolute runs)."""
    yy, xx = np.mgrid[0:h, 0:w]
    idx = ((xx // 5 + yy // 3) % n).astype(np.int64)
    noise = rng.random((h, w)) < 0.3
    idx[noise] = rng.integers(0, n, noise.sum())
    return idx


def bmp_cases():
    # RLE8 and RLE4, bottom-up and top-down, odd sizes.
    for w, h in [(37, 23), (64, 9), (5, 5)]:
        pal = palette_of(200)
        idx = blobs(w, h, 200)
        for td in (False, True):
            cid = f"bmp_rle8_{w}x{h}{'_topdown' if td else ''}"
            add(cid, write(cid + ".bmp", bmp(w, h, 8, rle_encode(idx, False, td), pal, 1, topdown=td)),
                expect="reads")
        pal16 = palette_of(16)
        idx16 = blobs(w, h, 16)
        for td in (False, True):
            cid = f"bmp_rle4_{w}x{h}{'_topdown' if td else ''}"
            add(cid, write(cid + ".bmp", bmp(w, h, 4, rle_encode(idx16, True, td), pal16, 2, topdown=td)),
                expect="reads")
    pal = palette_of(12)
    # Hand-made streams: a run past the row's end (cut), an absolute run past it (spills into
    # the next row), early end of line (rest of the row is index 0: "transparent" pixels), an
    # odd RLE4 absolute run (Pillow drops its last pixel), indices past the palette.
    streams = {
        "bmp_rle8_overrun": (8, 1, 6, 3, bytes([9, 1, 0, 0, 2, 2, 0, 7, 3, 4, 5, 6, 7, 8, 9, 0, 3, 9, 0, 0, 0, 1])),
        "bmp_rle8_early_eol": (8, 1, 6, 3, bytes([2, 5, 0, 0, 6, 7, 0, 0, 1, 3, 0, 0, 0, 1])),
        "bmp_rle8_badindex": (8, 1, 6, 2, bytes([3, 200, 3, 11, 0, 0, 0, 6, 12, 13, 255, 40, 99, 1, 0, 1])),
        "bmp_rle4_odd_absolute": (4, 2, 8, 2, bytes([0, 5, 0x12, 0x34, 0x50, 0, 3, 0xAB, 0, 0,
                                                     0, 7, 0x9A, 0xBC, 0xDE, 0xF0, 8, 0x31, 0, 0, 0, 1])),
        "bmp_rle8_delta": (8, 1, 6, 4, bytes([2, 1, 0, 2, 1, 1, 3, 4, 0, 0, 6, 2, 6, 3, 6, 4, 6, 5, 0, 1])),
        "bmp_rle8_delta_pillow": (8, 1, 6, 4, bytes([2, 1, 0, 2, 9, 9, 2, 1, 4, 7, 0, 0, 6, 3, 6, 4, 6, 5, 0, 1])),
        "bmp_rle8_early_eob": (8, 1, 6, 3, bytes([6, 1, 0, 0, 6, 2, 0, 1])),
        "bmp_rle8_truncated": (8, 1, 6, 3, bytes([6, 1, 0, 0, 6, 2, 0, 0, 4])),
        "bmp_rle8_truncated_absolute": (8, 1, 6, 2, bytes([6, 1, 0, 0, 0, 6, 1, 2])),
        "bmp_rle8_delta_cut": (8, 1, 6, 2, bytes([6, 1, 0, 2, 1, 1, 2])),
        "bmp_rle8_delta_cut2": (8, 1, 6, 2, bytes([6, 1, 0, 2, 1])),
        "bmp_rle8_spill_end": (8, 1, 4, 2, bytes([4, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 1])),
        "bmp_rle8_odd_offset": (8, 1, 6, 2, bytes([6, 1, 0, 3, 1, 2, 3, 0, 3, 2, 0, 0, 0, 1])),
    }
    for cid, (bits, comp_rle4, w, h, stream) in streams.items():
        comp = 2 if bits == 4 else 1
        data = bmp(w, h, bits, stream, pal if bits == 8 else pal[:16], comp)
        if cid == "bmp_rle8_odd_offset":  # pixel data at an odd file position: Pillow aligns on the file
            head = bmp(w, h, bits, b"", pal, comp)
            data = bmp(w, h, bits, b"\x00" + stream, pal, comp, offset=len(head) + 1)
        add(cid, write(cid + ".bmp", data))
    # RLE with a black-and-white palette (Pillow's mode "1") and with 24-bit pixels: refused.
    add("bmp_rle8_bw", write("bmp_rle8_bw.bmp", bmp(6, 2, 8, streams["bmp_rle8_early_eol"][4],
                                                    [(0, 0, 0), (255, 255, 255)], 1)), expect="refuses")
    add("bmp_rle8_24bit", write("bmp_rle8_24bit.bmp", bmp(6, 2, 24, b"\x06\x01\x00\x00\x06\x02\x00\x01", (), 1)),
        expect="refuses")
    # 16 bits: every value once, 5-5-5 plain and as bit fields, 5-6-5 bit fields, both
    # directions, a v5 header.
    allv = np.arange(65536, dtype=np.int64).reshape(256, 256)
    for cid, comp, masks, header, td in [
            ("bmp16_555", 0, None, 40, False), ("bmp16_555_topdown", 0, None, 40, True),
            ("bmp16_555_bitfields", 3, [0x7C00, 0x3E0, 0x1F], 40, False),
            ("bmp16_565_bitfields", 3, [0xF800, 0x7E0, 0x1F], 40, False),
            ("bmp16_565_v5", 3, [0xF800, 0x7E0, 0x1F, 0], 124, True)]:
        add(cid, write(cid + ".bmp", bmp(256, 256, 16, rows_bytes(allv, 16, td), (), comp, masks,
                                         header, topdown=td)), expect="reads")
    odd = rng.integers(0, 65536, (7, 13))
    add("bmp16_odd", write("bmp16_odd.bmp", bmp(13, 7, 16, rows_bytes(odd, 16), ())), expect="reads")
    # Bit fields Pillow does not list, zero, overlapping: refused; 32-bit zero masks: BGRA.
    for cid, bits, masks in [("bmp16_masks_444", 16, [0xF00, 0xF0, 0xF]),
                             ("bmp16_masks_zero", 16, [0, 0, 0]),
                             ("bmp16_masks_overlap", 16, [0xFFFF, 0xFFFF, 0xFFFF]),
                             ("bmp32_masks_overlap", 32, [0xFFFF00, 0xFFFF, 0xFF]),
                             ("bmp32_masks_shifted", 32, [0xFF00, 0xFF0000, 0xFF000000]),
                             ("bmp8_bitfields", 8, [0xFF0000, 0xFF00, 0xFF])]:
        v = rng.integers(0, 2 ** min(bits, 31), (4, 5))
        add(cid, write(cid + ".bmp", bmp(5, 4, bits, rows_bytes(v, bits), palette_of(4) if bits == 8 else (),
                                         3, masks)), expect="refuses")
    px32 = rng.integers(0, 2 ** 32, (9, 11), dtype=np.uint64).astype(np.int64)
    for cid, masks, header in [("bmp32_masks_zero", [0, 0, 0], 40), ("bmp32_masks_zero_v5", [0, 0, 0, 0], 124),
                               ("bmp32_rgba_v5", [0xFF, 0xFF00, 0xFF0000, 0xFF000000], 124),
                               ("bmp32_abgr_v5", [0xFF000000, 0xFF0000, 0xFF00, 0xFF], 124),
                               ("bmp32_xbgr", [0xFF000000, 0xFF0000, 0xFF00], 40),
                               ("bmp32_bgra_v4", [0xFF0000, 0xFF00, 0xFF, 0xFF000000], 108)]:
        add(cid, write(cid + ".bmp", bmp(11, 9, 32, rows_bytes(px32, 32), (), 3, masks, header)), expect="reads")
    rgb = rng.integers(0, 256, (6, 7, 3))
    add("bmp24_bitfields", write("bmp24_bitfields.bmp", bmp(7, 6, 24, rows_bytes(rgb, 24), (), 3,
                                                            [0xFF0000, 0xFF00, 0xFF])), expect="reads")
    # Palettes: indices past the palette (Pillow's gray ramp), a gray-ramp palette (mode "L"),
    # a black-and-white palette on 8-bit pixels (Pillow reads 1 bit per pixel), OS/2 palettes,
    # more than 256 entries (refused).
    idx = rng.integers(0, 256, (9, 10))
    add("bmp8_badindex", write("bmp8_badindex.bmp", bmp(10, 9, 8, rows_bytes(idx, 8), palette_of(7))),
        expect="reads")
    idx4 = rng.integers(0, 16, (5, 9))
    add("bmp4_badindex", write("bmp4_badindex.bmp", bmp(9, 5, 4, rows_bytes(idx4, 4), palette_of(5))),
        expect="reads")
    idx1 = rng.integers(0, 2, (5, 19))
    add("bmp1_one_color", write("bmp1_one_color.bmp", bmp(19, 5, 1, rows_bytes(idx1, 1), [(200, 10, 10)])),
        expect="reads")
    gray = [(i, i, i) for i in range(100)]
    add("bmp8_gray_partial", write("bmp8_gray_partial.bmp", bmp(10, 9, 8, rows_bytes(idx, 8), gray)),
        expect="reads")
    add("bmp8_bw_palette", write("bmp8_bw_palette.bmp", bmp(10, 9, 8, rows_bytes(idx, 8),
                                                            [(0, 0, 0), (255, 255, 255)])), expect="reads")
    # A gray-ramp palette on 4-bit pixels: Pillow reads 8-bit gray rows longer than the file's
    # rows, from its memory map (the file is opened by name), overlapping.
    add("bmp4_gray16", write("bmp4_gray16.bmp", bmp(9, 5, 4, rows_bytes(idx4, 4) + b"\7" * 3,
                                                    [(i, i, i) for i in range(16)])), expect="reads")
    add("bmp4_gray16_end", write("bmp4_gray16_end.bmp", bmp(9, 5, 4, rows_bytes(idx4, 4),
                                                            [(i, i, i) for i in range(16)])), expect="reads")
    add("bmp8_palette_300", write("bmp8_palette_300.bmp", bmp(10, 9, 8, rows_bytes(idx, 8), palette_of(300))),
        expect="refuses")
    os2 = bmp(10, 9, 8, rows_bytes(idx, 8), palette_of(256), header=12, palette_entry=3,
              offset=14 + 12 + 3 * 256)
    add("bmp8_os2", write("bmp8_os2.bmp", os2), expect="reads")
    # OS/2 with the data offset right after the header: Pillow skips 4 bytes per colour, so
    # reads from inside the 3-byte palette.
    os2_skip = bmp(10, 9, 8, b"\0" * 256 + rows_bytes(idx, 8), palette_of(256), header=12, palette_entry=3,
                   offset=14 + 12)
    add("bmp8_os2_offset", write("bmp8_os2_offset.bmp", os2_skip), expect="reads")
    # Truncation: the last row without its padding reads; a row cut short does not.
    full = bmp(10, 9, 8, rows_bytes(idx, 8), palette_of(20))
    add("bmp8_no_last_padding", write("bmp8_no_last_padding.bmp", full[:-2]), expect="reads")
    add("bmp8_truncated", write("bmp8_truncated.bmp", full[:-5]), expect="refuses")
    for cid, comp in [("bmp_jpeg", 4), ("bmp_png", 5), ("bmp_alphabitfields", 6)]:
        add(cid, write(cid + ".bmp", bmp(5, 4, 32, rows_bytes(px32[:4, :5], 32), (), comp,
                                         [0xFF0000, 0xFF00, 0xFF, 0xFF000000], 124)), expect="refuses")
    add("bmp_header56", write("bmp_header56.bmp", bmp(5, 4, 24, rows_bytes(rgb[:4, :5], 24), (), header=56)),
        expect="refuses")


# --------------------------------------------------------------------------------------- TIFF

def tiff(w, h, strips, tags, order="<", tiles=None):
    """A TIFF with one IFD: `tags` {tag: (type, [values])}; `strips` (or `tiles`, with
    tags 322/323 given) are the data blocks, written after the IFD."""
    blocks = tiles if tiles is not None else strips
    t = dict(tags)
    t[256] = (4, [w])
    t[257] = (4, [h])
    off_tag, cnt_tag = (324, 325) if tiles is not None else (273, 279)
    t[cnt_tag] = (4, [len(b) for b in blocks])
    t[off_tag] = (4, [0] * len(blocks))
    fmt = {3: "H", 4: "I"}
    ifd_at, n = 8, len(t)
    extra_at = ifd_at + 2 + 12 * n + 4

    def build():
        ifd, extra = struct.pack(order + "H", n), b""
        for tag in sorted(t):
            typ, vals = t[tag]
            raw = b"".join(struct.pack(order + fmt[typ], v) for v in vals)
            if len(raw) <= 4:
                ifd += struct.pack(order + "HHI", tag, typ, len(vals)) + raw.ljust(4, b"\0")
            else:
                ifd += struct.pack(order + "HHII", tag, typ, len(vals), extra_at + len(extra))
                extra += raw + b"\0" * (len(raw) % 2)
        return ifd + struct.pack(order + "I", 0), extra

    ifd, extra = build()
    at, offs = extra_at + len(extra), []
    for b in blocks:
        offs.append(at)
        at += len(b)
    t[off_tag] = (4, offs)
    ifd, extra = build()
    return (b"II" if order == "<" else b"MM") + struct.pack(order + "HI", 42, 8) + ifd + extra + b"".join(blocks)


def gray_tiff(a, bits, photometric=1, sample_format=1, order="<", rows=None, compression=1,
              tile=None, packer=None):
    """A one-sample TIFF of array `a` (rows of `rows` per strip, or square tiles)."""
    h, w = a.shape
    kind = {1: "u", 2: "i", 3: "f"}[sample_format]
    pack = packer or (lambda r: r.astype(f"{order}{kind}{bits // 8}").tobytes())
    tags = {258: (3, [bits]), 259: (3, [compression]), 277: (3, [1])}
    if photometric is not None:
        tags[262] = (3, [photometric])
    if sample_format != 1:
        tags[339] = (3, [sample_format])
    squeeze = (lambda b: zlib.compress(b)) if compression == 8 else (lambda b: b)
    if tile:
        tags[322], tags[323] = (3, [tile]), (3, [tile])
        tiles = []
        for ty in range(0, h, tile):
            for tx in range(0, w, tile):
                block = np.zeros((tile, tile), a.dtype)
                part = a[ty:ty + tile, tx:tx + tile]
                block[:part.shape[0], :part.shape[1]] = part
                tiles.append(squeeze(b"".join(pack(r) for r in block)))
        return tiff(w, h, None, tags, order, tiles)
    rows = rows or h
    tags[278] = (4, [rows])
    strips = [squeeze(b"".join(pack(r) for r in a[y:y + rows])) for y in range(0, h, rows)]
    return tiff(w, h, strips, tags, order)


def pack12(row):
    bits, nb, out = 0, 0, bytearray()
    for v in row:
        bits, nb = (bits << 12) | int(v), nb + 12
        while nb >= 8:
            out.append((bits >> (nb - 8)) & 255)
            nb -= 8
    if nb:
        out.append((bits << (8 - nb)) & 255)
    return bytes(out)


def tiff_cases():
    w, h = 29, 17
    # Lab: Pillow writes it (uncompressed, LZW), plus a sweep of L, a, b and a big-endian file.
    lab = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
    im = Image.frombytes("LAB", (w, h), lab.tobytes())
    for cid, kw in [("tiff_lab", {}), ("tiff_lab_lzw", {"compression": "tiff_lzw"})]:
        path = os.path.join(CASES, cid + ".tif")
        im.save(path, **kw)
        add(cid, path, expect="reads")
    sweep = np.stack(np.meshgrid(np.arange(0, 256, 15), np.arange(0, 256, 15), np.arange(0, 256, 15),
                                 indexing="ij"), -1).reshape(-1, 3).astype(np.uint8)
    sweep = sweep[:len(sweep) // 54 * 54].reshape(-1, 54, 3)
    labtags = {258: (3, [8, 8, 8]), 259: (3, [1]), 262: (3, [8]), 277: (3, [3])}
    add("tiff_lab_sweep", write("tiff_lab_sweep.tif", tiff(54, sweep.shape[0], [sweep.tobytes()], labtags)),
        expect="reads")
    add("tiff_lab_be", write("tiff_lab_be.tif", tiff(w, h, [lab.tobytes()], labtags, ">")), expect="reads")
    lab16 = {258: (3, [16, 16, 16]), 259: (3, [1]), 262: (3, [8]), 277: (3, [3])}
    add("tiff_lab16", write("tiff_lab16.tif", tiff(w, h, [lab.astype("<u2").tobytes() * 1], lab16)),
        expect="refuses")
    # 32-bit float: Pillow writes it; NaN, infinities, negatives, fractions; big-endian,
    # min-is-white (not inverted), deflate, tiled.
    f = rng.normal(120, 140, (h, w)).astype(np.float32)
    f.flat[:8] = [np.nan, np.inf, -np.inf, -0.5, 0.5, 254.999, 255.0, 1e30]
    for cid, kw in [("tiff_float", {}), ("tiff_float_lzw", {"compression": "tiff_lzw"})]:
        path = os.path.join(CASES, cid + ".tif")
        Image.fromarray(f, "F").save(path, **kw)
        add(cid, path, expect="reads")
    for cid, kw in [("tiff_float_be", dict(order=">")), ("tiff_float_miniswhite", dict(photometric=0)),
                    ("tiff_float_deflate", dict(compression=8, rows=5)),
                    ("tiff_float_tiled", dict(tile=16))]:
        add(cid, write(cid + ".tif", gray_tiff(f, 32, sample_format=3, **kw)), expect="reads")
    # Signed 16 and 32 bits (Pillow cannot write them), unsigned 32 bits (read as signed).
    s16 = rng.integers(-400, 700, (h, w)).astype(np.int64)
    s16.flat[:4] = [-32768, 32767, 255, 256]
    for cid, kw in [("tiff_i16s", {}), ("tiff_i16s_be", dict(order=">")),
                    ("tiff_i16s_strips", dict(rows=3)), ("tiff_i16s_tiled", dict(tile=16)),
                    ("tiff_i16s_deflate", dict(compression=8, rows=4))]:
        add(cid, write(cid + ".tif", gray_tiff(s16, 16, sample_format=2, **kw)), expect="reads")
    s32 = rng.integers(-1000, 1000, (h, w)).astype(np.int64)
    s32.flat[:2] = [-2 ** 31, 2 ** 31 - 1]
    add("tiff_i32s", write("tiff_i32s.tif", gray_tiff(s32, 32, sample_format=2)), expect="reads")
    add("tiff_i32s_be", write("tiff_i32s_be.tif", gray_tiff(s32, 32, sample_format=2, order=">")), expect="reads")
    u32 = rng.integers(0, 600, (h, w)).astype(np.int64)
    u32.flat[:2] = [2 ** 32 - 1, 2 ** 31]
    add("tiff_u32", write("tiff_u32.tif", gray_tiff(u32, 32)), expect="reads")
    add("tiff_u32_be", write("tiff_u32_be.tif", gray_tiff(u32, 32, order=">")), expect="refuses")
    add("tiff_i8s", write("tiff_i8s.tif", gray_tiff(s16 & 0x7F, 8, sample_format=2,
                                                      packer=lambda r: r.astype("i1").tobytes())), expect="refuses")
    # 12 bits: uncompressed, strips, deflate, tiled; big-endian and min-is-white are refused.
    g12 = rng.integers(0, 4096, (h, w))
    g12.flat[:4] = [0, 255, 256, 4095]
    for cid, kw in [("tiff_12bit", {}), ("tiff_12bit_strips", dict(rows=4)),
                    ("tiff_12bit_deflate", dict(compression=8, rows=6)), ("tiff_12bit_tiled", dict(tile=16))]:
        add(cid, write(cid + ".tif", gray_tiff(g12, 12, packer=pack12, **kw)), expect="reads")
    add("tiff_12bit_be", write("tiff_12bit_be.tif", gray_tiff(g12, 12, packer=pack12, order=">")), expect="refuses")
    add("tiff_12bit_miniswhite", write("tiff_12bit_miniswhite.tif", gray_tiff(g12, 12, photometric=0, packer=pack12)),
        expect="refuses")
    # No photometric tag: Pillow assumes min-is-white (1 to 8 bits inverted, 16 bits and float not).
    g8 = rng.integers(0, 256, (h, w))
    add("tiff_nophoto_8", write("tiff_nophoto_8.tif", gray_tiff(g8, 8, photometric=None)), expect="reads")
    add("tiff_nophoto_8_deflate", write("tiff_nophoto_8_deflate.tif", gray_tiff(g8, 8, photometric=None, compression=8)),
        expect="reads")
    bits1 = rng.integers(0, 2, (h, w))
    add("tiff_nophoto_1", write("tiff_nophoto_1.tif", gray_tiff(bits1, 1, photometric=None, packer=lambda r: np.packbits(r.astype(np.uint8)).tobytes())),
        expect="reads")
    g4 = rng.integers(0, 16, (h, w))
    add("tiff_nophoto_4", write("tiff_nophoto_4.tif", gray_tiff(g4, 4, photometric=None, packer=lambda r: bytes(
        (int(r[i]) << 4) | (int(r[i + 1]) if i + 1 < len(r) else 0) for i in range(0, len(r), 2)))), expect="reads")
    g16 = rng.integers(0, 65536, (h, w))
    g16.flat[:3] = [0, 255, 256]
    add("tiff_nophoto_16", write("tiff_nophoto_16.tif", gray_tiff(g16, 16, photometric=None)), expect="reads")
    add("tiff_nophoto_float", write("tiff_nophoto_float.tif", gray_tiff(f, 32, photometric=None, sample_format=3)),
        expect="reads")
    rgbtags = {258: (3, [8, 8, 8]), 259: (3, [1]), 277: (3, [3])}
    add("tiff_nophoto_rgb", write("tiff_nophoto_rgb.tif", tiff(w, h, [lab.tobytes()], rgbtags)), expect="refuses")
    # 16-bit min-is-white: Pillow does not invert (libvips does); big-endian is refused.
    add("tiff_16bit_miniswhite", write("tiff_16bit_miniswhite.tif", gray_tiff(g16, 16, photometric=0)), expect="reads")
    add("tiff_16bit_miniswhite_be", write("tiff_16bit_miniswhite_be.tif", gray_tiff(g16, 16, photometric=0, order=">")),
        expect="refuses")
    # The TIFF orientation tag: Pillow applies it on load, so the pixels are the same whether
    # EXIF orientation is applied or ignored; RGB and G4 fax.
    small = Image.fromarray(rng.integers(0, 256, (13, 21, 3)).astype(np.uint8))
    bilevel = Image.fromarray((rng.random((13, 21)) < 0.5).astype(np.uint8) * 255).convert("1")
    for o in range(1, 9):
        for kind, img, kw in [("rgb", small, {}), ("g4", bilevel, {"compression": "group4"})]:
            cid = f"tiff_{kind}_orientation{o}"
            path = os.path.join(CASES, cid + ".tif")
            img.save(path, tiffinfo={274: o}, **kw)
            add(cid + "_ignore", path, exif="ignore", expect="reads")
            add(cid + "_apply", path, exif="apply", expect="reads")


bmp_cases()
tiff_cases()
d = os.path.join(OUT, "models", "clip224")
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, "preprocessor_config.json"), "w") as f:
    json.dump(CLIP224, f, indent=1)
with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump({"cases": manifest}, f, indent=1)
reads = sum(c["pillow"] == "reads" for c in manifest)
print(f"image modes reference: {len(manifest)} cases ({reads} Pillow reads, "
      f"{len(manifest) - reads} it refuses) in {OUT}")
