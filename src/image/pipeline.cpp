// The whole path from encoded bytes to the model's input tensor, one image or a batch.
#include <algorithm>
#include <cstring>

#include "clipsearch/image.h"
#include "core/mapped_file.h"
#include "core/thread_pool.h"

namespace clipsearch {
namespace {

DecodeOptions with_target(DecodeOptions options, const PreprocessConfig& config) {
  options.fast_min_side =
      config.do_resize ? config.shortest_edge : std::max(config.crop_height, config.crop_width);
  return options;
}

}  // namespace

Result<RgbImage> image_decode_for_preprocess(const uint8_t* data, size_t size,
                                             const std::string& name,
                                             const PreprocessConfig& config,
                                             const DecodeOptions& options) {
  return image_decode_memory(data, size, name, with_target(options, config));
}

ImageTensor image_preprocess_rgb(const RgbImage& rgb, const PreprocessConfig& config) {
  return image_normalize(image_resize_crop(rgb, config), config);
}

Result<ImageTensor> image_preprocess_memory(const uint8_t* data, size_t size,
                                            const std::string& name, const PreprocessConfig& config,
                                            const DecodeOptions& options) {
  CLIPSEARCH_ASSIGN_OR_RETURN(RgbImage rgb,
                              image_decode_for_preprocess(data, size, name, config, options));
  return image_preprocess_rgb(rgb, config);
}

Result<ImageTensor> image_preprocess_file(const std::string& path, const PreprocessConfig& config,
                                          const DecodeOptions& options) {
  CLIPSEARCH_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  return image_preprocess_memory(file.data(), file.size(), path, config, options);
}

Status image_preprocess_batch(const std::vector<std::string>& paths, const PreprocessConfig& config,
                              const DecodeOptions& options, std::vector<float>* out,
                              std::vector<Status>* statuses) {
  const int h = config.do_center_crop ? config.crop_height : 0;
  const int w = config.do_center_crop ? config.crop_width : 0;
  if (h == 0 || w == 0) {
    return Status::invalid_argument("batch preprocessing needs a centre crop (images of one size)");
  }
  const size_t per_image = static_cast<size_t>(3) * h * w;
  out->assign(paths.size() * per_image, 0.0f);
  std::vector<Status> results(paths.size());
  parallel_tasks(static_cast<int64_t>(paths.size()), [&](int64_t i) {
    Result<ImageTensor> t = image_preprocess_file(paths[i], config, options);
    if (!t.ok()) {
      results[i] = t.status();
      return;
    }
    std::memcpy(out->data() + i * per_image, t->data.data(), per_image * sizeof(float));
  });
  Status first;
  for (const Status& s : results) {
    if (!s.ok()) {
      first = s;
      break;
    }
  }
  if (statuses) *statuses = std::move(results);
  return first;
}

}  // namespace clipsearch
