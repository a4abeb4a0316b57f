// Videos (MP4/MOV, Matroska/WebM, AVI) through Debian's FFmpeg libraries: a few frames of each,
// as 8-bit RGB, for the indexer to embed (docs/IMAGE_PIPELINE.md, "Videos").
//
// - Recognised by their first bytes, never by file name (video_sniff_format); HEIF/AVIF brands
//   of the ISO base media format stay images (image/decode.cpp).
// - Opened by path and read through FFmpeg's own I/O: a video of several GB is never read whole.
// - Frames chosen: video_frame_times(). Each is reached by seeking to the keyframe at or before
//   its time and decoding up to the first frame whose time is at or after it (what
//   `ffmpeg -ss T -i FILE -frames:v 1` returns), then converted by swscale (same size;
//   SWS_BICUBIC | SWS_FULL_CHR_H_INT | SWS_ACCURATE_RND | SWS_BITEXACT; the stream's colour
//   matrix and range, BT.601 limited when unspecified: vf_scale's "auto").
// - Rotation from the display matrix (phones write it) is applied as the EXIF orientation of
//   the same turn, unless DecodeOptions::exif is kIgnore; a mirrored matrix is not.
// - Limits: DecodeOptions::max_pixels per frame (checked on the stream's header),
//   DecodeOptions::timeout_seconds for opening and again for each frame (checked inside FFmpeg's
//   I/O and between packets), kMaxVideoFrames frames.
// Every failure (corrupt, truncated, no video stream, unsupported codec) is a Status naming the
// file. Thread-safe: no shared state (FFmpeg's contexts are per call).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/image.h"
#include "clipsearch/status.h"

namespace clipsearch {

enum class VideoFormat { kUnknown, kMp4, kMov, kMatroska, kWebm, kAvi };

// From the first bytes (64 are enough to tell WebM from Matroska).
VideoFormat video_sniff_format(const uint8_t* data, size_t size);
// The catalog's format column: "mp4", "mov", "mkv", "webm", "avi" ("" for kUnknown).
const char* video_format_name(VideoFormat format);
// True for a catalog format column that names a video.
bool video_format_is_video(const std::string& format);

constexpr int kDefaultVideoFrames = 8;
constexpr int kMaxVideoFrames = 64;

// The frames embedded for a video of `duration_ms`: one per second of video up to `frames`
// (at least one), at the middle of equal spans, so a scene is sampled away from the cuts and
// the fades at both ends: t_i = (i + 0.5) * duration / n. A video of unknown duration gets t=0.
std::vector<int64_t> video_frame_times(int64_t duration_ms, int frames);

struct VideoInfo {
  int width = 0;  // as displayed (rotation applied when DecodeOptions::exif applies it)
  int height = 0;
  int64_t duration_ms = 0;
  int orientation = 1;        // the display matrix's turn as an EXIF orientation (1, 3, 6, 8)
  std::string creation_time;  // the container's creation_time "YYYY:MM:DD HH:MM:SS" (UTC), or ""
  std::string codec;          // "h264", "vp9", ...
};

struct VideoFrame {
  int64_t time_ms = 0;  // the time asked for (the frame decoded is the first at or after it)
  RgbImage image;       // oriented
};

// The container's facts without decoding a frame.
Result<VideoInfo> video_probe(const std::string& path, const DecodeOptions& options = {});

// The frames at `times_ms` (ascending), decoded from one opened file.
Result<std::vector<VideoFrame>> video_decode_frames(const std::string& path,
                                                    const std::vector<int64_t>& times_ms,
                                                    const DecodeOptions& options = {},
                                                    VideoInfo* info = nullptr);

// The cover of a video: its first embedded frame (video_frame_times(duration,
// kDefaultVideoFrames)[0]), for thumbnails; oriented like the frames.
Result<RgbImage> video_cover_frame(const std::string& path, const DecodeOptions& options = {});

// The same from memory (the fuzz target; nothing else needs it).
Result<std::vector<VideoFrame>> video_decode_frames_memory(const uint8_t* data, size_t size,
                                                           const std::string& name,
                                                           const std::vector<int64_t>& times_ms,
                                                           const DecodeOptions& options = {});

}  // namespace clipsearch
