#include "model_binding.h"

#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <memory>
#include <mutex>
#include <vector>

#include "clipsearch/hub.h"
#include "clipsearch/tokenizer.h"
#include "errors.h"
#include "picture_input.h"

namespace nb = nanobind;

namespace clipsearch::python {
namespace {

class PythonModel {
 public:
  PythonModel() = default;

  static std::unique_ptr<PythonModel> load(const std::string& spec, const ModelOptions& options,
                                           const DecodeOptions& decode) {
    auto self = std::make_unique<PythonModel>();
    self->decode_ = decode;
    Status status;
    {
      nb::gil_scoped_release unlocked;
      status = self->load_parts(spec, options);
    }
    check(ErrorSite::kModel, status);
    return self;
  }

  nb::object image_features(nb::handle images, int batch_size, bool normalize) {
    if (batch_size < 1) throw nb::value_error("batch_size must be at least 1");
    std::vector<PictureInput> pictures = pictures_from_python(images);
    const size_t dim = static_cast<size_t>(model_->info().embed_dim);
    std::vector<float> out(pictures.size() * dim);
    Status status;
    ErrorSite site = ErrorSite::kImage;
    {
      nb::gil_scoped_release unlocked;
      const size_t per_image = size_t{3} * config_.crop_height * config_.crop_width;
      std::vector<float> pixels;
      for (size_t begin = 0; begin < pictures.size() && status.ok(); begin += batch_size) {
        const size_t end = std::min(pictures.size(), begin + static_cast<size_t>(batch_size));
        pixels.resize((end - begin) * per_image);
        status = pictures_preprocess(pictures, begin, end, config_, decode_, pixels.data());
        if (!status.ok()) break;
        status = model_->encode_images(pixels.data(), static_cast<int64_t>(end - begin),
                                       out.data() + begin * dim, normalize);
        if (!status.ok()) site = ErrorSite::kModel;
      }
    }
    check(site, status);
    return numpy_matrix(std::move(out), pictures.size(), dim);
  }

  // Embeddings of pictures already preprocessed (clipsearch.distributed's decode tasks).
  nb::object pixel_features(
      nb::ndarray<const float, nb::ndim<4>, nb::c_contig, nb::device::cpu> pixels, bool normalize) {
    const auto expected = std::vector<size_t>{3, static_cast<size_t>(config_.crop_height),
                                              static_cast<size_t>(config_.crop_width)};
    const auto given = std::vector<size_t>{pixels.shape(1), pixels.shape(2), pixels.shape(3)};
    if (given != expected) {
      raise_status(ErrorSite::kQuery,
                   Status::invalid_argument(
                       "pixels: expected [n, 3, " + std::to_string(expected[1]) + ", " +
                       std::to_string(expected[2]) + "], got [n, " + std::to_string(given[0]) +
                       ", " + std::to_string(given[1]) + ", " + std::to_string(given[2]) + "]"));
    }
    const size_t rows = pixels.shape(0);
    const size_t dim = static_cast<size_t>(model_->info().embed_dim);
    std::vector<float> out(rows * dim);
    Status status;
    if (rows > 0) {
      nb::gil_scoped_release unlocked;
      status =
          model_->encode_images(pixels.data(), static_cast<int64_t>(rows), out.data(), normalize);
    }
    check(ErrorSite::kModel, status);
    return numpy_matrix(std::move(out), rows, dim);
  }

  nb::object text_features(const std::vector<std::string>& texts, bool normalize) {
    const size_t dim = static_cast<size_t>(model_->info().embed_dim);
    std::vector<float> out(texts.size() * dim);
    Status status;
    {
      nb::gil_scoped_release unlocked;
      std::vector<std::vector<int32_t>> ids = token_ids(texts);
      if (!texts.empty()) status = model_->encode_texts(ids, out.data(), normalize);
    }
    check(ErrorSite::kModel, status);
    return numpy_matrix(std::move(out), texts.size(), dim);
  }

  std::vector<std::vector<int32_t>> tokenize(const std::vector<std::string>& texts) {
    nb::gil_scoped_release unlocked;
    return token_ids(texts);
  }

  nb::object preprocess(nb::handle image) {
    PictureInput picture = picture_from_python(image, 0);
    Result<ImageTensor> tensor = Status::error("not run");
    {
      nb::gil_scoped_release unlocked;
      tensor = picture_preprocess(picture, config_, decode_);
    }
    ImageTensor t = value_or_raise(ErrorSite::kImage, std::move(tensor));
    auto* data = new std::vector<float>(std::move(t.data));
    nb::capsule owner(data, [](void* p) noexcept { delete static_cast<std::vector<float>*>(p); });
    size_t shape[3] = {3, static_cast<size_t>(t.height), static_cast<size_t>(t.width)};
    return nb::cast(nb::ndarray<nb::numpy, float, nb::ndim<3>>(data->data(), 3, shape, owner));
  }

  const ModelInfo& info() const { return model_->info(); }
  int input_size() const { return config_.crop_height; }
  int context_length() const { return tokenizer_->context_length(); }

 private:
  Status load_parts(const std::string& spec, const ModelOptions& options) {
    Result<std::string> folder =
        resolve_model(spec, HubOptions::from_environment(), terminal_progress());
    if (!folder.ok()) return folder.status();
    Result<std::unique_ptr<Model>> model = Model::load(*folder, options);
    if (!model.ok()) return model.status();
    model_ = std::move(*model);
    Result<Tokenizer> tokenizer = Tokenizer::load(*folder);
    if (!tokenizer.ok()) return tokenizer.status();
    tokenizer_ = std::make_unique<Tokenizer>(std::move(*tokenizer));
    Result<PreprocessConfig> config = preprocess_config_load(*folder);
    if (!config.ok()) return config.status();
    config_ = *config;
    return Status();
  }

  // The tokenizer keeps a word cache: one caller at a time.
  std::vector<std::vector<int32_t>> token_ids(const std::vector<std::string>& texts) {
    std::lock_guard<std::mutex> lock(tokenizer_mutex_);
    std::vector<std::vector<int32_t>> ids;
    ids.reserve(texts.size());
    for (const std::string& text : texts) ids.push_back(tokenizer_->encode(text).ids);
    return ids;
  }

  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::mutex tokenizer_mutex_;
  PreprocessConfig config_;
  DecodeOptions decode_;
};

}  // namespace

Precision precision_from_name(const std::string& name) {
  return value_or_raise(ErrorSite::kQuery, precision_parse(name));
}

Device device_from_name(const std::string& name) {
  Result<Device> device = device_parse(name);
  // A ModelError, as before devices had names: Python callers catch it for an unusable device.
  if (!device.ok()) raise_status(ErrorSite::kModel, Status::unsupported(device.status().message()));
  return *device;
}

DecodeOptions decode_options_from(const std::string& exif, const std::string& decode) {
  DecodeOptions options;
  if (exif == "apply") {
    options.exif = ExifMode::kApply;
  } else if (exif == "ignore") {
    options.exif = ExifMode::kIgnore;
  } else {
    raise_status(ErrorSite::kQuery,
                 Status::invalid_argument("exif='" + exif + "': expected 'apply' or 'ignore'"));
  }
  if (decode == "exact") {
    options.mode = DecodeMode::kExact;
  } else if (decode == "fast") {
    options.mode = DecodeMode::kFast;
  } else {
    raise_status(ErrorSite::kQuery,
                 Status::invalid_argument("decode='" + decode + "': expected 'exact' or 'fast'"));
  }
  return options;
}

nb::object numpy_matrix(std::vector<float>&& values, size_t rows, size_t cols) {
  auto* data = new std::vector<float>(std::move(values));
  nb::capsule owner(data, [](void* p) noexcept { delete static_cast<std::vector<float>*>(p); });
  size_t shape[2] = {rows, cols};
  return nb::cast(nb::ndarray<nb::numpy, float, nb::ndim<2>>(data->data(), 2, shape, owner));
}

void bind_model(nb::module_& m) {
  nb::class_<PythonModel>(m, "Model")
      .def_static(
          "load",
          [](const std::string& spec, const std::string& precision, const std::string& device,
             int threads, const std::string& exif, const std::string& decode) {
            ModelOptions options;
            options.precision = precision_from_name(precision);
            options.device = device_from_name(device);
            options.threads = threads;
            return PythonModel::load(spec, options, decode_options_from(exif, decode));
          },
          nb::arg("spec"), nb::arg("precision"), nb::arg("device"), nb::arg("threads"),
          nb::arg("exif"), nb::arg("decode"))
      .def("image_features", &PythonModel::image_features, nb::arg("images"), nb::arg("batch_size"),
           nb::arg("normalize"))
      .def("pixel_features", &PythonModel::pixel_features, nb::arg("pixels"), nb::arg("normalize"))
      .def("text_features", &PythonModel::text_features, nb::arg("texts"), nb::arg("normalize"))
      .def("tokenize", &PythonModel::tokenize, nb::arg("texts"))
      .def("preprocess", &PythonModel::preprocess, nb::arg("image"))
      .def_prop_ro("input_size", &PythonModel::input_size)
      .def_prop_ro("context_length", &PythonModel::context_length)
      .def_prop_ro("info", [](const PythonModel& self) {
        const ModelInfo& i = self.info();
        nb::dict d;
        d["path"] = i.path;
        d["layout"] = i.layout;
        d["embed_dim"] = i.embed_dim;
        d["image_size"] = i.image_size;
        d["image_tower"] = i.image_tower;
        d["text_tower"] = i.text_tower;
        d["patch_size"] = i.patch_size;
        d["context_length"] = i.context_length;
        d["vocab_size"] = i.vocab_size;
        d["vision_width"] = i.vision_width;
        d["vision_layers"] = i.vision_layers;
        d["text_width"] = i.text_width;
        d["text_layers"] = i.text_layers;
        d["logit_scale"] = i.logit_scale;
        d["logit_bias"] = i.logit_bias;
        d["score_kind"] = i.score_kind == ModelInfo::ScoreKind::kSigmoid ? "sigmoid" : "softmax";
        d["precision"] = i.precision;
        d["image_device"] = i.image_device;
        d["text_device"] = i.text_device;
        return d;
      });
}

}  // namespace clipsearch::python
