// What `python -m clipsearch.distributed serve` needs of the C++ server to serve the page
// and the thumbnails as `clipsearch serve` does: the web page embedded at build time
// (server/static_assets.h: web/ is never copied into the package) and the thumbnail cache
// (server/thumbnails.h: the image module's decoder with its limits, atomic disk cache). The one
// place the module reaches past the public API, into the server layer.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <cstdint>
#include <string>

#include "errors.h"
#include "server/static_assets.h"
#include "server/thumbnails.h"

namespace nb = nanobind;

namespace clipsearch::python {
namespace {

// {name under web/: bytes}, e.g. "index.html", "js/main.js", "openapi.json".
nb::dict web_files() {
  nb::dict out;
  for (const server::EmbeddedFile& f : server::embedded_web_files()) {
    out[f.name] = nb::bytes(reinterpret_cast<const char*>(f.data), f.size);
  }
  return out;
}

std::string thumbnail(server::ThumbnailCache& cache, int64_t id, const std::string& path,
                      int size) {
  Result<std::string> made = Status::error("thumbnail: not made");
  {
    nb::gil_scoped_release release;
    made = cache.get(id, path, size);
  }
  return value_or_raise(ErrorSite::kImage, std::move(made));
}

}  // namespace

void bind_serving(nb::module_& m) {
  m.def("web_files", &web_files);
  nb::class_<server::ThumbnailCache>(m, "ThumbnailCache")
      .def(nb::init<std::string>(), nb::arg("cache_dir"))
      .def("size_allowed", &server::ThumbnailCache::size_allowed, nb::arg("size"))
      .def("allowed_sizes_text", &server::ThumbnailCache::allowed_sizes_text)
      .def("get", &thumbnail, nb::arg("id"), nb::arg("path"), nb::arg("size"));
}

}  // namespace clipsearch::python
