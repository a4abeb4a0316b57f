// Videos made by the ffmpeg CLI at test time: the frames chosen, their pixels against the
// frames the ffmpeg CLI extracts at the same times with the same conversion, rotation, and the
// errors of broken files.
#include "image/video_decode.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "image/decode.h"
#include "testing/test_util.h"
#include "testing/test_videos.h"

namespace clipsearch {
namespace {

using testing::TempDir;
using testing::VideoSpec;

std::string head_of(const std::string& path) { return testing::read_file(path).substr(0, 64); }

VideoFormat sniff(const std::string& bytes) {
  return video_sniff_format(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

TEST(VideoSniff, ContainersByTheirFirstBytes) {
  TempDir dir;
  const std::pair<const char*, VideoFormat> cases[] = {{"mp4", VideoFormat::kMp4},
                                                       {"mov", VideoFormat::kMov},
                                                       {"mkv", VideoFormat::kMatroska},
                                                       {"webm", VideoFormat::kWebm},
                                                       {"avi", VideoFormat::kAvi}};
  for (const auto& [container, format] : cases) {
    VideoSpec spec;
    spec.container = container;
    spec.scenes = {0x808080};
    const std::string path = dir.file(std::string("v.") + container);
    testing::make_video(path, spec);
    EXPECT_EQ(sniff(head_of(path)), format) << container;
    EXPECT_STREQ(video_format_name(format), container);
    EXPECT_TRUE(video_format_is_video(container));
    // Not an image: the image decoder's sniffing leaves videos alone.
    const std::string head = head_of(path);
    EXPECT_EQ(image_sniff_format(reinterpret_cast<const uint8_t*>(head.data()), head.size()),
              ImageFormat::kUnknown)
        << container;
  }
  // HEIF and AVIF share the ftyp box: they stay images.
  EXPECT_EQ(sniff(std::string("\0\0\0\x18"
                              "ftypheic\0\0\0\0",
                              16)),
            VideoFormat::kUnknown);
  EXPECT_EQ(sniff(std::string("\0\0\0\x18"
                              "ftypavif\0\0\0\0",
                              16)),
            VideoFormat::kUnknown);
  EXPECT_EQ(sniff(std::string("\0\0\0\x18"
                              "ftypisom\0\0\0\0",
                              16)),
            VideoFormat::kMp4);
  EXPECT_EQ(sniff("\xFF\xD8\xFF\xE0"), VideoFormat::kUnknown);
  EXPECT_EQ(sniff(""), VideoFormat::kUnknown);
  EXPECT_FALSE(video_format_is_video("jpeg"));
}

TEST(VideoFrameTimes, OnePerSecondUpToTheCountAtSpanMiddles) {
  EXPECT_EQ(video_frame_times(4000, 8), (std::vector<int64_t>{500, 1500, 2500, 3500}));
  EXPECT_EQ(video_frame_times(20000, 4), (std::vector<int64_t>{2500, 7500, 12500, 17500}));
  EXPECT_EQ(video_frame_times(400, 8), (std::vector<int64_t>{200}));
  EXPECT_EQ(video_frame_times(0, 8), (std::vector<int64_t>{0}));
  EXPECT_EQ(video_frame_times(3600000, 1000).size(), static_cast<size_t>(kMaxVideoFrames));
}

// The pixels ffmpeg's CLI gives for the same time: equal, byte for byte.
// A turned frame is the exception: ffmpeg turns the YUV planes before converting them, the
// decoder converts and then turns, so the horizontally interpolated chroma runs along the other
// axis: `max_error` bounds it there (measured: 5 levels on 1.5% of the values).
void expect_same_as_ffmpeg(const std::string& path, const VideoFrame& frame, bool autorotate,
                           int max_error = 0) {
  int w = 0, h = 0;
  const std::vector<uint8_t> expected = testing::ffmpeg_frame_rgb(
      path, static_cast<double>(frame.time_ms) / 1000.0, autorotate, &w, &h);
  ASSERT_EQ(frame.image.width, w) << path << " at " << frame.time_ms;
  ASSERT_EQ(frame.image.height, h);
  ASSERT_EQ(frame.image.pixels.size(), expected.size());
  size_t differing = 0;
  int worst = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    differing += frame.image.pixels[i] != expected[i];
    worst = std::max(worst, std::abs(frame.image.pixels[i] - expected[i]));
  }
  EXPECT_LE(worst, max_error) << path << " at " << frame.time_ms << " ms";
  if (max_error == 0) {
    EXPECT_EQ(differing, 0u);
  }
  EXPECT_LE(differing, expected.size() / 20) << path;
}

TEST(VideoDecode, FramesEqualTheFfmpegCli) {
  TempDir dir;
  for (const char* container : {"mp4", "webm", "avi"}) {
    VideoSpec spec;
    spec.container = container;
    spec.test_pattern = true;  // moving: a frame off by one differs
    spec.scenes.assign(3, 0);
    const std::string path = dir.file(std::string("pattern.") + container);
    testing::make_video(path, spec);
    VideoInfo info;
    auto frames = video_decode_frames(path, {0, 500, 1300, 2500}, {}, &info);
    ASSERT_TRUE(frames.ok()) << frames.status().message();
    EXPECT_NEAR(static_cast<double>(info.duration_ms), 3000, 150) << container;
    EXPECT_EQ(info.width, 64);
    EXPECT_EQ(info.height, 48);
    ASSERT_EQ(frames->size(), 4u);
    for (const VideoFrame& f : *frames) expect_same_as_ffmpeg(path, f, true);
  }
}

TEST(VideoDecode, ScenesAtTheirTimes) {
  TempDir dir;
  const std::string path = dir.file("scenes.mkv");
  VideoSpec spec;
  spec.container = "mkv";
  spec.creation_time = "2021-06-05T04:03:02Z";
  testing::make_video(path, spec);
  VideoInfo info;
  auto frames = video_decode_frames(path, video_frame_times(4000, 8), {}, &info);
  ASSERT_TRUE(frames.ok()) << frames.status().message();
  EXPECT_EQ(info.creation_time, "2021:06:05 04:03:02");
  EXPECT_EQ(info.codec, "h264");
  ASSERT_EQ(frames->size(), 4u);
  for (size_t i = 0; i < frames->size(); ++i) {
    const auto& px = (*frames)[i].image.pixels;
    const uint32_t c = spec.scenes[i];
    // The centre pixel shows that scene's colour (within the codec's rounding).
    const size_t centre = (24 * 64 + 32) * 3;
    EXPECT_NEAR(px[centre], (c >> 16) & 0xff, 6) << i;
    EXPECT_NEAR(px[centre + 1], (c >> 8) & 0xff, 6) << i;
    EXPECT_NEAR(px[centre + 2], c & 0xff, 6) << i;
  }
}

TEST(VideoDecode, RotationFromTheDisplayMatrix) {
  TempDir dir;
  const std::string path = dir.file("portrait.mov");
  VideoSpec spec;
  spec.container = "mov";
  spec.test_pattern = true;
  spec.scenes.assign(2, 0);
  spec.rotate = 90;
  testing::make_video(path, spec);
  VideoInfo info;
  auto turned = video_decode_frames(path, {700}, {}, &info);
  ASSERT_TRUE(turned.ok()) << turned.status().message();
  // ffmpeg stores the tag rotate=90 as a matrix of 90 degrees counter-clockwise: shown turned
  // 90 degrees counter-clockwise, EXIF orientation 8 (ffmpeg's own output below agrees).
  EXPECT_EQ(info.orientation, 8);
  EXPECT_EQ(info.width, 48);
  EXPECT_EQ(info.height, 64);
  expect_same_as_ffmpeg(path, turned->front(), true, 8);

  DecodeOptions ignore;
  ignore.exif = ExifMode::kIgnore;
  auto stored = video_decode_frames(path, {700}, ignore, &info);
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  EXPECT_EQ(info.width, 64);
  expect_same_as_ffmpeg(path, stored->front(), false);
}

TEST(VideoDecode, FromMemoryAsFromThePath) {
  TempDir dir;
  const std::string path = dir.file("scenes.webm");
  VideoSpec spec;
  spec.container = "webm";
  testing::make_video(path, spec);
  const std::string bytes = testing::read_file(path);
  auto a = video_decode_frames(path, {500, 2500});
  auto b = video_decode_frames_memory(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                      "mem", {500, 2500});
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t i = 0; i < 2; ++i) EXPECT_EQ((*a)[i].image.pixels, (*b)[i].image.pixels);
}

void expect_error_naming(const std::string& path, const std::string& words) {
  auto frames = video_decode_frames(path, video_frame_times(4000, 8));
  ASSERT_FALSE(frames.ok()) << path;
  EXPECT_NE(frames.status().message().find(path), std::string::npos) << frames.status().message();
  EXPECT_NE(frames.status().message().find(words), std::string::npos) << frames.status().message();
}

TEST(VideoDecode, BrokenFilesAreErrorsNamingTheFile) {
  TempDir dir;
  for (const char* container : {"mp4", "mkv", "webm"}) {
    VideoSpec spec;
    spec.container = container;
    const std::string good = dir.file(std::string("good.") + container);
    testing::make_video(good, spec);
    const std::string bytes = testing::read_file(good);
    // Truncated: the first 40% of the file.
    const std::string cut = dir.file(std::string("cut.") + container);
    testing::write_file(cut, bytes.substr(0, bytes.size() * 2 / 5));
    auto frames = video_decode_frames(cut, video_frame_times(4000, 8));
    ASSERT_FALSE(frames.ok()) << container;
    EXPECT_NE(frames.status().message().find(cut), std::string::npos);
    // Corrupt: the header kept, everything after it garbage.
    std::string garbage = bytes.substr(0, 64);
    for (size_t i = 64; i < bytes.size(); ++i) garbage += static_cast<char>((i * 7919) & 0xff);
    const std::string bad = dir.file(std::string("bad.") + container);
    testing::write_file(bad, garbage);
    frames = video_decode_frames(bad, video_frame_times(4000, 8));
    ASSERT_FALSE(frames.ok()) << container;
    EXPECT_NE(frames.status().message().find(bad), std::string::npos);
  }
  const std::string empty = dir.file("empty.mp4");
  testing::write_file(empty, "");
  expect_error_naming(empty, "not a readable video");
}

TEST(VideoDecode, AudioOnlyIsNoVideoStream) {
  TempDir dir;
  const std::string path = dir.file("sound.mkv");
  const auto r =
      testing::run_command({testing::ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y",
                            "-f", "lavfi", "-i", "sine=d=1", "-c:a", "pcm_s16le", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_error_naming(path, "no video stream");
}

TEST(VideoDecode, LimitsOfPixelsAndTime) {
  TempDir dir;
  const std::string path = dir.file("scenes.mp4");
  testing::make_video(path, VideoSpec{});
  DecodeOptions small;
  small.max_pixels = 1000;
  auto frames = video_decode_frames(path, {500}, small);
  ASSERT_FALSE(frames.ok());
  EXPECT_NE(frames.status().message().find("exceeds the limit"), std::string::npos);
  DecodeOptions hurry;
  hurry.timeout_seconds = 0;
  frames = video_decode_frames(path, {500}, hurry);
  ASSERT_FALSE(frames.ok());
  EXPECT_NE(frames.status().message().find("longer than the limit"), std::string::npos)
      << frames.status().message();
}

}  // namespace
}  // namespace clipsearch
