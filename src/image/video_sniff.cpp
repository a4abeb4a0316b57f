// Video formats by their first bytes, and the frames chosen in a video (video_decode.h).
#include <algorithm>
#include <cstring>

#include "image/video_decode.h"

namespace clipsearch {
namespace {

bool at(const uint8_t* d, size_t n, size_t offset, const char* magic, size_t len) {
  return n >= offset + len && std::memcmp(d + offset, magic, len) == 0;
}

// ISO base media (ftyp box first): the major brand says what the file is. HEIF/AVIF brands are
// images (image/decode.cpp sniffs them); every other brand of the family is a video.
VideoFormat sniff_iso(const uint8_t* d, size_t n) {
  static const char* kImageBrands[] = {"heic", "heix", "hevc", "hevx", "heim", "heis",
                                       "mif1", "msf1", "avif", "avis", "jxl ", "crx "};
  if (n < 12) return VideoFormat::kUnknown;
  for (const char* b : kImageBrands) {
    if (at(d, n, 8, b, 4)) return VideoFormat::kUnknown;
  }
  return at(d, n, 8, "qt  ", 4) ? VideoFormat::kMov : VideoFormat::kMp4;
}

// EBML: the DocType element (0x42 0x82) in the header names "webm" or "matroska".
VideoFormat sniff_ebml(const uint8_t* d, size_t n) {
  const size_t end = std::min<size_t>(n, 64);
  for (size_t i = 4; i + 7 <= end; ++i) {
    if (d[i] == 0x42 && d[i + 1] == 0x82 && std::memcmp(d + i + 3, "webm", 4) == 0) {
      return VideoFormat::kWebm;
    }
  }
  return VideoFormat::kMatroska;
}

}  // namespace

VideoFormat video_sniff_format(const uint8_t* d, size_t n) {
  if (at(d, n, 4, "ftyp", 4)) return sniff_iso(d, n);
  // QuickTime files older than ftyp start with one of these atoms.
  if (at(d, n, 4, "moov", 4) || at(d, n, 4, "mdat", 4) || at(d, n, 4, "wide", 4)) {
    return VideoFormat::kMov;
  }
  if (at(d, n, 0, "\x1A\x45\xDF\xA3", 4)) return sniff_ebml(d, n);
  if (at(d, n, 0, "RIFF", 4) && at(d, n, 8, "AVI ", 4)) return VideoFormat::kAvi;
  return VideoFormat::kUnknown;
}

const char* video_format_name(VideoFormat format) {
  switch (format) {
    case VideoFormat::kMp4:
      return "mp4";
    case VideoFormat::kMov:
      return "mov";
    case VideoFormat::kMatroska:
      return "mkv";
    case VideoFormat::kWebm:
      return "webm";
    case VideoFormat::kAvi:
      return "avi";
    case VideoFormat::kUnknown:
      break;
  }
  return "";
}

bool video_format_is_video(const std::string& format) {
  return format == "mp4" || format == "mov" || format == "mkv" || format == "webm" ||
         format == "avi";
}

std::vector<int64_t> video_frame_times(int64_t duration_ms, int frames) {
  if (duration_ms <= 0) return {0};
  const int64_t per_second = std::max<int64_t>(1, duration_ms / 1000);
  const int64_t n = std::clamp<int64_t>(std::min<int64_t>(frames, per_second), 1, kMaxVideoFrames);
  std::vector<int64_t> times;
  for (int64_t i = 0; i < n; ++i) times.push_back((2 * i + 1) * duration_ms / (2 * n));
  return times;
}

}  // namespace clipsearch
