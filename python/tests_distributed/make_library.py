"""Test data of the distributed path, made with the reference venv (.venv: transformers,
Pillow), which .venv-distributed lacks: a small random-weight CLIP (the one python/tests and
the C++ search tests use) and a photo library with cameras and dates taken in EXIF.

    .venv/bin/python make_library.py MODEL_DIR PHOTOS_DIR"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))

from make_search_reference import build_model, draw_library  # noqa: E402

CAMERAS = [("Canon", "Canon EOS R5"), ("NIKON CORPORATION", "NIKON Z 6"), ("Apple", "iPhone 12")]


def draw_camera_photos(folder, count=12):
    """JPEGs with EXIF Make, Model and DateTimeOriginal (2019-01-01 + i months)."""
    import numpy as np
    from PIL import Image
    os.makedirs(os.path.join(folder, "cameras"), exist_ok=True)
    rng = np.random.default_rng(9)
    for i in range(count):
        pixels = rng.integers(0, 256, (48 + i, 64, 3), dtype=np.uint8)
        exif = Image.Exif()
        make, model = CAMERAS[i % len(CAMERAS)]
        exif[0x010F], exif[0x0110] = make, model
        exif.get_ifd(0x8769)[0x9003] = f"{2019 + i // 12}:{1 + i % 12:02d}:15 10:00:00"
        Image.fromarray(pixels).save(os.path.join(folder, "cameras", f"cam_{i:02d}.jpg"),
                                     quality=90, exif=exif)


if __name__ == "__main__":
    build_model(sys.argv[1])
    draw_library(sys.argv[2])
    draw_camera_photos(sys.argv[2])
