#include "testing/test_videos.h"

#include <cstdio>
#include <stdexcept>

#include "testing/test_util.h"

namespace clipsearch::testing {
namespace {

std::string hex_colour(uint32_t rgb) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%06x", rgb & 0xffffff);
  return text;
}

void run_ffmpeg(std::vector<std::string> args) {
  args.insert(args.begin(),
              {ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"});
  const CommandResult r = run_command(args);
  if (r.exit_code != 0) throw std::runtime_error("ffmpeg failed: " + r.err);
}

std::vector<std::string> codec_args(const std::string& container) {
  if (container == "webm") return {"-c:v", "libvpx-vp9", "-b:v", "200k", "-pix_fmt", "yuv420p"};
  if (container == "avi") return {"-c:v", "mpeg4", "-q:v", "2", "-pix_fmt", "yuv420p"};
  // A keyframe every 5 frames, B-frames on: seeking and reordering both matter.
  return {"-c:v", "libx264", "-g", "5", "-crf", "10", "-pix_fmt", "yuv420p"};
}

}  // namespace

std::string ffmpeg_binary() { return "/usr/bin/ffmpeg"; }

void make_video(const std::string& path, const VideoSpec& spec) {
  std::vector<std::string> args;
  const std::string size = std::to_string(spec.width) + "x" + std::to_string(spec.height);
  const std::string rate = std::to_string(spec.fps);
  const double seconds = spec.seconds_per_scene * static_cast<double>(spec.scenes.size());
  if (spec.test_pattern) {
    args = {
        "-f", "lavfi", "-i", "testsrc2=s=" + size + ":r=" + rate, "-t", std::to_string(seconds)};
  } else {
    std::string graph;
    for (size_t i = 0; i < spec.scenes.size(); ++i) {
      args.insert(args.end(), {"-f", "lavfi", "-i",
                               "color=c=" + hex_colour(spec.scenes[i]) + ":s=" + size +
                                   ":r=" + rate + ":d=" + std::to_string(spec.seconds_per_scene)});
      graph.append(1, '[').append(std::to_string(i)).append(":v]");
    }
    graph += "concat=n=" + std::to_string(spec.scenes.size()) + ":v=1:a=0[v]";
    args.insert(args.end(), {"-filter_complex", graph, "-map", "[v]"});
  }
  const auto codec = codec_args(spec.container);
  args.insert(args.end(), codec.begin(), codec.end());
  if (!spec.creation_time.empty()) {
    args.insert(args.end(), {"-metadata", "creation_time=" + spec.creation_time});
  }
  const std::string muxer = spec.container == "mkv" ? "matroska" : spec.container;
  if (spec.rotate == 0) {
    args.insert(args.end(), {"-f", muxer, path});
    run_ffmpeg(args);
    return;
  }
  // ffmpeg 5.1 writes the rotate tag as a display matrix only when copying the stream.
  const std::string plain = path + ".unrotated";
  args.insert(args.end(), {"-f", muxer, plain});
  run_ffmpeg(args);
  run_ffmpeg({"-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=" + std::to_string(spec.rotate),
              "-f", muxer, path});
  std::remove(plain.c_str());
}

std::vector<uint8_t> ffmpeg_frame_rgb(const std::string& path, double seconds, bool autorotate,
                                      int* width, int* height) {
  TempDir dir;
  const std::string out = dir.file("frame.ppm");
  // An explicit scale filter: -sws_flags does not reach the converter ffmpeg inserts itself.
  std::vector<std::string> args;
  if (!autorotate) args.push_back("-noautorotate");
  args.insert(args.end(),
              {"-ss", std::to_string(seconds), "-i", path, "-frames:v", "1", "-vf",
               "scale=flags=bicubic+full_chroma_int+accurate_rnd+bitexact,format=rgb24", out});
  run_ffmpeg(args);
  const std::string ppm = read_file(out);
  int w = 0, h = 0, maxval = 0, consumed = 0;
  if (std::sscanf(ppm.c_str(), "P6 %d %d %d%n", &w, &h, &maxval, &consumed) != 3 || maxval != 255) {
    throw std::runtime_error(out + ": not a P6 PPM");
  }
  const size_t start = static_cast<size_t>(consumed) + 1;  // one whitespace byte
  *width = w;
  *height = h;
  return std::vector<uint8_t>(ppm.begin() + static_cast<std::ptrdiff_t>(start), ppm.end());
}

void make_flat_png(const std::string& path, int width, int height, uint32_t rgb) {
  run_ffmpeg(
      {"-f", "lavfi", "-i",
       "color=c=" + hex_colour(rgb) + ":s=" + std::to_string(width) + "x" + std::to_string(height),
       "-frames:v", "1", path});
}

}  // namespace clipsearch::testing
