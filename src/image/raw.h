// Camera RAW files through LibRaw (docs/IMAGE_PIPELINE.md, "Camera RAW").
//
// Detection (raw_detect.cpp, no LibRaw): RAF, CR3, ORF and RW2 have magic bytes of their own;
// DNG, CR2, NEF, ARW, PEF and the other TIFF-based RAWs start as any TIFF does, so their first
// IFD decides: DNGVersion or CR2's magic make a file RAW for certain; a camera maker's name in
// Make makes it RAW only where LibRaw also identifies it as one (a camera can write plain TIFFs:
// those stay TIFFs, decoded as before). A TIFF with neither never reaches LibRaw.
//
// Decoding (raw.cpp): RawMode::kPreview takes the embedded JPEG preview where it is at least half
// the sensor's size on each side, decoded by jpeg.cpp; otherwise, and with RawMode::kDevelop,
// LibRaw demosaics (camera white balance, sRGB, 8 bits, AHD; half size in fast mode). The raw's
// orientation (LibRaw's `flip`) is applied to either unless ExifMode::kIgnore.
//
// Safety: the pixel limit on the sensor's size before unpacking, the wall-clock limit between
// LibRaw's stages, LibRaw's allocation limit, and its data errors (a truncated file) fail the
// decode with a message naming the file. Thread-safe: one LibRaw object per call (libraw_r).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "clipsearch/image.h"
#include "image/decode.h"

namespace clipsearch {

// What the first bytes and the first IFD say. `name` is the format's name ("DNG", "CR2", "NEF",
// ..., "RAW" for a maker without a name of its own), nullptr when the file shows no RAW sign.
struct RawSignature {
  const char* name = nullptr;
  bool certain = false;  // false: only a maker's name; LibRaw must identify it too
};
RawSignature raw_signature(const uint8_t* data, size_t size);

// A RAW with its own magic bytes (RAF, CR3, ORF, RW2): enough for a 32-byte sniff.
bool raw_magic(const uint8_t* data, size_t size);

// True where a file that sniffs as TIFF is a camera RAW (signature, and LibRaw's identification
// where the signature is not certain).
bool raw_is_raw_tiff(const uint8_t* data, size_t size);

// The format's name for the catalog ("DNG", ...), "RAW" when nothing names it.
const char* raw_format_name(const uint8_t* data, size_t size);

Result<RgbImage> raw_decode(const uint8_t* data, size_t size, const std::string& name,
                            const DecodeOptions& options);

// The visible sensor size, the orientation (from LibRaw's flip, as an EXIF value) and the date
// the camera recorded, for the catalog.
Status raw_read_header(const uint8_t* data, size_t size, const std::string& name,
                       ImageHeader* header);

}  // namespace clipsearch
