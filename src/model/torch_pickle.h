// A restricted unpickler for the pickles of a PyTorch checkpoint (torch.save of a state dict:
// the zip format's `data.pkl`, or the legacy format's pickles): it reads them as data and never
// executes anything.
//
// It understands the opcodes of pickle protocols 2-4 that a state dict uses (containers, ints,
// strings, memo, BINPERSID for storages, REDUCE, BUILD) and accepts only these globals:
// collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and
// the typed storages torch.FloatStorage, HalfStorage, BFloat16Storage, ... Anything else (an
// os.system or builtins.eval global, INST/OBJ/NEWOBJ, extension codes) is refused with an error
// naming it. Values live in an arena owned by one call, so cycles and deep nesting cost nothing
// on destruction; nesting, memo indices and sizes are bounded. Thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "model/safetensors.h"

namespace clipsearch {

// One entry of the state dict: a view (offset, shape, strides in elements) into a storage.
struct PickledTensor {
  std::string name;
  std::string storage_key;  // the zip entry `<archive>/data/<key>` holds the storage
  DType dtype = DType::kF32;
  int64_t storage_numel = 0;  // elements the pickle says the storage holds
  int64_t storage_offset = 0;
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;
};

// Unpickles a state dict (a dict or OrderedDict of name -> tensor). `name` is used in messages.
// `*consumed` (optional) receives the pickle's length in bytes, up to and including STOP.
Result<std::vector<PickledTensor>> unpickle_state_dict(const uint8_t* bytes, size_t size,
                                                       const std::string& name,
                                                       size_t* consumed = nullptr);

// The side pickles of the legacy (PyTorch < 1.6) format, with the same restrictions: the
// system-information dict (its little_endian flag) and the list of storage keys.
Result<bool> unpickle_legacy_little_endian(const uint8_t* bytes, size_t size,
                                           const std::string& name, size_t* consumed);
Result<std::vector<std::string>> unpickle_string_list(const uint8_t* bytes, size_t size,
                                                      const std::string& name, size_t* consumed);

}  // namespace clipsearch
