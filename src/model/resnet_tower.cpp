// The ModifiedResNet image tower on NHWC feature maps: convolutions as matrix products
// (tensor/conv.h), each batch norm folded into its convolution at load (resnet_weights.cpp), bias
// and ReLU in one pass after each product, the residual accumulated by the last product of a
// block.
#include <algorithm>
#include <cassert>

#include "core/thread_pool.h"
#include "model/attention_pool.h"
#include "model/towers.h"
#include "tensor/conv.h"
#include "tensor/ops.h"
#include "tensor/winograd.h"

namespace clipsearch {
namespace {

// A feature map [batch, height, width, channels] in one of the workspace's buffers.
struct FeatureMap {
  const float* data = nullptr;
  int64_t batch = 0, height = 0, width = 0, channels = 0;
  int64_t pixels() const { return batch * height * width; }
  int64_t floats() const { return pixels() * channels; }
};

float* grown(std::vector<float>& buffer, int64_t floats) {
  grow_buffer(buffer, floats);
  return buffer.data();
}

ConvGeometry geometry(const ConvWeights& conv, const FeatureMap& x) {
  return {x.batch, x.height, x.width, x.channels, conv.kernel, conv.stride, conv.padding};
}

// out = act(beta * out + conv(x) . W^T + bias); beta 0 overwrites, 1 accumulates onto `out`.
FeatureMap convolve(const ConvWeights& conv, const FeatureMap& x, float beta, float* out,
                    const float* bias, Activation act, std::vector<float>& cols) {
  const ConvGeometry g = geometry(conv, x);
  if (conv.winograd.points.empty()) {
    conv2d_nhwc(g, x.data, conv.weight, beta, out, bias, act, cols);
  } else {
    conv3x3_winograd_nhwc(g, x.data, conv.winograd, beta, out, bias, act, cols);
  }
  return {out, g.batch, g.out_height(), g.out_width(), conv.out()};
}

// ref: act(bn(conv(x))) with the batch norm folded: relu(conv'(x) + bias).
FeatureMap conv_relu(const ConvWeights& conv, const FeatureMap& x, std::vector<float>& buffer,
                     std::vector<float>& cols) {
  const ConvGeometry g = geometry(conv, x);
  float* y = grown(buffer, g.out_pixels() * conv.out());
  return convolve(conv, x, 0.0f, y, conv.bias.data(), Activation::kRelu, cols);
}

FeatureMap avg_pool(const FeatureMap& x, int64_t k, std::vector<float>& buffer) {
  FeatureMap out{nullptr, x.batch, x.height / k, x.width / k, x.channels};
  float* y = grown(buffer, out.floats());
  avg_pool_nhwc(x.data, x.batch, x.height, x.width, x.channels, k, y);
  out.data = y;
  return out;
}

// ref: Bottleneck.forward:
//   out = relu(bn1(conv1(x))); out = relu(bn2(conv2(out))); out = avgpool(out)
//   out = bn3(conv3(out)); identity = downsample(x) or x; out = relu(out + identity)
// conv3 accumulates onto the identity: without a downsample, the block's input itself (x_buf,
// which holds x and is not read again: the output overwrites it, no copy); with one, the
// downsample's product, written to y_buf first. Both biases are then added with the ReLU.
// Returns the output map, in x_buf or y_buf.
FeatureMap bottleneck(const BottleneckWeights& b, const FeatureMap& x, std::vector<float>& x_buf,
                      std::vector<float>& y_buf, ResNetWorkspace& ws) {
  assert(x.data == x_buf.data());
  FeatureMap inner = conv_relu(b.conv1, x, ws.t1, ws.cols);
  inner = conv_relu(b.conv2, inner, ws.t2, ws.cols);
  if (b.stride > 1) inner = avg_pool(inner, b.stride, ws.t1);  // conv1's map is free again
  if (!b.has_downsample) {
    return convolve(b.conv3, inner, 1.0f, x_buf.data(), b.residual_bias.data(), Activation::kRelu,
                    ws.cols);
  }
  // ref: downsample = AvgPool2d(stride), conv 1x1, BatchNorm2d.
  float* y = grown(y_buf, inner.pixels() * b.conv3.out());
  const FeatureMap source = b.stride > 1 ? avg_pool(x, b.stride, ws.t2) : x;
  convolve(b.downsample, source, 0.0f, y, nullptr, Activation::kIdentity, ws.cols);
  return convolve(b.conv3, inner, 1.0f, y, b.residual_bias.data(), Activation::kRelu, ws.cols);
}

// ref: AttentionPool2d.forward, before the attention: x (HW)NC -> [mean; x] + positions.
// tokens[n * (HW + 1)] = mean_p x[n, p] + pos[0]; tokens[n * (HW + 1) + 1 + p] = x[n, p] +
// pos[1 + p].
void pooling_tokens(const FeatureMap& x, const float* positions, float* tokens) {
  const int64_t hw = x.height * x.width, c = x.channels, per_image = hw + 1;
  parallel_for(x.batch, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      const float* src = x.data + n * hw * c;
      float* dst = tokens + n * per_image * c;
      std::fill(dst, dst + c, 0.0f);
      for (int64_t p = 0; p < hw; ++p) {
        for (int64_t i = 0; i < c; ++i) dst[i] += src[p * c + i];
      }
      for (int64_t i = 0; i < c; ++i) dst[i] = dst[i] / static_cast<float>(hw) + positions[i];
      for (int64_t p = 0; p < hw; ++p) {
        for (int64_t i = 0; i < c; ++i) {
          dst[(1 + p) * c + i] = src[p * c + i] + positions[(1 + p) * c + i];
        }
      }
    }
  });
}

}  // namespace

void resnet_forward(const VisionConfig& c, const ResNetWeights& w, const float* pixels,
                    int64_t count, float* out, TowerWorkspace& tower_ws) {
  ResNetWorkspace& ws = tower_ws.resnet;
  const int64_t size = c.image_size;
  float* input = grown(ws.input, count * c.channels * size * size);
  nchw_to_nhwc(pixels, count, c.channels, size, size, input);
  FeatureMap x{input, count, size, size, c.channels};

  // ref: ModifiedResNet.stem: three conv + bn + relu, then AvgPool2d(2).
  x = conv_relu(w.stem[0], x, ws.t1, ws.cols);
  x = conv_relu(w.stem[1], x, ws.t2, ws.cols);
  x = conv_relu(w.stem[2], x, ws.t1, ws.cols);
  x = avg_pool(x, 2, ws.a);

  // ref: layer1..layer4; each block reads one of a/b and writes the same one (no downsample) or
  // the other.
  std::vector<float>* current = &ws.a;
  for (const BottleneckWeights& block : w.blocks) {
    std::vector<float>* other = current == &ws.a ? &ws.b : &ws.a;
    x = bottleneck(block, x, *current, *other, ws);
    if (x.data == other->data()) current = other;
  }
  assert(x.height == c.grid() && x.width == c.grid());

  // ref: AttentionPool2d: one query (the mean) per image over its HW + 1 tokens.
  const int64_t tokens = c.tokens();
  float* pool_in = grown(ws.t1, count * tokens * x.channels);  // [count * tokens, features]
  pooling_tokens(x, w.position_embedding, pool_in);
  attention_pool(c.resnet.heads, w.pool, pool_in, count, tokens, x.channels, out, ws.cols);
}

int64_t images_per_pass(const VisionConfig& c, bool on_device) {
  if (c.tower == ImageTower::kModifiedResNet) {
    // The largest map, the stem's last (ceil(size / 2)^2 x width, as large as the first stage's
    // output), bounded to about 16 MB per buffer.
    constexpr int64_t kFloatsPerMap = int64_t{1} << 22;
    const int64_t side = (c.image_size + 1) / 2;
    return std::max<int64_t>(1, kFloatsPerMap / (side * side * c.resnet.width));
  }
  // A GPU: about 256 images of L/14 (257 tokens) per pass, enough rows to fill the device.
  if (on_device) return std::max<int64_t>(1, (int64_t{1} << 16) / c.tokens());
  // About 2048 token rows: the encoder's products have enough rows to run at full speed.
  constexpr int64_t kRowsPerPass = 2048;
  return std::max<int64_t>(1, kRowsPerPass / c.tokens());
}

void image_forward(const ClipConfig& config, const ClipWeights& weights, const float* pixels,
                   int64_t count, float* out, TowerWorkspace& ws) {
  if (config.vision.tower == ImageTower::kModifiedResNet) {
    resnet_forward(config.vision, weights.resnet, pixels, count, out, ws);
  } else {
    vision_forward(config.vision, weights.vision, config.projection_dim, pixels, count, out, ws);
  }
}

}  // namespace clipsearch
