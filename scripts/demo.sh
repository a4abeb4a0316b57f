#!/usr/bin/env bash
# The main job: index a photo library and search it by meaning, by example, by colour and for
# duplicates, then measure the engine. Uses $CLIPSEARCH_MODEL (a Hugging Face CLIPModel or open_clip
# folder) when set; otherwise builds a random-weight ViT-B/32 with the reference (no download),
# with the CLIP vocabulary that ships inside the open_clip package. With random weights the
# rankings are arbitrary (but exactly the reference's); with real CLIP weights they mean
# something.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/src/cli/clipsearch
model=${CLIPSEARCH_MODEL:-build/demo-model}
if [[ -z "${CLIPSEARCH_MODEL:-}" && ! -f "$model/model.safetensors" ]]; then
  echo "demo: building a random-weight ViT-B/32 CLIPModel in $model (no pretrained weights here)"
  .venv/bin/python -W ignore - "$model" <<'PY'
import sys, torch
from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel
torch.manual_seed(0)
CLIPModel(CLIPConfig()).save_pretrained(sys.argv[1], safe_serialization=True)
CLIPImageProcessor().save_pretrained(sys.argv[1])  # the published preprocessing settings
PY
  cp "$(.venv/bin/python -W ignore -c 'import open_clip, os; print(os.path.join(os.path.dirname(open_clip.__file__), "bpe_simple_vocab_16e6.txt.gz"))')" "$model/"
fi
# A small library drawn on the spot: beaches, red squares, green circles, a resized copy, and a
# file that is not a picture (indexing names it and goes on).
lib=build/demo-library
db=build/demo.db
rm -rf "$lib" "$db" "$db".*
.venv/bin/python -W ignore - "$lib" <<'PY'
import os, sys
from PIL import Image, ImageDraw
lib = sys.argv[1]
for folder in ("holiday", "shop"):
    os.makedirs(os.path.join(lib, folder), exist_ok=True)
for i in range(4):
    beach = Image.new("RGB", (640, 480), (90 + 10 * i, 160, 230))
    ImageDraw.Draw(beach).rectangle([0, 300 - 20 * i, 640, 480], fill=(230, 210, 150))
    beach.save(f"{lib}/holiday/beach_{i}.jpg", quality=90)
    if i == 0:
        beach.resize((320, 240)).save(f"{lib}/holiday/beach_0_small.jpg", quality=80)
for i in range(3):
    red = Image.new("RGB", (300, 300), (255, 255, 255))
    ImageDraw.Draw(red).rectangle([40 + 10 * i, 40, 260, 260], fill=(200, 30 + 20 * i, 40))
    red.save(f"{lib}/shop/red_{i}.png")
    green = Image.new("RGB", (300, 300), (240, 240, 240))
    ImageDraw.Draw(green).ellipse([30, 30 + 10 * i, 270, 270], fill=(40, 170 + 20 * i, 60))
    green.save(f"{lib}/shop/green_{i}.png")
with open(f"{lib}/shop/notes.jpg", "w") as f:
    f.write("not a picture")
PY

echo "demo: clipsearch index $lib"
"$bin" index "$lib" --db "$db" --model "$model" --progress lines
echo "demo: clipsearch search \"a dog on a summer beach\""
"$bin" search "a dog on a summer beach" --db "$db" --all -k 5
echo "demo: clipsearch search --like $lib/holiday/beach_0.jpg (more like this)"
"$bin" search --like "$lib/holiday/beach_0.jpg" --db "$db" --all -k 3
echo "demo: clipsearch search \"a product photo\" --color \"#c0392b\" --color-weight 1 (by colour)"
"$bin" search "a product photo" --color "#c0392b" --color-weight 1 --db "$db" --all -k 3
echo "demo: clipsearch similarity"
"$bin" similarity --model "$model" --image "$lib/shop/red_0.png" --text "a red square" \
  --text "a green circle" --text "a beach"
echo "demo: clipsearch duplicates"
"$bin" duplicates --db "$db"
echo "demo: clipsearch bench"
"$bin" bench --model "$model" --batch 8 --text-batch 8 --iters 3
