#include "picture_input.h"

#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "clipsearch/threads.h"

namespace nb = nanobind;

namespace clipsearch::python {
namespace {

using PixelArray = nb::ndarray<const uint8_t, nb::c_contig, nb::device::cpu>;

// [H, W] gray, [H, W, 3] RGB or [H, W, 4] RGBA (alpha dropped, as PIL's convert("RGB") does).
RgbImage pixels_from_array(const PixelArray& array, const std::string& name) {
  const bool gray = array.ndim() == 2;
  const size_t channels = gray ? 1 : array.ndim() == 3 ? array.shape(2) : 0;
  if (channels != 1 && channels != 3 && channels != 4) {
    throw nb::value_error(
        (name + ": a pixel array must be H x W x 3 (RGB), H x W x 4 (RGBA) or H x W (gray) uint8")
            .c_str());
  }
  if (array.shape(0) == 0 || array.shape(1) == 0 || array.shape(0) > INT32_MAX ||
      array.shape(1) > INT32_MAX) {
    throw nb::value_error((name + ": a pixel array must have at least one pixel").c_str());
  }
  RgbImage rgb;
  rgb.height = static_cast<int>(array.shape(0));
  rgb.width = static_cast<int>(array.shape(1));
  const size_t count = static_cast<size_t>(rgb.width) * rgb.height;
  rgb.pixels.resize(count * 3);
  const uint8_t* in = array.data();
  if (channels == 3) {
    std::memcpy(rgb.pixels.data(), in, count * 3);
    return rgb;
  }
  for (size_t i = 0; i < count; ++i) {
    for (size_t c = 0; c < 3; ++c) rgb.pixels[i * 3 + c] = in[i * channels + (gray ? 0 : c)];
  }
  return rgb;
}

}  // namespace

PictureInput picture_from_python(nb::handle item, size_t index) {
  PictureInput picture;
  if (nb::isinstance<nb::str>(item)) {
    picture.kind = PictureInput::Kind::kPath;
    picture.path_or_bytes = nb::cast<std::string>(item);
    picture.name = picture.path_or_bytes;
    return picture;
  }
  picture.name = "image " + std::to_string(index);
  if (nb::isinstance<nb::bytes>(item)) {
    nb::bytes bytes = nb::borrow<nb::bytes>(item);
    picture.kind = PictureInput::Kind::kBytes;
    picture.path_or_bytes.assign(bytes.c_str(), bytes.size());
    return picture;
  }
  PixelArray array;
  if (nb::try_cast(item, array)) {
    picture.kind = PictureInput::Kind::kPixels;
    picture.pixels = pixels_from_array(array, picture.name);
    return picture;
  }
  throw nb::type_error(("image " + std::to_string(index) +
                        ": expected a path (str), encoded bytes or a uint8 numpy array, got " +
                        nb::cast<std::string>(nb::str(item.type().attr("__name__"))))
                           .c_str());
}

std::vector<PictureInput> pictures_from_python(nb::handle items) {
  std::vector<PictureInput> pictures;
  size_t index = 0;
  for (nb::handle item : items) pictures.push_back(picture_from_python(item, index++));
  return pictures;
}

Result<ImageTensor> picture_preprocess(const PictureInput& picture, const PreprocessConfig& config,
                                       const DecodeOptions& options) {
  switch (picture.kind) {
    case PictureInput::Kind::kPath:
      return image_preprocess_file(picture.path_or_bytes, config, options);
    case PictureInput::Kind::kBytes:
      return image_preprocess_memory(reinterpret_cast<const uint8_t*>(picture.path_or_bytes.data()),
                                     picture.path_or_bytes.size(), picture.name, config, options);
    case PictureInput::Kind::kPixels:
      return image_preprocess_rgb(picture.pixels, config);
  }
  return Status::error("unknown picture kind");
}

Status pictures_preprocess(const std::vector<PictureInput>& pictures, size_t begin, size_t end,
                           const PreprocessConfig& config, const DecodeOptions& options,
                           float* out) {
  const size_t count = end - begin;
  const size_t per_image = size_t{3} * config.crop_height * config.crop_width;
  std::vector<Status> statuses(count);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < count; i = next++) {
      Result<ImageTensor> tensor = picture_preprocess(pictures[begin + i], config, options);
      if (!tensor.ok()) {
        statuses[i] = tensor.status();
      } else if (tensor->data.size() != per_image) {
        statuses[i] = Status::error(pictures[begin + i].name + ": preprocessed to an odd size");
      } else {
        std::memcpy(out + i * per_image, tensor->data.data(), per_image * sizeof(float));
      }
    }
  };
  const size_t workers = std::min<size_t>(static_cast<size_t>(std::max(1, num_threads())), count);
  std::vector<std::thread> threads;
  for (size_t t = 1; t < workers; ++t) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  for (const Status& status : statuses) {
    if (!status.ok()) return status;
  }
  return Status();
}

}  // namespace clipsearch::python
