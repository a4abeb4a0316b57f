#!/usr/bin/env bash
# The main job, for now: embed an image tensor and a text with a CLIP model, then measure the
# engine's throughput. Uses $CLIPSEARCH_MODEL (a Hugging Face CLIPModel or open_clip folder)
# when set; otherwise builds a random-weight ViT-B/32 with the reference (no download).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/src/cli/clipsearch
model=${CLIPSEARCH_MODEL:-build/demo-model}
if [[ -z "${CLIPSEARCH_MODEL:-}" && ! -f "$model/model.safetensors" ]]; then
  echo "demo: building a random-weight ViT-B/32 CLIPModel in $model (no pretrained weights here)"
  .venv/bin/python -W ignore - "$model" <<'PY'
import sys, torch
from transformers import CLIPConfig, CLIPModel
torch.manual_seed(0)
CLIPModel(CLIPConfig()).save_pretrained(sys.argv[1], safe_serialization=True)
PY
fi
size=$(.venv/bin/python -c "import json,sys; c=json.load(open(sys.argv[1])); print(c.get('vision_config', {}).get('image_size', 224))" "$model/config.json" 2>/dev/null || echo 224)
.venv/bin/python -c "import numpy as np, sys; np.save(sys.argv[1], np.random.default_rng(0).standard_normal((3, $size, $size)).astype(np.float32))" build/demo-pixels.npy

echo "demo: clipsearch embed (first 8 values of each embedding)"
"$bin" embed --model "$model" --pixels build/demo-pixels.npy --token-ids 49406,320,1929,530,518,2117,49407 |
  .venv/bin/python -c "
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(f\"  {r['kind']:5s} {r['input'][-40:]:40s} dim={len(r['embedding'])} {[round(v, 4) for v in r['embedding'][:8]]}\")"
echo "demo: clipsearch bench"
"$bin" bench --model "$model" --batch 8 --text-batch 8 --iters 3
