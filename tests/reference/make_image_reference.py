"""Golden data for the image pipeline (src/image): Pillow decoding and the reference
preprocessing (transformers 4.25.1 CLIPImageProcessor and ChineseCLIPImageProcessor, open_clip
2.23 image_transform).

Writes into $CLIPSEARCH_REFERENCE_DIR/image/:
  models/<name>/preprocessor_config.json | open_clip_config.json   preprocessing configs
  cases/<id>.<ext>            generated images (every file is generated here, nothing is bundled)
  cases/<id>.decoded.u8       Pillow's convert("RGB") pixels, raw [h, w, 3] (format cases)
  cases/<id>.<model>.crop.u8  uint8 pixels after resize + centre crop, raw [h, w, 3]; for an
                              open_clip config a case was not written for, only the SHA-256 of
                              those pixels, in the manifest (every open_clip config is checked
                              on every case)
  cases/<id>.<model>.npy      float32 [3, H, W] pixel_values (some cases)
  manifest.json               one entry per case

The uint8 reference pixels are computed with Pillow directly, following CLIPImageProcessor's
steps; wherever CLIPImageProcessor itself can run on the image, its float output is used and is
checked here against the direct computation. (CLIPImageProcessor 4.25 mistakes images 1 or 3
pixels high for channels-first arrays, so for those only the direct computation exists.)
"""
import hashlib
import io
import json
import os
import struct
import zlib

import numpy as np
from PIL import Image, ImageOps

import open_clip
from transformers import ChineseCLIPImageProcessor, CLIPImageProcessor

OUT = os.path.join(os.environ["CLIPSEARCH_REFERENCE_DIR"], "image")
CASES = os.path.join(OUT, "cases")
os.makedirs(CASES, exist_ok=True)
rng = np.random.default_rng(1234)

OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_STD = [0.26862954, 0.26130258, 0.27577711]

# name -> (kind, config). kind "hf": preprocessor_config.json; "oc": open_clip_config.json.
MODELS = {
    "clip224": ("hf", {"crop_size": 224, "do_center_crop": True, "do_normalize": True,
                       "do_resize": True, "feature_extractor_type": "CLIPFeatureExtractor",
                       "image_mean": OPENAI_MEAN, "image_std": OPENAI_STD, "resample": 3,
                       "size": 224}),
    "clip336": ("hf", {"crop_size": {"height": 336, "width": 336}, "do_convert_rgb": True,
                       "image_processor_type": "CLIPImageProcessor", "resample": 3,
                       "size": {"shortest_edge": 336}, "rescale_factor": 1 / 255,
                       "image_mean": OPENAI_MEAN, "image_std": OPENAI_STD}),
    "bilinear": ("hf", {"size": {"shortest_edge": 160}, "crop_size": {"height": 128, "width": 144},
                        "resample": 2, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}),
    "bigcrop": ("hf", {"size": 64, "crop_size": {"height": 80, "width": 96}, "resample": 3}),
    # Chinese-CLIP (OFA-Sys/chinese-clip-vit-base-patch16's config): the whole image resized to
    # exactly width x height, aspect not kept, then the centre crop.
    "cnclip224": ("hf", {"crop_size": {"height": 224, "width": 224}, "do_center_crop": True,
                         "do_convert_rgb": True, "do_normalize": True, "do_rescale": True,
                         "do_resize": True, "image_mean": OPENAI_MEAN, "image_std": OPENAI_STD,
                         "image_processor_type": "ChineseCLIPImageProcessor", "resample": 3,
                         "rescale_factor": 1 / 255, "size": {"height": 224, "width": 224}}),
    "cnclip_200x240": ("hf", {"size": {"height": 200, "width": 240},
                              "crop_size": {"height": 192, "width": 192}, "resample": 3,
                              "image_processor_type": "ChineseCLIPImageProcessor",
                              "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}),
    "openclip": ("oc", {"model_cfg": {"embed_dim": 512, "vision_cfg": {"image_size": 224}},
                        "preprocess_cfg": {"mean": [0.48145466, 0.4578275, 0.40821073],
                                           "std": [0.26862954, 0.26130258, 0.27577711]}}),
    # RN50x4 (timm/resnet50x4_clip.openai): a ModifiedResNet tower, "layers" a list, 288 px.
    "openclip_rn50x4": ("oc", {"model_cfg": {
        "embed_dim": 640, "quick_gelu": True,
        "vision_cfg": {"image_size": 288, "layers": [4, 6, 10, 6], "width": 80, "patch_size": None},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 640, "heads": 10,
                     "layers": 12}},
        "preprocess_cfg": {"mean": OPENAI_MEAN, "std": OPENAI_STD}}),
    # DataComp's ViT-B-32-256: 256 px.
    "openclip_256": ("oc", {"model_cfg": {
        "embed_dim": 512,
        "vision_cfg": {"image_size": 256, "layers": 12, "width": 768, "patch_size": 32},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8,
                     "layers": 12}},
        "preprocess_cfg": {"mean": OPENAI_MEAN, "std": OPENAI_STD}}),
    # LAION's ViT-L-14 laion2b_s32b_b82k: Inception's mean and std (0.5), as open_clip lists it.
    "openclip_laion": ("oc", {"model_cfg": {
        "embed_dim": 768,
        "vision_cfg": {"image_size": 224, "layers": 24, "width": 1024, "patch_size": 14},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 768, "heads": 12,
                     "layers": 12}},
        "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5],
                           "interpolation": "bicubic", "resize_mode": "shortest"}}),
    # SigLIP's (timm/ViT-B-16-SigLIP): the whole image resized to the square, no crop.
    "openclip_squash": ("oc", {"model_cfg": {
        "embed_dim": 768,
        "vision_cfg": {"image_size": 224, "timm_model_name": "vit_base_patch16_siglip_224"}},
        "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5],
                           "interpolation": "bicubic", "resize_mode": "squash"}}),
}
CHINESE_CLIP = ["cnclip224", "cnclip_200x240"]
OPEN_CLIP = [name for name, (kind, _) in MODELS.items() if kind == "oc"]


def write_models():
    for name, (kind, cfg) in MODELS.items():
        d = os.path.join(OUT, "models", name)
        os.makedirs(d, exist_ok=True)
        fn = "preprocessor_config.json" if kind == "hf" else "open_clip_config.json"
        with open(os.path.join(d, fn), "w") as f:
            json.dump(cfg, f, indent=1)


def hf_processor(cfg):
    args = {k: v for k, v in cfg.items() if k not in ("feature_extractor_type", "image_processor_type")}
    if cfg.get("image_processor_type") == "ChineseCLIPImageProcessor":
        return ChineseCLIPImageProcessor(**args)
    return CLIPImageProcessor(**args)


def geometry(kind, cfg):
    """(resize, crop height, crop width, Pillow filter, centre rounding) of a config; resize is
    ("shortest", edge) or ("exact", height, width)."""
    if kind == "hf":
        s = cfg["size"]
        if isinstance(s, int):
            resize = ("shortest", s)
        elif "shortest_edge" in s:
            resize = ("shortest", s["shortest_edge"])
        else:  # ChineseCLIPImageProcessor: {"height", "width"}
            resize = ("exact", s["height"], s["width"])
        crop = cfg["crop_size"]
        ch, cw = (crop, crop) if isinstance(crop, int) else (crop["height"], crop["width"])
        return resize, ch, cw, cfg.get("resample", 3), "floor"
    size = cfg["model_cfg"]["vision_cfg"]["image_size"]
    p = cfg.get("preprocess_cfg", {})
    resample = Image.BILINEAR if p.get("interpolation") == "bilinear" else Image.BICUBIC
    squash = p.get("resize_mode") == "squash"
    resize = ("exact", size, size) if squash else ("shortest", size)
    return resize, size, size, resample, "round"


def resize_to(rgb, resize, resample):
    """The picture resized as both references do: shortest edge to `size` (aspect kept), or
    the whole picture to exactly width x height."""
    w, h = rgb.size
    if resize[0] == "exact":
        return rgb.resize((resize[2], resize[1]), resample=resample)
    size = resize[1]
    short, long = (w, h) if w <= h else (h, w)
    if short == size:
        return rgb
    new_long = int(size * long / short)
    return rgb.resize((size, new_long) if w <= h else (new_long, size), resample=resample)


def direct_crop(rgb, kind, cfg, resized=None):
    """uint8 HWC after resize + centre crop, computed with Pillow as the reference does;
    `resized`: resize_to's picture for this config, when the caller has it."""
    resize, ch, cw, resample, rounding = geometry(kind, cfg)
    if resized is None:
        resized = resize_to(rgb, resize, resample)
    nw, nh = resized.size

    def offs(n, c):
        if c > n:
            return -((c - n) // 2)
        return (n - c) // 2 if rounding == "floor" else int(round((n - c) / 2.0))

    # The crop window's part inside the resized image; zeros around it (the padding).
    oy, ox = offs(nh, ch), offs(nw, cw)
    y0, y1, x0, x1 = max(oy, 0), min(oy + ch, nh), max(ox, 0), min(ox + cw, nw)
    out = np.zeros((ch, cw, 3), np.uint8)
    out[y0 - oy:y1 - oy, x0 - ox:x1 - ox] = np.array(resized.crop((x0, y0, x1, y1)))
    return out


def direct_tensor(crop, kind, cfg):
    if kind == "hf":
        mean = np.array(cfg.get("image_mean", OPENAI_MEAN), np.float32)
        std = np.array(cfg.get("image_std", OPENAI_STD), np.float32)
        x = (crop * cfg.get("rescale_factor", 1 / 255)).astype(np.float32)
    else:
        mean = np.array(cfg["preprocess_cfg"]["mean"], np.float32)
        std = np.array(cfg["preprocess_cfg"]["std"], np.float32)
        x = crop.astype(np.float32) / np.float32(255)
    return ((x - mean) / std).transpose(2, 0, 1).astype(np.float32)


def reference_tensor(rgb, crop, kind, cfg):
    direct = direct_tensor(crop, kind, cfg)
    if kind == "hf":
        resize = geometry(kind, cfg)[0]
        # Both processors mistake these for channels-first arrays (also a picture resized to 1 or
        # 3 rows before the crop).
        if rgb.size[1] in (1, 3) or crop.shape[0] in (1, 3) or (
                resize[0] == "exact" and resize[1] in (1, 3)):
            return direct
        ref = hf_processor(cfg)(rgb, return_tensors="np")["pixel_values"][0]
        ch, cw = cfg_crop(cfg)
        pads = (resize[1] < max(ch, cw) if resize[0] == "shortest"
                else resize[1] < ch or resize[2] < cw)
        if ref.shape != direct.shape and pads:
            # Its zero-padding path returns a crop one pixel short where the padding is odd
            # (see docs/IMAGE_PIPELINE.md); clipsearch pads to the full crop size.
            return direct
    else:
        p = cfg["preprocess_cfg"]
        t = open_clip.image_transform(cfg["model_cfg"]["vision_cfg"]["image_size"], is_train=False,
                                      mean=p["mean"], std=p["std"],
                                      interpolation=p.get("interpolation"),
                                      resize_mode=p.get("resize_mode"))
        ref = t(rgb).numpy()
    assert ref.shape == direct.shape and np.array_equal(ref, direct), (
        f"direct computation != reference: {rgb.size} {kind} {ref.shape} {direct.shape} "
        f"{np.abs(ref - direct).max() if ref.shape == direct.shape else None}")
    return ref


def cfg_crop(cfg):
    crop = cfg["crop_size"]
    return (crop, crop) if isinstance(crop, int) else (crop["height"], crop["width"])


def content(w, h):
    """Smooth structure plus sharp edges plus noise: exercises every tap of the filters."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([
        128 + 100 * np.sin(xx / (3 + w / 20) + yy / 7),
        128 + 100 * np.cos(yy / (2 + h / 15)),
        (xx * 255 / max(w - 1, 1) + yy * 3) % 256,
    ], axis=-1)
    base += rng.normal(0, 25, base.shape)
    base[(xx.astype(int) // 5 + yy.astype(int) // 7) % 9 == 0] = 255  # hard edges
    base[(xx.astype(int) * 3 + yy.astype(int)) % 23 == 0] = 0
    return np.clip(base, 0, 255).astype(np.uint8)


def png16(path, arr16, color_type):
    """A 16-bit PNG (Pillow cannot write 16-bit colour PNGs)."""
    h, w = arr16.shape[:2]
    raw = b"".join(b"\x00" + arr16[y].astype(">u2").tobytes() for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        f.write(chunk(b"IEND", b""))


manifest = []


def add_case(cid, path, models, exif="ignore", decode_exact=True, tensors=False):
    """Decodes `path` with Pillow and writes reference outputs for each model; every open_clip
    config not in `models` gets the SHA-256 of its crop."""
    im = Image.open(path)
    im.load()
    if exif == "apply":
        im = ImageOps.exif_transpose(im)
    rgb = im.convert("RGB")
    entry = {"id": cid, "file": os.path.basename(path), "width": rgb.size[0], "height": rgb.size[1],
             "exif": exif, "decode_exact": decode_exact, "models": []}
    if not path.endswith(".png") or im.mode != "RGB":
        np.array(rgb).tofile(os.path.join(CASES, cid + ".decoded.u8"))
        entry["decoded"] = cid + ".decoded.u8"
    # Configs with one resize and filter share the resized picture (Pillow takes a while to
    # resize a picture a few pixels wide to 288 px), those that differ only in mean and std the
    # crop.
    resized, crops = {}, {}

    def crop_of(m):
        g = geometry(*MODELS[m])
        if g not in crops:
            resize, _, _, resample, _ = g
            if (resize, resample) not in resized:
                resized[resize, resample] = resize_to(rgb, resize, resample)
            crops[g] = direct_crop(rgb, *MODELS[m], resized=resized[resize, resample])
        return crops[g]

    for m in models:
        kind, cfg = MODELS[m]
        crop = crop_of(m)
        crop.tofile(os.path.join(CASES, f"{cid}.{m}.crop.u8"))
        e = {"model": m, "crop": f"{cid}.{m}.crop.u8", "crop_height": crop.shape[0],
             "crop_width": crop.shape[1]}
        if tensors:
            np.save(os.path.join(CASES, f"{cid}.{m}.npy"), reference_tensor(rgb, crop, kind, cfg))
            e["tensor"] = f"{cid}.{m}.npy"
        entry["models"].append(e)
    for m in OPEN_CLIP:
        if m not in models:
            crop = crop_of(m)
            entry["models"].append({"model": m, "crop_sha256": hashlib.sha256(crop).hexdigest(),
                                    "crop_height": crop.shape[0], "crop_width": crop.shape[1]})
    manifest.append(entry)


def save(cid, img, ext, **kw):
    path = os.path.join(CASES, cid + "." + ext)
    img.save(path, **kw)
    return path


def resize_cases():
    sizes = [(1, 1), (1, 2), (2, 1), (1, 500), (500, 1), (2, 3), (3, 2), (3, 700), (700, 3), (7, 13),
             (13, 7), (223, 223), (224, 224), (225, 225), (224, 300), (300, 224), (223, 225),
             (225, 223), (336, 336), (335, 337), (448, 448), (1000, 10), (10, 1000), (2000, 17),
             (17, 2000), (640, 480), (480, 640), (1023, 767), (97, 89), (89, 97), (113, 449),
             (160, 160), (159, 161), (64, 64), (63, 65), (1600, 1200), (1201, 1601), (4, 4096)]
    for _ in range(150):
        w, h = np.exp(rng.uniform(0, np.log(1100), 2)).astype(int) + 1
        sizes.append((int(w), int(h)))
    # The other open_clip configs see every case through add_case (their crops' digests).
    names = [n for n in MODELS if MODELS[n][0] == "hf"] + ["openclip"]
    for i, (w, h) in enumerate(sizes):
        cid = f"resize{i:03d}_{w}x{h}"
        path = save(cid, Image.fromarray(content(w, h)), "png", compress_level=1)
        models = sorted({"clip224", names[i % len(names)]})
        add_case(cid, path, models, tensors=(i % 4 == 0))


def format_cases():
    base = content(317, 251)
    rgb = Image.fromarray(base)
    alpha = Image.fromarray(((np.arange(317)[None, :] + np.arange(251)[:, None]) % 256).astype(np.uint8))
    cases = []
    cases.append(("png_rgb", save("png_rgb", rgb, "png")))
    cases.append(("png_l", save("png_l", rgb.convert("L"), "png")))
    la = rgb.convert("L"); la.putalpha(alpha)
    cases.append(("png_la", save("png_la", la, "png")))
    rgba = rgb.copy(); rgba.putalpha(alpha)
    cases.append(("png_rgba", save("png_rgba", rgba, "png")))
    cases.append(("png_p", save("png_p", rgb.quantize(200), "png")))
    pt = rgb.quantize(64); pt.info["transparency"] = 3
    cases.append(("png_p_trns", save("png_p_trns", pt, "png", transparency=3)))
    cases.append(("png_1bit", save("png_1bit", rgb.convert("1"), "png")))
    g16 = (base[..., 0].astype(np.uint16) * 257 + rng.integers(0, 256, base.shape[:2])).astype(np.uint16)
    png16(os.path.join(CASES, "png_gray16.png"), g16, 0); cases.append(("png_gray16", os.path.join(CASES, "png_gray16.png")))
    c16 = base.astype(np.uint16) * 257 + rng.integers(0, 256, base.shape).astype(np.uint16)
    png16(os.path.join(CASES, "png_rgb16.png"), c16, 2); cases.append(("png_rgb16", os.path.join(CASES, "png_rgb16.png")))
    c16a = np.concatenate([c16, (g16[..., None])], axis=-1)
    png16(os.path.join(CASES, "png_rgba16.png"), c16a, 6); cases.append(("png_rgba16", os.path.join(CASES, "png_rgba16.png")))
    for q, sub, prog in [(90, 2, False), (75, 0, False), (95, 1, False), (85, 2, True), (60, 0, True)]:
        cid = f"jpeg_q{q}_s{sub}{'_prog' if prog else ''}"
        cases.append((cid, save(cid, rgb, "jpg", quality=q, subsampling=sub, progressive=prog)))
    cases.append(("jpeg_gray", save("jpeg_gray", rgb.convert("L"), "jpg", quality=90)))
    cases.append(("jpeg_cmyk", save("jpeg_cmyk", rgb.convert("CMYK"), "jpg", quality=90)))
    cases.append(("jpeg_odd", save("jpeg_odd", Image.fromarray(content(37, 1)), "jpg", quality=90)))
    cases.append(("webp_lossless", save("webp_lossless", rgb, "webp", lossless=True)))
    cases.append(("webp_lossy", save("webp_lossy", rgb, "webp", quality=80)))
    cases.append(("webp_alpha", save("webp_alpha", rgba, "webp", lossless=True)))
    cases.append(("gif", save("gif", rgb.quantize(128), "gif")))
    frames = [rgb.quantize(64), Image.fromarray(255 - base).quantize(64)]
    p = os.path.join(CASES, "gif_anim.gif")
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)
    cases.append(("gif_anim", p))
    # Transparency, and a first frame smaller than the canvas (header patched): Pillow shows
    # the transparency index's (else index 0's) palette colour there, libvips transparent black.
    for cid, trns in [("gif_trns", 3), ("gif_offset_trns", 3), ("gif_offset", None)]:
        b = io.BytesIO()
        kw = {"transparency": trns} if trns is not None else {}
        Image.fromarray(content(20, 10)).quantize(16).save(b, "GIF", **kw)
        g = bytearray(b.getvalue())
        if "offset" in cid:
            g[6:10] = struct.pack("<HH", 40, 30)  # logical screen 40x30
            i = 13 + ((3 << ((g[10] & 7) + 1)) if g[10] & 0x80 else 0)  # after the global palette
            while g[i] == 0x21:  # skip extensions
                i += 2
                while g[i]:
                    i += g[i] + 1
                i += 1
            assert g[i] == 0x2C
            g[i + 1:i + 5] = struct.pack("<HH", 5, 7)  # frame at (5, 7)
        p = os.path.join(CASES, cid + ".gif")
        with open(p, "wb") as f:
            f.write(g)
        cases.append((cid, p))
    cases.append(("tiff_rgb", save("tiff_rgb", rgb, "tiff")))
    cases.append(("tiff_lzw", save("tiff_lzw", rgb, "tiff", compression="tiff_lzw")))
    cases.append(("tiff_rgba", save("tiff_rgba", rgba, "tiff", compression="tiff_deflate")))
    cases.append(("tiff_l", save("tiff_l", rgb.convert("L"), "tiff")))
    cases.append(("tiff_1bit", save("tiff_1bit", rgb.convert("1"), "tiff")))
    cases.append(("bmp_rgb", save("bmp_rgb", rgb, "bmp")))
    cases.append(("bmp_l", save("bmp_l", rgb.convert("L"), "bmp")))
    cases.append(("bmp_p", save("bmp_p", rgb.quantize(77), "bmp")))
    cases.append(("bmp_1bit", save("bmp_1bit", rgb.convert("1"), "bmp")))
    cases.append(("bmp_rgba", save("bmp_rgba", rgba, "bmp")))
    # Top-down 32-bit BGRX with a BITMAPINFOHEADER (Pillow writes bottom-up only).
    h, w = base.shape[:2]
    bgrx = np.concatenate([base[..., ::-1], np.full((h, w, 1), 7, np.uint8)], axis=-1)
    hdr = struct.pack("<2sIHHI", b"BM", 54 + bgrx.size, 0, 0, 54)
    hdr += struct.pack("<IiiHHIIiiII", 40, w, -h, 1, 32, 0, bgrx.size, 2835, 2835, 0, 0)
    with open(os.path.join(CASES, "bmp_topdown32.bmp"), "wb") as f:
        f.write(hdr + bgrx.tobytes())
    cases.append(("bmp_topdown32", os.path.join(CASES, "bmp_topdown32.bmp")))
    for cid, path in cases:
        exact = True  # lossy WebP and every JPEG included: libvips and Pillow share libjpeg-turbo/libwebp
        models = ["clip224"]
        if cid == "png_rgb":
            models += OPEN_CLIP + CHINESE_CLIP
        elif cid == "jpeg_q85_s2_prog":  # also cli_preprocess_test's
            models += CHINESE_CLIP
        add_case(cid, path, models, decode_exact=exact, tensors=True)
    # EXIF orientation 1-8, applied (the default) and ignored (parity).
    small = Image.fromarray(content(61, 43))
    for o in range(1, 9):
        ex = Image.Exif(); ex[0x0112] = o
        cid = f"exif{o}"
        path = save(cid, small, "jpg", quality=95, exif=ex.tobytes())
        # Non-uniform resize after orientation: a turned picture's sides swap before it.
        add_case(cid + "_apply", path, ["clip224", "cnclip_200x240"], exif="apply", tensors=True)
        manifest[-1]["file"] = os.path.basename(path)
        add_case(cid + "_ignore", path, ["clip224"], exif="ignore")
    # Main image (IFD0) says 6, the embedded thumbnail's IFD1 says 3: IFD0 decides.
    tiff = b"II*\x00" + struct.pack("<I", 8)
    tiff += struct.pack("<H", 1) + struct.pack("<HHII", 0x0112, 3, 1, 6) + struct.pack("<I", 26)
    tiff += struct.pack("<H", 1) + struct.pack("<HHII", 0x0112, 3, 1, 3) + struct.pack("<I", 0)
    path = save("exif_thumb_disagree", small, "jpg", quality=95, exif=b"Exif\x00\x00" + tiff)
    add_case("exif_thumb_disagree", path, ["clip224"], exif="apply", tensors=True)


def jpeg_segments(data):
    """(marker, start, end) of each marker segment between SOI and SOS."""
    out, i = [], 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        end = i + 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
        out.append((marker, i, end))
        if marker == 0xDA:
            break
        i = end
    return out


def jpeg_patch_sampling(data, width, height, hv):
    """Rewrites a baseline JPEG's frame header: new size and luma sampling factors. With the same
    number of blocks per MCU and of MCUs, the entropy-coded data stays valid (and decodes to a
    scrambled but well-defined image): how 4:4:0 and 4:1:1 files are made here, which Pillow
    cannot write."""
    d = bytearray(data)
    (_, sof, _), = [seg for seg in jpeg_segments(d) if seg[0] == 0xC0]
    d[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    d[sof + 11] = hv
    return bytes(d)


def jpeg_without(data, marker):
    for m, a, b in jpeg_segments(data):
        if m == marker:
            return data[:a] + data[b:]
    raise ValueError(f"no marker {marker:#x}")


def exif_block(order, entries, ifd1=None):
    """An APP1 EXIF payload: a TIFF header and IFD0 with `entries` [(tag, type, count, value)],
    optionally followed by IFD1 (the thumbnail's)."""
    e = "<" if order == b"II" else ">"
    def ifd(ents, next_at):
        b = struct.pack(e + "H", len(ents))
        for tag, typ, count, value in ents:
            v = struct.pack(e + "H", value) + b"\0\0" if typ in (3, 8) else struct.pack(e + "I", value)
            b += struct.pack(e + "HHI", tag, typ, count) + v
        return b + struct.pack(e + "I", next_at)
    first = ifd(entries, 0)
    if ifd1 is not None:
        first = ifd(entries, 8 + len(first))
    body = order + (b"*\0" if order == b"II" else b"\0*") + struct.pack(e + "I", 8) + first
    if ifd1 is not None:
        body += ifd(ifd1, 0)
    return b"Exif\0\0" + body


def app_segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_cases():
    """JPEG variants for the libjpeg-turbo decoder (src/image/jpeg.cpp): every chroma
    subsampling at sizes that end mid-MCU, progressive and optimized files, gray, CMYK with and
    without the Adobe marker, YCCK, restart markers, and EXIF orientation in every form Pillow
    reads. Decoded pixels must equal Pillow's."""
    def jpeg_bytes(img, **kw):
        b = io.BytesIO()
        img.save(b, "JPEG", **kw)
        return b.getvalue()

    def write(cid, data, **kw):
        path = os.path.join(CASES, cid + ".jpg")
        with open(path, "wb") as f:
            f.write(data)
        add_case(cid, path, ["clip224"], **kw)

    sizes = [(1, 1), (7, 5), (8, 8), (9, 17), (15, 16), (17, 15), (31, 33), (33, 1), (1, 33),
             (127, 129), (200, 3), (3, 200)]
    for i, (w, h) in enumerate(sizes):
        img = Image.fromarray(content(w, h))
        for sub in (0, 1, 2):
            write(f"jpeg_mcu_{w}x{h}_s{sub}", jpeg_bytes(img, quality=88, subsampling=sub),
                  tensors=(i % 4 == sub))
    img = Image.fromarray(content(173, 141))
    gray = img.convert("L")
    for cid, im, kw in [
            ("jpeg_gray_prog", gray, dict(quality=85, progressive=True)),
            ("jpeg_gray_odd", Image.fromarray(content(13, 250)).convert("L"), dict(quality=70)),
            ("jpeg_prog_s0", img, dict(quality=90, subsampling=0, progressive=True)),
            ("jpeg_prog_s1", img, dict(quality=90, subsampling=1, progressive=True)),
            ("jpeg_prog_odd", Image.fromarray(content(251, 9)), dict(quality=75, progressive=True)),
            ("jpeg_optimized", img, dict(quality=80, optimize=True)),
            ("jpeg_q100_s0", img, dict(quality=100, subsampling=0)),
            ("jpeg_q5", img, dict(quality=5)),
            ("jpeg_large_prog", Image.fromarray(content(1601, 1203)), dict(quality=85, progressive=True)),
            ("jpeg_large_s1", Image.fromarray(content(1203, 1601)), dict(quality=85, subsampling=1))]:
        write(cid, jpeg_bytes(im, **kw), tensors=True)
    # 4:4:0 (luma 1x2) from a 4:2:2 file, 4:1:1 (luma 4x1) from a 4:2:0 file.
    for w, h in [(64, 48), (160, 96)]:
        src = jpeg_bytes(Image.fromarray(content(w, h)), quality=90, subsampling=1)
        write(f"jpeg_440_{w // 2}x{h * 2}", jpeg_patch_sampling(src, w // 2, h * 2, 0x12), tensors=True)
        src = jpeg_bytes(Image.fromarray(content(w, h)), quality=90, subsampling=2)
        write(f"jpeg_411_{w * 2}x{h // 2}", jpeg_patch_sampling(src, w * 2, h // 2, 0x41), tensors=True)
    # CMYK: Pillow writes an Adobe marker (transform 0) and reads every CMYK JPEG as inverted
    # inks; without the marker, libjpeg still sees CMYK; transform 2 makes it YCCK.
    cmyk = img.convert("CMYK")
    for cid, kw in [("cmyk_q90", dict(quality=90)), ("cmyk_prog", dict(quality=80, progressive=True)),
                    ("cmyk_odd", dict(quality=85))]:
        im = cmyk if cid != "cmyk_odd" else Image.fromarray(content(19, 23)).convert("CMYK")
        data = jpeg_bytes(im, **kw)
        write(f"jpeg_{cid}_adobe", data, tensors=True)
        write(f"jpeg_{cid}_noadobe", jpeg_without(data, 0xEE), tensors=True)
        d = bytearray(data)
        (_, a, _), = [seg for seg in jpeg_segments(d) if seg[0] == 0xEE]
        assert d[a + 4:a + 9] == b"Adobe"
        d[a + 4 + 11] = 2
        write(f"jpeg_{cid}_ycck", bytes(d), tensors=True)
    # Restart markers (Pillow 9.4 cannot write them): libvips' command-line tool, when installed.
    import shutil
    import subprocess
    if shutil.which("vips"):
        src = os.path.join(CASES, "restart_src.png")
        Image.fromarray(content(203, 157)).save(src)
        for interval, extra in [(1, []), (3, []), (7, ["--subsample-mode", "off"]),
                                (2, ["--interlace"]), (5, ["--optimize-coding"])]:
            cid = f"jpeg_restart{interval}"
            out = os.path.join(CASES, cid + ".jpg")
            subprocess.run(["vips", "jpegsave", src, out, "--Q", "85", "--restart-interval",
                            str(interval)] + extra, check=True)
            with open(out, "rb") as f:
                assert b"\xff\xdd" in f.read()  # DRI
            add_case(cid, out, ["clip224"], tensors=True)
        os.remove(src)
    else:
        print("image reference: libvips' vips tool not installed, no restart-marker cases")
    # EXIF orientation: big-endian, LONG, invalid values, a second (ignored) EXIF block, XMP
    # before the EXIF block, a count of 2 (Pillow ignores it).
    small = Image.fromarray(content(47, 29))
    plain = jpeg_bytes(small, quality=92)

    def with_app1(*payloads):
        return plain[:2] + b"".join(app_segment(0xE1, p) for p in payloads) + plain[2:]

    exif_variants = [("mm3", [exif_block(b"MM", [(0x0112, 3, 1, 3)])]),
                     ("mm6", [exif_block(b"MM", [(0x0112, 3, 1, 6)])]),
                     ("mm8", [exif_block(b"MM", [(0x0112, 3, 1, 8)])]),
                     ("long5", [exif_block(b"II", [(0x0112, 4, 1, 5)])]),
                     ("mm_long7", [exif_block(b"MM", [(0x0112, 4, 1, 7)])]),
                     ("value9", [exif_block(b"II", [(0x0112, 3, 1, 9)])]),
                     ("value0", [exif_block(b"II", [(0x0112, 3, 1, 0)])]),
                     ("count2", [exif_block(b"II", [(0x0112, 3, 2, 6)])]),
                     ("other_tags", [exif_block(b"II", [(0x010F, 3, 1, 1), (0x0112, 3, 1, 2),
                                                        (0x0131, 4, 1, 9)])]),
                     ("two_blocks", [exif_block(b"II", [(0x0112, 3, 1, 6)]),
                                     exif_block(b"II", [(0x0112, 3, 1, 3)])]),
                     ("xmp_first", [b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>",
                                    exif_block(b"MM", [(0x0112, 3, 1, 8)])]),
                     ("thumb_mm", [exif_block(b"MM", [(0x0112, 3, 1, 4)], ifd1=[(0x0112, 3, 1, 6)])])]
    for name, payloads in exif_variants:
        cid = f"exif_{name}"
        path = os.path.join(CASES, cid + ".jpg")
        with open(path, "wb") as f:
            f.write(with_app1(*payloads))
        add_case(cid + "_apply", path, ["clip224"], exif="apply", tensors=True)
    # Progressive and 4:2:2 photographs.
    import importlib.util
    spec = importlib.util.find_spec("skimage")
    if spec is not None:
        data = os.path.join(os.path.dirname(spec.origin), "data")
        for name in ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"]:
            if not os.path.exists(os.path.join(data, name)):
                continue
            rgb = Image.open(os.path.join(data, name)).convert("RGB")
            stem = os.path.splitext(name)[0]
            write(f"photo_{stem}_prog", jpeg_bytes(rgb, quality=88, progressive=True), tensors=True)
            write(f"photo_{stem}_s1", jpeg_bytes(rgb, quality=85, subsampling=1))


def photo_cases():
    """The photographs bundled with scikit-image (Debian's python3-skimage), as they are and
    re-encoded as JPEG; skipped with a note where scikit-image is not installed."""
    import importlib.util
    import shutil
    spec = importlib.util.find_spec("skimage")
    if spec is None:
        print("image reference: scikit-image not installed, no photograph cases")
        return
    data = os.path.join(os.path.dirname(spec.origin), "data")
    names = ["astronaut.png", "chelsea.png", "coffee.png", "camera.png", "rocket.jpg",
             "retina.jpg", "hubble_deep_field.jpg", "motorcycle_left.png", "logo.png",
             "palette_color.png", "palette_gray.png", "color.png", "page.png", "horse.png",
             "no_time_for_that_tiny.gif", "brick.png", "grass.png"]
    for name in names:
        src = os.path.join(data, name)
        if not os.path.exists(src):
            continue
        stem, ext = os.path.splitext(name)
        cid = "photo_" + stem
        dst = os.path.join(CASES, cid + ext)
        shutil.copyfile(src, dst)
        add_case(cid, dst, ["clip224", "clip336"] + OPEN_CLIP + CHINESE_CLIP, tensors=True)
        rgb = Image.open(src).convert("RGB")
        for q, sub in [(92, 2), (80, 0)]:
            jid = f"{cid}_q{q}"
            add_case(jid, save(jid, rgb, "jpg", quality=q, subsampling=sub), ["clip224"],
                     tensors=True)


def embed_cases():
    """A random-weight CLIPModel taking 64x64 images, with a preprocessor_config.json, and
    transformers' get_image_features for some case files: `embed --image` must agree."""
    import torch
    from transformers import CLIPConfig, CLIPModel
    torch.manual_seed(4)
    config = CLIPConfig(
        vision_config=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                           num_attention_heads=4, image_size=64, patch_size=16),
        text_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, max_position_embeddings=77),
        projection_dim=24)
    model = CLIPModel(config).eval()
    with torch.no_grad():  # random weights with some spread, so images embed differently
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    d = os.path.join(OUT, "models", "embed64")
    model.save_pretrained(d, safe_serialization=True)
    pcfg = {"size": 64, "crop_size": 64, "resample": 3, "do_center_crop": True,
            "image_mean": OPENAI_MEAN, "image_std": OPENAI_STD}
    with open(os.path.join(d, "preprocessor_config.json"), "w") as f:
        json.dump(pcfg, f)
    proc = hf_processor(pcfg)
    entries = []
    for name, exif in [("jpeg_q85_s2_prog.jpg", "ignore"), ("png_rgba.png", "ignore"),
                       ("exif6.jpg", "apply"), ("exif6.jpg", "ignore"), ("gif_anim.gif", "ignore")]:
        im = Image.open(os.path.join(CASES, name))
        if exif == "apply":
            im = ImageOps.exif_transpose(im)
        pixels = proc(im.convert("RGB"), return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            e = model.get_image_features(pixel_values=pixels)[0]
        e = (e / e.norm()).numpy().astype(np.float32)
        out = f"embed64.{os.path.splitext(name)[0]}.{exif}.npy"
        np.save(os.path.join(CASES, out), e)
        entries.append({"file": name, "exif": exif, "embedding": out})
    return entries


write_models()
resize_cases()
format_cases()
jpeg_cases()
photo_cases()
embed = embed_cases()
with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump({"cases": manifest, "embed": embed}, f, indent=1)
print(f"image reference: {len(manifest)} cases in {OUT}")
