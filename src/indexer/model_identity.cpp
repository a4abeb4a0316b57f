#include "indexer/model_identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/errno_status.h"
#include "core/sha256.h"

namespace clipsearch {
namespace {

Result<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;  // ifstream opens through open(2), which sets errno
    return errno_status(err, path + ": cannot read: " + std::strerror(err));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Size, safetensors header and 16 sampled 4 KiB blocks of one weights file.
Status add_weights_file(const std::string& path, Sha256* h) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return errno_status(err, path + ": cannot read: " + std::strerror(err));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::io_error(path + ": cannot stat: " + std::strerror(errno));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  h->add(&size, sizeof size);
  uint64_t header_len = 0;
  if (size >= 8 && ::pread(fd, &header_len, 8, 0) == 8 && header_len <= size - 8 &&
      header_len < (uint64_t{1} << 27)) {
    std::string header(header_len, '\0');
    if (::pread(fd, header.data(), header_len, 8) == static_cast<ssize_t>(header_len)) {
      h->add(header);
    }
  }
  constexpr uint64_t kBlock = 4096;
  std::string block(kBlock, '\0');
  for (uint64_t i = 0; i < 16 && size > 0; ++i) {
    const uint64_t at = size > kBlock ? (size - kBlock) / 15 * i : 0;
    const ssize_t n = ::pread(fd, block.data(), kBlock, static_cast<off_t>(at));
    if (n > 0) h->add(block.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return Status();
}

}  // namespace

std::string pipeline_description(const DecodeOptions& d) {
  std::string out = std::string("decode=") + (d.mode == DecodeMode::kFast ? "fast" : "exact") +
                    " exif=" + (d.exif == ExifMode::kApply ? "apply" : "ignore") +
                    " sixteen_bit=" + (d.sixteen_bit == SixteenBit::kScale ? "scale" : "clip") +
                    " alpha=" + (d.alpha == AlphaMode::kDrop ? "drop" : "composite");
  if (d.alpha == AlphaMode::kComposite) {
    out += " background=" + std::to_string(d.background[0]) + "," +
           std::to_string(d.background[1]) + "," + std::to_string(d.background[2]);
  }
  // Only where it is not the default, so catalogs made before RAW support keep their string.
  if (d.raw == RawMode::kDevelop) out += " raw=develop";
  return out;
}

Result<ModelIdentity> model_identity(const Model& model, const std::string& name,
                                     const DecodeOptions& decode) {
  namespace fs = std::filesystem;
  const ModelInfo& info = model.info();
  Sha256 h;
  h.add(std::string("clipsearch model fingerprint 1"));
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string config, slurp(info.config_file));
  h.add(config);
  for (const char* pre : {"preprocessor_config.json", "open_clip_config.json"}) {
    const std::string p = info.path + "/" + pre;
    std::error_code ec;
    if (fs::exists(p, ec)) {
      CLIPSEARCH_ASSIGN_OR_RETURN(std::string text, slurp(p));
      h.add(std::string(pre));
      h.add(text);
      break;
    }
  }
  const int64_t dim = info.embed_dim;
  h.add(&dim, sizeof dim);
  const std::string& weights = info.weights_file;
  if (weights.size() > 5 && weights.compare(weights.size() - 5, 5, ".json") == 0) {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::string index_text, slurp(weights));
    h.add(index_text);
    std::set<std::string> shards;
    try {
      for (const auto& [tensor, file] :
           nlohmann::json::parse(index_text).at("weight_map").items()) {
        shards.insert(file.get<std::string>());
      }
    } catch (const std::exception& e) {
      return Status::corruption(weights + ": " + e.what());
    }
    const std::string dir = fs::path(weights).parent_path().string();
    for (const auto& shard : shards) {
      CLIPSEARCH_RETURN_IF_ERROR(add_weights_file(dir + "/" + shard, &h));
    }
  } else {
    CLIPSEARCH_RETURN_IF_ERROR(add_weights_file(weights, &h));
  }
  ModelIdentity id;
  id.name = name;
  id.fingerprint = hex(h.finish());
  id.embed_dim = dim;
  id.pipeline = pipeline_description(decode);
  id.precision = info.precision;
  return id;
}

}  // namespace clipsearch
