// clipsearch._core: the C++ library as a Python extension module. The package clipsearch
// (python/clipsearch/) is its public face; nothing here is meant to be called directly.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <string>

#include "clipsearch/threads.h"
#include "clipsearch/version.h"

namespace nb = nanobind;

namespace clipsearch::python {
void bind_model(nb::module_& m);
void bind_library(nb::module_& m);
void bind_image_files(nb::module_& m);
void bind_serving(nb::module_& m);
}  // namespace clipsearch::python

NB_MODULE(_core, m) {
  m.doc() = "clipsearch's C++ engine (use the clipsearch package, not this module)";
  m.def("version", [] { return std::string(clipsearch::version()); });
  m.def("num_threads", &clipsearch::num_threads);
  m.def("set_num_threads", &clipsearch::set_num_threads, nb::arg("n"));
  clipsearch::python::bind_model(m);
  clipsearch::python::bind_library(m);
  clipsearch::python::bind_image_files(m);
  clipsearch::python::bind_serving(m);
}
