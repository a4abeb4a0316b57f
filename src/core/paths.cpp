#include "core/paths.h"

#include <filesystem>
#include <system_error>

namespace clipsearch {

std::string absolute_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(fs::path(path), ec);
  if (ec) p = fs::path(path);
  std::string out = p.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool path_is_under(const std::string& path, const std::string& folder) {
  if (path == folder) return true;
  if (folder.empty()) return false;
  const std::string prefix = folder.back() == '/' ? folder : folder + "/";
  return path.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace clipsearch
