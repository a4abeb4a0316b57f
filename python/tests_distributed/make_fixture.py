"""Builds what the distributed tests index, with the reference venv (.venv: transformers,
Pillow), since .venv-distributed holds neither: the small random-weight CLIP of the Python
package's tests (tests/reference/make_search_reference.py) and a library of small generated
pictures, plus a truncated JPEG and a corrupt PNG. Nothing is downloaded.

    .venv/bin/python make_fixture.py MODEL_DIR LIBRARY_DIR COUNT
"""
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))


def draw_pictures(folder, count):
    """`count` seeded pictures of 24..96 pixels a side, JPEG and PNG, in 10 folders; JPEGs with
    an EXIF camera and date every fifth picture."""
    from PIL import Image
    rng = np.random.default_rng(22)
    for i in range(count):
        w, h = int(rng.integers(24, 97)), int(rng.integers(24, 97))
        ground = rng.integers(0, 256, 3).astype(np.uint8)
        pixels = np.broadcast_to(ground, (h, w, 3)).copy()
        y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
        pixels[y:y + h // 2, x:x + w // 2] = rng.integers(0, 256, 3).astype(np.uint8)
        pixels = (pixels + rng.integers(0, 16, (h, w, 3))).clip(0, 255).astype(np.uint8)
        sub = os.path.join(folder, f"set_{i % 10}")
        os.makedirs(sub, exist_ok=True)
        im = Image.fromarray(pixels)
        if i % 2:
            exif = Image.Exif()
            if i % 5 == 0:
                exif[0x010F], exif[0x0110] = "Fixture", "Camera 22"
                exif.get_ifd(0x8769)[0x9003] = "2024:06:01 12:00:%02d" % (i % 60)
            im.save(os.path.join(sub, f"pic_{i:05d}.jpg"), quality=90, exif=exif)
        else:
            im.save(os.path.join(sub, f"pic_{i:05d}.png"))


def draw_bad_files(folder):
    """A truncated JPEG and a corrupt PNG (right magic, garbage after): the indexer records both
    as failures."""
    from PIL import Image
    import io
    good = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(good, "JPEG", quality=90)
    with open(os.path.join(folder, "truncated.jpg"), "wb") as f:
        f.write(good.getvalue()[:300])
    with open(os.path.join(folder, "corrupt.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with open(os.path.join(folder, "notes.txt"), "w") as f:
        f.write("not a picture\n")


if __name__ == "__main__":
    model_dir, library, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if model_dir != "-":
        from make_search_reference import build_model
        build_model(model_dir)
    os.makedirs(library, exist_ok=True)
    draw_pictures(library, count)
    draw_bad_files(library)
