#include "image/tiff_lab.h"

#include <lcms2.h>

#include <vector>

namespace clipsearch {
namespace {

// ref: _imagingcms.c findLCMStype("LAB"): 8-bit Lab v2 with a padding byte after b.
constexpr cmsUInt32Number kPillowLab =
    COLORSPACE_SH(PT_LabV2) | CHANNELS_SH(3) | BYTES_SH(1) | EXTRA_SH(1);

struct Transform {
  cmsHTRANSFORM t = nullptr;
  ~Transform() {
    if (t) cmsDeleteTransform(t);
  }
};

cmsHTRANSFORM pillow_lab_to_srgb() {
  cmsHPROFILE lab = cmsCreateLab2Profile(nullptr);  // D50, as ImageCms.createProfile("LAB")
  cmsHPROFILE srgb = cmsCreate_sRGBProfile();
  cmsHTRANSFORM t = nullptr;
  if (lab && srgb) t = cmsCreateTransform(lab, kPillowLab, srgb, TYPE_RGBA_8, INTENT_PERCEPTUAL, 0);
  if (lab) cmsCloseProfile(lab);
  if (srgb) cmsCloseProfile(srgb);
  return t;
}

}  // namespace

Result<RgbImage> tiff_lab_to_rgb(const uint8_t* labq, int width, int height,
                                 const std::string& what) {
  Transform transform;
  transform.t = pillow_lab_to_srgb();
  if (!transform.t)
    return Status::error(StatusCode::kInternal, what + ": LittleCMS could not build Lab -> sRGB");
  const size_t w = static_cast<size_t>(width);
  RgbImage out{width, height, std::vector<uint8_t>(w * height * 3)};
  std::vector<uint8_t> in(w * 4), rgba(w * 4);
  for (int y = 0; y < height; ++y) {
    const uint8_t* p = labq + y * w * 4;
    // Pillow's "LAB" raw mode stores a and b offset by 128 (ref: Unpack.c unpackLAB).
    for (size_t x = 0; x < w; ++x) {
      in[x * 4] = p[x * 4];
      in[x * 4 + 1] = p[x * 4 + 1] ^ 0x80;
      in[x * 4 + 2] = p[x * 4 + 2] ^ 0x80;
    }
    cmsDoTransform(transform.t, in.data(), rgba.data(), static_cast<cmsUInt32Number>(w));
    uint8_t* o = &out.pixels[y * w * 3];
    for (size_t x = 0; x < w; ++x) {
      o[x * 3] = rgba[x * 4];
      o[x * 3 + 1] = rgba[x * 4 + 1];
      o[x * 3 + 2] = rgba[x * 4 + 2];
    }
  }
  return out;
}

}  // namespace clipsearch
