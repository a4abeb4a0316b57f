"""The same measure as cuda_tower_bench.cpp for transformers on the same GPU: a random-weight
CLIPVisionModelWithProjection of ViT-B/32, B/16 or L/14's shape, fp16 autocast (the issue's
baseline), the pixels copied from the host every pass and the embeddings copied back.

Usage: python bench/cuda_torch_bench.py [B/32|B/16|L/14] [batch] [repeats]
Prints: tower, batch, min and median seconds per batch, images/s at the min.
"""
import sys
import time

import torch
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

SHAPES = {  # width, heads, layers, patch, projection: OpenAI CLIP at 224 pixels
    "B/32": (768, 12, 12, 32, 512),
    "B/16": (768, 12, 12, 16, 512),
    "L/14": (1024, 16, 24, 14, 768),
}


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "B/32"
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    width, heads, layers, patch, proj = SHAPES[name]
    config = CLIPVisionConfig(hidden_size=width, num_attention_heads=heads,
                              num_hidden_layers=layers, intermediate_size=4 * width,
                              patch_size=patch, image_size=224, projection_dim=proj,
                              hidden_act="quick_gelu")
    model = CLIPVisionModelWithProjection(config).eval().cuda()
    pixels = torch.randn(batch, 3, 224, 224).pin_memory()
    seconds = []
    with torch.inference_mode(), torch.autocast("cuda", dtype=torch.float16):
        for i in range(repeats + 1):  # the first pass warms up
            start = time.perf_counter()
            out = model(pixel_values=pixels.cuda(non_blocking=True)).image_embeds.float().cpu()
            if i > 0:
                seconds.append(time.perf_counter() - start)
    assert out.shape == (batch, proj)
    seconds.sort()
    low, median = seconds[0], seconds[len(seconds) // 2]
    device = torch.cuda.get_device_name(0)
    print(f"transformers {torch.__version__} fp16 autocast ({device}) {name} batch {batch}: "
          f"min {low:.4f} s, median {median:.4f} s, {batch / low:.1f} images/s")


if __name__ == "__main__":
    main()
