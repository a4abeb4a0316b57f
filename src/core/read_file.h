// read_file: a whole file's bytes, or a Status naming the file (coded from errno when it cannot
// be opened).
#pragma once

#include <string>

#include "clipsearch/status.h"

namespace clipsearch {

Result<std::string> read_file(const std::string& path);

}  // namespace clipsearch
