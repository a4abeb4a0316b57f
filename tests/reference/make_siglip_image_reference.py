"""Golden pixel_values of transformers 4.37.2 SiglipImageProcessor (run by
CLIPSEARCH_SIGLIP_PYTHON) on the generated image set of make_image_reference.py (the
image_reference_fixture writes it first): every case whose decoding clipsearch matches exactly.

Writes into $CLIPSEARCH_REFERENCE_DIR/siglip_image/:
  models/<name>/preprocessor_config.json   SiglipImageProcessor.save_pretrained
  cases/<id>.<name>.npy                    float32 [3, H, W] pixel_values
  manifest.json                            [{"id", "file", "exif", "model", "tensor"}, ...]
"""
import json
import os

import numpy as np
from PIL import Image, ImageOps
from transformers import SiglipImageProcessor

ROOT = os.environ["CLIPSEARCH_REFERENCE_DIR"]
IMAGES = os.path.join(ROOT, "image")
OUT = os.path.join(ROOT, "siglip_image")

# google/siglip-base-patch16-224's preprocessor_config.json; a non-square bilinear one with its
# defaults for the rest (mean and std 0.5), and crop keys it ignores.
MODELS = {
    "siglip224": SiglipImageProcessor(do_normalize=True, do_rescale=True, do_resize=True,
                                      image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5],
                                      resample=3, rescale_factor=1 / 255,
                                      size={"height": 224, "width": 224}),
    "siglip_200x240": SiglipImageProcessor(size={"height": 200, "width": 240}, resample=2,
                                           do_center_crop=True, crop_size=100),
}


def main():
    os.makedirs(os.path.join(OUT, "cases"), exist_ok=True)
    for name, processor in MODELS.items():
        processor.save_pretrained(os.path.join(OUT, "models", name))
    with open(os.path.join(IMAGES, "manifest.json")) as f:
        cases = json.load(f)["cases"]
    entries = []
    for case in cases:
        if not case["decode_exact"]:
            continue
        path = os.path.join(IMAGES, "cases", case["file"])
        im = Image.open(path)
        im.load()
        if case["exif"] == "apply":
            im = ImageOps.exif_transpose(im)
        rgb = np.array(im.convert("RGB"))
        for name, processor in MODELS.items():
            # channels_last given: an image 1 or 3 pixels high is not channels-first.
            pixels = processor(images=rgb, return_tensors="np",
                               input_data_format="channels_last")["pixel_values"][0]
            tensor = f"{case['id']}.{name}.npy"
            np.save(os.path.join(OUT, "cases", tensor), pixels.astype(np.float32))
            entries.append({"id": case["id"], "file": path, "exif": case["exif"], "model": name,
                            "tensor": tensor})
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(entries, f)
    print(f"wrote {len(entries)} SiglipImageProcessor tensors to {OUT}")


if __name__ == "__main__":
    main()
