#include "image/tiff.h"

#include <algorithm>
#include <cstdint>

#include "image/orient.h"
#include "image/tiff_gray.h"
#include "image/tiff_tags.h"
#include "image/vips_load.h"

namespace clipsearch {

Result<RgbImage> tiff_decode(const uint8_t* data, size_t size, const std::string& name,
                             const DecodeOptions& options) {
  TiffTags tags;
  TiffPlan plan;
  if (tiff_read_tags(data, size, &tags)) {
    CLIPSEARCH_ASSIGN_OR_RETURN(plan, tiff_plan(tags, name));
  }
  if (plan.route == TiffRoute::kGray) {
    CLIPSEARCH_ASSIGN_OR_RETURN(RgbImage gray,
                                tiff_gray_decode(data, size, name, plan.gray, options));
    return image_orient(std::move(gray), tags.orientation);
  }
  // libvips (8-bit Lab included, as LabQ: vips_load.cpp converts it) without its orientation:
  // the tag is applied here, as Pillow applies it, in both modes.
  DecodeOptions unoriented = options;
  unoriented.exif = ExifMode::kIgnore;
  CLIPSEARCH_ASSIGN_OR_RETURN(RgbImage image,
                              vips_decode(ImageFormat::kTiff, data, size, name, unoriented));
  return image_orient(std::move(image), tags.orientation);
}

Status tiff_read_header(const uint8_t* data, size_t size, const std::string& name,
                        ImageHeader* header) {
  TiffTags tags;
  if (tiff_read_tags(data, size, &tags)) {
    CLIPSEARCH_ASSIGN_OR_RETURN(TiffPlan plan, tiff_plan(tags, name));
    if (plan.route == TiffRoute::kGray) {  // libvips cannot open some of these
      header->width = static_cast<int>(std::min<uint32_t>(tags.width, INT32_MAX));
      header->height = static_cast<int>(std::min<uint32_t>(tags.height, INT32_MAX));
      header->orientation = tags.orientation;
      return Status();
    }
  }
  return vips_read_header(data, size, name, header);
}

}  // namespace clipsearch
