"""HEIF/AVIF container boxes, written and read here so that tests can build the files phones write
(ISO/IEC 23008-12; libheif's encoder cannot make them): a `grid` derived primary image of 512x512
tiles, a `thmb` thumbnail, an `Exif` item (`cdsc`), `colr` ICC profiles, `irot`/`imir`
transforms, a primary that is not the first image.

The coded pictures are not made here: `encode_picture` has libheif (through pillow-heif) encode an
image as a one-item file and takes its bitstream and codec configuration (`hvcC` / `av1C`, and an
alpha plane's) back out of that file with `read_heif`.
"""
import io
import struct

import pillow_heif


def box(kind, payload):
    return struct.pack(">I4s", 8 + len(payload), kind.encode()) + payload


def full_box(kind, version, flags, payload):
    return box(kind, struct.pack(">I", (version << 24) | flags) + payload)


def iter_boxes(data, start=0, end=None):
    """(type, payload start, payload end, whole box bytes) of each box in data[start:end]."""
    end = len(data) if end is None else end
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            size = struct.unpack_from(">Q", data, at + 8)[0]
            header = 16
        elif size == 0:
            size = end - at
        yield kind.decode("latin-1"), at + header, at + size, data[at:at + size]
        at += size


def _children(data, start, end):
    return {k: (s, e, raw) for k, s, e, raw in iter_boxes(data, start, end)}


def read_heif(data):
    """The primary item of a libheif-written file: {"bitstream", "config" (hvcC/av1C box),
    "size" (ispe, and clap where libheif coded an odd size even and crops it), "pixi" (or None),
    "alpha": None or the same for the alpha plane, with "auxC"}. Only what libheif's encoder
    writes: iloc version 0/1, construction method 0 (file offsets)."""
    top = _children(data, 0, len(data))
    ms, me, _ = top["meta"]
    meta = _children(data, ms + 4, me)
    primary = struct.unpack_from(">H", data, meta["pitm"][0] + 4)[0]
    locations = _read_iloc(data, *meta["iloc"][:2])
    props = [raw for _, _, _, raw in iter_boxes(data, *_children(data, *meta["iprp"][:2])["ipco"][:2])]
    assoc = _read_ipma(data, *_children(data, *meta["iprp"][:2])["ipma"][:2])
    refs = _read_iref(data, *meta["iref"][:2]) if "iref" in meta else []

    def item(item_id):
        boxes = {p[4:8].decode(): p for p in (props[i - 1] for i in assoc.get(item_id, []))}
        config = boxes.get("hvcC") or boxes.get("av1C")
        return {"bitstream": b"".join(data[o:o + n] for o, n in locations[item_id]),
                "config": config, "size": [boxes[k] for k in ("ispe", "clap") if k in boxes],
                "pixi": boxes.get("pixi"), "auxC": boxes.get("auxC")}

    out = item(primary)
    out["alpha"] = None
    for kind, src, dsts in refs:
        if kind == "auxl" and primary in dsts:
            out["alpha"] = item(src)
    return out


def _read_iloc(data, s, e):
    version = data[s]
    at = s + 4
    sizes = data[at] << 8 | data[at + 1]
    off_size, len_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    idx_size = sizes & 15 if version in (1, 2) else 0
    at += 2
    count = struct.unpack_from(">H", data, at)[0]
    at += 2

    def uint(n):
        nonlocal at
        v = int.from_bytes(data[at:at + n], "big") if n else 0
        at += n
        return v

    out = {}
    for _ in range(count):
        item_id = uint(2)
        if version in (1, 2):
            assert uint(2) & 15 == 0, "only construction method 0"
        uint(2)  # data reference index
        base = uint(base_size)
        extents = []
        for _ in range(uint(2)):
            uint(idx_size)
            offset = uint(off_size)
            extents.append((base + offset, uint(len_size)))
        out[item_id] = extents
    return out


def _read_ipma(data, s, e):
    version, flags = data[s], int.from_bytes(data[s + 1:s + 4], "big")
    at = s + 4
    count = struct.unpack_from(">I", data, at)[0]
    at += 4
    out = {}
    for _ in range(count):
        if version < 1:
            item_id = struct.unpack_from(">H", data, at)[0]
            at += 2
        else:
            item_id = struct.unpack_from(">I", data, at)[0]
            at += 4
        n = data[at]
        at += 1
        indices = []
        for _ in range(n):
            if flags & 1:
                indices.append(struct.unpack_from(">H", data, at)[0] & 0x7FFF)
                at += 2
            else:
                indices.append(data[at] & 0x7F)
                at += 1
        out[item_id] = indices
    return out


def _read_iref(data, s, e):
    out = []
    for kind, ps, pe, _ in iter_boxes(data, s + 4, e):
        src, n = struct.unpack_from(">HH", data, ps)
        out.append((kind, src, list(struct.unpack_from(">%dH" % n, data, ps + 4))))
    return out


def encode_picture(image, codec="HEVC", quality=85, chroma=420, bit_depth=8):
    """libheif's coded picture of a PIL image (RGB or RGBA; 10-bit where bit_depth is 10)."""
    if bit_depth == 8:
        heif = pillow_heif.from_pillow(image)
    else:
        import numpy as np
        a = (np.asarray(image.convert("RGB")).astype(np.uint16) * 257).astype("<u2")
        heif = pillow_heif.from_bytes("RGB;16", image.size, a.tobytes())
    buf = io.BytesIO()
    heif.save(buf, format="HEIF" if codec == "HEVC" else "AVIF", quality=quality, chroma=chroma)
    return read_heif(buf.getvalue())


# Properties.
def ispe(width, height):
    return full_box("ispe", 0, 0, struct.pack(">II", width, height))


def irot(quarter_turns_anticlockwise):
    return box("irot", bytes([quarter_turns_anticlockwise & 3]))


def imir(axis):
    """axis 0: mirrored about a vertical axis (left and right swap); 1: about a horizontal one."""
    return box("imir", bytes([axis & 1]))


def colr_icc(icc):
    return box("colr", b"prof" + icc)


def colr_nclx(primaries=1, transfer=13, matrix=6, full_range=True):
    return box("colr", b"nclx" + struct.pack(">HHHB", primaries, transfer, matrix,
                                              0x80 if full_range else 0))


def grid_data(rows, columns, width, height):
    return struct.pack(">BBBBHH", 0, 0, rows - 1, columns - 1, width, height)


def exif_data(exif_bytes):
    """An Exif item's payload: the offset of the TIFF header past 4 bytes, then the block as
    Pillow writes it ("Exif\\0\\0" + TIFF), as iPhones lay it out (offset 6)."""
    skip = 6 if exif_bytes.startswith(b"Exif\0\0") else 0
    return struct.pack(">I", skip) + exif_bytes


class Item:
    """One item: its type, payload, properties (box bytes; essential ones flagged) and references
    to other items (type, [ids])."""

    def __init__(self, item_id, kind, data, props=(), essential=(), refs=(), hidden=False):
        self.id, self.kind, self.data = item_id, kind, data
        self.props, self.essential = list(props), set(essential)
        self.refs, self.hidden = list(refs), hidden


def write_heif(brands, items, primary_id):
    """The file bytes: ftyp, meta (hdlr pitm iinf iref iprp iloc), mdat holding every payload."""
    major = brands[0]
    ftyp = box("ftyp", major.encode() + struct.pack(">I", 0) + b"".join(b.encode() for b in brands))
    ipco, index = [], {}
    for it in items:
        for p in it.props:
            if p not in index:
                ipco.append(p)
                index[p] = len(ipco)

    def meta_box(mdat_payload_at):
        hdlr = full_box("hdlr", 0, 0, struct.pack(">I", 0) + b"pict" + bytes(12) + b"\0")
        pitm = full_box("pitm", 0, 0, struct.pack(">H", primary_id))
        infes = b"".join(
            full_box("infe", 2, 1 if it.hidden else 0,
                     struct.pack(">HH", it.id, 0) + it.kind.encode() + b"\0") for it in items)
        iinf = full_box("iinf", 0, 0, struct.pack(">H", len(items)) + infes)
        refs = b"".join(box(kind, struct.pack(">HH", it.id, len(dst)) +
                            b"".join(struct.pack(">H", d) for d in dst))
                        for it in items for kind, dst in it.refs)
        iref = full_box("iref", 0, 0, refs) if refs else b""
        ipma_entries = b"".join(
            struct.pack(">HB", it.id, len(it.props)) +
            bytes((0x80 if p in it.essential else 0) | index[p] for p in it.props)
            for it in items)
        ipma = full_box("ipma", 0, 0, struct.pack(">I", len(items)) + ipma_entries)
        iprp = box("iprp", box("ipco", b"".join(ipco)) + ipma)
        at, locs = mdat_payload_at, b""
        for it in items:
            locs += struct.pack(">HHHII", it.id, 0, 1, at, len(it.data))
            at += len(it.data)
        iloc = full_box("iloc", 0, 0, bytes([0x44, 0x00]) + struct.pack(">H", len(items)) + locs)
        return full_box("meta", 0, 0, hdlr + pitm + iinf + iref + iprp + iloc)

    meta_len = len(meta_box(0))
    mdat = box("mdat", b"".join(it.data for it in items))
    meta = meta_box(len(ftyp) + meta_len + 8)
    assert len(meta) == meta_len
    return ftyp + meta + mdat
