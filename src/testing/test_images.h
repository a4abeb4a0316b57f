// Small generated images for indexing tests, encoded by libvips (initialised by the project's
// vips_ready(), as in production).
#pragma once

#include <cstdint>
#include <string>

namespace clipsearch::testing {

// A width x height RGB image whose pixels depend on `seed`, encoded as "png", "jpeg" or "webp". A
// non-empty `exif_date` ("YYYY:MM:DD HH:MM:SS", JPEG only) is stored as EXIF DateTimeOriginal.
std::string make_image(int width, int height, uint32_t seed, const std::string& format = "png",
                       const std::string& exif_date = "");

// The same as a JPEG whose EXIF names a camera (IFD0 Make and Model).
std::string make_camera_jpeg(int width, int height, uint32_t seed, const std::string& make,
                             const std::string& model);

// A PNG of a few filled rectangles and discs of random colours on a plain background, drawn from
// `seed`: pictures that differ in what they show (noise images all look alike to a model).
std::string make_shapes_image(int width, int height, uint32_t seed);

}  // namespace clipsearch::testing
