#include "model/weight_binder.h"

#include "tensor/interpolate.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace clipsearch {
namespace {

// The type a tensor of `dtype` holds when it is bound as stored (a reduced one), if any.
std::optional<WeightType> stored_type(DType dtype) {
  switch (dtype) {
    case DType::kBF16:
      return WeightType::kBF16;
    case DType::kF16:
      return WeightType::kF16;
    case DType::kI8:
      return WeightType::kInt8;
    default:
      return std::nullopt;
  }
}

}  // namespace

Status Binder::bind(const std::string& name, std::vector<int64_t> shape, const float** out) {
  CLIPSEARCH_ASSIGN_OR_RETURN(*out, store_.f32(name, shape));
  return Status();
}

Status Binder::position_embedding(const std::string& name, int64_t tokens, int64_t width,
                                  int64_t extra, std::vector<float>* resized, const float** out) {
  CLIPSEARCH_ASSIGN_OR_RETURN(const std::vector<int64_t> shape, store_.shape(name));
  const int64_t grid = static_cast<int64_t>(std::lround(std::sqrt(tokens - extra)));
  if (shape.size() != 2 || shape[1] != width || shape[0] <= extra || shape[0] == tokens) {
    return bind(name, {tokens, width}, out);  // the shape check names what was expected
  }
  const int64_t old_grid = static_cast<int64_t>(std::lround(std::sqrt(shape[0] - extra)));
  if (old_grid * old_grid != shape[0] - extra || grid * grid != tokens - extra) {
    return bind(name, {tokens, width}, out);
  }
  const float* source = nullptr;
  CLIPSEARCH_RETURN_IF_ERROR(bind(name, shape, &source));
  // ref: open_clip resize_pos_embed: the extra rows kept, the grid resized bicubically with
  // antialiasing (F.interpolate, align_corners=False).
  resized->assign(static_cast<size_t>(tokens * width), 0.0f);
  std::copy(source, source + extra * width, resized->begin());
  resize_bicubic_antialias(source + extra * width, old_grid, old_grid, width, grid, grid,
                           resized->data() + extra * width);
  *out = resized->data();
  return Status();
}

Status Binder::layer_norm(const std::string& prefix, int64_t width, LayerNormWeights* out) {
  CLIPSEARCH_RETURN_IF_ERROR(bind(prefix + ".weight", {width}, &out->gamma));
  return bind(prefix + ".bias", {width}, &out->beta);
}

Status Binder::matrix(const std::string& name, int64_t out_dim, int64_t in_dim, WeightLayout layout,
                      WeightMatrix* out) {
  const float* data = nullptr;
  const std::vector<int64_t> shape = layout == WeightLayout::kOutIn
                                         ? std::vector<int64_t>{out_dim, in_dim}
                                         : std::vector<int64_t>{in_dim, out_dim};
  CLIPSEARCH_RETURN_IF_ERROR(bind(name, shape, &data));
  *out = WeightMatrix::f32(data, out_dim, in_dim, layout);
  return Status();
}

Status Binder::reducible(const std::string& name, std::vector<int64_t> shape, int64_t out_dim,
                         int64_t in_dim, WeightMatrix* out) {
  reducible_.push_back({name, shape, out_dim, in_dim});
  CLIPSEARCH_ASSIGN_OR_RETURN(const TensorView* view, store_.view(name, shape));
  const std::optional<WeightType> stored = stored_type(view->dtype);
  if (stored && *stored == type_) return bind_stored(name, *view, out_dim, in_dim, out);
  if (view->dtype == DType::kI8) {
    return Status::unsupported(store_.file_of(name) + ": tensor " + name +
                               " is int8: only a model that `clipsearch quantize --precision "
                               "int8` wrote holds int8 weights, and it runs at int8");
  }
  const float* data = nullptr;
  CLIPSEARCH_RETURN_IF_ERROR(bind(name, shape, &data));
  *out = WeightMatrix::f32(data, out_dim, in_dim, WeightLayout::kOutIn);
  return Status();
}

Status Binder::linear(const std::string& prefix, int64_t out_dim, int64_t in_dim,
                      LinearWeights* out) {
  CLIPSEARCH_RETURN_IF_ERROR(
      reducible(prefix + ".weight", {out_dim, in_dim}, out_dim, in_dim, &out->weight));
  return bind(prefix + ".bias", {out_dim}, &out->bias);
}

Status Binder::bind_stored(const std::string& name, const TensorView& view, int64_t out_dim,
                           int64_t in_dim, WeightMatrix* out) {
  const std::string& file = store_.file_of(name);
  const float* scales = nullptr;
  if (type_ == WeightType::kInt8) {
    const std::string scale = int8_scale_name(name);
    if (!store_.contains(scale)) {
      return Status::corruption(file + ": tensor " + name + " is int8 but its scales, tensor " +
                                scale + ", are missing");
    }
    CLIPSEARCH_RETURN_IF_ERROR(bind(scale, {out_dim}, &scales));
    for (int64_t o = 0; o < out_dim; ++o) {
      if (!(scales[o] >= 0.0f && std::isfinite(scales[o]))) {
        return Status::corruption(file + ": tensor " + scale + " holds " +
                                  std::to_string(scales[o]) + " at " + std::to_string(o) +
                                  ": a scale is finite and not negative");
      }
    }
  }
  *out = WeightMatrix::view(type_, store_.aligned_data(view), scales, out_dim, in_dim);
  return Status();
}

}  // namespace clipsearch
