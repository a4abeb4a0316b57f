// Which towers a device backend runs, and their weights given to it once at load
// (docs/ARCHITECTURE.md, "Devices"). The transformer towers written in Backend operations run
// anywhere; the rest (a ModifiedResNet, SigLIP's attention-probe pooling, BERT text towers,
// int8-dynamic's packed products) run on the CPU only.
#pragma once

#include <memory>
#include <string>

#include "clipsearch/status.h"
#include "model/backend.h"
#include "model/clip_config.h"
#include "model/clip_weights.h"
#include "model/device.h"

namespace clipsearch {

// OK when a device backend can run the tower, else why not ("the image tower is a
// ModifiedResNet", ...).
Status device_runs_image_tower(const ClipConfig& config, Activations activations);
Status device_runs_text_tower(const ClipConfig& config, Activations activations);

// Gives the tower's every weight to `backend` (Backend::prepare); the first failure, naming the
// tower.
Status prepare_image_tower(Backend& backend, const VisionConfig& config,
                           const VisionWeights& weights);
Status prepare_text_tower(Backend& backend, const TextConfig& config, const TextWeights& weights);

// Which towers go to the chosen GPU, decided from the configuration before the weights load.
struct TowerPlan {
  Device device;  // kCpu: nothing goes to a GPU
  bool image = false, text = false;
  bool required = false;  // asked for by name (--device cuda): a failure is an error
  std::string note;       // why a tower stays on the CPU
  bool any() const { return image || text; }
};

// choice.device kCuda: each tower the device runs goes there, the others stay on the CPU with a
// note; none at all is kUnsupported when `required`, else the CPU with a note. choice.device
// kCpu: the CPU, choice.note kept.
Result<TowerPlan> plan_towers(const ClipConfig& config, Activations activations,
                              const DeviceChoice& choice, bool required);

// The planned towers' backends, their weights prepared; null for a tower on the CPU. A backend
// that does not start or take the weights: an error when plan.required, else that tower on the
// CPU and plan->note saying why.
struct TowerBackends {
  std::unique_ptr<Backend> image, text;
};
Result<TowerBackends> start_towers(TowerPlan* plan, const ClipConfig& config,
                                   const ClipWeights& weights);

}  // namespace clipsearch
