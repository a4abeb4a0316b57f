#include "index/index_file_header.h"

namespace clipsearch {

Status check_index_rows(const std::string& path, const VectorFileInfo& info,
                        const VectorView& rows) {
  if (info.model_id.size() > kMaxModelIdBytes) {
    return Status::invalid_argument(path + ": model id longer than " +
                                    std::to_string(kMaxModelIdBytes) + " bytes: " + info.model_id);
  }
  if (rows.dim <= 0 || rows.dim > 65536 || rows.count < 0) {
    return Status::invalid_argument(path + ": bad shape [" + std::to_string(rows.count) + ", " +
                                    std::to_string(rows.dim) + "]");
  }
  return Status();
}

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
