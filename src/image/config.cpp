// Preprocessing configuration from a model folder: transformers' preprocessor_config.json
// (CLIPImageProcessor / CLIPFeatureExtractor, ChineseCLIPImageProcessor, SiglipImageProcessor)
// or open_clip's open_clip_config.json.
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "clipsearch/image.h"

namespace clipsearch {
namespace {

using nlohmann::json;

// ref: PIL.Image.Resampling values, as stored in "resample".
Result<ResampleFilter> filter_from_pil(int value, const std::string& name) {
  switch (value) {
    case 1:
      return ResampleFilter::kLanczos;
    case 2:
      return ResampleFilter::kBilinear;
    case 3:
      return ResampleFilter::kBicubic;
    case 4:
      return ResampleFilter::kBox;
    case 5:
      return ResampleFilter::kHamming;
    default:
      return Status::unsupported(name + ": resample " + std::to_string(value) +
                                 " is not supported (box 4, bilinear 2, hamming 5, bicubic 3, "
                                 "lanczos 1 are)");
  }
}

Status read_triple(const json& j, const char* key, const std::string& name, float out[3]) {
  if (!j.contains(key)) return Status();
  const json& v = j[key];
  if (v.is_number()) {
    out[0] = out[1] = out[2] = v.get<float>();
    return Status();
  }
  if (!v.is_array() || v.size() != 3 || !v[0].is_number() || !v[1].is_number() ||
      !v[2].is_number()) {
    return Status::invalid_argument(name + ": \"" + key +
                                    "\" must be a number or a list of 3 numbers");
  }
  // Parsed as double, then rounded to float32 as numpy/torch do with float32 images.
  for (int c = 0; c < 3; ++c) out[c] = static_cast<float>(v[c].get<double>());
  return Status();
}

Result<std::string> read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::io_error(path + ": cannot open");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

Status positive(int v, const std::string& what, const std::string& name) {
  if (v <= 0 || v > 16384) {
    return Status::invalid_argument(name + ": " + what + " " + std::to_string(v) +
                                    " is out of range (1..16384)");
  }
  return Status();
}

// A {"height": H, "width": W} dict (a size or a crop size): both keys, integers in range.
Status read_height_width(const json& s, const char* key, const std::string& name, int* height,
                         int* width) {
  for (const char* k : {"height", "width"}) {
    if (!s.contains(k)) {
      return Status::invalid_argument(name + ": \"" + key + "\" has no \"" + k +
                                      "\" (a {\"height\": H, \"width\": W} size needs both), got " +
                                      s.dump());
    }
    if (!s[k].is_number_integer()) {
      return Status::invalid_argument(name + ": \"" + key + "\" \"" + k +
                                      "\" must be an integer, got " + s[k].dump());
    }
  }
  const std::string what = std::string(key) + " ";
  CLIPSEARCH_RETURN_IF_ERROR(positive(s["height"].get<int>(), what + "height", name));
  CLIPSEARCH_RETURN_IF_ERROR(positive(s["width"].get<int>(), what + "width", name));
  *height = s["height"].get<int>();
  *width = s["width"].get<int>();
  return Status();
}

// ref: transformers 4.37.2 SiglipImageProcessor: size {"height": 224, "width": 224} resized to
// exactly (no aspect kept), bicubic, rescale 1/255, IMAGENET_STANDARD mean and std (0.5), and no
// centre crop ("do_center_crop" and "crop_size" in its file are ignored, as it ignores them).
bool is_siglip(const json& j) {
  auto it = j.find("image_processor_type");
  return it != j.end() && *it == "SiglipImageProcessor";
}

void siglip_defaults(PreprocessConfig* c) {
  c->resize_height = c->resize_width = 224;
  for (int i = 0; i < 3; ++i) c->mean[i] = c->std[i] = 0.5f;
}

// No crop, written as a centre crop of the resized size (it takes every pixel, as for open_clip's
// "squash"), so that the output size is the crop size for every processor. SiglipImageProcessor
// reads size["height"] and size["width"]: an int or {"shortest_edge"} size makes it raise
// KeyError('height').
Status siglip_no_crop(PreprocessConfig* c, const std::string& name) {
  if (c->resize_height == 0) {
    return Status::invalid_argument(name +
                                    ": SiglipImageProcessor needs \"size\" as {\"height\": H, "
                                    "\"width\": W} (it resizes to exactly that size)");
  }
  c->do_center_crop = true;
  c->crop_height = c->resize_height;
  c->crop_width = c->resize_width;
  return Status();
}

}  // namespace

Result<PreprocessConfig> preprocess_config_parse_hf(const std::string& text,
                                                    const std::string& name) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::corruption(name + ": not a JSON object");
  PreprocessConfig c;
  const bool siglip = is_siglip(j);
  if (siglip) siglip_defaults(&c);
  try {
    c.do_resize = j.value("do_resize", true);
    c.do_center_crop = j.value("do_center_crop", true);
    c.do_rescale = j.value("do_rescale", true);
    c.do_normalize = j.value("do_normalize", true);
    c.rescale_factor = j.value("rescale_factor", 1.0 / 255.0);
    if (j.contains("resample")) {
      CLIPSEARCH_ASSIGN_OR_RETURN(c.resample, filter_from_pil(j["resample"].get<int>(), name));
    }
    // ref: transformers 4.25.1 get_size_dict(). "size": an int or {"shortest_edge": N} is the
    // shortest edge (CLIPImageProcessor resizes with default_to_square=False, and ignores a
    // "longest_edge" beside it); {"height": H, "width": W} is an exact resize to W x H, aspect
    // not kept, as ChineseCLIPImageProcessor does (its published configs all use this form; an
    // int or "shortest_edge" makes it raise KeyError('height')). CLIPImageProcessor would raise
    // for the height/width form too, but the resize it names is unambiguous, so it is accepted
    // whatever "image_processor_type" says.
    if (j.contains("size")) {
      const json& s = j["size"];
      if (s.is_number_integer()) {
        c.shortest_edge = s.get<int>();
        c.resize_height = c.resize_width = 0;
      } else if (s.is_object() && s.contains("shortest_edge")) {
        if (s.contains("height") || s.contains("width")) {
          return Status::invalid_argument(name +
                                          ": \"size\" holds both \"shortest_edge\" and "
                                          "\"height\"/\"width\", got " +
                                          s.dump());
        }
        c.shortest_edge = s["shortest_edge"].get<int>();
        c.resize_height = c.resize_width = 0;
      } else if (s.is_object() && (s.contains("height") || s.contains("width"))) {
        CLIPSEARCH_RETURN_IF_ERROR(
            read_height_width(s, "size", name, &c.resize_height, &c.resize_width));
      } else {
        return Status::invalid_argument(
            name +
            ": \"size\" must be an integer, {\"shortest_edge\": N} (resize the shortest edge) or "
            "{\"height\": H, \"width\": W} (resize to exactly W x H), got " +
            s.dump());
      }
    }
    if (j.contains("crop_size")) {
      const json& s = j["crop_size"];
      if (s.is_number_integer()) {
        c.crop_height = c.crop_width = s.get<int>();
      } else if (s.is_object() && (s.contains("height") || s.contains("width"))) {
        CLIPSEARCH_RETURN_IF_ERROR(
            read_height_width(s, "crop_size", name, &c.crop_height, &c.crop_width));
      } else {
        return Status::invalid_argument(name +
                                        ": \"crop_size\" must be an integer or {\"height\": H, "
                                        "\"width\": W}, got " +
                                        s.dump());
      }
    }
  } catch (const json::exception& e) {
    return Status::invalid_argument(name + ": " + e.what());
  }
  CLIPSEARCH_RETURN_IF_ERROR(read_triple(j, "image_mean", name, c.mean));
  CLIPSEARCH_RETURN_IF_ERROR(read_triple(j, "image_std", name, c.std));
  if (siglip) CLIPSEARCH_RETURN_IF_ERROR(siglip_no_crop(&c, name));
  CLIPSEARCH_RETURN_IF_ERROR(positive(c.shortest_edge, "size", name));
  CLIPSEARCH_RETURN_IF_ERROR(positive(c.crop_height, "crop height", name));
  CLIPSEARCH_RETURN_IF_ERROR(positive(c.crop_width, "crop width", name));
  return c;
}

Result<PreprocessConfig> preprocess_config_parse_open_clip(const std::string& text,
                                                           const std::string& name) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::corruption(name + ": not a JSON object");
  // ref: open_clip 2.23 image_transform(is_train=False, resize_mode="shortest"):
  // Resize(image_size, BICUBIC) on the shortest edge, CenterCrop(image_size) (torchvision
  // rounding), ToTensor (float32 / 255), Normalize(mean, std). resize_mode="squash" (SigLIP):
  // Resize((image_size, image_size)), the whole image to the square, no crop (here a crop of
  // the same size, which takes every pixel).
  PreprocessConfig c;
  c.crop_round_half_even = true;
  c.rescale_in_float32 = true;
  try {
    const json& vision = j.at("model_cfg").at("vision_cfg");
    int size = 224;
    if (vision.contains("image_size")) {
      const json& s = vision["image_size"];
      if (s.is_number_integer()) {
        size = s.get<int>();
      } else if (s.is_array() && s.size() == 2 && s[0] == s[1]) {
        size = s[0].get<int>();
      } else {
        return Status::unsupported(name + ": non-square image_size " + s.dump() +
                                   " is not supported");
      }
    }
    c.shortest_edge = c.crop_height = c.crop_width = size;
    if (j.contains("preprocess_cfg")) {
      const json& p = j["preprocess_cfg"];
      std::string interp = p.value("interpolation", "bicubic");
      if (interp == "bilinear") {
        c.resample = ResampleFilter::kBilinear;
      } else if (interp != "bicubic" && interp != "random") {
        return Status::unsupported(name + ": interpolation \"" + interp + "\" is not supported");
      }
      std::string mode = p.value("resize_mode", "shortest");
      if (mode == "squash") {
        c.resize_height = c.resize_width = size;
      } else if (mode != "shortest") {
        return Status::unsupported(name + ": resize_mode \"" + mode +
                                   "\" is not supported (\"shortest\" and \"squash\" are)");
      }
      CLIPSEARCH_RETURN_IF_ERROR(read_triple(p, "mean", name, c.mean));
      CLIPSEARCH_RETURN_IF_ERROR(read_triple(p, "std", name, c.std));
    }
  } catch (const json::exception& e) {
    return Status::invalid_argument(name + ": " + e.what());
  }
  CLIPSEARCH_RETURN_IF_ERROR(positive(c.shortest_edge, "image_size", name));
  return c;
}

Result<PreprocessConfig> preprocess_config_load(const std::string& model_dir) {
  const std::string hf = model_dir + "/preprocessor_config.json";
  if (file_exists(hf)) {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::string text, read_text(hf));
    return preprocess_config_parse_hf(text, hf);
  }
  const std::string oc = model_dir + "/open_clip_config.json";
  if (file_exists(oc)) {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::string text, read_text(oc));
    return preprocess_config_parse_open_clip(text, oc);
  }
  return Status::not_found(
      model_dir + ": no preprocessor_config.json or open_clip_config.json in the model folder");
}

}  // namespace clipsearch
