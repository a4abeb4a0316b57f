// Videos made at test time with the ffmpeg CLI (never committed): scenes of flat colours, one
// after another, so that a frame's picture tells which scene (and so which time) it shows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clipsearch::testing {

struct VideoSpec {
  int width = 64;
  int height = 48;
  int fps = 10;
  // One scene per colour (0xRRGGBB), each `seconds_per_scene` long.
  std::vector<uint32_t> scenes = {0xff0000, 0x00ff00, 0x0000ff, 0xffff00};
  double seconds_per_scene = 1.0;
  // "mp4" (H.264), "mov" (H.264), "mkv" (H.264), "webm" (VP9), "avi" (MPEG-4 part 2).
  std::string container = "mp4";
  int rotate = 0;  // display matrix: turn clockwise on display by this many degrees (0, 90, ...)
  std::string creation_time;  // e.g. "2021-06-05T04:03:02Z"; none when empty
  bool test_pattern = false;  // ffmpeg's testsrc2 (moving) instead of the flat scenes
};

// The ffmpeg CLI (run_command does not search PATH): /usr/bin/ffmpeg, Debian's.
std::string ffmpeg_binary();

// Writes the video to `path`; throws std::runtime_error with ffmpeg's message on failure.
void make_video(const std::string& path, const VideoSpec& spec);

// `ffmpeg -ss T -i path -frames:v 1` as RGB24 with the decoder's conversion flags
// (image/video_decode.h); autorotation as ffmpeg applies it unless `autorotate` is false.
std::vector<uint8_t> ffmpeg_frame_rgb(const std::string& path, double seconds, bool autorotate,
                                      int* width, int* height);

// A flat-colour PNG of the scene colour `rgb` (the search query for that scene).
void make_flat_png(const std::string& path, int width, int height, uint32_t rgb);

}  // namespace clipsearch::testing
