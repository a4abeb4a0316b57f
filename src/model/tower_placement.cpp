#include "model/tower_placement.h"

#include "model/cuda_module.h"

namespace clipsearch {
namespace {

Status check_activations(Activations activations) {
  if (activations == Activations::kInt8Dynamic) {
    return Status::unsupported("int8-dynamic's products run on the CPU only");
  }
  return Status();
}

// Gives backend one matrix, naming it in an error.
Status prepare_matrix(Backend& backend, const WeightMatrix& w, const char* what) {
  const HostMatrix values = host_matrix(w);
  if (values.data == nullptr) {
    return Status::unsupported(std::string(what) +
                               ": the weights are held only packed for the CPU's products");
  }
  return backend.prepare(w, values).with_context(what);
}

Status prepare_vector(Backend& backend, const float* values, int64_t count) {
  if (values == nullptr) return Status();  // an absent bias: the operations take null
  return backend.prepare(values, count);
}

Status prepare_layer_norm(Backend& backend, const LayerNormWeights& ln, int64_t width) {
  CLIPSEARCH_RETURN_IF_ERROR(prepare_vector(backend, ln.gamma, width));
  return prepare_vector(backend, ln.beta, width);
}

Status prepare_linear(Backend& backend, const LinearWeights& l, const char* what) {
  CLIPSEARCH_RETURN_IF_ERROR(prepare_matrix(backend, l.weight, what));
  return prepare_vector(backend, l.bias, l.weight.out());
}

Status prepare_layer(Backend& backend, const TransformerConfig& c, const EncoderLayerWeights& l) {
  const int64_t w = c.width;
  CLIPSEARCH_RETURN_IF_ERROR(prepare_layer_norm(backend, l.ln1, w));
  CLIPSEARCH_RETURN_IF_ERROR(prepare_layer_norm(backend, l.ln2, w));
  CLIPSEARCH_RETURN_IF_ERROR(prepare_matrix(backend, l.q_weight, "q_proj"));
  // encoder.cpp fills qkv rows from q_bias alone ([3 * width]) when fused.
  CLIPSEARCH_RETURN_IF_ERROR(prepare_vector(backend, l.q_bias, l.qkv_fused ? 3 * w : w));
  if (!l.qkv_fused) {
    CLIPSEARCH_RETURN_IF_ERROR(prepare_matrix(backend, l.k_weight, "k_proj"));
    CLIPSEARCH_RETURN_IF_ERROR(prepare_matrix(backend, l.v_weight, "v_proj"));
    CLIPSEARCH_RETURN_IF_ERROR(prepare_vector(backend, l.k_bias, w));
    CLIPSEARCH_RETURN_IF_ERROR(prepare_vector(backend, l.v_bias, w));
  }
  CLIPSEARCH_RETURN_IF_ERROR(prepare_linear(backend, l.out, "out_proj"));
  CLIPSEARCH_RETURN_IF_ERROR(prepare_linear(backend, l.fc1, "fc1"));
  return prepare_linear(backend, l.fc2, "fc2");
}

Status prepare_layers(Backend& backend, const TransformerConfig& c,
                      const std::vector<EncoderLayerWeights>& layers) {
  for (size_t i = 0; i < layers.size(); ++i) {
    const Status done = prepare_layer(backend, c, layers[i]);
    if (!done.ok()) return done.with_context("layer " + std::to_string(i));
  }
  return Status();
}

}  // namespace

Status device_runs_image_tower(const ClipConfig& config, Activations activations) {
  if (config.vision.tower == ImageTower::kModifiedResNet) {
    return Status::unsupported("the image tower is a ModifiedResNet (runs on the CPU only)");
  }
  if (!config.vision.class_token()) {
    return Status::unsupported(
        "the image tower pools with an attention probe (SigLIP; runs on the CPU only)");
  }
  return check_activations(activations);
}

Status device_runs_text_tower(const ClipConfig& config, Activations activations) {
  if (config.text.tower == TextTower::kBert) {
    return Status::unsupported("the text tower is a BERT encoder (runs on the CPU only)");
  }
  return check_activations(activations);
}

Status prepare_image_tower(Backend& backend, const VisionConfig& c, const VisionWeights& w) {
  const int64_t width = c.width;
  Status done = prepare_matrix(backend, w.patch_weight, "patch embedding");
  if (done.ok() && c.class_token()) done = prepare_vector(backend, w.class_embedding, width);
  if (done.ok()) done = prepare_vector(backend, w.position_embedding, c.tokens() * width);
  if (done.ok()) done = prepare_vector(backend, w.patch_bias, width);
  if (done.ok()) done = prepare_layer_norm(backend, w.pre_ln, width);
  if (done.ok()) done = prepare_layers(backend, c, w.layers);
  if (done.ok()) done = prepare_layer_norm(backend, w.post_ln, width);
  if (done.ok()) done = prepare_linear(backend, w.projection, "visual projection");
  return done.ok() ? done : done.with_context("image tower");
}

Status prepare_text_tower(Backend& backend, const TextConfig& c, const TextWeights& w) {
  const int64_t width = c.width;
  Status done = prepare_matrix(backend, w.token_embedding, "token embedding");
  if (done.ok()) done = prepare_vector(backend, w.position_embedding, c.context_length * width);
  if (done.ok()) done = prepare_layers(backend, c, w.layers);
  if (done.ok()) done = prepare_layer_norm(backend, w.final_ln, width);
  if (done.ok()) done = prepare_linear(backend, w.projection, "text projection");
  return done.ok() ? done : done.with_context("text tower");
}

namespace {

void add_note(std::string* notes, const std::string& note) {
  *notes += (notes->empty() ? "" : "; ") + note;
}

// A backend on plan.device with one tower's weights, or why not.
template <class Prepare>
Result<std::unique_ptr<Backend>> start_tower(const TowerPlan& plan, Prepare prepare) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend,
                              create_cuda_backend(plan.device.index));
  CLIPSEARCH_RETURN_IF_ERROR(prepare(*backend));
  return backend;
}

// The tower's backend, or null (the CPU) with a note when it failed and the device is not
// required.
template <class Prepare>
Result<std::unique_ptr<Backend>> start_or_note(TowerPlan* plan, bool* planned, const char* tower,
                                               Prepare prepare) {
  if (!*planned) return std::unique_ptr<Backend>();
  Result<std::unique_ptr<Backend>> started = start_tower(*plan, prepare);
  if (started.ok()) return started;
  const std::string where = device_name(plan->device);
  if (plan->required) return started.status();  // the backend's words name the device
  *planned = false;
  add_note(&plan->note, std::string(tower) + " tower on the CPU: " + where + " failed (" +
                            started.status().message() + ")");
  return std::unique_ptr<Backend>();
}

}  // namespace

Result<TowerPlan> plan_towers(const ClipConfig& config, Activations activations,
                              const DeviceChoice& choice, bool required) {
  TowerPlan plan;
  plan.device = choice.device;
  plan.note = choice.note;
  plan.required = required;
  if (choice.device.kind != DeviceKind::kCuda) return plan;
  const std::string where = device_name(choice.device);
  const Status image = device_runs_image_tower(config, activations);
  const Status text = device_runs_text_tower(config, activations);
  plan.image = image.ok();
  plan.text = text.ok();
  if (!plan.any()) {
    const std::string why = image.message() + "; " + text.message();
    if (required) return Status::unsupported("device " + where + ": " + why);
    plan.device = Device{DeviceKind::kCpu, 0};
    add_note(&plan.note, where + " found, but " + why);
    return plan;
  }
  if (!plan.image) add_note(&plan.note, image.message());
  if (!plan.text) add_note(&plan.note, text.message());
  return plan;
}

Result<TowerBackends> start_towers(TowerPlan* plan, const ClipConfig& config,
                                   const ClipWeights& weights) {
  TowerBackends backends;
  CLIPSEARCH_ASSIGN_OR_RETURN(backends.image,
                              start_or_note(plan, &plan->image, "image", [&](Backend& b) {
                                return prepare_image_tower(b, config.vision, weights.vision);
                              }));
  CLIPSEARCH_ASSIGN_OR_RETURN(backends.text,
                              start_or_note(plan, &plan->text, "text", [&](Backend& b) {
                                return prepare_text_tower(b, config.text, weights.text);
                              }));
  return backends;
}

}  // namespace clipsearch
