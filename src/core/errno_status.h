// errno_status: the Status for a failed system call, coded from its errno.
//
// A missing file or folder (ENOENT) is kNotFound, so a caller can tell "no such model" from "the
// disk failed"; everything else the operating system refuses (permissions, a full disk, a failing
// device) is kIoError. The message is the caller's, unchanged.
#pragma once

#include <cerrno>
#include <string>
#include <utility>

#include "clipsearch/status.h"

namespace clipsearch {

inline Status errno_status(int err, std::string message) {
  return Status::error(err == ENOENT ? StatusCode::kNotFound : StatusCode::kIoError,
                       std::move(message));
}

}  // namespace clipsearch
