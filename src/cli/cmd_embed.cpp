// `clipsearch embed`: embeddings of pixel tensors (.npy), image files and token-id lists as JSON
// Lines.
#include <charconv>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/image_options.h"
#include "cli/json_out.h"
#include "clipsearch/image.h"
#include "clipsearch/model.h"
#include "clipsearch/tokenizer.h"
#include "core/npy.h"

namespace clipsearch::cli {
namespace {

struct EmbedArgs {
  std::string model;
  std::vector<std::string> pixels;
  std::vector<std::string> token_ids;
  std::vector<std::string> images;
  ImageCliOptions image_options;
  std::vector<std::string> texts;  // --text: tokenized with the model folder's vocabulary
  bool raw = false;
  int threads = 0;
  Precision precision = Precision::kFloat32;
  Device device;  // auto
};

struct Embedded {
  const char* kind;
  std::string input;
  int64_t index = -1;  // position inside a batched .npy, or -1
  std::vector<float> embedding;
};

Result<std::vector<int32_t>> parse_token_ids(const std::string& text) {
  std::vector<int32_t> ids;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    while (p < end && (*p == ' ' || *p == ',')) ++p;
    if (p == end) break;
    int32_t id = 0;
    auto [next, ec] = std::from_chars(p, end, id);
    if (ec != std::errc() || (next < end && *next != ',' && *next != ' ')) {
      return Status::error("--token-ids '" + text + "': expected comma-separated integers");
    }
    ids.push_back(id);
    p = next;
  }
  if (ids.empty()) return Status::error("--token-ids '" + text + "': no token ids");
  return ids;
}

Status embed_pixels(Model& model, const std::string& path, bool normalize,
                    std::vector<Embedded>* results) {
  CLIPSEARCH_ASSIGN_OR_RETURN(NpyArray array, npy_read(path));
  const ModelInfo& info = model.info();
  const std::vector<int64_t> image = {3, info.image_size, info.image_size};
  const bool single = array.shape == image;
  const bool batch = array.shape.size() == 4 &&
                     std::vector<int64_t>(array.shape.begin() + 1, array.shape.end()) == image;
  if (!single && !batch) {
    std::string shape = "[";
    for (size_t i = 0; i < array.shape.size(); ++i) {
      shape += (i ? ", " : "") + std::to_string(array.shape[i]);
    }
    const std::string s = std::to_string(info.image_size);
    return Status::error(path + ": pixel array has shape " + shape + "], the model expects [3, " +
                         s + ", " + s + "] or [N, 3, " + s + ", " + s + "]");
  }
  const int64_t count = single ? 1 : array.shape[0];
  std::vector<float> out(static_cast<size_t>(count * info.embed_dim));
  CLIPSEARCH_RETURN_IF_ERROR(
      model.encode_images(array.data.data(), count, out.data(), normalize).with_context(path));
  for (int64_t n = 0; n < count; ++n) {
    const float* e = out.data() + n * info.embed_dim;
    results->push_back({"image", path, batch ? n : -1, std::vector<float>(e, e + info.embed_dim)});
  }
  return Status();
}

// Image files through the model folder's preprocessing (src/image), then the image tower.
Status embed_images(Model& model, const EmbedArgs& args, std::vector<Embedded>* results) {
  CLIPSEARCH_ASSIGN_OR_RETURN(PreprocessConfig config, preprocess_config_load(args.model));
  CLIPSEARCH_ASSIGN_OR_RETURN(DecodeOptions options, image_decode_options(args.image_options));
  const ModelInfo& info = model.info();
  if (!config.do_center_crop || config.crop_height != info.image_size ||
      config.crop_width != info.image_size) {
    return Status::error(args.model + ": the preprocessing crops to " +
                         std::to_string(config.crop_height) + "x" +
                         std::to_string(config.crop_width) + ", the model takes " +
                         std::to_string(info.image_size) + "x" + std::to_string(info.image_size));
  }
  std::vector<float> pixels;  // [N, 3, image_size, image_size]
  CLIPSEARCH_RETURN_IF_ERROR(image_preprocess_batch(args.images, config, options, &pixels));
  const int64_t count = static_cast<int64_t>(args.images.size());
  std::vector<float> out(static_cast<size_t>(count * info.embed_dim));
  CLIPSEARCH_RETURN_IF_ERROR(model.encode_images(pixels.data(), count, out.data(), !args.raw));
  for (int64_t n = 0; n < count; ++n) {
    const float* e = out.data() + n * info.embed_dim;
    results->push_back({"image", args.images[n], -1, std::vector<float>(e, e + info.embed_dim)});
  }
  return Status();
}

Status run_embed(const EmbedArgs& args) {
  apply_threads(args.threads);
  if (args.pixels.empty() && args.images.empty() && args.token_ids.empty() && args.texts.empty()) {
    return Status::error(
        "embed: nothing to embed; give --pixels FILE.npy, --image FILE, --token-ids IDS or "
        "--text TEXT");
  }
  std::vector<std::vector<int32_t>> texts;
  for (const auto& text : args.token_ids) {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<int32_t> ids, parse_token_ids(text));
    texts.push_back(std::move(ids));
  }
  std::vector<std::string> inputs = args.token_ids;  // the "input" of each text line
  if (!args.texts.empty()) {
    CLIPSEARCH_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::load(args.model));
    for (size_t i = 0; i < args.texts.size(); ++i) {
      Encoding enc = tokenizer.encode(args.texts[i]);
      if (!enc.warning.empty()) {
        std::cerr << "clipsearch: warning: --text " << json_string(args.texts[i]) << ": "
                  << enc.warning << "\n";
      }
      texts.push_back(std::move(enc.ids));
      inputs.push_back(args.texts[i]);
    }
  }
  ModelOptions options;
  options.precision = args.precision;
  options.device = args.device;
  options.on_device = print_device_line;
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::load(args.model, options));
  std::vector<Embedded> results;
  for (const auto& path : args.pixels) {
    CLIPSEARCH_RETURN_IF_ERROR(embed_pixels(*model, path, !args.raw, &results));
  }
  if (!args.images.empty()) CLIPSEARCH_RETURN_IF_ERROR(embed_images(*model, args, &results));
  if (!texts.empty()) {
    const int64_t dim = model->info().embed_dim;
    std::vector<float> out(texts.size() * static_cast<size_t>(dim));
    CLIPSEARCH_RETURN_IF_ERROR(model->encode_texts(texts, out.data(), !args.raw));
    for (size_t i = 0; i < texts.size(); ++i) {
      const float* e = out.data() + static_cast<int64_t>(i) * dim;
      results.push_back({"text", inputs[i], -1, std::vector<float>(e, e + dim)});
    }
  }
  for (const auto& r : results) {
    std::string line =
        std::string("{\"kind\": \"") + r.kind + "\", \"input\": " + json_string(r.input);
    if (r.index >= 0) line += ", \"index\": " + std::to_string(r.index);
    line += ", \"embedding\": " +
            json_float_array(r.embedding.data(), static_cast<int64_t>(r.embedding.size())) + "}\n";
    std::cout << line;
  }
  std::cout.flush();
  if (!std::cout) return Status::error("embed: cannot write to stdout");
  return Status();
}

}  // namespace

void add_embed_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<EmbedArgs>();
  CLI::App* cmd = app.add_subcommand(
      "embed",
      "Print CLIP embeddings of pixel tensors, image files and token-id lists as JSON Lines");
  add_model_option(cmd, &args->model, "Hugging Face or open_clip layout");
  cmd->add_option("--pixels", args->pixels,
                  "float32 .npy of shape [3,H,W] or [N,3,H,W], already normalized (repeatable)");
  cmd->add_option("--image", args->images,
                  "Image file (JPEG, PNG, WebP, GIF, TIFF, BMP, HEIF), preprocessed as the model "
                  "folder's preprocessor_config.json says (repeatable; after --pixels inputs)");
  cmd->add_option("--token-ids", args->token_ids,
                  "Comma-separated token ids of one text, e.g. 49406,320,49407 (repeatable)");
  cmd->add_option("--text", args->texts,
                  "A text, tokenized with the model folder's vocabulary (repeatable); texts "
                  "come after --token-ids inputs");
  cmd->add_flag("--raw", args->raw, "Print projected embeddings without L2 normalization");
  add_threads_option(cmd, &args->threads);
  add_precision_option(cmd, &args->precision);
  add_device_option(cmd, &args->device);
  add_image_options(cmd, &args->image_options);
  cmd->callback([args, exit_code] {
    Status status = resolve_model_arg(&args->model);
    if (status.ok()) status = run_embed(*args);
    *exit_code = status.ok() ? 0 : report_error(status);
  });
}

}  // namespace clipsearch::cli
