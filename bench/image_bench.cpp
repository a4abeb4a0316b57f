// Image pipeline benchmark: decode + preprocess, one thread, exact and fast (shrink-on-load)
// modes, with the pixel error of fast mode against exact mode. The reference side (Pillow +
// CLIPImageProcessor on the same files) is bench/image_reference_bench.py; run both with
// bench/run_image_bench.sh, which records the ratio.
//
// Usage: image_bench --model DIR [--repeats N] [--raw-mode develop] FILE...
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "clipsearch/image.h"
#include "clipsearch/threads.h"

using namespace clipsearch;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Stats {
  double min = 0, median = 0;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v.front(), v[v.size() / 2]};
}

}  // namespace

int main(int argc, char** argv) {
  std::string model;
  int repeats = 5;
  RawMode raw = RawMode::kPreview;  // camera RAW files: the embedded preview, or LibRaw's develop
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--model") && i + 1 < argc) {
      model = argv[++i];
    } else if (!std::strcmp(argv[i], "--raw-mode") && i + 1 < argc) {
      raw = std::strcmp(argv[++i], "develop") == 0 ? RawMode::kDevelop : RawMode::kPreview;
    } else if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) {
      repeats = std::max(1, std::atoi(argv[++i]));
    } else {
      files.push_back(argv[i]);
    }
  }
  if (model.empty() || files.empty()) {
    std::fprintf(stderr,
                 "usage: image_bench --model DIR [--repeats N] [--raw-mode develop] FILE...\n");
    return 2;
  }
  set_num_threads(1);
  auto cfg = preprocess_config_load(model);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.status().message().c_str());
    return 1;
  }
  // Per image, per repeat: total ms for each stage, both modes.
  std::vector<double> exact_total, exact_decode, exact_resize, fast_total, fast_decode;
  double max_err = 0, sum_err = 0, max_ferr = 0;
  size_t n_err = 0;
  for (int r = 0; r < repeats; ++r) {
    double te = 0, td = 0, tr = 0, tf = 0, tfd = 0;
    for (const std::string& f : files) {
      DecodeOptions base;
      base.raw = raw;
      DecodeOptions exact = image_decode_options_for(*cfg, base);
      double t0 = now_ms();
      auto im = image_decode_file(f, exact);
      double t1 = now_ms();
      if (!im.ok()) {
        std::fprintf(stderr, "%s\n", im.status().message().c_str());
        return 1;
      }
      RgbImage crop = image_resize_crop(*im, *cfg);
      ImageTensor t = image_normalize(crop, *cfg);
      double t2 = now_ms();
      td += t1 - t0;
      tr += t2 - t1;
      te += t2 - t0;

      DecodeOptions fast = exact;
      fast.mode = DecodeMode::kFast;
      fast = image_decode_options_for(*cfg, fast);
      double t3 = now_ms();
      auto fim = image_decode_file(f, fast);
      tfd += now_ms() - t3;
      RgbImage fcrop = image_resize_crop(*fim, *cfg);
      ImageTensor ft = image_normalize(fcrop, *cfg);
      tf += now_ms() - t3;
      if (r == 0) {
        for (size_t i = 0; i < crop.pixels.size(); ++i) {
          double d = std::abs(int(crop.pixels[i]) - int(fcrop.pixels[i]));
          max_err = std::max(max_err, d);
          sum_err += d;
          ++n_err;
        }
        for (size_t i = 0; i < t.data.size(); ++i) {
          max_ferr = std::max(max_ferr, double(std::fabs(t.data[i] - ft.data[i])));
        }
      }
    }
    const double n = static_cast<double>(files.size());
    exact_total.push_back(te / n);
    exact_decode.push_back(td / n);
    exact_resize.push_back(tr / n);
    fast_total.push_back(tf / n);
    fast_decode.push_back(tfd / n);
  }
  Stats e = stats(exact_total), d = stats(exact_decode), z = stats(exact_resize),
        f = stats(fast_total), fd = stats(fast_decode);
  std::printf("images %zu, repeats %d, ms per image (min / median over repeats)\n", files.size(),
              repeats);
  std::printf(
      "clipsearch exact      %8.2f / %8.2f  (decode %.2f / %.2f, resize+crop+normalize %.2f / "
      "%.2f)\n",
      e.min, e.median, d.min, d.median, z.min, z.median);
  std::printf("clipsearch fast       %8.2f / %8.2f  (decode %.2f / %.2f)\n", f.min, f.median,
              fd.min, fd.median);
  std::printf("fast vs exact: uint8 mean abs error %.3f, max %.0f; float max abs error %.4f\n",
              sum_err / std::max<size_t>(n_err, 1), max_err, max_ferr);
  std::printf("RESULT exact_min=%.3f exact_median=%.3f fast_min=%.3f fast_median=%.3f\n", e.min,
              e.median, f.min, f.median);
  return 0;
}
