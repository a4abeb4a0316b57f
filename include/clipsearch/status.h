// Status and Result<T>: the returned-error tier of clipsearch's two-tier error handling.
//
// Everything a user, a file or the disk can cause is reported through Status (or Result<T>,
// which holds either a value or a failed Status). Broken internal invariants use assert() and
// abort instead. The library never calls exit(); only main() decides how a process ends.
//
// A Status message names the thing that failed: the file, the tensor, the expected and the
// actual value ("model.safetensors: tensor x has shape [768], config says [512]"). Its code says
// what kind of failure it is, for programs that react to it (the server turns codes into HTTP
// statuses in one place; the Python package into exception types).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "clipsearch/export.h"

namespace clipsearch {

// What kind of failure a Status reports. Values are stable (the Python package and HTTP clients
// see them); add new ones at the end.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument = 1,  // the caller asked for something malformed or out of range
  kNotFound = 2,         // a file, model, image id, album or label that does not exist
  kCorruption = 3,       // a file exists but its contents are damaged or not what it claims
  kIoError = 4,          // the operating system refused a read or write (disk full, permissions)
  kBusy = 5,             // the resource is in use (another indexer holds the catalog)
  kUnavailable = 6,      // temporarily unable (a queue is full, a server is unreachable): retry
  kUnsupported = 7,      // a valid input this build cannot handle (a format, a model family)
  kInternal = 8,         // anything else: a failure with no better category
};

// Whether a failure to read a file (a picture) is the file's own: missing, unreadable, damaged,
// or of a format this build does not read. A program working through many pictures reports
// the file and goes on with the next; any other code concerns them all.
inline bool is_file_problem(StatusCode code) {
  return code == StatusCode::kNotFound || code == StatusCode::kIoError ||
         code == StatusCode::kCorruption || code == StatusCode::kUnsupported;
}

// "invalid argument", "not found", ...: the code as words, for messages and JSON.
CLIPSEARCH_EXPORT const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // success
  static Status error(StatusCode code, std::string message) {
    assert(code != StatusCode::kOk);
    return Status(code, std::move(message));
  }
  // Failures with no better category (kInternal).
  static Status error(std::string message) {
    return Status(StatusCode::kInternal, std::move(message));
  }
  static Status invalid_argument(std::string m) {
    return Status(StatusCode::kInvalidArgument, std::move(m));
  }
  static Status not_found(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
  static Status corruption(std::string m) { return Status(StatusCode::kCorruption, std::move(m)); }
  static Status io_error(std::string m) { return Status(StatusCode::kIoError, std::move(m)); }
  static Status busy(std::string m) { return Status(StatusCode::kBusy, std::move(m)); }
  static Status unavailable(std::string m) {
    return Status(StatusCode::kUnavailable, std::move(m));
  }
  static Status unsupported(std::string m) {
    return Status(StatusCode::kUnsupported, std::move(m));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy of this error with `context` put in front ("context: message"), same code.
  Status with_context(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit
  Result(Status status) : state_(std::move(status)) {
    assert(!std::get<Status>(state_).ok());
  }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(state_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(state_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  T operator*() && { return std::move(*this).value(); }  // by value: safe on a temporary

 private:
  std::variant<T, Status> state_;
};

}  // namespace clipsearch

// Propagates a failed Status from an expression returning Status.
#define CLIPSEARCH_RETURN_IF_ERROR(expr)             \
  do {                                               \
    ::clipsearch::Status _clipsearch_st = (expr);    \
    if (!_clipsearch_st.ok()) return _clipsearch_st; \
  } while (0)

#define CLIPSEARCH_CONCAT_INNER(a, b) a##b
#define CLIPSEARCH_CONCAT(a, b) CLIPSEARCH_CONCAT_INNER(a, b)
// Declares `lhs` from a Result-returning expression, or returns its failed Status.
#define CLIPSEARCH_ASSIGN_OR_RETURN(lhs, expr) \
  CLIPSEARCH_ASSIGN_OR_RETURN_IMPL(CLIPSEARCH_CONCAT(_clipsearch_res_, __LINE__), lhs, expr)
#define CLIPSEARCH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  if (!tmp.ok()) return tmp.status();                    \
  lhs = std::move(tmp).value()
