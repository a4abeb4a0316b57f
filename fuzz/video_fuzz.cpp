// libFuzzer target: arbitrary bytes through the video demuxers and decoders (FFmpeg behind
// image/video_decode.h, read from memory through a custom AVIOContext). The first byte picks the
// options (rotation applied or not, which frame times); the rest is the file. Any crash,
// sanitizer report or hang beyond libFuzzer's -timeout is a bug; errors are the expected answer.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "image/video_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t sel = data[0];
  clipsearch::DecodeOptions opt;
  opt.exif = (sel & 1) ? clipsearch::ExifMode::kIgnore : clipsearch::ExifMode::kApply;
  opt.max_pixels = 1 << 20;  // keep each run fast; the limit itself is what is being tested
  opt.timeout_seconds = 2.0;
  std::vector<int64_t> times = {0};
  if (sel & 2) times = {250, 750};
  if (sel & 4) times = clipsearch::video_frame_times(int64_t{1000} * (sel >> 3), 8);
  auto frames = clipsearch::video_decode_frames_memory(data + 1, size - 1, "fuzz", times, opt);
  (void)clipsearch::video_sniff_format(data + 1, size - 1);
  (void)frames;
  return 0;
}
