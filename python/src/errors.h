// How a failed clipsearch::Status becomes a Python exception: clipsearch.errors decides the class
// from the status code and what the call was about (the site), so that one failure raises the
// same class wherever it comes from. Called with the GIL held.
#pragma once

#include <utility>

#include "clipsearch/status.h"

namespace clipsearch::python {

// What a call was about, for the exception class (clipsearch/errors.py: _from_status).
enum class ErrorSite { kModel, kImage, kCatalog, kQuery };

[[noreturn]] void raise_status(ErrorSite site, const Status& status);

inline void check(ErrorSite site, const Status& status) {
  if (!status.ok()) raise_status(site, status);
}

template <class T>
T value_or_raise(ErrorSite site, Result<T> result) {
  if (!result.ok()) raise_status(site, result.status());
  return std::move(result).value();
}

}  // namespace clipsearch::python
