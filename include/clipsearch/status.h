// Status and Result<T>: the returned-error tier of clipsearch's two-tier error handling.
//
// Everything a user, a file or the disk can cause is reported through Status (or Result<T>,
// which holds either a value or a failed Status). Broken internal invariants use assert() and
// abort instead. The library never calls exit(); only main() decides how a process ends.
//
// A Status message names the thing that failed: the file, the tensor, the expected and the
// actual value ("model.safetensors: tensor x has shape [768], config says [512]").
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace clipsearch {

class [[nodiscard]] Status {
 public:
  Status() = default;  // success
  static Status error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

  // Returns a copy of this error with `context` put in front ("context: message").
  Status with_context(const std::string& context) const {
    if (ok()) return *this;
    return Status(context + ": " + message_);
  }

 private:
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
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
