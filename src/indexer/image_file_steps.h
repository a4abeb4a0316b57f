// The two halves of reading one image file for the catalog, shared by the indexer's worker
// threads (indexer.cpp, which hashes the file between them to skip known content) and by
// image_file_prepare (clipsearch/image_file.h), so both store the same facts and pixels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/image.h"
#include "clipsearch/image_file.h"
#include "clipsearch/status.h"

namespace clipsearch {

// The header's facts (no pixels decoded); an error names the file and the problem.
Status image_file_read_facts(const uint8_t* data, size_t size, const std::string& path,
                             int64_t mtime_ns, const DecodeOptions& options, ImageFileFacts* facts);

// One decode feeds both the model's input and the colour signature.
struct DecodedImageFile {
  std::vector<float> color;  // packed colour signature
  ImageTensor pixels;        // [3, H, W]
};
Result<DecodedImageFile> image_file_decode(const uint8_t* data, size_t size,
                                           const std::string& path, const PreprocessConfig& config,
                                           const DecodeOptions& options);

// The failure of a file larger than IndexOptions::max_file_bytes.
std::string image_file_too_large(int64_t size, int64_t max_file_bytes);

// The packed colour signature of decoded pixels.
std::vector<float> image_file_color(const RgbImage& rgb);

}  // namespace clipsearch
