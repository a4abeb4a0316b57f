// ref: Pillow 9.4 BmpImagePlugin.BmpRleDecoder.decode(), read and reimplemented, quirks
// included, since the pixels must be Pillow's:
// - a run longer than the rest of its row is cut at the row's end; an absolute run is not, and
//   spills into the next row;
// - an RLE4 absolute run of n pixels reads n / 2 bytes (an odd last pixel is lost) and the
//   column still advances by n;
// - after an absolute run the stream is aligned to an even position in the file (not in the
//   pixel data);
// - a delta escape reads two bytes, drops them, and takes right/up from the two after them
//   (what 9.4, the reference's version, does);
// - end of line pads the row with index 0, end of bitmap stops; the picture must then be full.
#include "image/bmp_rle.h"

#include <algorithm>

namespace clipsearch {
namespace {

// The file as Pillow's decoder sees it: a position that may pass the end (a seek), reads that
// return what is left.
struct RleStream {
  const uint8_t* data;
  size_t size;
  size_t pos;
  size_t left() const { return pos < size ? size - pos : 0; }
  uint8_t next() { return data[pos++]; }  // only after checking left()
};

void append_run(std::vector<uint8_t>* out, int64_t count, uint8_t code, bool rle4) {
  if (!rle4) {
    out->insert(out->end(), static_cast<size_t>(count), code);
    return;
  }
  for (int64_t i = 0; i < count; ++i) out->push_back(i % 2 == 0 ? code >> 4 : code & 0x0F);
}

// An absolute run of `count` pixels; false where the file ends inside it.
bool append_absolute(RleStream* s, std::vector<uint8_t>* out, uint8_t count, bool rle4) {
  const size_t want = rle4 ? count / 2 : count;
  const size_t got = std::min(want, s->left());
  for (size_t i = 0; i < got; ++i) {
    const uint8_t b = s->next();
    if (rle4) {
      out->push_back(b >> 4);
      out->push_back(b & 0x0F);
    } else {
      out->push_back(b);
    }
  }
  if (got < want) return false;
  if (s->pos % 2 != 0) ++s->pos;
  return true;
}

}  // namespace

Result<std::vector<uint8_t>> bmp_rle_expand(const uint8_t* data, size_t size, size_t offset,
                                            int64_t width, int64_t height, bool rle4,
                                            const std::string& what) {
  const size_t w = static_cast<size_t>(width);
  const size_t total = w * static_cast<size_t>(height);
  RleStream s{data, size, offset};
  std::vector<uint8_t> out;
  out.reserve(total);
  int64_t x = 0;  // Pillow's column count, which absolute runs can push past the row
  while (out.size() < total && s.left() >= 2) {
    const uint8_t count = s.next(), code = s.next();
    if (count != 0) {
      const int64_t run = std::max<int64_t>(0, std::min<int64_t>(count, width - x));
      append_run(&out, run, code, rle4);
      x += run;
    } else if (code == 0) {  // end of line
      out.resize((out.size() + w - 1) / w * w, 0);
      x = 0;
    } else if (code == 1) {  // end of bitmap
      break;
    } else if (code == 2) {  // delta
      if (s.left() < 2) break;
      s.pos += 2;
      if (s.left() < 2) return Status::corruption(what + ": RLE delta cut short");
      const size_t right = s.next(), up = s.next();
      out.resize(out.size() + right + up * w, 0);
      x = static_cast<int64_t>(out.size() % w);
    } else {
      if (!append_absolute(&s, &out, code, rle4)) break;
      x += code;
    }
  }
  if (out.size() < total) {
    return Status::corruption(what + ": RLE data ends before the picture is full (" +
                              std::to_string(out.size()) + " of " + std::to_string(total) +
                              " pixels)");
  }
  out.resize(total);
  return out;
}

}  // namespace clipsearch
