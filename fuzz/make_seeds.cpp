// Writes a small seed corpus for image_fuzz: one tiny image per format and layout, each
// prefixed with the option byte image_fuzz reads first.
#include <vips/vips.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2 || vips_init(argv[0]) != 0) return 2;
  const std::string dir = argv[1];
  std::filesystem::create_directories(dir);
  const char* suffixes[] = {".jpg", ".png", ".webp", ".gif", ".tif", ".jpg[Q=50,interlace]"};
  int n = 0;
  for (int bands = 1; bands <= 4; ++bands) {
    std::vector<uint8_t> px(static_cast<size_t>(23) * 11 * bands);
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 37);
    VipsImage* im =
        vips_image_new_from_memory(px.data(), px.size(), 23, 11, bands, VIPS_FORMAT_UCHAR);
    if (bands == 3) vips_image_set_int(im, "orientation", 6);
    for (const char* s : suffixes) {
      void* buf = nullptr;
      size_t len = 0;
      if (vips_image_write_to_buffer(im, s, &buf, &len, nullptr) != 0) {
        vips_error_clear();
        continue;
      }
      std::string path = dir + "/seed" + std::to_string(n) + ".bin";
      FILE* f = std::fopen(path.c_str(), "wb");
      if (f) {
        const uint8_t sel = static_cast<uint8_t>(n * 37);
        std::fwrite(&sel, 1, 1, f);
        std::fwrite(buf, 1, len, f);
        std::fclose(f);
      }
      ++n;
      g_free(buf);
    }
    g_object_unref(im);
  }
  // BMP (libvips cannot write it): 3x2, 24-bit, bottom-up, rows padded to 4 bytes.
  const uint8_t bmp[] = {'B', 'M', 78, 0, 0, 0, 0, 0, 0,  0, 54, 0, 0, 0, 40, 0, 0, 0, 3, 0,
                         0,   0,   2,  0, 0, 0, 1, 0, 24, 0, 0,  0, 0, 0, 24, 0, 0, 0, 0, 0,
                         0,   0,   0,  0, 0, 0, 0, 0, 0,  0, 0,  0, 0, 0, 1,  2, 3, 4, 5, 6,
                         7,   8,   9,  0, 0, 0, 9, 8, 7,  6, 5,  4, 3, 2, 1,  0, 0, 0};
  FILE* f = std::fopen((dir + "/seed_bmp.bin").c_str(), "wb");
  if (f) {
    const uint8_t sel = 0;
    std::fwrite(&sel, 1, 1, f);
    std::fwrite(bmp, 1, sizeof bmp, f);
    std::fclose(f);
    ++n;
  }
  std::printf("%d seeds in %s\n", n, dir.c_str());
  return 0;
}
