#include "image/jpeg.h"

// clang-format off
#include <cstdio>  // jpeglib.h uses FILE without including it
#include <jpeglib.h>
#include <jerror.h>
// clang-format on

#include <algorithm>
#include <chrono>
#include <csetjmp>
#include <cstring>
#include <vector>

#include "image/convert.h"
#include "image/decode.h"
#include "image/orient.h"

namespace clipsearch {
namespace {

using Clock = std::chrono::steady_clock;

// One decode's libjpeg state. libjpeg reports errors through error_exit, which must not return:
// ours longjmps back to guarded(), the only place that calls into libjpeg. Nothing between
// guarded() and libjpeg owns memory (the lambdas capture by reference, libjpeg is C), so no
// destructor is skipped; libjpeg's own memory is freed by jpeg_destroy_decompress.
struct JpegState {
  jpeg_error_mgr err;          // cinfo.err
  jpeg_progress_mgr progress;  // cinfo.progress: the wall-clock check
  jpeg_decompress_struct cinfo;
  std::jmp_buf jump;
  Clock::time_point deadline;
  bool created = false;
  bool timed_out = false;
  char message[JMSG_LENGTH_MAX] = "";

  JpegState() = default;
  JpegState(const JpegState&) = delete;
  JpegState& operator=(const JpegState&) = delete;
  ~JpegState() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }
};

JpegState* state_of(j_common_ptr cinfo) { return static_cast<JpegState*>(cinfo->client_data); }

[[noreturn]] void on_error(j_common_ptr cinfo) {
  JpegState* s = state_of(cinfo);
  (*cinfo->err->format_message)(cinfo, s->message);
  std::longjmp(s->jump, 1);
}

// Warnings (level < 0) and trace messages. Running out of data is an error, as in Pillow ("image
// file is truncated"): libjpeg would otherwise pad the image with grey. Other warnings (corrupt
// entropy data, extraneous bytes) are counted and ignored: Pillow decodes those files too.
void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) on_error(cinfo);
  ++cinfo->err->num_warnings;
}

// libjpeg calls this between row groups, and between the scans it reads in
// jpeg_start_decompress for a progressive file.
void on_progress(j_common_ptr cinfo) {
  JpegState* s = state_of(cinfo);
  if (Clock::now() > s->deadline) {
    s->timed_out = true;
    std::longjmp(s->jump, 1);
  }
}

// Runs `f` (calls into libjpeg); false if libjpeg failed or the time ran out.
template <class F>
bool guarded(JpegState* s, F&& f) {
  if (setjmp(s->jump)) return false;
  f();
  return true;
}

constexpr JDIMENSION kRowsPerCall = 16;

// Scanlines straight into `rgb` ([h, w, 3]); CMYK through `scratch` ([kRowsPerCall, w, 4]).
void read_rows(j_decompress_ptr c, uint8_t* rgb, uint8_t* scratch) {
  jpeg_start_decompress(c);
  const size_t w = c->output_width;
  const bool cmyk = c->out_color_space == JCS_CMYK;
  JSAMPROW rows[kRowsPerCall];
  while (c->output_scanline < c->output_height) {
    const JDIMENSION y = c->output_scanline;
    const JDIMENSION n = std::min(kRowsPerCall, c->output_height - y);
    for (JDIMENSION i = 0; i < n; ++i) {
      rows[i] = cmyk ? scratch + i * w * 4 : rgb + (y + i) * w * 3;
    }
    const JDIMENSION got = jpeg_read_scanlines(c, rows, n);
    if (cmyk) {
      for (JDIMENSION i = 0; i < got; ++i) {
        image_cmyk_row_to_rgb(rows[i], w, /*inverted=*/true, rgb + (y + i) * w * 3);
      }
    }
  }
}

// ref: Pillow JpegImagePlugin.APP(): the first APP1 that starts with "Exif\0" is the EXIF block.
int orientation_of(j_decompress_ptr c) {
  for (jpeg_saved_marker_ptr m = c->marker_list; m; m = m->next) {
    if (m->marker != JPEG_APP0 + 1 || m->data_length < 5 || std::memcmp(m->data, "Exif", 5) != 0) {
      continue;
    }
    if (m->data_length < 6 || m->data[5] != 0) return 1;
    return image_exif_orientation(m->data + 6, m->data_length - 6);
  }
  return 1;
}

}  // namespace

Result<RgbImage> jpeg_decode(const uint8_t* data, size_t size, const std::string& name,
                             const DecodeOptions& options) {
  const std::string what = name + ": JPEG";
  JpegState s;
  s.deadline =
      Clock::now() + std::chrono::microseconds(static_cast<int64_t>(options.timeout_seconds * 1e6));
  jpeg_std_error(&s.err);
  s.err.error_exit = on_error;
  s.err.emit_message = on_message;
  s.progress.progress_monitor = on_progress;
  s.cinfo.err = &s.err;
  s.cinfo.client_data = &s;  // kept by jpeg_create_decompress
  j_decompress_ptr c = &s.cinfo;
  auto failure = [&]() -> Status {
    if (s.timed_out) return image_timeout_error(name, options);
    return Status::corruption(what + ": " + s.message);
  };

  if (!guarded(&s, [&] {
        jpeg_create_decompress(c);
        s.created = true;
        c->progress = &s.progress;
        jpeg_mem_src(c, data, static_cast<unsigned long>(size));
        jpeg_save_markers(c, JPEG_APP0 + 1, 0xFFFF);
        jpeg_read_header(c, TRUE);
      })) {
    return failure();
  }
  CLIPSEARCH_RETURN_IF_ERROR(
      image_check_pixel_limit(c->image_width, c->image_height, name, options));
  const int orientation = options.exif == ExifMode::kApply ? orientation_of(c) : 1;
  switch (c->jpeg_color_space) {
    case JCS_GRAYSCALE:  // libjpeg replicates gray into RGB, as Pillow's convert("RGB")
    case JCS_YCbCr:
    case JCS_RGB:
      c->out_color_space = JCS_RGB;
      break;
    case JCS_CMYK:
    case JCS_YCCK:
      c->out_color_space = JCS_CMYK;
      break;
    default:
      return Status::unsupported(what + ": unsupported colour space (" +
                                 std::to_string(c->num_components) + " components)");
  }
  c->scale_num = 1;
  c->scale_denom =
      static_cast<unsigned>(image_fast_shrink(c->image_width, c->image_height, options));
  if (!guarded(&s, [&] { jpeg_calc_output_dimensions(c); })) return failure();

  RgbImage out;
  out.width = static_cast<int>(c->output_width);
  out.height = static_cast<int>(c->output_height);
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * 3);
  std::vector<uint8_t> scratch;
  if (c->out_color_space == JCS_CMYK) scratch.resize(size_t{kRowsPerCall} * out.width * 4);
  if (!guarded(&s, [&] { read_rows(c, out.pixels.data(), scratch.data()); })) return failure();
  return image_orient(std::move(out), orientation);
}

}  // namespace clipsearch
