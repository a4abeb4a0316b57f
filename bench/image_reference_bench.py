"""Reference side of the image benchmark: Pillow decode + convert("RGB") + transformers 4.25.1
CLIPImageProcessor, one thread, on the same files as bench/image_bench.

Usage: image_reference_bench.py MODEL_DIR REPEATS FILE...
"""
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image
from transformers import CLIPImageProcessor

torch.set_num_threads(1)
model, repeats, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
with open(os.path.join(model, "preprocessor_config.json")) as f:
    cfg = {k: v for k, v in json.load(f).items() if not k.endswith("_type")}
proc = CLIPImageProcessor(**cfg)
decode, total = [], []
for _ in range(repeats):
    td = tt = 0.0
    for path in files:
        t0 = time.perf_counter()
        im = Image.open(path).convert("RGB")
        t1 = time.perf_counter()
        x = proc(im, return_tensors="np")["pixel_values"]
        t2 = time.perf_counter()
        td += t1 - t0
        tt += t2 - t0
    decode.append(td * 1000 / len(files))
    total.append(tt * 1000 / len(files))
decode.sort()
total.sort()
print(f"pillow+CLIPImageProcessor {total[0]:8.2f} / {total[len(total) // 2]:8.2f}  "
      f"(decode {decode[0]:.2f} / {decode[len(decode) // 2]:.2f})")
print(f"RESULT ref_min={total[0]:.3f} ref_median={total[len(total) // 2]:.3f}")
