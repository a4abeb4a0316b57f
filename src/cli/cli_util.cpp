#include "cli/cli_util.h"

#include <iostream>

#include "clipsearch/hub.h"
#include "clipsearch/library.h"
#include "clipsearch/threads.h"

namespace clipsearch::cli {

int report_error(const Status& status) {
  std::cerr << "clipsearch: " << status.message() << "\n";
  return 1;
}

void add_threads_option(CLI::App* cmd, int* threads) {
  cmd->add_option("--threads", *threads, "Threads for the whole process (0 = all cores)")
      ->check(CLI::NonNegativeNumber);
}

void apply_threads(int threads) { clipsearch::set_num_threads(threads); }

void add_model_option(CLI::App* cmd, std::string* model, const std::string& what) {
  *model = kDefaultModel;
  cmd->add_option("--model", *model,
                  "Model: a folder (" + what +
                      "), a preset (clipsearch models) or a Hugging Face repo id "
                      "owner/name[@revision]")
      ->capture_default_str();
}

void add_precision_option(CLI::App* cmd, Precision* precision) {
  cmd->add_option_function<std::string>(
         "--precision",
         [precision](const std::string& name) { *precision = *precision_parse(name); },
         "Precision of the model's weights: f32 (default; embeddings equal the reference's), "
         "bf16, f16, int8 (weight-only, per output channel) or int8-dynamic (int8's weights, "
         "activations quantized per token at run time: faster image batches, a further loss; "
         "opt-in)")
      ->check(CLI::Validator(
          [](const std::string& name) {
            auto parsed = precision_parse(name);
            return parsed.ok() ? std::string() : parsed.status().message();
          },
          "f32|bf16|f16|int8|int8-dynamic", "precision"));
}

void add_device_option(CLI::App* cmd, Device* device) {
  cmd->add_option_function<std::string>(
         "--device", [device](const std::string& name) { *device = *device_parse(name); },
         "Where the model runs: auto (default: a GPU when this build can use one, else the CPU), "
         "cpu, or cuda[:N] (NVIDIA GPU N; an error saying why where it cannot run)")
      ->check(CLI::Validator(
          [](const std::string& name) {
            auto parsed = device_parse(name);
            return parsed.ok() ? std::string() : parsed.status().message();
          },
          "auto|cpu|cuda[:N]", "device"));
}

void add_db_option(CLI::App* cmd, std::string* db) {
  cmd->add_option("--db", *db, "Catalog file (default: " + Library::default_catalog_path() + ")");
}

bool is_picture_error(const Status& status) { return is_file_problem(status.code()); }

Status resolve_model_arg(std::string* model) {
  CLIPSEARCH_ASSIGN_OR_RETURN(
      *model, resolve_model(*model, HubOptions::from_environment(), terminal_progress()));
  return Status();
}

}  // namespace clipsearch::cli
