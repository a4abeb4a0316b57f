#include "model/resnet_weights.h"

#include <cassert>
#include <cmath>
#include <string>

namespace clipsearch {
namespace {

// ref: torch.nn.BatchNorm2d's default eps, which open_clip's ModifiedResNet keeps.
constexpr double kBatchNormEps = 1e-5;

struct ConvSpec {
  int64_t in = 0, out = 0, kernel = 1, stride = 1, padding = 0;
  int64_t winograd_tile = 0;  // a 3x3 at stride 1 kept in the domain of F(tile x tile, 3x3)
};

// The Winograd tile for a 3x3 convolution at stride 1 of `channels` inputs on maps `side` wide:
// 4 (F(4x4, 3x3)) or 2 (F(2x2, 3x3)). Measured on RN50's convolutions (bench/resnet_conv_bench:
// one image, one thread; bench/RESULTS.md): F(4x4) is as fast as the direct product on the
// stem's 112 x 112 maps (1.1x with 64 outputs) and 1.9-2.9x faster from 56 x 56 down to 14 x 14
// maps of 256 channels; on 14 x 14 maps of 512 channels its 16 tiles per image make products too
// short for its 36 weights (F(2x2) as fast, with 2.25 times less weight memory), and on 7 x 7
// maps its 8 x 8 tiles mostly compute padding (F(2x2) 1.2x faster than direct and than F(4x4)).
int64_t winograd_tile(int64_t channels, int64_t side) {
  if (side >= 28 || (side >= 14 && channels <= 256)) return 4;
  return 2;
}

// Binds `conv`.weight [out, in, k, k] and the batch norm `bn`.{weight, bias, running_mean,
// running_var}, and folds them: W'[o] = W[o] . s[o], bias[o] = beta[o] - mean[o] . s[o] with
// s[o] = gamma[o] / sqrt(var[o] + eps), in double, the columns reordered to (ky, kx, c).
Status folded_conv(Binder& b, const std::string& conv, const std::string& bn, ConvSpec spec,
                   ConvWeights* out) {
  const int64_t k = spec.kernel, in = spec.in, n = spec.out;
  const float *weight = nullptr, *gamma = nullptr, *beta = nullptr, *mean = nullptr, *var = nullptr;
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(conv + ".weight", {n, in, k, k}, &weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(bn + ".weight", {n}, &gamma));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(bn + ".bias", {n}, &beta));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(bn + ".running_mean", {n}, &mean));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(bn + ".running_var", {n}, &var));
  std::vector<float> folded(static_cast<size_t>(n * k * k * in));
  out->bias.resize(static_cast<size_t>(n));
  for (int64_t o = 0; o < n; ++o) {
    if (!(var[o] >= 0.0f) || !std::isfinite(var[o])) {
      return Status::corruption(b.store().file_of(bn + ".running_var") + ": tensor " + bn +
                                ".running_var holds " + std::to_string(var[o]) + " at " +
                                std::to_string(o) + ": a variance is finite and not negative");
    }
    const double scale = gamma[o] / std::sqrt(static_cast<double>(var[o]) + kBatchNormEps);
    out->bias[static_cast<size_t>(o)] = static_cast<float>(beta[o] - mean[o] * scale);
    for (int64_t c = 0; c < in; ++c) {
      for (int64_t ky = 0; ky < k; ++ky) {
        for (int64_t kx = 0; kx < k; ++kx) {
          folded[static_cast<size_t>(((o * k + ky) * k + kx) * in + c)] =
              static_cast<float>(weight[((o * in + c) * k + ky) * k + kx] * scale);
        }
      }
    }
  }
  b.store().release(weight);  // only the folded copy is read from now on
  out->kernel = k;
  out->stride = spec.stride;
  out->padding = spec.padding;
  if (spec.winograd_tile > 0) {
    // 2.25 or 4 times fewer multiplications than the direct product; no direct weight kept.
    assert(k == 3 && spec.stride == 1 && spec.padding == 1);
    out->winograd = winograd_weights(folded.data(), n, k * k * in, spec.winograd_tile);
  } else {
    out->weight = PackedWeights(folded.data(), n, k * k * in);
  }
  return Status();
}

// ref: open_clip Bottleneck(inplanes, planes, stride). `side`: the width of the block's input map.
Status bind_bottleneck(Binder& b, const std::string& p, int64_t inplanes, int64_t planes,
                       int64_t stride, int64_t side, BottleneckWeights* out) {
  const int64_t expanded = planes * 4;
  out->stride = stride;
  CLIPSEARCH_RETURN_IF_ERROR(
      folded_conv(b, p + ".conv1", p + ".bn1", {inplanes, planes, 1, 1, 0}, &out->conv1));
  CLIPSEARCH_RETURN_IF_ERROR(folded_conv(b, p + ".conv2", p + ".bn2",
                                         {planes, planes, 3, 1, 1, winograd_tile(planes, side)},
                                         &out->conv2));
  CLIPSEARCH_RETURN_IF_ERROR(
      folded_conv(b, p + ".conv3", p + ".bn3", {planes, expanded, 1, 1, 0}, &out->conv3));
  out->residual_bias = out->conv3.bias;
  out->has_downsample = stride > 1 || inplanes != expanded;
  if (out->has_downsample) {
    // downsample = Sequential("-1": AvgPool2d(stride), "0": conv 1x1, "1": BatchNorm2d)
    CLIPSEARCH_RETURN_IF_ERROR(folded_conv(b, p + ".downsample.0", p + ".downsample.1",
                                           {inplanes, expanded, 1, 1, 0}, &out->downsample));
    for (int64_t o = 0; o < expanded; ++o) {
      out->residual_bias[static_cast<size_t>(o)] += out->downsample.bias[static_cast<size_t>(o)];
    }
  }
  return Status();
}

}  // namespace

Status bind_resnet(Binder& b, const ClipConfig& config, ResNetWeights* out) {
  const ResNetConfig& r = config.vision.resnet;
  const int64_t half = r.width / 2, features = r.features();
  const int64_t stem_side = (config.vision.image_size + 1) / 2;  // after the first, strided one
  // ref: ModifiedResNet.stem: conv1 3x3 stride 2, conv2 3x3, conv3 3x3, each with a batch norm
  // and a ReLU, then AvgPool2d(2).
  CLIPSEARCH_RETURN_IF_ERROR(folded_conv(b, "visual.conv1", "visual.bn1",
                                         {config.vision.channels, half, 3, 2, 1}, &out->stem[0]));
  CLIPSEARCH_RETURN_IF_ERROR(folded_conv(b, "visual.conv2", "visual.bn2",
                                         {half, half, 3, 1, 1, winograd_tile(half, stem_side)},
                                         &out->stem[1]));
  CLIPSEARCH_RETURN_IF_ERROR(folded_conv(b, "visual.conv3", "visual.bn3",
                                         {half, r.width, 3, 1, 1, winograd_tile(half, stem_side)},
                                         &out->stem[2]));
  // ref: ModifiedResNet._make_layer: the first block of a stage strides (from the second stage
  // on) and changes the width; the others keep it.
  int64_t inplanes = r.width;
  int64_t side = stem_side / 2;  // after the stem's average pool
  for (size_t stage = 0; stage < r.stage_blocks.size(); ++stage) {
    const int64_t planes = r.width << stage;
    for (int64_t i = 0; i < r.stage_blocks[stage]; ++i) {
      const int64_t stride = stage > 0 && i == 0 ? 2 : 1;
      const std::string prefix =
          "visual.layer" + std::to_string(stage + 1) + "." + std::to_string(i);
      out->blocks.emplace_back();
      CLIPSEARCH_RETURN_IF_ERROR(
          bind_bottleneck(b, prefix, inplanes, planes, stride, side, &out->blocks.back()));
      inplanes = planes * 4;
      side /= stride;
    }
  }
  // ref: AttentionPool2d(image_size // 32, features, heads, output_dim = embed_dim).
  const std::string a = "visual.attnpool.";
  EncoderLayerWeights& pool = out->pool;
  CLIPSEARCH_RETURN_IF_ERROR(
      b.position_embedding(a + "positional_embedding", config.vision.tokens(), features, 1,
                           &out->resized_positions, &out->position_embedding));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.matrix(a + "q_proj.weight", features, features, WeightLayout::kOutIn, &pool.q_weight));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.matrix(a + "k_proj.weight", features, features, WeightLayout::kOutIn, &pool.k_weight));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.matrix(a + "v_proj.weight", features, features, WeightLayout::kOutIn, &pool.v_weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(a + "q_proj.bias", {features}, &pool.q_bias));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(a + "k_proj.bias", {features}, &pool.k_bias));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(a + "v_proj.bias", {features}, &pool.v_bias));
  CLIPSEARCH_RETURN_IF_ERROR(b.matrix(a + "c_proj.weight", config.projection_dim, features,
                                      WeightLayout::kOutIn, &pool.out.weight));
  return b.bind(a + "c_proj.bias", {config.projection_dim}, &pool.out.bias);
}

}  // namespace clipsearch
