// clipsearch._core.ImageFiles: one image file's bytes as `clipsearch index` reads them
// (clipsearch/image_file.h), for the decode tasks of clipsearch.distributed, which read files
// through pyarrow filesystems and run on other machines than the model.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>

#include <memory>
#include <string>
#include <vector>

#include "clipsearch/hub.h"
#include "clipsearch/image_file.h"
#include "errors.h"
#include "model_binding.h"

namespace nb = nanobind;

namespace clipsearch::python {
namespace {

template <size_t N>
nb::object numpy_floats(std::vector<float>&& values, const size_t (&shape)[N]) {
  auto* data = new std::vector<float>(std::move(values));
  nb::capsule owner(data, [](void* p) noexcept { delete static_cast<std::vector<float>*>(p); });
  return nb::cast(nb::ndarray<nb::numpy, float>(data->data(), N, shape, owner));
}

// The preprocessing of one model (its folder's configuration, not its weights) and the decode
// options: what every file of an indexing job is prepared with.
class ImageFiles {
 public:
  static std::unique_ptr<ImageFiles> load(const std::string& spec, const std::string& exif,
                                          const std::string& decode) {
    auto self = std::make_unique<ImageFiles>();
    self->decode_ = decode_options_from(exif, decode);
    Result<PreprocessConfig> config = Status::error("not run");
    {
      nb::gil_scoped_release unlocked;
      Result<std::string> folder = resolve_model(spec, HubOptions::from_environment(), nullptr);
      config =
          folder.ok() ? preprocess_config_load(*folder) : Result<PreprocessConfig>(folder.status());
    }
    self->config_ = value_or_raise(ErrorSite::kModel, std::move(config));
    return self;
  }

  // {"outcome": "image" | "not image" | "failed", "error", "format", "width", "height",
  //  "camera", "taken_ns", "taken_from_exif", "color": float32 [C], "pixels": float32 [3, H, W]}
  nb::dict prepare(nb::bytes data, const std::string& path, int64_t mtime_ns) {
    PreparedImageFile p;
    {
      nb::gil_scoped_release unlocked;
      p = image_file_prepare(static_cast<const uint8_t*>(data.data()), data.size(), path, mtime_ns,
                             config_, decode_);
    }
    nb::dict d;
    d["outcome"] = p.outcome == ImageFileOutcome::kImage      ? "image"
                   : p.outcome == ImageFileOutcome::kNotImage ? "not image"
                                                              : "failed";
    d["error"] = p.error;
    d["format"] = p.facts.format;
    d["width"] = p.facts.width;
    d["height"] = p.facts.height;
    d["camera"] = p.facts.camera;
    d["taken_ns"] = p.facts.taken_ns;
    d["taken_from_exif"] = p.facts.taken_from_exif;
    const size_t colors[1] = {p.color.size()};
    d["color"] = numpy_floats(std::move(p.color), colors);
    const size_t pixels[3] = {p.pixels.data.empty() ? 0 : size_t{3},
                              static_cast<size_t>(p.pixels.height),
                              static_cast<size_t>(p.pixels.width)};
    d["pixels"] = numpy_floats(std::move(p.pixels.data), pixels);
    return d;
  }

  // (3, H, W) of every prepared image's pixels.
  nb::tuple pixels_shape() const {
    return nb::make_tuple(3, config_.crop_height, config_.crop_width);
  }

 private:
  PreprocessConfig config_;
  DecodeOptions decode_;
};

}  // namespace

void bind_image_files(nb::module_& m) {
  nb::class_<ImageFiles>(m, "ImageFiles")
      .def_static("load", &ImageFiles::load, nb::arg("spec"), nb::arg("exif"), nb::arg("decode"))
      .def("prepare", &ImageFiles::prepare, nb::arg("data"), nb::arg("path"), nb::arg("mtime_ns"))
      .def_prop_ro("pixels_shape", &ImageFiles::pixels_shape);
}

}  // namespace clipsearch::python
