"""HEIC and AVIF files with the structure phones write (issue 23), and what the reference makes
of them: pillow-heif (0.15, its own libheif 1.17) opened through Pillow 9.4 as a Python user of
the seed recipe would (register_heif_opener / register_avif_opener, Image.open(path)
.convert("RGB")), then CLIPImageProcessor (transformers 4.25.1).

The phone structure is muxed here (tests/reference/heif_mux.py) from pictures libheif encoded:
a grid primary of 512x512 tiles cropped at the right and bottom, a thumbnail item, an Exif item
with an orientation and DateTimeOriginal, a Display P3 ICC profile (colr prof), irot/imir,
10-bit samples, alpha (AVIF), a primary that is not the first image; then truncated and corrupt
copies.

Writes into $CLIPSEARCH_REFERENCE_DIR/heif/:
  models/clip224/preprocessor_config.json
  cases/<id>.heic | .avif      the files
  cases/<id>.decoded.u8        the reference's RGB pixels, raw [h, w, 3] (files it reads)
  cases/<id>.npy               CLIPImageProcessor's pixel_values [3, 224, 224]
  manifest.json                {"cases": [{id, file, format, reference: "reads" | "refuses",
                                            width, height, decoded, tensor, date, icc,
                                            thumbnail_rgb | error}]}

As a benchmark helper: `make_heif_files.py --bench DIR --count N --size WxH` writes N phone-like
HEICs (grid, thumbnail, EXIF, ICC, irot) of that size into DIR, and nothing else.
`--fuzz-seeds DIR` writes small ones (64x64 tiles) into image_fuzz's corpus.
"""
import argparse
import io
import json
import os
import struct

import numpy as np
import pillow_heif
from PIL import Image

import heif_mux as hm

pillow_heif.register_heif_opener()
pillow_heif.register_avif_opener()

TILE = 512  # iPhone's tile size
DATE = "2023:06:01 12:34:56"


# ------------------------------------------------------------------------------ pictures

def photo(width, height, seed, noise=6.0):
    """Something like a photograph: smooth gradients, hard edges, some noise; every channel
    sweeps its whole range so that the YCbCr -> RGB conversion is exercised everywhere."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 255 * x / max(width - 1, 1)
    g = 255 * y / max(height - 1, 1)
    b = 127.5 + 127.5 * np.sin((x + 2 * y) / 37.0)
    a = np.stack([r, g, b], axis=-1)
    for _ in range(6):  # flat rectangles with sharp edges
        x0, y0 = rng.integers(0, width), rng.integers(0, height)
        a[y0:y0 + height // 5, x0:x0 + width // 5] = rng.integers(0, 256, 3)
    a += rng.normal(0, noise, a.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def display_p3_icc():
    """A matrix/TRC ICC v2 display profile with Display P3's primaries (D50-adapted, as Apple's)
    and a 2.2 gamma: not sRGB, so applying it would change the pixels."""
    def xyz(x, y, z):
        return b"XYZ " + bytes(4) + struct.pack(">iii", *(round(v * 65536) for v in (x, y, z)))

    def text(s):
        a = s.encode() + b"\0"
        return b"desc" + bytes(4) + struct.pack(">I", len(a)) + a + bytes(4 + 4 + 2 + 1 + 67)

    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0233)
    tags = [(b"desc", text("Display P3 (clipsearch test)")), (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", xyz(0.5151, 0.2412, -0.0011)), (b"gXYZ", xyz(0.2919, 0.6922, 0.0419)),
            (b"bXYZ", xyz(0.1572, 0.0666, 0.7841)), (b"rTRC", curve), (b"gTRC", curve),
            (b"bTRC", curve), (b"cprt", b"text" + bytes(4) + b"none\0")]
    at = 128 + 4 + 12 * len(tags)
    table, body = struct.pack(">I", len(tags)), b""
    for sig, data in tags:
        data += bytes(-len(data) % 4)
        table += sig + struct.pack(">II", at + len(body), len(data))
        body += data
    size = at + len(body)
    header = (struct.pack(">I", size) + b"lcms" + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ " +
              struct.pack(">6H", 2023, 6, 1, 0, 0, 0) + b"acspAPPL" + bytes(4 + 4 + 4 + 8 + 4) +
              xyz(0.9642, 1.0, 0.8249)[8:] + b"clip" + bytes(16 + 28))
    assert len(header) == 128
    return header + table + body


def exif_block(orientation, date=DATE):
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Apple"
    exif[0x8769] = {0x9003: date}  # a dict value is written as the Exif sub-IFD
    return exif.tobytes()  # b"Exif\0\0" + TIFF


# ------------------------------------------------------------------------------ the files

def codec_of(fmt):
    return ("HEVC", "hvc1", ["heic", "mif1", "heic", "miaf"]) if fmt == "heif" else \
        ("AV1", "av01", ["avif", "mif1", "avif", "miaf"])


def tiles_of(image, codec, bit_depth, tile):
    """The image cut into tile x tile pictures (the last row and column padded by repeating the
    edge, as encoders do), each coded by libheif."""
    w, h = image.size
    cols, rows = -(-w // tile), -(-h // tile)
    a = np.asarray(image)
    padded = np.pad(a, ((0, rows * tile - h), (0, cols * tile - w), (0, 0)), mode="edge")
    pics = []
    for r in range(rows):
        for c in range(cols):
            part = Image.fromarray(padded[r * tile:(r + 1) * tile, c * tile:(c + 1) * tile])
            pics.append(hm.encode_picture(part, codec, bit_depth=bit_depth))
    return rows, cols, pics


def phone_file(image, fmt="heif", orientation=6, rot=3, mirror=None, thumbnail=True,
               icc=True, bit_depth=8, primary_not_first=False, grid=True, alpha=None, tile=TILE):
    """A file as a phone writes it. rot: irot's quarter turns anticlockwise (None: no irot);
    mirror: imir's axis (None: none); alpha: an "L" image for an auxiliary alpha plane (AVIF,
    single picture only)."""
    codec, kind, brands = codec_of(fmt)
    items, next_id = [], [1]

    def new_id():
        next_id[0] += 1
        return next_id[0] - 1

    if primary_not_first:  # a top-level picture before the primary (another shot, not shown)
        other = hm.encode_picture(photo(256, 192, 99), codec)
        items.append(hm.Item(new_id(), kind, other["bitstream"],
                             [other["config"], hm.ispe(256, 192)], essential=[other["config"]]))
    w, h = image.size
    transforms = ([hm.irot(rot)] if rot is not None else []) + \
        ([hm.imir(mirror)] if mirror is not None else [])
    described = [hm.ispe(w, h)] + ([hm.colr_icc(display_p3_icc())] if icc else [])
    primary_id = new_id()
    if grid:
        rows, cols, pics = tiles_of(image, codec, bit_depth, tile)
        tile_ids = [primary_id + 1 + i for i in range(len(pics))]
        pixi = pics[0]["pixi"]
        primary = hm.Item(primary_id, "grid", hm.grid_data(rows, cols, w, h),
                          described + ([pixi] if pixi else []) + transforms,
                          essential=transforms, refs=[("dimg", tile_ids)])
        items.append(primary)
        for tid, pic in zip(tile_ids, pics):
            items.append(hm.Item(tid, kind, pic["bitstream"],
                                 [pic["config"], hm.ispe(tile, tile)] +
                                 ([pic["pixi"]] if pic["pixi"] else []),
                                 essential=[pic["config"]], hidden=True))
        next_id[0] = tile_ids[-1] + 1
    else:
        pic = hm.encode_picture(image, codec, bit_depth=bit_depth)
        # Descriptive properties first, then the transformative ones: clap, irot, imir.
        props = [pic["config"], pic["size"][0]] + described[1:] + \
            ([pic["pixi"]] if pic["pixi"] else []) + pic["size"][1:] + transforms
        items.append(hm.Item(primary_id, kind, pic["bitstream"], props,
                             essential=[pic["config"]] + transforms))
        if alpha is not None:
            rgba = image.copy()
            rgba.putalpha(alpha)
            plane = hm.encode_picture(rgba, codec)["alpha"]
            items.append(hm.Item(new_id(), kind, plane["bitstream"],
                                 [plane["config"]] + plane["size"] + [plane["auxC"]] + transforms,
                                 essential=[plane["config"]] + transforms,
                                 refs=[("auxl", [primary_id])], hidden=True))
    if thumbnail:  # a smaller picture of other colours, so that showing it would be seen
        small = Image.fromarray(255 - np.asarray(image.resize((w // 4 or 1, h // 4 or 1))))
        pic = hm.encode_picture(small, codec)
        items.append(hm.Item(new_id(), kind, pic["bitstream"],
                             [pic["config"]] + pic["size"] + transforms,
                             essential=[pic["config"]] + transforms,
                             refs=[("thmb", [primary_id])]))
    if orientation is not None:
        items.append(hm.Item(new_id(), "Exif", hm.exif_data(exif_block(orientation)),
                             refs=[("cdsc", [primary_id])], hidden=True))
    return hm.write_heif(brands, items, primary_id)


# ------------------------------------------------------------------------------ reference

CLIP224 = {"crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True,
           "image_mean": [0.48145466, 0.4578275, 0.40821073],
           "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224}


class Cases:
    def __init__(self, out):
        from transformers import CLIPImageProcessor
        self.out, self.cases = out, os.path.join(out, "cases")
        os.makedirs(self.cases, exist_ok=True)
        self.processor = CLIPImageProcessor(**CLIP224)
        self.manifest = []

    def add(self, cid, data, fmt, expect, **facts):
        """Writes the file and records what the reference makes of it; `expect` ("reads" /
        "refuses") guards the intent of the case. `facts` are what the test checks besides the
        pixels (displayed size, EXIF date, ...)."""
        name = cid + (".heic" if fmt == "heif" else ".avif")
        path = os.path.join(self.cases, name)
        with open(path, "wb") as f:
            f.write(data)
        entry = {"id": cid, "file": name, "format": fmt, **facts}
        try:
            im = Image.open(path)
            rgb = im.convert("RGB")
        except Exception as e:  # noqa: BLE001 - any refusal is the answer to record
            entry.update(reference="refuses", error=f"{type(e).__name__}: {e}")
        else:
            np.asarray(rgb).tofile(os.path.join(self.cases, cid + ".decoded.u8"))
            t = self.processor(rgb, return_tensors="np")["pixel_values"][0].astype(np.float32)
            np.save(os.path.join(self.cases, cid + ".npy"), t)
            entry.update(reference="reads", width=rgb.size[0], height=rgb.size[1],
                         decoded=cid + ".decoded.u8", tensor=cid + ".npy",
                         reference_icc=bool(im.info.get("icc_profile")))
        assert entry["reference"] == expect, (cid, entry.get("error"))
        self.manifest.append(entry)

    def finish(self):
        d = os.path.join(self.out, "models", "clip224")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "preprocessor_config.json"), "w") as f:
            json.dump(CLIP224, f)
        with open(os.path.join(self.out, "manifest.json"), "w") as f:
            json.dump({"cases": self.manifest}, f, indent=1)


def damaged(data, cid_base, fmt, cases):
    """Truncated and corrupt copies of a good file."""
    meta_end = data.index(b"mdat") - 4
    cases.add(cid_base + "_cut_meta", data[:meta_end // 2], fmt, "refuses", damage="truncated")
    cases.add(cid_base + "_cut_mdat", data[:meta_end + (len(data) - meta_end) // 2], fmt,
              "refuses", damage="truncated")
    # The codec configuration's type renamed: the primary's pictures have no decoder setup.
    bad = data.replace(b"hvcC", b"hvcX").replace(b"av1C", b"av1X")
    cases.add(cid_base + "_no_config", bad, fmt, "refuses", damage="corrupt")


def write_cases(out):
    cases = Cases(out)
    big = photo(1180, 820, 1)  # 3 x 2 tiles, the last column and row cropped
    phone = phone_file(big, "heif", orientation=6, rot=3)
    cases.add("heic_phone", phone, "heif", "reads", display=[820, 1180], date=DATE,
              exif_orientation=6, icc=True)
    cases.add("heic_grid_rot_mirror",
              phone_file(big, "heif", orientation=1, rot=1, mirror=0, thumbnail=False, icc=False),
              "heif", "reads", display=[820, 1180], date=DATE)
    small = photo(333, 251, 2)
    cases.add("heic_single_mirror",
              phone_file(small, "heif", orientation=3, rot=None, mirror=1, grid=False),
              "heif", "reads", display=[333, 251], date=DATE, exif_orientation=3, icc=True)
    cases.add("heic_primary_second",
              phone_file(small, "heif", orientation=None, rot=2, grid=False, primary_not_first=True),
              "heif", "reads", display=[333, 251], icc=True)
    cases.add("heic_10bit_grid",
              phone_file(photo(700, 530, 3), "heif", orientation=8, rot=None, bit_depth=10),
              "heif", "reads", display=[700, 530], date=DATE, exif_orientation=8, bits=10)
    plain = io.BytesIO()
    small.save(plain, format="HEIF", quality=80)
    cases.add("heic_plain", plain.getvalue(), "heif", "reads", display=[333, 251])

    alpha = Image.fromarray((np.arange(251 * 333).reshape(251, 333) % 256).astype(np.uint8))
    cases.add("avif_alpha",
              phone_file(small, "avif", orientation=6, rot=3, grid=False, alpha=alpha),
              "avif", "reads", display=[251, 333], date=DATE, exif_orientation=6, icc=True,
              alpha=True)
    avif_grid = phone_file(photo(600, 530, 4), "avif", orientation=1, rot=None, icc=True)
    cases.add("avif_grid", avif_grid, "avif", "reads", display=[600, 530], date=DATE, icc=True)
    cases.add("avif_10bit",
              phone_file(small, "avif", orientation=None, rot=1, grid=False, bit_depth=10,
                         thumbnail=False),
              "avif", "reads", display=[251, 333], bits=10)
    damaged(phone, "heic_phone", "heif", cases)
    damaged(avif_grid, "avif_grid", "avif", cases)
    cases.finish()


def write_bench(folder, count, width, height):
    """`count` phone-like HEICs (grid, thumbnail, EXIF, ICC, irot) of width x height."""
    os.makedirs(folder, exist_ok=True)
    for i in range(count):
        # Less noise than the test pictures: about 6 MB for 12 MP (an iPhone writes 2-4), not 10.
        data = phone_file(photo(width, height, 1000 + i, noise=1.5), "heif", orientation=6, rot=3)
        with open(os.path.join(folder, "phone_%04d.heic" % i), "wb") as f:
            f.write(data)


def write_fuzz_seeds(folder):
    """Small phone-structured files (64x64 tiles) for the image_fuzz corpus, each after the option
    byte image_fuzz reads first: grids with thumbnail, Exif, ICC, irot/imir; AVIF with alpha."""
    os.makedirs(folder, exist_ok=True)
    small = photo(100, 90, 5)
    alpha = Image.fromarray((np.arange(90 * 100).reshape(90, 100) % 256).astype(np.uint8))
    seeds = {
        "heic_grid": phone_file(small, "heif", orientation=6, rot=3, tile=64),
        "heic_grid_mirror": phone_file(small, "heif", orientation=1, rot=1, mirror=0, tile=64,
                                       primary_not_first=True),
        "heic_10bit": phone_file(small, "heif", orientation=None, rot=None, bit_depth=10,
                                 tile=64, thumbnail=False, icc=False),
        "avif_grid": phone_file(small, "avif", orientation=8, rot=2, tile=64),
        "avif_alpha": phone_file(small, "avif", orientation=None, rot=None, mirror=1, grid=False,
                                 alpha=alpha),
    }
    for i, (name, data) in enumerate(sorted(seeds.items())):
        with open(os.path.join(folder, "seed_heif_%s.bin" % name), "wb") as f:
            f.write(bytes([i * 37 % 256]) + data)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bench", metavar="DIR", help="write benchmark HEICs into DIR instead")
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--size", default="4032x3024", help="WxH (an iPhone's 12 MP by default)")
    p.add_argument("--fuzz-seeds", metavar="DIR", help="write image_fuzz seeds into DIR instead")
    args = p.parse_args()
    if args.fuzz_seeds:
        write_fuzz_seeds(args.fuzz_seeds)
    elif args.bench:
        w, h = (int(v) for v in args.size.split("x"))
        write_bench(args.bench, args.count, w, h)
    else:
        write_cases(os.path.join(os.environ["CLIPSEARCH_REFERENCE_DIR"], "heif"))


if __name__ == "__main__":
    main()
