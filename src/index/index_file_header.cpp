#include "index/index_file_header.h"

namespace clipsearch {

Status check_index_identity(const std::string& path, const VectorFileInfo& found,
                            uint32_t found_dim, const VectorFileInfo& expected,
                            int64_t expected_dim) {
  if (found.generation != expected.generation) {
    return Status::corruption(path + ": built for catalog generation " +
                              std::to_string(found.generation) + ", expected " +
                              std::to_string(expected.generation));
  }
  if (found.model_id != expected.model_id) {
    return Status::corruption(path + ": built with model '" + found.model_id + "', expected '" +
                              expected.model_id + "'");
  }
  if (expected_dim != 0 && expected_dim != static_cast<int64_t>(found_dim)) {
    return Status::corruption(path + ": vectors of dim " + std::to_string(found_dim) +
                              ", expected " + std::to_string(expected_dim));
  }
  return Status();
}

}  // namespace clipsearch
