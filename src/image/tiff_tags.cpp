#include "image/tiff_tags.h"

#include <algorithm>

namespace clipsearch {
namespace {

constexpr uint32_t kMaxValues = 64;  // more than any tag read here has in a sane file
constexpr size_t kPillowMaxSamples = 6;

struct IfdReader {
  const uint8_t* d;
  size_t n;
  bool le;
  uint32_t u16(size_t at) const { return le ? d[at] | (d[at + 1] << 8) : (d[at] << 8) | d[at + 1]; }
  uint32_t u32(size_t at) const {
    return le ? u16(at) | (u16(at + 2) << 16) : (u16(at) << 16) | u16(at + 2);
  }
};

// The values of the entry at `at` (BYTE, SHORT, LONG and their signed twins); empty where the
// type is another or the values lie outside the file.
std::vector<uint32_t> entry_values(const IfdReader& r, size_t at) {
  const uint32_t type = r.u16(at + 2), count = r.u32(at + 4);
  const size_t width = (type == 1 || type == 6)   ? 1
                       : (type == 3 || type == 8) ? 2
                       : (type == 4 || type == 9) ? 4
                                                  : 0;
  if (width == 0 || count == 0 || count > kMaxValues) return {};
  const size_t bytes = count * width;
  const size_t where = bytes <= 4 ? at + 8 : r.u32(at + 8);
  if (where > r.n || r.n - where < bytes) return {};
  std::vector<uint32_t> v(count);
  for (uint32_t i = 0; i < count; ++i) {
    const size_t p = where + i * width;
    v[i] = width == 1 ? r.d[p] : width == 2 ? r.u16(p) : r.u32(p);
  }
  return v;
}

void store(uint32_t tag, const std::vector<uint32_t>& v, TiffTags* t) {
  const int first = static_cast<int>(std::min<uint32_t>(v[0], 0x7FFFFFFF));
  switch (tag) {
    case 256:
      t->width = v[0];
      break;
    case 257:
      t->height = v[0];
      break;
    case 258:
      t->bits = v;
      break;
    case 259:
      t->compression = first;
      break;
    case 262:
      t->photometric = first;
      break;
    case 266:
      t->fill_order = first;
      break;
    case 274:
      t->orientation = first;
      break;
    case 277:
      t->samples_per_pixel = first;
      break;
    case 338:
      t->extra_samples = v;
      break;
    case 339:
      t->sample_format = v;
      break;
  }
}

std::string describe(int photo, uint32_t format, uint32_t bits, int fill, bool le) {
  return "photometric " + std::to_string(photo) + ", sample format " + std::to_string(format) +
         ", " + std::to_string(bits) + " bits, fill order " + std::to_string(fill) + ", " +
         (le ? "little" : "big") + "-endian";
}

// ref: TiffImagePlugin OPEN_INFO, its one-sample entries (mode "1", "L", "I;16", "I", "F").
bool gray_mode(int photo, uint32_t format, uint32_t bits, int fill, bool le, TiffGrayMode* m) {
  const bool black = photo == 1;
  m->bits = static_cast<int>(bits);
  m->invert = !black;
  if (format == 1 && (bits == 1 || bits == 2 || bits == 4 || bits == 8)) {
    m->kind = bits == 1 ? TiffGrayKind::kBilevel : TiffGrayKind::kGray;
    return fill == 1 || fill == 2;
  }
  m->invert = false;  // Pillow inverts no deeper sample
  if (format == 1 && bits == 12) {
    m->kind = TiffGrayKind::kUint;
    return black && fill == 1 && le;
  }
  if (format == 1 && bits == 16) {  // I;16 (also min-is-white), I;16R, I;16B
    m->kind = TiffGrayKind::kUint;
    return le ? (fill == 1 || (black && fill == 2)) : (black && fill == 1);
  }
  if (format == 1 && bits == 32) {  // I;32N: unsigned samples read as signed
    m->kind = TiffGrayKind::kInt;
    return black && fill == 1 && le;
  }
  if (format == 2 && (bits == 16 || bits == 32)) {
    m->kind = TiffGrayKind::kInt;
    return black && fill == 1;
  }
  if (format == 3 && bits == 32) {
    m->kind = TiffGrayKind::kFloat;
    return fill == 1;
  }
  return false;
}

}  // namespace

bool tiff_read_tags(const uint8_t* d, size_t n, TiffTags* t) {
  if (n < 8 || !((d[0] == 'I' && d[1] == 'I') || (d[0] == 'M' && d[1] == 'M'))) return false;
  const IfdReader r{d, n, d[0] == 'I'};
  t->little_endian = r.le;
  const size_t ifd = r.u32(4);
  if (ifd > n || n - ifd < 2) return false;
  const size_t entries = r.u16(ifd);
  if ((n - ifd - 2) / 12 < entries) return false;
  for (size_t e = 0; e < entries; ++e) {
    const size_t at = ifd + 2 + e * 12;
    const std::vector<uint32_t> v = entry_values(r, at);
    if (!v.empty()) store(r.u16(at), v, t);
  }
  return true;
}

Result<TiffPlan> tiff_plan(const TiffTags& t, const std::string& name) {
  TiffPlan plan;
  const std::string what = name + ": TIFF";
  // Pillow's defaults: a missing photometric tag is 0 (min-is-white), old-style JPEG is YCbCr.
  const int photo = t.compression == 6 ? 6 : std::max(t.photometric, 0);
  std::vector<uint32_t> format =
      t.sample_format.empty() ? std::vector<uint32_t>{1} : t.sample_format;
  if (std::all_of(format.begin(), format.end(), [](uint32_t f) { return f == 1; })) format = {1};
  std::vector<uint32_t> bits = t.bits.empty() ? std::vector<uint32_t>{1} : t.bits;
  const size_t samples = t.samples_per_pixel >= 0 ? t.samples_per_pixel : 1;
  // Pillow refuses more than 6 samples (MAX_SAMPLESPERPIXEL) before anything else; none of the
  // modes decided here has more, so such files stay libvips' (which decides alone, as before).
  if (samples > kPillowMaxSamples) return plan;
  if (samples < bits.size()) bits.resize(samples);
  if (samples > bits.size() && bits.size() == 1) bits.assign(samples, bits[0]);
  const bool organized = bits.size() == samples && samples > 0;
  if (photo == 8 || photo == 9 || photo == 10) {  // CIELAB, ICC Lab, ITU Lab
    if (photo == 8 && organized && bits == std::vector<uint32_t>{8, 8, 8} && format.size() == 1 &&
        format[0] == 1 && t.fill_order == 1 && t.extra_samples.empty()) {
      plan.route = TiffRoute::kLab;
      return plan;
    }
    return Status::unsupported(what +
                               ": unknown pixel mode (Pillow reads only 8-bit CIELab, "
                               "photometric 8)");
  }
  if ((photo != 0 && photo != 1) || samples != 1 || !t.extra_samples.empty() || !organized) {
    return plan;  // not one of the modes decided here: libvips, as before
  }
  const uint32_t b = bits[0];
  const bool own = t.photometric < 0 || format != std::vector<uint32_t>{1} || b == 12 || b == 32 ||
                   (b == 16 && photo == 0);
  if (!own) return plan;
  if (format.size() != 1 ||
      !gray_mode(photo, format[0], b, t.fill_order, t.little_endian, &plan.gray)) {
    return Status::unsupported(what + ": unknown pixel mode, which Pillow does not read either (" +
                               describe(photo, format[0], b, t.fill_order, t.little_endian) +
                               (t.photometric < 0 ? ", photometric tag missing" : "") + ")");
  }
  plan.route = TiffRoute::kGray;
  return plan;
}

}  // namespace clipsearch
