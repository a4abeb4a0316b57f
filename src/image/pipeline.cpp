// The whole path from encoded bytes to the model's input tensor, one image or a batch.
#include <algorithm>
#include <cstring>

#include "clipsearch/image.h"
#include "core/mapped_file.h"
#include "core/thread_pool.h"

namespace clipsearch {

DecodeOptions image_decode_options_for(const PreprocessConfig& config, DecodeOptions options) {
  if (!config.do_resize) {
    // The crop takes the decoded pixels as they are: shrinking on load would zoom it out.
    options.mode = DecodeMode::kExact;
  } else if (config.resize_height > 0 && config.resize_width > 0) {
    // An exact resize scales each axis by its own factor. Shrink-on-load scales both by one
    // factor and keeps the short side at least 2 * fast_min_side, so with the larger target
    // side both sides stay at least twice their target, whichever way EXIF orientation later
    // turns the image (the shrink is chosen on the stored size).
    options.fast_min_side = std::max(config.resize_height, config.resize_width);
  } else {
    options.fast_min_side = config.shortest_edge;  // both sides scale by shortest_edge / short
  }
  return options;
}

Result<RgbImage> image_decode_for_preprocess(const uint8_t* data, size_t size,
                                             const std::string& name,
                                             const PreprocessConfig& config,
                                             const DecodeOptions& options) {
  return image_decode_memory(data, size, name, image_decode_options_for(config, options));
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
