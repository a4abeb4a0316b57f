#include "errors.h"

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

namespace nb = nanobind;

namespace clipsearch::python {
namespace {

const char* site_name(ErrorSite site) {
  switch (site) {
    case ErrorSite::kModel:
      return "model";
    case ErrorSite::kImage:
      return "image";
    case ErrorSite::kCatalog:
      return "catalog";
    case ErrorSite::kQuery:
      return "query";
  }
  return "catalog";
}

}  // namespace

void raise_status(ErrorSite site, const Status& status) {
  nb::object errors = nb::module_::import_("clipsearch.errors");
  nb::object error = errors.attr("_from_status")(site_name(site), static_cast<int>(status.code()),
                                                 status_code_name(status.code()), status.message());
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error.ptr())), error.ptr());
  throw nb::python_error();
}

}  // namespace clipsearch::python
