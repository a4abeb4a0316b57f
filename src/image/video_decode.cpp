// Frames of a video through libavformat/libavcodec/libswscale (video_decode.h has the rules).
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>

#include "image/decode.h"
#include "image/orient.h"
#include "image/video_decode.h"

namespace clipsearch {
namespace {

using Clock = std::chrono::steady_clock;

std::string av_error_text(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

// FFmpeg logs to stderr by default; its messages would interleave with progress output, and
// every failure is reported through a Status instead.
void quiet_ffmpeg() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

// Reading from memory (the fuzz target): FFmpeg's read and seek callbacks over a buffer.
struct MemoryInput {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;

  static int read(void* opaque, uint8_t* buf, int n) {
    auto* m = static_cast<MemoryInput*>(opaque);
    const size_t left = m->size - m->pos;
    if (left == 0) return AVERROR_EOF;
    const size_t k = std::min(left, static_cast<size_t>(n));
    std::memcpy(buf, m->data + m->pos, k);
    m->pos += k;
    return static_cast<int>(k);
  }
  static int64_t seek(void* opaque, int64_t offset, int whence) {
    auto* m = static_cast<MemoryInput*>(opaque);
    if (whence == AVSEEK_SIZE) return static_cast<int64_t>(m->size);
    int64_t base = 0;
    switch (whence & ~AVSEEK_FORCE) {
      case SEEK_SET:
        base = 0;
        break;
      case SEEK_CUR:
        base = static_cast<int64_t>(m->pos);
        break;
      case SEEK_END:
        base = static_cast<int64_t>(m->size);
        break;
      default:
        return AVERROR(EINVAL);
    }
    const int64_t to = base + offset;
    if (to < 0 || to > static_cast<int64_t>(m->size)) return AVERROR(EINVAL);
    m->pos = static_cast<size_t>(to);
    return to;
  }
};

// One opened video: the demuxer, the decoder of its best video stream, and the deadline that
// FFmpeg's interrupt callback checks inside every blocking read.
class VideoReader {
 public:
  VideoReader(std::string name, const DecodeOptions& options)
      : name_(std::move(name)), options_(options) {
    restart_clock();
  }
  ~VideoReader() {
    sws_freeContext(sws_);
    av_frame_free(&frame_);
    av_packet_free(&packet_);
    avcodec_free_context(&codec_);
    avformat_close_input(&format_);
    if (avio_) av_freep(&avio_->buffer);
    avio_context_free(&avio_);
  }
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  Status open_path(const std::string& path) { return open(path.c_str()); }

  Status open_memory(const uint8_t* data, size_t size) {
    memory_ = {data, size, 0};
    constexpr int kBuffer = 1 << 16;
    auto* buffer = static_cast<uint8_t*>(av_malloc(kBuffer));
    if (!buffer) return Status::unavailable(name_ + ": out of memory");
    avio_ = avio_alloc_context(buffer, kBuffer, 0, &memory_, &MemoryInput::read, nullptr,
                               &MemoryInput::seek);
    if (!avio_) {
      av_free(buffer);
      return Status::unavailable(name_ + ": out of memory");
    }
    return open(nullptr);
  }

  const VideoInfo& info() const { return info_; }

  Result<VideoFrame> frame_at(int64_t time_ms) {
    restart_clock();  // the limit is per frame: a longer video may take more frames
    const int64_t target = stream_start() + av_rescale_q(time_ms, AVRational{1, 1000}, time_base());
    // The keyframe at or before the time; decoding runs forward from it.
    if (av_seek_frame(format_, stream_, target, AVSEEK_FLAG_BACKWARD) < 0 && time_ms > 0) {
      // Some streams cannot seek (no index): decode from where the reader is.
      av_seek_frame(format_, stream_, stream_start(), AVSEEK_FLAG_BACKWARD);
    }
    avcodec_flush_buffers(codec_);
    CLIPSEARCH_RETURN_IF_ERROR(decode_until(target));
    CLIPSEARCH_ASSIGN_OR_RETURN(RgbImage rgb, to_rgb());
    return VideoFrame{time_ms, image_orient(std::move(rgb), applied_orientation())};
  }

 private:
  void restart_clock() {
    deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(options_.timeout_seconds));
  }
  bool timed_out() const { return Clock::now() > deadline_; }
  static int interrupt(void* opaque) { return static_cast<VideoReader*>(opaque)->timed_out(); }

  AVRational time_base() const { return format_->streams[stream_]->time_base; }
  int64_t stream_start() const {
    const int64_t s = format_->streams[stream_]->start_time;
    return s == AV_NOPTS_VALUE ? 0 : s;
  }
  int applied_orientation() const {
    return options_.exif == ExifMode::kApply ? info_.orientation : 1;
  }
  Status fail(const std::string& what, int err) const {
    if (timed_out()) return image_timeout_error(name_, options_);
    return Status::corruption(name_ + ": " + what + ": " + av_error_text(err));
  }

  Status open(const char* url) {
    quiet_ffmpeg();
    format_ = avformat_alloc_context();
    if (!format_) return Status::unavailable(name_ + ": out of memory");
    format_->interrupt_callback = {&VideoReader::interrupt, this};
    if (avio_) format_->pb = avio_;
    int err = avformat_open_input(&format_, url, nullptr, nullptr);
    if (err < 0) return fail("not a readable video", err);
    err = avformat_find_stream_info(format_, nullptr);
    if (err < 0) return fail("cannot read the stream information", err);
    const AVCodec* decoder = nullptr;
    stream_ = av_find_best_stream(format_, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
    if (stream_ == AVERROR_STREAM_NOT_FOUND) {
      return Status::unsupported(name_ + ": no video stream");
    }
    if (stream_ < 0 || !decoder) {
      const AVCodecParameters* par = format_->streams[std::max(stream_, 0)]->codecpar;
      return Status::unsupported(name_ + ": no decoder for the video codec '" +
                                 avcodec_get_name(par->codec_id) + "'");
    }
    AVStream* st = format_->streams[stream_];
    CLIPSEARCH_RETURN_IF_ERROR(
        image_check_pixel_limit(st->codecpar->width, st->codecpar->height, name_, options_));
    if (st->codecpar->width <= 0 || st->codecpar->height <= 0) {
      return Status::corruption(name_ + ": the video stream has no frame size");
    }
    CLIPSEARCH_RETURN_IF_ERROR(open_decoder(decoder, st));
    read_info(st);
    return Status();
  }

  Status open_decoder(const AVCodec* decoder, AVStream* st) {
    codec_ = avcodec_alloc_context3(decoder);
    packet_ = av_packet_alloc();
    frame_ = av_frame_alloc();
    if (!codec_ || !packet_ || !frame_) return Status::unavailable(name_ + ": out of memory");
    int err = avcodec_parameters_to_context(codec_, st->codecpar);
    if (err < 0) return fail("bad codec parameters", err);
    codec_->thread_count = 1;  // the indexer's workers are the parallelism
    err = avcodec_open2(codec_, decoder, nullptr);
    if (err < 0) return fail("cannot open the decoder", err);
    return Status();
  }

  void read_info(AVStream* st) {
    info_.codec = avcodec_get_name(st->codecpar->codec_id);
    if (format_->duration > 0) {
      info_.duration_ms = av_rescale(format_->duration, 1000, AV_TIME_BASE);
    } else if (st->duration > 0) {
      info_.duration_ms = av_rescale_q(st->duration, st->time_base, AVRational{1, 1000});
    }
    size_t size = 0;
    const uint8_t* matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (matrix && size >= 9 * sizeof(int32_t)) {
      // av_display_rotation_get is counter-clockwise; the display turns the picture clockwise
      // by its negation (ffmpeg's autorotate does the same).
      const double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
      if (!std::isnan(ccw)) {
        const int cw = ((static_cast<int>(std::lround(-ccw)) % 360) + 360) % 360;
        info_.orientation = cw == 90 ? 6 : cw == 180 ? 3 : cw == 270 ? 8 : 1;
      }
    }
    const bool swap = applied_orientation() >= 5;
    info_.width = swap ? st->codecpar->height : st->codecpar->width;
    info_.height = swap ? st->codecpar->width : st->codecpar->height;
    const AVDictionaryEntry* created = av_dict_get(format_->metadata, "creation_time", nullptr, 0);
    int y, mo, d, h, mi, s;
    if (created &&
        std::sscanf(created->value, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) == 6) {
      char text[32];
      std::snprintf(text, sizeof text, "%04d:%02d:%02d %02d:%02d:%02d", y, mo, d, h, mi, s);
      info_.creation_time = text;
    }
  }

  // Decodes into frame_ the first frame whose time is at or after `target` (stream time base).
  Status decode_until(int64_t target) {
    bool have = false;
    int64_t last_pts = AV_NOPTS_VALUE;
    bool draining = false;
    for (;;) {
      int err = avcodec_receive_frame(codec_, frame_);
      if (err == 0) {
        have = true;
        last_pts = frame_->best_effort_timestamp;
        if (last_pts == AV_NOPTS_VALUE || last_pts >= target) return Status();
        continue;
      }
      if (err == AVERROR_EOF) break;
      if (err != AVERROR(EAGAIN)) return fail("cannot decode a frame", err);
      if (draining) break;
      if (timed_out()) return image_timeout_error(name_, options_);
      err = av_read_frame(format_, packet_);
      if (err == AVERROR_EOF) {
        draining = true;
        err = avcodec_send_packet(codec_, nullptr);
        if (err < 0 && err != AVERROR_EOF) return fail("cannot decode a frame", err);
        continue;
      }
      if (err < 0) return fail("cannot read a packet", err);
      if (packet_->stream_index == stream_) {
        err = avcodec_send_packet(codec_, packet_);
        if (err < 0 && err != AVERROR(EAGAIN)) {
          av_packet_unref(packet_);
          return fail("cannot decode a frame", err);
        }
      }
      av_packet_unref(packet_);
    }
    const double asked = static_cast<double>(target - stream_start()) * av_q2d(time_base());
    if (!have) {
      return Status::corruption(name_ + ": no frame could be decoded at " + std::to_string(asked) +
                                " s (truncated or corrupt)");
    }
    const double ends = static_cast<double>(last_pts - stream_start()) * av_q2d(time_base());
    return Status::corruption(name_ + ": the video stream ends at " + std::to_string(ends) +
                              " s, before " + std::to_string(asked) + " s of the " +
                              std::to_string(info_.duration_ms / 1000.0) +
                              " s its header declares (truncated?)");
  }

  // frame_ as RGB24 at its own size, by swscale with the stream's colour matrix and range.
  Result<RgbImage> to_rgb() {
    const int w = frame_->width, h = frame_->height;
    CLIPSEARCH_RETURN_IF_ERROR(image_check_pixel_limit(w, h, name_, options_));
    if (w <= 0 || h <= 0) return Status::corruption(name_ + ": a frame without a size");
    const auto format = static_cast<AVPixelFormat>(frame_->format);
    sws_ = sws_getCachedContext(sws_, w, h, format, w, h, AV_PIX_FMT_RGB24,
                                SWS_BICUBIC | SWS_FULL_CHR_H_INT | SWS_ACCURATE_RND | SWS_BITEXACT,
                                nullptr, nullptr, nullptr);
    if (!sws_) return Status::unsupported(name_ + ": cannot convert its pixel format to RGB");
    // vf_scale's "auto" colour matrix and range: the frame's, BT.601 limited when unspecified.
    const int* coefficients = sws_getCoefficients(frame_->colorspace == AVCOL_SPC_UNSPECIFIED
                                                      ? SWS_CS_DEFAULT
                                                      : static_cast<int>(frame_->colorspace));
    const int full = frame_->color_range == AVCOL_RANGE_JPEG ? 1 : 0;
    sws_setColorspaceDetails(sws_, coefficients, full, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0,
                             1 << 16, 1 << 16);
    RgbImage rgb;
    rgb.width = w;
    rgb.height = h;
    rgb.pixels.resize(static_cast<size_t>(w) * h * 3);
    uint8_t* dst[4] = {rgb.pixels.data(), nullptr, nullptr, nullptr};
    int dst_stride[4] = {w * 3, 0, 0, 0};
    const int rows = sws_scale(sws_, frame_->data, frame_->linesize, 0, h, dst, dst_stride);
    if (rows != h) return Status::corruption(name_ + ": cannot convert a frame to RGB");
    return rgb;
  }

  std::string name_;
  DecodeOptions options_;
  Clock::time_point deadline_;
  MemoryInput memory_;
  AVIOContext* avio_ = nullptr;
  AVFormatContext* format_ = nullptr;
  AVCodecContext* codec_ = nullptr;
  AVPacket* packet_ = nullptr;
  AVFrame* frame_ = nullptr;
  SwsContext* sws_ = nullptr;
  int stream_ = -1;
  VideoInfo info_;
};

Result<std::vector<VideoFrame>> decode_frames(VideoReader& reader,
                                              const std::vector<int64_t>& times_ms) {
  if (times_ms.size() > static_cast<size_t>(kMaxVideoFrames)) {
    return Status::invalid_argument("video: at most " + std::to_string(kMaxVideoFrames) +
                                    " frames per video");
  }
  std::vector<VideoFrame> frames;
  for (int64_t t : times_ms) {
    CLIPSEARCH_ASSIGN_OR_RETURN(VideoFrame f, reader.frame_at(t));
    frames.push_back(std::move(f));
  }
  return frames;
}

}  // namespace

Result<VideoInfo> video_probe(const std::string& path, const DecodeOptions& options) {
  VideoReader reader(path, options);
  CLIPSEARCH_RETURN_IF_ERROR(reader.open_path(path));
  return reader.info();
}

Result<std::vector<VideoFrame>> video_decode_frames(const std::string& path,
                                                    const std::vector<int64_t>& times_ms,
                                                    const DecodeOptions& options, VideoInfo* info) {
  VideoReader reader(path, options);
  CLIPSEARCH_RETURN_IF_ERROR(reader.open_path(path));
  if (info) *info = reader.info();
  return decode_frames(reader, times_ms);
}

Result<RgbImage> video_cover_frame(const std::string& path, const DecodeOptions& options) {
  VideoReader reader(path, options);
  CLIPSEARCH_RETURN_IF_ERROR(reader.open_path(path));
  const int64_t time = video_frame_times(reader.info().duration_ms, kDefaultVideoFrames).front();
  CLIPSEARCH_ASSIGN_OR_RETURN(VideoFrame frame, reader.frame_at(time));
  return std::move(frame.image);
}

Result<std::vector<VideoFrame>> video_decode_frames_memory(const uint8_t* data, size_t size,
                                                           const std::string& name,
                                                           const std::vector<int64_t>& times_ms,
                                                           const DecodeOptions& options) {
  VideoReader reader(name, options);
  CLIPSEARCH_RETURN_IF_ERROR(reader.open_memory(data, size));
  return decode_frames(reader, times_ms);
}

}  // namespace clipsearch
