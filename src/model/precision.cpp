// The names of the public Precision values.
#include "clipsearch/model.h"
#include "model/clip_weights.h"

namespace clipsearch {

namespace {
constexpr Precision kAll[] = {Precision::kFloat32, Precision::kBFloat16, Precision::kFloat16,
                              Precision::kInt8, Precision::kInt8Dynamic};
}  // namespace

const char* precision_name(Precision precision) {
  switch (precision) {
    case Precision::kFloat32:
      return "f32";
    case Precision::kBFloat16:
      return "bf16";
    case Precision::kFloat16:
      return "f16";
    case Precision::kInt8:
      return "int8";
    case Precision::kInt8Dynamic:
      return "int8-dynamic";
  }
  return "f32";
}

Result<Precision> precision_parse(std::string_view name) {
  std::string names;
  for (Precision p : kAll) {
    if (name == precision_name(p)) return p;
    names += std::string(names.empty() ? "" : ", ") + precision_name(p);
  }
  return Status::invalid_argument("precision '" + std::string(name) + "' is not one of " + names);
}

std::optional<WeightType> precision_weight_type(Precision precision) {
  switch (precision) {
    case Precision::kFloat32:
      return WeightType::kF32;
    case Precision::kBFloat16:
      return WeightType::kBF16;
    case Precision::kFloat16:
      return WeightType::kF16;
    case Precision::kInt8:
    case Precision::kInt8Dynamic:
      return WeightType::kInt8;
  }
  return std::nullopt;
}

Activations precision_activations(Precision precision) {
  return precision == Precision::kInt8Dynamic ? Activations::kInt8Dynamic : Activations::kFloat32;
}

const char* loaded_precision_name(const ClipWeights& weights) {
  if (weights.activations == Activations::kInt8Dynamic) {
    return precision_name(Precision::kInt8Dynamic);
  }
  return weight_type_name(weights.type);
}

}  // namespace clipsearch
