// clipsearch::Model: a CLIP model loaded from a folder, computing image and text embeddings
// identical (within float rounding) to Hugging Face transformers' CLIPModel and open_clip.
//
// Loading maps the weights file (no copy for float32 checkpoints) and checks every tensor's name
// and shape against the configuration; any problem is a returned error naming the file and the
// tensor. A Model may be shared between threads: encode calls of one tower are serialized
// internally (each call already uses every thread of the pool, see clipsearch/threads.h); a
// text call runs beside an image call and goes first, the image call pausing between its
// operations while texts are encoded, so a text query never waits for a whole batch of pictures.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "clipsearch/export.h"
#include "clipsearch/status.h"

namespace clipsearch {

struct ModelInfo {
  std::string path;                 // the model folder
  std::string layout;               // "huggingface" or "open_clip"
  std::string config_file;          // the file the sizes came from
  std::string weights_file;         // .safetensors or .safetensors.index.json
  int64_t image_size = 0;           // the image tower's input is [3, image_size, image_size]
  std::string image_tower = "vit";  // "vit" (a vision transformer) or "resnet" (ModifiedResNet)
  // "clip" (causal, end token pooled), "bert" (Chinese-CLIP) or "siglip" (bidirectional, last
  // token pooled: the texts padded to context_length as SigLIP's tokenizer does)
  std::string text_tower = "clip";
  int64_t patch_size = 0;  // 0 for a ResNet
  // ViT: width, layers, heads of its transformer. ResNet: the stem's width, the bottleneck blocks
  // of all stages, the attention pooling's heads.
  int64_t context_length = 0;  // maximum token ids per text
  int64_t vocab_size = 0;
  int64_t embed_dim = 0;  // length of every embedding
  int64_t vision_width = 0, vision_layers = 0, vision_heads = 0;
  int64_t text_width = 0, text_layers = 0, text_heads = 0;
  float logit_scale = 0;  // log temperature as stored; similarity logits use exp(logit_scale)
  // How a text's logit exp(logit_scale) * cosine + logit_bias becomes a probability:
  //   kSoftmax  (CLIP) a softmax over the texts compared; logit_bias is 0
  //   kSigmoid  (SigLIP) sigmoid of each text's logit on its own, with the model's logit_bias
  enum class ScoreKind { kSoftmax, kSigmoid };
  ScoreKind score_kind = ScoreKind::kSoftmax;
  float logit_bias = 0;
  std::string precision = "f32";  // precision_name() of the precision the model runs at
  // Where each tower runs, as placed at load: "cpu", or a GPU as "cuda:0 (NVIDIA H200,
  // 139 GiB)". A tower moves to the CPU when its device fails under `auto`: Model::devices()
  // says where they run now.
  std::string image_device = "cpu";
  std::string text_device = "cpu";
  // Why a tower is on the CPU although a GPU was found or asked for (empty otherwise).
  std::string device_note;
};

// How a model is run. New precisions and devices are new values here, not new functions; a
// value this build cannot run is an error (StatusCode::kUnsupported) naming it.
//
// Precision is that of the weights of the big linear layers (attention q/k/v and out
// projections, MLP, patch embedding) and of the token embedding, converted once at load; the two
// final projections (under 1% of the weights, but the most sensitive; SigLIP: its attention
// pooling head and text head), position and class embeddings, activations, layer norms,
// softmax, GELU and residuals stay float32 at every precision.
//   kFloat32   the checkpoint's weights as float32: embeddings equal the reference's
//   kBFloat16  bfloat16 weights (half the memory; 8-bit mantissa)
//   kFloat16   IEEE half weights (half the memory; 11-bit mantissa, range +-65504)
//   kInt8      int8 weights with one float scale per output channel, symmetric (weight-only:
//              a quarter of the memory)
//   kInt8Dynamic  kInt8's weights, and the activations entering those layers quantized to int8
//              per row at run time (symmetric, one scale per token), the products in int8 with
//              int32 sums (VNNI, AVX2): faster image batches, at a further loss that checkpoints
//              with activation outliers feel most, so opt-in (README "Precision" has the
//              figures); its quantized folder is kInt8's (quantize_model writes int8)
// A folder that quantize_model wrote holds these weights converted already.
enum class Precision { kFloat32, kBFloat16, kFloat16, kInt8, kInt8Dynamic };

// Where a model runs (docs/ARCHITECTURE.md, "Devices").
//   kAuto  a GPU when this build can run the model on one and one is usable; otherwise the
//          CPU, silently. This build runs every model on the CPU.
//   kCpu   the CPU
//   kCuda  NVIDIA GPU number `index`; Model::load fails (kUnsupported) saying why when it cannot
//          run there: no CUDA runtime library, no driver, no such device, or no CUDA engine in
//          this build (there is none yet: issue 16)
enum class DeviceKind { kAuto, kCpu, kCuda };
struct Device {
  DeviceKind kind = DeviceKind::kAuto;
  int index = 0;  // the GPU's number for kCuda; 0 otherwise
};

// "auto", "cpu", "cuda:N": the names the CLI's --device takes.
CLIPSEARCH_EXPORT std::string device_name(const Device& device);
// "auto", "cpu", "cuda" (GPU 0) or "cuda:N" (N a device number, 0, 1, ...), or kInvalidArgument
// naming the value and the choices.
CLIPSEARCH_EXPORT Result<Device> device_parse(std::string_view name);

// "f32", "bf16", "f16", "int8", "int8-dynamic": the names the CLI's --precision takes and
// catalogs record.
CLIPSEARCH_EXPORT const char* precision_name(Precision precision);
// The precision named `name` (precision_name's names), or kInvalidArgument listing them.
CLIPSEARCH_EXPORT Result<Precision> precision_parse(std::string_view name);

// Where a model's towers run now (ModelInfo's fields of the same names, after any move to the
// CPU).
struct ModelDevices {
  std::string image_device, text_device, device_note;
};

struct ModelOptions {
  Precision precision = Precision::kFloat32;
  Device device;    // default: auto
  int threads = 0;  // > 0: the process-wide thread count (clipsearch/threads.h); 0: unchanged
  // Called with a line for the user when a tower runs on a GPU ("image and text towers on
  // cuda:0 (NVIDIA H200, 139 GiB)"), when a GPU was found or asked for but a tower stays on the
  // CPU (and why), and when a GPU fails under `auto` and a tower moves to the CPU. Not called
  // for a model wholly on the CPU by choice. The CLI prints it on stderr.
  std::function<void(const std::string& line)> on_device;
};

// What quantize_model wrote.
struct QuantizeReport {
  std::string output_dir;
  std::string weights_file;     // the one safetensors file written in output_dir
  int64_t source_bytes = 0;     // the source checkpoint's weight files, all shards
  int64_t output_bytes = 0;     // weights_file's size
  int64_t reduced_tensors = 0;  // tensors stored at the precision (the rest as they were)
};

// Writes `output_dir`, a copy of the model folder `model_dir` whose weights file holds the
// tensors that `precision` reduces (ModelOptions) already converted, int8 ones with their float32
// scales beside them (docs/FORMATS.md), in one safetensors file; the other files of the folder
// (configuration, tokenizer) are copied. Model::load of it maps those tensors as stored (no
// float32 copy) and embeds exactly as loading `model_dir` at `precision` does; it runs at that
// precision whatever ModelOptions ask, kFloat32 meaning "as stored", another an error.
// output_dir must not exist, or be an empty folder; it appears whole or not at all. `precision`
// kFloat32 and an already-quantized `model_dir` are kInvalidArgument.
CLIPSEARCH_EXPORT Result<QuantizeReport> quantize_model(const std::string& model_dir,
                                                        Precision precision,
                                                        const std::string& output_dir);

class CLIPSEARCH_EXPORT Model {
 public:
  static Result<std::unique_ptr<Model>> load(const std::string& model_dir,
                                             const ModelOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelInfo& info() const;
  // Where the towers run now. Thread-safe.
  ModelDevices devices() const;

  // pixels: float32 [count, 3, image_size, image_size] (already normalized, as the image
  // processor produces). out: [count, embed_dim]. normalize: divide each by its L2 norm.
  Status encode_images(const float* pixels, int64_t count, float* out, bool normalize = true);

  // One token-id sequence per text, as the tokenizer produces (start and end tokens included,
  // no padding needed). Each is pooled at its highest id (the end-of-text token), as
  // transformers 4.25 and open_clip do, and nothing past that position is computed. SigLIP
  // (info().text_tower "siglip") takes the ids as given and pools the last one: its tokenizer
  // pads every text to context_length, and the padding is part of the input.
  // out: [texts.size(), embed_dim].
  Status encode_texts(const std::vector<std::vector<int32_t>>& texts, float* out,
                      bool normalize = true);

 private:
  struct CLIPSEARCH_NO_EXPORT Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clipsearch
