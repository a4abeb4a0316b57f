"""Camera RAW test files (issue 23): DNGs written here byte by byte (a DNG is a TIFF), with and
without an embedded full-size JPEG preview, in the four Bayer CFA patterns, with an orientation,
plus corrupt and truncated copies, and the answers clipsearch must give.

A DNG here: IFD0 either the preview (NewSubfileType 1, baseline JPEG, 8-bit YCbCr) or a small
uncompressed RGB thumbnail, with DNGVersion, Make/Model, Orientation, ColorMatrix1 and
AsShotNeutral; its SubIFD the raw CFA image (NewSubfileType 0, 16-bit, uncompressed, CFAPattern,
BlackLevel, WhiteLevel). Without any preview IFD0 is the raw image itself. The camera's colour
space is linear sRGB (ColorMatrix1 = XYZ -> linear sRGB, D65), so a developed patch keeps its hue.

Answers (no bit-exact reference exists for demosaicing; Pillow cannot read RAW):
  preview: Pillow's pixels of the embedded JPEG, with the DNG's orientation applied: exact.
  develop: rawpy (LibRaw's own Python binding, another LibRaw release) with the settings
           clipsearch uses, where rawpy is installed: a bound on the mean and max difference;
           always: the size, the orientation and the hue of the colour patches.

Usage:
  make_raw_files.py                      fixture: $CLIPSEARCH_REFERENCE_DIR/raw/
  make_raw_files.py --bench DIR N [WxH]  N DNGs of WxH (default 6000x4000) with a full-size
                                         preview, for timing `clipsearch index`
  make_raw_files.py --one PATH [WxH]     one DNG with a preview (fuzz seeds, quick checks)

Writes into $CLIPSEARCH_REFERENCE_DIR/raw/:
  cases/<id>.dng                the files (also <id>.tif: a camera-made-looking plain TIFF)
  cases/<id>.want.u8            expected RGB pixels [h, w, 3] (preview: exact; develop: rawpy's)
  manifest.json                 {"cases": [{id, file, raw, exif, expect: "decodes" | "fails",
                                            width, height, exact, want, patches}]}
"""
import functools
import io
import json
import os
import struct
import sys

import numpy as np
from PIL import Image

# TIFF field types
BYTE, ASCII, SHORT, LONG, RATIONAL, SRATIONAL = 1, 2, 3, 4, 5, 10
CFA_CODES = {"RGGB": [0, 1, 1, 2], "BGGR": [2, 1, 1, 0], "GRBG": [1, 0, 2, 1], "GBRG": [1, 2, 0, 1]}
# XYZ (D65) -> linear sRGB: the camera of these files sees linear sRGB.
XYZ_TO_SRGB = [[3.2404542, -1.5371385, -0.4985314], [-0.9692660, 1.8760108, 0.0415560],
               [0.0556434, -0.2040259, 1.0572252]]
# Pillow's transpose for each EXIF orientation (ImageOps.exif_transpose's table).
TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
             4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
             6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
             8: Image.Transpose.ROTATE_90}
# Colour patches of the scene: name -> (sRGB colour, which channel must dominate when developed).
PATCHES = {"red": ((200, 40, 40), 0), "green": ((40, 180, 50), 1), "blue": ((40, 60, 200), 2)}


def scene(w, h):
    """An 8-bit sRGB scene: a gray gradient background with a red, a green and a blue patch in
    the top row of thirds and a white marker in the top-left corner (shows orientation)."""
    x = np.linspace(60, 190, w, dtype=np.float64)
    y = np.linspace(0.8, 1.1, h, dtype=np.float64)[:, None]
    img = np.clip(x[None, :] * y, 0, 255)[:, :, None].repeat(3, axis=2).astype(np.uint8)
    for i, (color, _) in enumerate(PATCHES.values()):
        x0 = w * (2 * i + 1) // 7
        img[h // 8:h // 8 + h // 4, x0:x0 + w // 7] = color
    img[:h // 16, :w // 16] = 250
    return img


def patch_boxes(w, h):
    """Centres of the patches, as fractions of the stored (unrotated) image, and their channel."""
    out = []
    for i, (name, (_, channel)) in enumerate(PATCHES.items()):
        x0 = w * (2 * i + 1) // 7
        out.append({"name": name, "x": (x0 + w // 14) / w, "y": (h // 8 + h // 8) / h,
                    "channel": channel})
    return out


def mosaic(rgb8, pattern, black, white):
    """The sensor's CFA samples of an sRGB scene: linearised, one colour per site."""
    lin = rgb8.astype(np.float64) / 255.0
    lin = np.where(lin <= 0.04045, lin / 12.92, ((lin + 0.055) / 1.055) ** 2.4)
    codes = CFA_CODES[pattern]
    h, w, _ = rgb8.shape
    out = np.empty((h, w), dtype=np.uint16)
    for dy in range(2):
        for dx in range(2):
            c = codes[dy * 2 + dx]
            out[dy::2, dx::2] = np.round(black + lin[dy::2, dx::2, c] * 0.9 * (white - black))
    return out


def jpeg_bytes(rgb8, quality=90):
    buf = io.BytesIO()
    Image.fromarray(rgb8).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


class Tiff:
    """A little-endian TIFF written in one pass, laid out as cameras do: the IFDs and their small
    values in a head area right after the header, the image data after it (so a truncated file
    keeps its IFDs and loses pixels)."""

    HEAD = 4096

    def __init__(self):
        self.data = bytearray(b"II*\0\0\0\0\0")
        self.head_used = len(self.data)
        self.data += bytes(self.HEAD - len(self.data))

    def blob(self, b):
        if len(b) <= 512 and self.head_used + len(b) + 1 <= self.HEAD:
            self.head_used += self.head_used % 2
            at = self.head_used
            self.data[at:at + len(b)] = b
            self.head_used += len(b)
            return at
        if len(self.data) % 2:
            self.data += b"\0"
        at = len(self.data)
        self.data += b
        return at

    def ifd(self, entries, next_ifd=0):
        """entries: [(tag, type, values)]; returns the IFD's offset."""
        sizes = {BYTE: 1, ASCII: 1, SHORT: 2, LONG: 4, RATIONAL: 8, SRATIONAL: 8}
        packed = []
        for tag, typ, vals in sorted(entries, key=lambda e: e[0]):
            if typ == ASCII:
                raw, count = vals.encode() + b"\0", len(vals) + 1
            elif typ in (RATIONAL, SRATIONAL):
                fmt = "<" + ("I" if typ == RATIONAL else "i") * 2 * len(vals)
                flat = [v for num_den in vals for v in num_den]
                raw, count = struct.pack(fmt, *flat), len(vals)
            else:
                fmt = {BYTE: "B", SHORT: "H", LONG: "I"}[typ]
                raw, count = struct.pack("<" + fmt * len(vals), *vals), len(vals)
            assert len(raw) == count * sizes[typ]
            if len(raw) <= 4:
                packed.append((tag, typ, count, raw.ljust(4, b"\0")))
            else:
                packed.append((tag, typ, count, struct.pack("<I", self.blob(raw))))
        body = struct.pack("<H", len(packed))
        for tag, typ, count, value in packed:
            body += struct.pack("<HHI", tag, typ, count) + value
        body += struct.pack("<I", next_ifd)
        return self.blob(body)

    def finish(self, ifd0):
        struct.pack_into("<I", self.data, 4, ifd0)
        return bytes(self.data)


def rational(x, den=10000):
    return (int(round(x * den)), den)


@functools.lru_cache(maxsize=None)
def scene_and_mosaic(w, h, pattern, black, white):
    """Cached: the bench writes many large files of the same scene."""
    rgb = scene(w, h)
    return rgb, mosaic(rgb, pattern, black, white)


def dng(w, h, pattern="RGGB", preview="full", orientation=1, black=256, white=16383, stamp=None):
    """A DNG of a w x h scene. preview: "full" (a JPEG of the whole scene), "small" (an 8-bit RGB
    thumbnail a quarter of each side: below the preview rule) or "none". `stamp` (an int) is
    written into the last row of the raw and of the preview, so that files of one scene differ
    (the indexer would otherwise take copies for one file). Returns (bytes, the preview JPEG or
    None)."""
    rgb, cfa = scene_and_mosaic(w, h, pattern, black, white)
    if stamp is not None:
        bits = [(stamp >> i) & 1 for i in range(16)]
        rgb, cfa = rgb.copy(), cfa.copy()
        rgb[-1, :16] = np.array(bits, dtype=np.uint8)[:, None] * 255
        cfa[-1, :16] = black + np.array(bits, dtype=np.uint16) * (white - black) // 2
    t = Tiff()
    raw_at = t.blob(cfa.astype("<u2").tobytes())
    raw_tags = [
        (254, LONG, [0]), (256, LONG, [w]), (257, LONG, [h]), (258, SHORT, [16]),
        (259, SHORT, [1]), (262, SHORT, [32803]), (273, LONG, [raw_at]), (277, SHORT, [1]),
        (278, LONG, [h]), (279, LONG, [cfa.nbytes]), (284, SHORT, [1]),
        (33421, SHORT, [2, 2]), (33422, BYTE, CFA_CODES[pattern]),
        (50714, LONG, [black]), (50717, LONG, [white])]
    camera_tags = [
        (271, ASCII, "clipsearch"), (272, ASCII, "Test DNG"), (274, SHORT, [orientation]),
        (50706, BYTE, [1, 4, 0, 0]), (50707, BYTE, [1, 1, 0, 0]),
        (50708, ASCII, "clipsearch Test DNG"),
        (50721, SRATIONAL, [rational(v) for row in XYZ_TO_SRGB for v in row]),
        (50778, SHORT, [21]), (50728, RATIONAL, [rational(1.0)] * 3)]
    jpeg = None
    if preview == "none":
        ifd0 = t.ifd(raw_tags + camera_tags)
        return t.finish(ifd0), None
    sub = t.ifd(raw_tags)
    if preview == "full":
        jpeg = jpeg_bytes(rgb)
        at = t.blob(jpeg)
        pv = [(254, LONG, [1]), (256, LONG, [w]), (257, LONG, [h]), (258, SHORT, [8, 8, 8]),
              (259, SHORT, [7]), (262, SHORT, [6]), (273, LONG, [at]), (277, SHORT, [3]),
              (278, LONG, [h]), (279, LONG, [len(jpeg)]), (284, SHORT, [1])]
    else:
        small = np.ascontiguousarray(rgb[::4, ::4])
        at = t.blob(small.tobytes())
        sh, sw, _ = small.shape
        pv = [(254, LONG, [1]), (256, LONG, [sw]), (257, LONG, [sh]), (258, SHORT, [8, 8, 8]),
              (259, SHORT, [1]), (262, SHORT, [2]), (273, LONG, [at]), (277, SHORT, [3]),
              (278, LONG, [sh]), (279, LONG, [small.nbytes]), (284, SHORT, [1])]
    ifd0 = t.ifd(pv + camera_tags + [(330, LONG, [sub])])
    return t.finish(ifd0), jpeg


# What clipsearch's develop asks of LibRaw (src/image/raw.cpp): camera white balance, sRGB,
# 8 bits, AHD, no flip (the orientation is applied after, as for the preview).
def develop_reference(path, orientation, exif):
    try:
        import rawpy  # noqa: PLC0415 - optional: the bound is checked only where it is installed
    except ImportError:
        return None
    with rawpy.imread(path) as r:
        rgb = r.postprocess(use_camera_wb=True, output_color=rawpy.ColorSpace.sRGB,
                            output_bps=8, demosaic_algorithm=rawpy.DemosaicAlgorithm.AHD,
                            user_flip=0, half_size=False)
    im = Image.fromarray(rgb)
    if exif == "apply" and orientation in TRANSPOSE:
        im = im.transpose(TRANSPOSE[orientation])
    return np.asarray(im)


def fixture():
    out = os.path.join(os.environ["CLIPSEARCH_REFERENCE_DIR"], "raw")
    cases_dir = os.path.join(out, "cases")
    os.makedirs(cases_dir, exist_ok=True)
    manifest = []

    def write(name, data):
        with open(os.path.join(cases_dir, name), "wb") as f:
            f.write(data)
        return os.path.join(cases_dir, name)

    def add(cid, data, jpeg, w, h, raw, exif="apply", orientation=1):
        path = write(cid + ".dng", data)
        entry = {"id": cid, "file": cid + ".dng", "raw": raw, "exif": exif, "expect": "decodes",
                 "orientation": orientation}
        use_preview = raw == "preview" and jpeg is not None
        if use_preview:
            im = Image.open(io.BytesIO(jpeg)).convert("RGB")
            if exif == "apply" and orientation in TRANSPOSE:
                im = im.transpose(TRANSPOSE[orientation])
            want = np.asarray(im)
            entry["exact"] = True
        else:
            want = develop_reference(path, orientation, exif)
            entry["exact"] = False
        swap = exif == "apply" and orientation >= 5
        entry["width"], entry["height"] = (h, w) if swap else (w, h)
        entry["patches"] = patch_boxes(w, h)
        if want is not None:
            assert want.shape == (entry["height"], entry["width"], 3), (cid, want.shape)
            want.tofile(os.path.join(cases_dir, cid + ".want.u8"))
            entry["want"] = cid + ".want.u8"
        manifest.append(entry)
        return data

    w, h = 96, 64
    full, jpeg = dng(w, h, "RGGB", "full")
    add("preview_rggb", full, jpeg, w, h, "preview")
    add("preview_rggb_develop", full, jpeg, w, h, "develop")
    for pattern in ("RGGB", "BGGR", "GRBG", "GBRG"):
        data, _ = dng(w, h, pattern, "none")
        add("nopreview_" + pattern.lower(), data, None, w, h, "preview")
    data, _ = dng(w, h, "BGGR", "small")
    add("smallthumb_bggr", data, None, w, h, "preview")
    for exif in ("apply", "ignore"):
        data, jpeg6 = dng(w, h, "GRBG", "full", orientation=6)
        add("preview_orient6_" + exif, data, jpeg6, w, h, "preview", exif, 6)
        data8, _ = dng(w, h, "RGGB", "none", orientation=8)
        add("develop_orient8_" + exif, data8, None, w, h, "develop", exif, 8)

    # Broken files: each must be an error naming the file.
    nopv, _ = dng(w, h, "RGGB", "none")
    broken = {
        "truncated_raw": nopv[: len(nopv) * 2 // 3],  # raw samples cut off
        "truncated_preview": full[: len(full) - len(jpeg) // 2 - 200],  # inside the JPEG
        "truncated_header": full[:40],
        "corrupt_ifd": full[:4] + struct.pack("<I", len(full) + 1000) + full[8:],
        "corrupt_preview": full.replace(jpeg[2:400], bytes(398)),
    }
    for cid, data in broken.items():
        write(cid + ".dng", data)
        manifest.append({"id": cid, "file": cid + ".dng", "raw": "preview", "exif": "apply",
                         "expect": "fails"})
    # A plain 8-bit TIFF that names a camera maker: still a TIFF, decoded as Pillow decodes it.
    tif = os.path.join(cases_dir, "camera_made.tif")
    rgb = scene(40, 30)
    Image.fromarray(rgb).save(tif, tiffinfo={271: "NIKON", 272: "COOLPIX"})
    np.asarray(Image.open(tif).convert("RGB")).tofile(os.path.join(cases_dir, "camera_made.want.u8"))
    manifest.append({"id": "camera_made", "file": "camera_made.tif", "raw": "preview",
                     "exif": "apply", "expect": "decodes", "exact": True, "width": 40,
                     "height": 30, "want": "camera_made.want.u8", "orientation": 1,
                     "format": "tiff"})
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"cases": manifest}, f, indent=1)
    print(f"raw: {len(manifest)} cases in {cases_dir}")


def parse_size(text):
    w, h = text.lower().split("x")
    return int(w), int(h)


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "--bench":
        folder, n = sys.argv[2], int(sys.argv[3])
        w, h = parse_size(sys.argv[4]) if len(sys.argv) > 4 else (6000, 4000)
        os.makedirs(folder, exist_ok=True)
        for i in range(n):
            data, _ = dng(w, h, ("RGGB", "BGGR", "GRBG", "GBRG")[i % 4], "full", stamp=i)
            with open(os.path.join(folder, f"raw_{i:04d}.dng"), "wb") as f:
                f.write(data)
        return
    if len(sys.argv) >= 3 and sys.argv[1] == "--one":
        w, h = parse_size(sys.argv[3]) if len(sys.argv) > 3 else (96, 64)
        with open(sys.argv[2], "wb") as f:
            f.write(dng(w, h, "RGGB", "full")[0])
        return
    fixture()


if __name__ == "__main__":
    main()
