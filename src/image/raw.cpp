// Camera RAW decoding with LibRaw (raw.h): the embedded JPEG preview or LibRaw's demosaic.
#include "image/raw.h"

#include <libraw/libraw.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <memory>

#include "image/jpeg.h"
#include "image/orient.h"

// libgomp comes with libraw_r (built with OpenMP): its demosaic would start a thread per core in
// every decode, on top of the batches' own threads. Weak, so a build whose LibRaw has no OpenMP
// links too.
extern "C" void omp_set_num_threads(int) __attribute__((weak));

namespace clipsearch {
namespace {

using Clock = std::chrono::steady_clock;

// LibRaw's own ceiling on the raw buffer (its default is 2048 MB): the pixel limit already
// bounds it to about 180 MB for 16-bit samples; this stops a file that lies about its layout.
constexpr unsigned kMaxRawMemoryMb = 1024;

// One call's state, shared with LibRaw's callbacks.
struct RawCall {
  Clock::time_point deadline;
  bool timed_out = false;
  int data_errors = 0;
  int first_error_offset = -1;
};

// LibRaw calls this between its stages (open, unpack, each step of dcraw_process); a non-zero
// answer cancels the call with LIBRAW_CANCELLED_BY_CALLBACK.
int on_progress(void* data, LibRaw_progress, int, int) {
  auto* call = static_cast<RawCall*>(data);
  if (Clock::now() > call->deadline) call->timed_out = true;
  return call->timed_out ? 1 : 0;
}

// A decoder ran out of data or met a bad value (LibRaw's default prints to stderr and goes on
// with zeros: here it fails the decode).
void on_data_error(void* data, const char*, const int offset) {
  auto* call = static_cast<RawCall*>(data);
  if (call->data_errors++ == 0) call->first_error_offset = offset;
}

// LibRaw's flip (0, 3, 5, 6, and the mirrored 1, 2, 4, 7) as an EXIF orientation; LibRaw made
// it from the file's orientation with "50132467"[orientation & 7].
int flip_to_exif(int flip) {
  static const int kExif[8] = {1, 2, 4, 3, 5, 8, 6, 7};
  return kExif[flip & 7];
}

// One LibRaw object opened on a buffer, with the callbacks above.
class RawFile {
 public:
  RawFile(const std::string& name, const char* format, const DecodeOptions& options)
      : lr_(std::make_unique<LibRaw>(LIBRAW_OPTIONS_NONE)),
        what_(name + ": " + format),
        name_(name),
        options_(options) {
    call_.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(options.timeout_seconds));
    lr_->imgdata.params.max_raw_memory_mb = kMaxRawMemoryMb;
    lr_->set_progress_handler(on_progress, &call_);
    lr_->set_dataerror_handler(on_data_error, &call_);
  }

  Status open(const uint8_t* data, size_t size) {
    // LibRaw's buffer stream only reads; its API takes the pointer without const.
    return check(lr_->open_buffer(const_cast<uint8_t*>(data), size), "cannot read the file");
  }

  // Fails where LibRaw failed, timed out or reported a data error.
  Status check(int rc, const char* doing) const {
    if (call_.timed_out || rc == LIBRAW_CANCELLED_BY_CALLBACK) {
      return image_timeout_error(name_, options_);
    }
    if (rc != LIBRAW_SUCCESS) {
      return Status::corruption(what_ + ": " + doing + " (LibRaw: " + libraw_strerror(rc) + ")");
    }
    if (call_.data_errors > 0) {
      return Status::corruption(what_ + ": " + doing + ": truncated or corrupt data (LibRaw: " +
                                std::to_string(call_.data_errors) +
                                " data error(s), the first at " + "offset " +
                                std::to_string(call_.first_error_offset) + ")");
    }
    return Status();
  }

  double seconds_left() const {
    return std::chrono::duration<double>(call_.deadline - Clock::now()).count();
  }

  LibRaw& lr() { return *lr_; }
  const std::string& what() const { return what_; }

 private:
  std::unique_ptr<LibRaw> lr_;  // large (hundreds of KB): on the heap
  RawCall call_;
  std::string what_;  // "name: DNG", the start of every message
  std::string name_;
  DecodeOptions options_;
};

// The preview rule: at least half the sensor's visible size on each side, whichever way either
// is turned (a preview is stored as the sensor is, but a camera may store it rotated).
bool preview_large_enough(int pw, int ph, int w, int h) {
  return 2 * std::max(pw, ph) >= std::max(w, h) && 2 * std::min(pw, ph) >= std::min(w, h);
}

// The embedded JPEG preview decoded by jpeg.cpp straight from the file's bytes, unoriented (the
// raw's orientation is applied by the caller); an empty image where there is no JPEG preview
// large enough. Not LibRaw's unpack_thumb: for a JPEG it runs libjpeg with libjpeg's default
// error handler, whose fatal errors call exit().
Result<RgbImage> decode_preview(RawFile& f, const uint8_t* data, size_t size,
                                const std::string& name, const DecodeOptions& options) {
  LibRaw& lr = f.lr();
  const libraw_thumbnail_t& t = lr.imgdata.thumbnail;
  const libraw_image_sizes_t& s = lr.imgdata.sizes;
  if (!lr.is_jpeg_thumb() || !preview_large_enough(t.twidth, t.theight, s.width, s.height)) {
    return RgbImage();
  }
  const int64_t at = lr.get_internal_data_pointer()->internal_data.toffset;
  const int64_t length = t.tlength;
  if (at <= 0 || length <= 0 || static_cast<uint64_t>(at) >= size ||
      size - static_cast<uint64_t>(at) < static_cast<uint64_t>(length)) {
    return Status::corruption(f.what() + ": the embedded preview (" + std::to_string(length) +
                              " bytes at " + std::to_string(at) +
                              ") runs past the end of the file (" + std::to_string(size) +
                              " bytes): truncated?");
  }
  DecodeOptions jpeg_options = options;
  jpeg_options.exif = ExifMode::kIgnore;
  jpeg_options.timeout_seconds = std::max(f.seconds_left(), 0.0);
  CLIPSEARCH_ASSIGN_OR_RETURN(RgbImage image,
                              jpeg_decode(data + at, static_cast<size_t>(length),
                                          name + " (embedded JPEG preview)", jpeg_options));
  // The header's size may claim more than the JPEG holds; fast mode shrinks on purpose.
  const int shrink = image_fast_shrink(t.twidth, t.theight, options);
  if (!preview_large_enough(image.width * shrink, image.height * shrink, s.width, s.height)) {
    return RgbImage();
  }
  return image;
}

// LibRaw's demosaic: camera white balance, sRGB, 8 bits, AHD; half size (no demosaic, one pixel
// per 2x2 block) where fast mode would shrink by 2 or more.
Result<RgbImage> develop(RawFile& f, const DecodeOptions& options) {
  LibRaw& lr = f.lr();
  libraw_output_params_t& p = lr.imgdata.params;
  p.use_camera_wb = 1;
  p.output_color = 1;  // sRGB
  p.output_bps = 8;
  p.user_qual = 3;  // AHD
  p.user_flip = 0;  // the orientation is applied after, as for the preview
  p.half_size = image_fast_shrink(lr.imgdata.sizes.width, lr.imgdata.sizes.height, options) >= 2;
  const std::string decoder = lr.unpack_function_name();
  if (decoder == "lossy_dng_load_raw()" || decoder == "kodak_jpeg_load_raw()") {
    // Both run libjpeg with its default error handler, whose fatal errors call exit().
    return Status::unsupported(f.what() + ": lossy JPEG-compressed raw data (" + decoder +
                               ") is not developed; it has no embedded preview to use instead");
  }
  CLIPSEARCH_RETURN_IF_ERROR(f.check(lr.unpack(), "cannot read the raw data"));
  if (omp_set_num_threads) omp_set_num_threads(1);  // this thread's parallel regions only
  CLIPSEARCH_RETURN_IF_ERROR(f.check(lr.dcraw_process(), "cannot develop the raw data"));
  int rc = LIBRAW_SUCCESS;
  std::unique_ptr<libraw_processed_image_t, void (*)(libraw_processed_image_t*)> im(
      lr.dcraw_make_mem_image(&rc), LibRaw::dcraw_clear_mem);
  CLIPSEARCH_RETURN_IF_ERROR(f.check(rc, "cannot develop the raw data"));
  if (!im || im->type != LIBRAW_IMAGE_BITMAP || im->bits != 8 ||
      (im->colors != 3 && im->colors != 1)) {
    return Status::corruption(f.what() + ": LibRaw developed no 8-bit RGB or gray image");
  }
  RgbImage out;
  out.width = im->width;
  out.height = im->height;
  const size_t pixels = static_cast<size_t>(im->width) * im->height;
  out.pixels.resize(pixels * 3);
  for (size_t i = 0; i < pixels; ++i) {
    for (int c = 0; c < 3; ++c) out.pixels[i * 3 + c] = im->data[i * im->colors + c % im->colors];
  }
  return out;
}

std::string exif_date(time_t t) {
  if (t <= 0) return "";
  std::tm tm{};
  if (!localtime_r(&t, &tm)) return "";
  char text[32];
  return std::strftime(text, sizeof text, "%Y:%m:%d %H:%M:%S", &tm) ? text : "";
}

}  // namespace

bool raw_is_raw_tiff(const uint8_t* data, size_t size) {
  const RawSignature s = raw_signature(data, size);
  if (s.name == nullptr) return false;
  if (s.certain) return true;
  DecodeOptions options;
  RawFile f("", s.name, options);
  return f.open(data, size).ok();
}

Result<RgbImage> raw_decode(const uint8_t* data, size_t size, const std::string& name,
                            const DecodeOptions& options) {
  RawFile f(name, raw_format_name(data, size), options);
  CLIPSEARCH_RETURN_IF_ERROR(f.open(data, size));
  const libraw_image_sizes_t& s = f.lr().imgdata.sizes;
  CLIPSEARCH_RETURN_IF_ERROR(image_check_pixel_limit(
      std::max(s.raw_width, s.width), std::max(s.raw_height, s.height), name, options));
  const int orientation = flip_to_exif(s.flip);
  RgbImage image;
  if (options.raw == RawMode::kPreview) {
    CLIPSEARCH_ASSIGN_OR_RETURN(image, decode_preview(f, data, size, name, options));
  }
  if (image.pixels.empty()) {
    CLIPSEARCH_ASSIGN_OR_RETURN(image, develop(f, options));
  }
  if (options.exif == ExifMode::kIgnore) return image;
  return image_orient(std::move(image), orientation);
}

Status raw_read_header(const uint8_t* data, size_t size, const std::string& name,
                       ImageHeader* header) {
  DecodeOptions options;
  RawFile f(name, raw_format_name(data, size), options);
  CLIPSEARCH_RETURN_IF_ERROR(f.open(data, size));
  const libraw_data_t& d = f.lr().imgdata;
  header->width = d.sizes.width;
  header->height = d.sizes.height;
  header->orientation = flip_to_exif(d.sizes.flip);
  header->date_original = exif_date(d.other.timestamp);
  header->camera = camera_name(d.idata.make, d.idata.model);
  return Status();
}

}  // namespace clipsearch
