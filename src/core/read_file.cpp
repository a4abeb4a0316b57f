#include "core/read_file.h"

#include <cerrno>
#include <fstream>
#include <sstream>

#include "core/errno_status.h"

namespace clipsearch {

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;  // ifstream opens through open(2), which sets errno
    return errno_status(err, path + ": cannot open");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::io_error(path + ": read error");
  return ss.str();
}

}  // namespace clipsearch
