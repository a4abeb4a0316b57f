// libFuzzer target for everything that parses model files: the safetensors header, the Hugging
// Face and open_clip configuration files, and PyTorch checkpoints (the zip reader with the
// restricted unpickler and the tensor views; the unpickler alone). The first byte picks the
// parser.
// Any input must give a value or an error; never a crash, a hang or an out-of-bounds read.
#include <cstddef>
#include <cstdint>
#include <string>

#include <deque>
#include <vector>

#include "model/clip_config.h"
#include "model/pytorch_checkpoint.h"
#include "model/safetensors.h"
#include "model/torch_pickle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0] % 5;
  const uint8_t* body = data + 1;
  const size_t body_size = size - 1;
  if (selector == 0) {
    auto tensors = clipsearch::SafetensorsFile::parse(body, body_size, "fuzz.safetensors");
    if (tensors.ok()) {
      // Every view must lie inside the input.
      for (const auto& [name, view] : *tensors) {
        if (view.nbytes > 0 && (view.data < body || view.data + view.nbytes > body + body_size)) {
          __builtin_trap();
        }
      }
    }
  } else if (selector == 3) {
    std::deque<std::vector<uint8_t>> owned;
    auto tensors = clipsearch::PytorchCheckpoint::parse(body, body_size, "fuzz.bin", &owned);
    if (tensors.ok()) {
      // Every view lies inside the input or in a buffer the parser made.
      for (const auto& [name, view] : *tensors) {
        bool inside =
            view.nbytes == 0 || (view.data >= body && view.data + view.nbytes <= body + body_size);
        for (const auto& buffer : owned) {
          inside = inside || (view.data >= buffer.data() &&
                              view.data + view.nbytes <= buffer.data() + buffer.size());
        }
        if (!inside) __builtin_trap();
      }
    }
  } else if (selector == 4) {
    auto tensors = clipsearch::unpickle_state_dict(body, body_size, "fuzz.pkl");
    (void)tensors;
  } else {
    std::string text(reinterpret_cast<const char*>(body), body_size);
    auto config = selector == 1 ? clipsearch::parse_hf_config(text, "config.json")
                                : clipsearch::parse_open_clip_config(text, "open_clip_config.json");
    if (config.ok() && (config->vision.width % config->vision.heads != 0 ||
                        config->text.width % config->text.heads != 0)) {
      __builtin_trap();
    }
  }
  return 0;
}
