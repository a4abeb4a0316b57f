// The public Model facade: configuration + weights + a workspace per tower. One encode at a time
// per tower; a text pass runs beside an image pass and goes first (thread_pool.h's UrgentWork):
// a text query must not wait for a whole batch of pictures (issue 19).
#include <algorithm>
#include <functional>
#include <mutex>
#include <optional>

#include "clipsearch/model.h"
#include "clipsearch/threads.h"
#include "core/thread_pool.h"
#include "model/clip_config.h"
#include "model/clip_weights.h"
#include "model/cpu_backend.h"
#include "model/cuda_module.h"
#include "model/device.h"
#include "model/tower_placement.h"
#include "model/towers.h"
#include "tensor/gemm.h"
#include "tensor/ops.h"

namespace clipsearch {
namespace {

// Texts are processed in chunks of this many, so that scratch memory stays bounded whatever the
// batch size (images: images_per_pass).
constexpr int64_t kTextsPerChunk = 256;

const char* text_tower_name(TextTower tower) {
  switch (tower) {
    case TextTower::kBert:
      return "bert";
    case TextTower::kSiglip:
      return "siglip";
    case TextTower::kClip:
      break;
  }
  return "clip";
}

ModelInfo make_info(const std::string& dir, const ClipConfig& c, const ClipWeights& w) {
  ModelInfo info;
  info.path = dir;
  info.layout = c.layout == ModelLayout::kHuggingFace ? "huggingface" : "open_clip";
  info.config_file = c.config_path;
  info.weights_file = c.weights_path;
  info.image_size = c.vision.image_size;
  info.image_tower = c.vision.tower == ImageTower::kModifiedResNet ? "resnet" : "vit";
  info.text_tower = text_tower_name(c.text.tower);
  info.patch_size = c.vision.tower == ImageTower::kModifiedResNet ? 0 : c.vision.patch_size;
  info.context_length = c.text.max_tokens();
  info.vocab_size = c.text.vocab_size;
  info.embed_dim = c.projection_dim;
  if (c.vision.tower == ImageTower::kModifiedResNet) {
    info.vision_width = c.vision.resnet.width;
    info.vision_layers = 0;
    for (int64_t blocks : c.vision.resnet.stage_blocks) info.vision_layers += blocks;
    info.vision_heads = c.vision.resnet.heads;
  } else {
    info.vision_width = c.vision.width;
    info.vision_layers = c.vision.layers;
    info.vision_heads = c.vision.heads;
  }
  info.text_width = c.text.width;
  info.text_layers = c.text.layers;
  info.text_heads = c.text.heads;
  info.logit_scale = w.logit_scale;
  info.logit_bias = w.logit_bias;
  info.score_kind =
      c.sigmoid_scores ? ModelInfo::ScoreKind::kSigmoid : ModelInfo::ScoreKind::kSoftmax;
  return info;
}

// The tower runs on `backend` when there is one (its description in *device), else on the
// CPU.
void place_tower(std::unique_ptr<Backend> backend, TowerWorkspace* ws, std::string* device) {
  if (backend == nullptr) return;
  *device = backend->description();
  ws->backend = std::move(backend);
  ws->on_device = true;
}

// One line for the user when a tower is on a GPU or a GPU went unused, and why.
void report_devices(const ModelInfo& info,
                    const std::function<void(const std::string&)>& on_device) {
  if (!on_device) return;
  std::string line;
  if (info.image_device == info.text_device && info.image_device != "cpu") {
    line = "image and text towers on " + info.image_device;
  } else {
    if (info.image_device != "cpu") line = "image tower on " + info.image_device;
    if (info.text_device != "cpu") line = "text tower on " + info.text_device;
  }
  if (!info.device_note.empty()) line += (line.empty() ? "" : "; ") + info.device_note;
  if (!line.empty()) on_device(line);
}

}  // namespace

struct Model::Impl {
  ClipConfig config;
  ClipWeights weights;
  ModelInfo info;
  // Under `auto` a tower whose device fails moves to the CPU; under a named device the failure
  // is the caller's error.
  bool device_required = false;
  std::function<void(const std::string&)> on_device;
  // One forward pass at a time per tower, each with its own scratch memory and backend, so that
  // the towers can run at once (the weights are read-only).
  std::mutex image_mutex;
  TowerWorkspace image_workspace;
  std::mutex text_mutex;
  TowerWorkspace text_workspace;

  // Where the towers run now (info's fields as at load, then any move to the CPU).
  mutable std::mutex devices_mutex;
  ModelDevices devices;

  // The tower's pass failed on its device (status): under `auto` the tower moves to the CPU and
  // the pass is to be run again (OK); else the error.
  Status device_failed(TowerWorkspace& ws, std::string ModelDevices::*device, const char* tower,
                       const Status& status);

  // Runs `pass` on the tower's backend; after a device failure, again on the CPU (auto) or the
  // error (a named device).
  template <class Pass>
  Status run_pass(TowerWorkspace& ws, std::string ModelDevices::*device, const char* tower,
                  Pass pass) {
    for (;;) {
      ws.backend->reset_status();
      pass();
      const Status status = ws.backend->status();
      if (status.ok()) return status;
      CLIPSEARCH_RETURN_IF_ERROR(device_failed(ws, device, tower, status));
    }
  }
};

Status Model::Impl::device_failed(TowerWorkspace& ws, std::string ModelDevices::*device,
                                  const char* tower, const Status& status) {
  std::lock_guard<std::mutex> lock(devices_mutex);
  const std::string line =
      std::string(tower) + " tower: " + devices.*device + " failed (" + status.message() + ")";
  if (device_required) return Status::error(status.code(), line);
  ws.backend = make_cpu_backend();
  ws.on_device = false;
  devices.*device = "cpu";
  devices.device_note += (devices.device_note.empty() ? "" : "; ") + line + "; on the CPU now";
  if (on_device) on_device(line + "; running it on the CPU from now on");
  return Status();
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

Result<std::unique_ptr<Model>> Model::load(const std::string& model_dir,
                                           const ModelOptions& options) {
  const std::optional<WeightType> type = precision_weight_type(options.precision);
  if (!type) {
    return Status::unsupported(model_dir + ": precision " +
                               std::to_string(static_cast<int>(options.precision)) +
                               " is not one this build runs (f32, bf16, f16, int8, int8-dynamic)");
  }
  Result<DeviceChoice> choice = select_device(options.device, system_cuda_probe(),
                                              [] { return load_cuda_module().status(); });
  if (!choice.ok()) {
    return Status::error(choice.status().code(), model_dir + ": " + choice.status().message());
  }
  if (options.threads < 0) {
    return Status::invalid_argument("threads must be 0 (all cores) or more, got " +
                                    std::to_string(options.threads));
  }
  if (options.threads > 0) set_num_threads(options.threads);
  gemm_init();
  auto impl = std::make_unique<Impl>();
  CLIPSEARCH_ASSIGN_OR_RETURN(impl->config, load_clip_config(model_dir));
  const Activations activations = precision_activations(options.precision);
  const bool required = options.device.kind == DeviceKind::kCuda;
  Result<TowerPlan> plan = plan_towers(impl->config, activations, *choice, required);
  if (!plan.ok()) return plan.status().with_context(model_dir);
  CLIPSEARCH_ASSIGN_OR_RETURN(impl->weights,
                              load_clip_weights(impl->config, *type, activations, !plan->any()));
  Result<TowerBackends> backends = start_towers(&*plan, impl->config, impl->weights);
  if (!backends.ok()) return backends.status().with_context(model_dir);
  impl->info = make_info(model_dir, impl->config, impl->weights);
  impl->info.precision = loaded_precision_name(impl->weights);
  impl->device_required = required;
  impl->on_device = options.on_device;
  place_tower(std::move(backends->image), &impl->image_workspace, &impl->info.image_device);
  place_tower(std::move(backends->text), &impl->text_workspace, &impl->info.text_device);
  impl->info.device_note = plan->note;
  impl->devices = {impl->info.image_device, impl->info.text_device, impl->info.device_note};
  report_devices(impl->info, options.on_device);
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

const ModelInfo& Model::info() const { return impl_->info; }

ModelDevices Model::devices() const {
  std::lock_guard<std::mutex> lock(impl_->devices_mutex);
  return impl_->devices;
}

Status Model::encode_images(const float* pixels, int64_t count, float* out, bool normalize) {
  if (count < 0) return Status::invalid_argument("encode_images: negative image count");
  if (count == 0) return Status();
  if (pixels == nullptr || out == nullptr)
    return Status::invalid_argument("encode_images: null buffer");
  const VisionConfig& v = impl_->config.vision;
  const int64_t dim = impl_->config.projection_dim;
  const int64_t image_floats = v.channels * v.image_size * v.image_size;
  // Pictures come in batches (indexing, uploads): their operations yield to a text pass.
  const DeferrableWork yields_to_texts;
  std::lock_guard<std::mutex> lock(impl_->image_mutex);
  TowerWorkspace& ws = impl_->image_workspace;
  for (int64_t first = 0; first < count;) {
    int64_t n = 0;  // as many as a pass on the tower's backend takes (the CPU's after a failure)
    CLIPSEARCH_RETURN_IF_ERROR(impl_->run_pass(ws, &ModelDevices::image_device, "image", [&] {
      n = std::min(images_per_pass(v, ws.on_device), count - first);
      image_forward(impl_->config, impl_->weights, pixels + first * image_floats, n,
                    out + first * dim, ws);
    }));
    first += n;
  }
  if (normalize) l2_normalize_rows(out, count, dim);
  return Status();
}

Status Model::encode_texts(const std::vector<std::vector<int32_t>>& texts, float* out,
                           bool normalize) {
  if (texts.empty()) return Status();
  if (out == nullptr) return Status::invalid_argument("encode_texts: null buffer");
  const TextConfig& t = impl_->config.text;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& ids = texts[i];
    const std::string which = "text " + std::to_string(i);
    if (ids.empty()) return Status::invalid_argument(which + ": no token ids");
    if (static_cast<int64_t>(ids.size()) > t.max_tokens()) {
      return Status::invalid_argument(which + ": " + std::to_string(ids.size()) +
                                      " token ids, the model's context length is " +
                                      std::to_string(t.max_tokens()));
    }
    for (int32_t id : ids) {
      if (id < 0 || id >= t.vocab_size) {
        return Status::invalid_argument(which + ": token id " + std::to_string(id) +
                                        " is outside the vocabulary [0, " +
                                        std::to_string(t.vocab_size) + ")");
      }
    }
  }
  const int64_t dim = impl_->config.projection_dim;
  const UrgentWork before_pictures;
  std::lock_guard<std::mutex> lock(impl_->text_mutex);
  TowerWorkspace& ws = impl_->text_workspace;
  for (size_t first = 0; first < texts.size();) {
    const size_t last = std::min(texts.size(), first + kTextsPerChunk);
    std::vector<std::vector<int32_t>> chunk(texts.begin() + static_cast<std::ptrdiff_t>(first),
                                            texts.begin() + static_cast<std::ptrdiff_t>(last));
    CLIPSEARCH_RETURN_IF_ERROR(impl_->run_pass(ws, &ModelDevices::text_device, "text", [&] {
      text_forward(t, impl_->weights.text, dim, chunk, out + static_cast<int64_t>(first) * dim, ws);
    }));
    first = last;
  }
  if (normalize) l2_normalize_rows(out, static_cast<int64_t>(texts.size()), dim);
  return Status();
}

}  // namespace clipsearch
