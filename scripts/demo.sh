#!/usr/bin/env bash
# The main job, for now: embed photos and texts with a CLIP model, then measure the engine's
# throughput. Uses $CLIPSEARCH_MODEL (a Hugging Face CLIPModel or open_clip folder) when set;
# otherwise builds a random-weight ViT-B/32 with the reference (no download), with the CLIP
# vocabulary that ships inside the open_clip package.
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
# Two photos made on the spot: a blue-sky-over-sand "beach" and a red square.
.venv/bin/python -W ignore - build/demo-beach.jpg build/demo-red.png <<'PY'
import sys
from PIL import Image, ImageDraw
beach = Image.new("RGB", (640, 480), (90, 160, 230))
ImageDraw.Draw(beach).rectangle([0, 300, 640, 480], fill=(230, 210, 150))
beach.save(sys.argv[1], quality=90)
Image.new("RGB", (300, 300), (200, 30, 40)).save(sys.argv[2])
PY
size=$(.venv/bin/python -c "import json,sys; c=json.load(open(sys.argv[1])); print(c.get('vision_config', {}).get('image_size', 224))" "$model/config.json" 2>/dev/null || echo 224)
.venv/bin/python -c "import numpy as np, sys; np.save(sys.argv[1], np.random.default_rng(0).standard_normal((3, $size, $size)).astype(np.float32))" build/demo-pixels.npy

echo "demo: clipsearch tokenize"
"$bin" tokenize --model "$model" "a dog on a summer beach"
echo "demo: clipsearch embed (first 8 values of each embedding)"
"$bin" embed --model "$model" --image build/demo-beach.jpg --image build/demo-red.png \
  --pixels build/demo-pixels.npy --text "a dog on a summer beach" --text "a red square" |
  .venv/bin/python -c "
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(f\"  {r['kind']:5s} {r['input'][-40:]:40s} dim={len(r['embedding'])} {[round(v, 4) for v in r['embedding'][:8]]}\")"
echo "demo: clipsearch bench"
"$bin" bench --model "$model" --batch 8 --text-batch 8 --iters 3
