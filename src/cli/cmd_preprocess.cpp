// `clipsearch preprocess --model DIR IMAGE --output FILE.npy`: the float32 [3, H, W] tensor the
// model would see for IMAGE, written as .npy (for inspection and for diffing with the reference).
#include <iostream>
#include <memory>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/image_options.h"
#include "clipsearch/image.h"
#include "core/npy.h"

namespace clipsearch::cli {
namespace {

struct PreprocessArgs {
  std::string model;
  std::string image;
  std::string output;
  ImageCliOptions image_options;
};

Status run_preprocess(const PreprocessArgs& a) {
  CLIPSEARCH_ASSIGN_OR_RETURN(PreprocessConfig config, preprocess_config_load(a.model));
  CLIPSEARCH_ASSIGN_OR_RETURN(DecodeOptions options, image_decode_options(a.image_options));
  CLIPSEARCH_ASSIGN_OR_RETURN(ImageTensor t, image_preprocess_file(a.image, config, options));
  CLIPSEARCH_RETURN_IF_ERROR(npy_write(a.output, {3, t.height, t.width}, t.data.data()));
  std::cout << a.output << ": float32 [3, " << t.height << ", " << t.width << "]\n";
  return Status();
}

}  // namespace

void add_preprocess_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<PreprocessArgs>();
  CLI::App* cmd = app.add_subcommand(
      "preprocess", "Write the float32 [3,H,W] tensor the model sees for an image, as .npy");
  add_model_option(cmd, &args->model, "preprocessor_config.json");
  cmd->add_option("image", args->image, "Image file")->required();
  cmd->add_option("--output,-o", args->output, "Output .npy file")->required();
  add_image_options(cmd, &args->image_options);
  cmd->callback([args, exit_code] {
    Status st = resolve_model_arg(&args->model);
    if (st.ok()) st = run_preprocess(*args);
    *exit_code = st.ok() ? 0 : report_error(st);
  });
}

}  // namespace clipsearch::cli
