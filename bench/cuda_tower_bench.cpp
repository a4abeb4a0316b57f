// Images per second of a random-weight CLIP image tower (ViT-B/32, B/16 or L/14's shape, full
// depth, random_towers.h) on the CUDA engine, GPU 0, at one batch size: its weights prepared as
// Model::load does, the pixels copied from the host every pass, the embeddings copied back (what
// `index` asks of the engine per batch; decoding and preprocessing are not in it).
// bench/run_cuda_bench.sh runs it against transformers on the same GPU
// (bench/cuda_torch_bench.py). Usage: cuda_tower_bench [B/32|B/16|L/14] [batch] [repeats]
// Prints: tower, batch, min and median seconds per batch, images/s at the min.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "cuda/random_towers.h"
#include "model/cuda_module.h"
#include "model/tower_placement.h"
#include "model/towers.h"

using namespace clipsearch;

int main(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "B/32";
  const int64_t batch = argc > 2 ? std::atoll(argv[2]) : 256;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 10;
  const cuda::testing::VitShape* shape = nullptr;
  for (const auto* s : {&cuda::testing::kB32, &cuda::testing::kB16, &cuda::testing::kL14}) {
    if (s->name == name) shape = s;
  }
  if (shape == nullptr || batch <= 0 || repeats <= 0) {
    std::fprintf(stderr, "usage: cuda_tower_bench [B/32|B/16|L/14] [batch > 0] [repeats > 0]\n");
    return 2;
  }
  auto backend = create_cuda_backend(0);
  if (!backend.ok()) {
    std::fprintf(stderr, "cuda_tower_bench: %s\n", backend.status().message().c_str());
    return 1;
  }
  cuda::testing::RandomVit vit;
  cuda::testing::make_random_vit(*shape, vit);
  if (Status s = prepare_image_tower(**backend, vit.config, vit.weights); !s.ok()) {
    std::fprintf(stderr, "cuda_tower_bench: %s\n", s.message().c_str());
    return 1;
  }
  const std::string device = (*backend)->description();
  TowerWorkspace ws;
  ws.backend = std::move(backend).value();
  std::vector<float> pixels(static_cast<size_t>(batch * 3 * 224 * 224));
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (float& p : pixels) p = normal(rng);
  std::vector<float> out(static_cast<size_t>(batch * vit.proj_dim));
  std::vector<double> seconds;
  for (int i = 0; i <= repeats; ++i) {  // the first pass warms up (allocations, cuBLAS's choices)
    const auto start = std::chrono::steady_clock::now();
    vision_forward(vit.config, vit.weights, vit.proj_dim, pixels.data(), batch, out.data(), ws);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (i > 0) seconds.push_back(s);
  }
  if (Status s = ws.backend->status(); !s.ok()) {
    std::fprintf(stderr, "cuda_tower_bench: %s\n", s.message().c_str());
    return 1;
  }
  std::sort(seconds.begin(), seconds.end());
  const double min = seconds.front(), median = seconds[seconds.size() / 2];
  std::printf("clipsearch %s %s batch %lld: min %.4f s, median %.4f s, %.1f images/s\n",
              device.c_str(), name.c_str(), static_cast<long long>(batch), min, median,
              static_cast<double>(batch) / min);
  return 0;
}
