// Reduced precisions against the reference (and `clipsearch quantize`'s folders of each): every
// float32 model that tests/reference/make_clip_models.py built (the full-size ViT-B/32 and B/16
// among them) loaded at bf16, f16, int8 and int8-dynamic, and the cosine of each image and text
// embedding to the reference's float32 embedding printed and bounded, for every model (the small
// ones cover the layouts and odd shapes; the full-size ones are what the bounds are about).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "clipsearch/model.h"
#include "core/npy.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

struct Case {
  std::string name, dir;
};

std::vector<Case> float32_models() {
  std::vector<Case> cases;
  std::ifstream in(testing::reference_dir() + "/clip_models/manifest.json");
  if (!in) return cases;
  for (const auto& e : nlohmann::json::parse(in)) {
    if (e["dtype"] != "f32") continue;
    cases.push_back({e["name"], e["dir"]});
  }
  return cases;
}

// The least cosines each precision must reach, for every image and text of every model: to the
// reference's float32 embedding, and centered (row_cosines). Measured on the random-weight
// models, least of all images and texts (docs/ARCHITECTURE.md, "Precisions"):
//            cosine     centered (ViT-B/32 image, B/16 image, texts)
//   f16      0.9999998  0.999995, 0.99998, 0.99999
//   bf16     0.999993   0.99969,  0.99884, 0.99992
//   int8     0.99988    0.9932,   0.9745,  0.9981
//   int8-dynamic 0.99961 0.9855,  0.9375,  0.9959 (every product in int8, before the
//                out-projections and fc2 stayed weight-only; the small ResNet's text tower 0.99942)
// and where the products of many rows run in BF16 arithmetic (the avx512bf16 level, activations
// rounded to BF16 too; Zen 4):
//   bf16     0.99997    0.99947,  0.99778, 0.99986
//   int8     0.99976    0.9930,   0.9741,  0.9979
// The centered figure of images falls with the share of the embedding that tells random images
// apart (6% of its norm on B/32, 3% on B/16, whose class token averages 196 patches): the
// quantization error is a share of the whole embedding. Published checkpoints spread pictures
// far wider, so these bounds are the random models' floor, not a promise about real ones.
struct Bounds {
  double cosine, centered;
};

Bounds bounds(Precision p) {
  switch (p) {
    case Precision::kFloat16:
      return {0.99999, 0.9999};
    case Precision::kBFloat16:
      return {0.99995, 0.998};
    case Precision::kInt8:
      return {0.9995, 0.95};
    case Precision::kInt8Dynamic:
      return {0.999, 0.92};
    case Precision::kFloat32:
      break;
  }
  return {0.99999, 0.99999};
}

// Cosines of each row of `got` to the same row of `ref` [rows, dim]. centered: both less the
// mean of the reference's rows first. Random-weight models give every input nearly the same
// embedding (three random images of ViT-B/32 are at cosine ~0.994 to each other: the class
// embedding, biases and norms dominate), so the plain cosine mostly measures that shared part;
// the centered one measures what tells inputs apart, which is what search ranks by.
std::vector<double> row_cosines(const std::vector<float>& got, const NpyArray& ref, bool centered) {
  const int64_t rows = ref.shape[0], dim = ref.shape[1];
  std::vector<double> mean(static_cast<size_t>(dim), 0.0);
  for (int64_t r = 0; r < rows && centered; ++r) {
    for (int64_t i = 0; i < dim; ++i) {
      mean[static_cast<size_t>(i)] += ref.data[static_cast<size_t>(r * dim + i)] / rows;
    }
  }
  std::vector<double> out;
  for (int64_t r = 0; r < rows; ++r) {
    double dot = 0, ng = 0, nr = 0;
    for (int64_t i = 0; i < dim; ++i) {
      const double g = got[static_cast<size_t>(r * dim + i)] - mean[static_cast<size_t>(i)];
      const double f = ref.data[static_cast<size_t>(r * dim + i)] - mean[static_cast<size_t>(i)];
      dot += g * f;
      ng += g * g;
      nr += f * f;
    }
    out.push_back(dot / std::sqrt(ng * nr));
  }
  return out;
}

// The share of each reference row's norm that differs from the rows' mean: how much of the
// embedding tells the inputs apart.
std::vector<double> spread_shares(const NpyArray& ref) {
  const int64_t rows = ref.shape[0], dim = ref.shape[1];
  std::vector<double> mean(static_cast<size_t>(dim), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < dim; ++i) {
      mean[static_cast<size_t>(i)] += ref.data[static_cast<size_t>(r * dim + i)] / rows;
    }
  }
  std::vector<double> out;
  for (int64_t r = 0; r < rows; ++r) {
    double centered = 0, whole = 0;
    for (int64_t i = 0; i < dim; ++i) {
      const double f = ref.data[static_cast<size_t>(r * dim + i)];
      centered += (f - mean[static_cast<size_t>(i)]) * (f - mean[static_cast<size_t>(i)]);
      whole += f * f;
    }
    out.push_back(std::sqrt(centered / whole));
  }
  return out;
}

// Below this share the centered cosine is not checked. A random-weight BERT text tower pooled at
// its first token ([CLS], the same token in every text) gives texts that differ by about 1% of
// their norm (Chinese-CLIP's and RoBERTa's test models; CLIP's texts and images differ by
// 25-90%, mean-pooled XLM-R's by 35-50%), so any precision's error, a share of the whole
// embedding, is a large share of that 1% on random weights; trained weights spread texts far
// wider. Those rows are held to the plain cosine bound alone.
constexpr double kMinSpreadForCentered = 0.05;

void report_and_check(const Case& c, Precision p, const char* tower,
                      const std::vector<double>& cosines, const std::vector<double>& centered,
                      const std::vector<double>& spread) {
  double least = 1, sum = 0;
  for (double v : cosines) {
    least = std::min(least, v);
    sum += v;
  }
  double least_centered = 1;
  for (double v : centered) least_centered = std::min(least_centered, v);
  std::printf(
      "precision %-12s %-20s %-5s cosine min %.7f mean %.7f, centered min %.7f (%zu rows)\n",
      precision_name(p), c.name.c_str(), tower, least, sum / static_cast<double>(cosines.size()),
      least_centered, cosines.size());
  size_t unchecked = 0;
  for (size_t i = 0; i < cosines.size(); ++i) {
    const std::string what =
        c.name + " " + precision_name(p) + " " + tower + " row " + std::to_string(i);
    EXPECT_GE(cosines[i], bounds(p).cosine) << what;
    if (spread[i] >= kMinSpreadForCentered) {
      EXPECT_GE(centered[i], bounds(p).centered) << what << " centered";
    } else {
      ++unchecked;
    }
  }
  if (unchecked != 0) {
    std::printf(
        "  %zu rows' centered cosine not checked: their inputs differ by under %.0f%% of "
        "the norm\n",
        unchecked, 100 * kMinSpreadForCentered);
  }
}

// `clipsearch quantize`'s folder of the model at `p` embeds exactly as loading the float32 folder
// at `p` did (image_out, text_out), at `p` whatever precision is asked (f32: as stored), and in
// the share of the float32 file the precision promises. int8-dynamic's folder is int8's, run
// with int8 activations when asked for them.
void check_quantized_folder(const Case& c, Precision p, const NpyArray& pixels,
                            const std::vector<std::vector<int32_t>>& texts,
                            const std::vector<float>& image_out,
                            const std::vector<float>& text_out) {
  const Precision stored = p == Precision::kInt8Dynamic ? Precision::kInt8 : p;
  ModelOptions asked;  // f32: runs as stored
  if (p == Precision::kInt8Dynamic) asked.precision = p;
  testing::TempDir tmp;
  const std::string dir = tmp.file("quantized");
  auto report = quantize_model(c.dir, p, dir);
  ASSERT_TRUE(report.ok()) << report.status().message();
  const double share =
      static_cast<double>(report->output_bytes) / static_cast<double>(report->source_bytes);
  std::printf("quantized %-12s %-20s %.1f MB, %.3f of %.1f MB\n", precision_name(p), c.name.c_str(),
              static_cast<double>(report->output_bytes) / 1e6, share,
              static_cast<double>(report->source_bytes) / 1e6);
  auto model = Model::load(dir, asked);
  ASSERT_TRUE(model.ok()) << model.status().message();
  if ((*model)->info().image_tower == "resnet") {
    // A ResNet image tower stays float32 (clip_weights.h): only the text tower shrinks.
    EXPECT_LT(share, stored == Precision::kInt8 ? 0.80 : 0.85)
        << c.name << " " << precision_name(p);
  } else if (c.name.find("full") != std::string::npos) {  // real shapes: the size promise
    EXPECT_LE(share, stored == Precision::kInt8 ? 0.30 : 0.52)
        << c.name << " " << precision_name(p);
  }
  EXPECT_EQ((*model)->info().precision, precision_name(p));
  std::vector<float> images(image_out.size()), text(text_out.size());
  ASSERT_TRUE(
      (*model)->encode_images(pixels.data.data(), pixels.shape[0], images.data(), false).ok());
  ASSERT_TRUE((*model)->encode_texts(texts, text.data(), false).ok());
  EXPECT_EQ(images, image_out) << c.name << " " << precision_name(p) << ": quantized folder";
  EXPECT_EQ(text, text_out) << c.name << " " << precision_name(p) << ": quantized folder";
  ModelOptions same;
  same.precision = p;
  EXPECT_TRUE(Model::load(dir, same).ok());
  ModelOptions other;
  other.precision = stored == Precision::kInt8 ? Precision::kFloat16 : Precision::kInt8;
  auto refused = Model::load(dir, other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(refused.status().message().find(std::string("runs at ") + precision_name(stored) +
                                            ", not " + precision_name(other.precision)),
            std::string::npos)
      << refused.status().message();
}

class PrecisionReference : public ::testing::TestWithParam<Case> {};

TEST_P(PrecisionReference, EmbeddingsStayCloseToTheReference) {
  const Case& c = GetParam();
  auto pixels = npy_read(c.dir + "/pixels.npy");
  auto image_ref = npy_read(c.dir + "/image_raw.npy");
  auto text_ref = npy_read(c.dir + "/text_raw.npy");
  ASSERT_TRUE(pixels.ok() && image_ref.ok() && text_ref.ok());
  std::ifstream in(c.dir + "/token_ids.json");
  const auto texts = nlohmann::json::parse(in).get<std::vector<std::vector<int32_t>>>();
  for (Precision p :
       {Precision::kBFloat16, Precision::kFloat16, Precision::kInt8, Precision::kInt8Dynamic}) {
    ModelOptions options;
    options.precision = p;
    auto model = Model::load(c.dir, options);
    ASSERT_TRUE(model.ok()) << model.status().message();
    EXPECT_EQ((*model)->info().precision, precision_name(p));
    const int64_t dim = (*model)->info().embed_dim, images = pixels->shape[0];
    std::vector<float> image_out(static_cast<size_t>(images * dim));
    ASSERT_TRUE((*model)->encode_images(pixels->data.data(), images, image_out.data(), false).ok());
    report_and_check(c, p, "image", row_cosines(image_out, *image_ref, false),
                     row_cosines(image_out, *image_ref, true), spread_shares(*image_ref));
    std::vector<float> text_out(texts.size() * static_cast<size_t>(dim));
    ASSERT_TRUE((*model)->encode_texts(texts, text_out.data(), false).ok());
    report_and_check(c, p, "text", row_cosines(text_out, *text_ref, false),
                     row_cosines(text_out, *text_ref, true), spread_shares(*text_ref));
    check_quantized_folder(c, p, *pixels, texts, image_out, text_out);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, PrecisionReference, ::testing::ValuesIn(float32_models()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(Precision, NamesParseBack) {
  for (Precision p : {Precision::kFloat32, Precision::kBFloat16, Precision::kFloat16,
                      Precision::kInt8, Precision::kInt8Dynamic}) {
    auto parsed = precision_parse(precision_name(p));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, p);
  }
  auto bad = precision_parse("fp8");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "precision 'fp8' is not one of f32, bf16, f16, int8, int8-dynamic");
}

}  // namespace
}  // namespace clipsearch
