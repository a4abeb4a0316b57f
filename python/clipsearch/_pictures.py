"""Pictures as Python hands them over: paths, bytes, numpy arrays, PIL images."""
import os
import struct

import numpy as np


def _is_pil_image(item):
    return hasattr(item, "convert") and hasattr(item, "mode") and hasattr(item, "size")


def _pixels(item):
    """A uint8 H x W x 3 (or 4, or H x W) array, C-contiguous."""
    if _is_pil_image(item):
        # ref: transformers' CLIPImageProcessor converts PIL images with convert("RGB").
        return np.ascontiguousarray(np.asarray(item.convert("RGB"), dtype=np.uint8))
    if item.dtype != np.uint8:
        raise TypeError(f"a pixel array must be uint8 (got {item.dtype})")
    return np.ascontiguousarray(item)


def for_model(item):
    """One picture as clipsearch._core takes it: str (a path), bytes, or a uint8 array."""
    if isinstance(item, (str, os.PathLike)):
        return os.fspath(item)
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item)
    if isinstance(item, np.ndarray) or _is_pil_image(item):
        return _pixels(item)
    raise TypeError("expected a path, encoded bytes, a uint8 numpy array or a PIL image, got "
                    f"{type(item).__name__}")


def many(images):
    """A single picture or a sequence of them, as a list."""
    if isinstance(images, (str, os.PathLike, bytes, bytearray, memoryview, np.ndarray)) or \
            _is_pil_image(images):
        return [images], True
    return list(images), False


def bmp_bytes(pixels):
    """A 24-bit BMP of RGB pixels: lossless, and read by clipsearch's own BMP decoder exactly."""
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    rgb = pixels[:, :, :3]
    height, width = rgb.shape[:2]
    row_bytes = (width * 3 + 3) & ~3
    rows = np.zeros((height, row_bytes), dtype=np.uint8)
    rows[:, :width * 3] = rgb[::-1, :, ::-1].reshape(height, width * 3)  # bottom-up, BGR
    header = struct.pack("<2sIHHI", b"BM", 54 + rows.size, 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, rows.size, 2835, 2835, 0, 0)
    return header + info + rows.tobytes()


def for_query(item, index):
    """One picture as a search takes it: a path (str) or (encoded bytes, name)."""
    picture = for_model(item)
    if isinstance(picture, str):
        return picture
    if isinstance(picture, bytes):
        return (picture, f"image {index}")
    return (bmp_bytes(picture), f"image {index}")
