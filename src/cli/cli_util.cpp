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

namespace {

// Adds `flag`, whose value `parse` turns into *out; a value it refuses is a usage error with its
// message (CLI11 prefixes the flag). `choices` is the value's form in --help.
template <typename T>
void add_parsed_option(CLI::App* cmd, const std::string& flag, T* out,
                       Result<T> (*parse)(std::string_view), const std::string& help,
                       const std::string& choices) {
  cmd->add_option_function<std::string>(
         flag, [out, parse](const std::string& text) { *out = *parse(text); }, help)
      ->check(CLI::Validator(
          [parse](const std::string& text) {
            auto parsed = parse(text);
            return parsed.ok() ? std::string() : parsed.status().message();
          },
          choices, flag.substr(2)));
}

}  // namespace

void add_precision_option(CLI::App* cmd, Precision* precision) {
  add_parsed_option(cmd, "--precision", precision, &precision_parse,
                    "Precision of the model's weights: f32 (default; embeddings equal the "
                    "reference's), bf16, f16, int8 (weight-only, per output channel) or "
                    "int8-dynamic (int8's weights, activations quantized per token at run time: "
                    "faster image batches, a further loss; opt-in)",
                    "f32|bf16|f16|int8|int8-dynamic");
}

void add_device_option(CLI::App* cmd, Device* device) {
  add_parsed_option(cmd, "--device", device, &device_parse,
                    "Where the model runs: auto (default: a GPU when this build can use one, else "
                    "the CPU), cpu, or cuda[:N] (NVIDIA GPU N; an error saying why where it "
                    "cannot run)",
                    "auto|cpu|cuda[:N]");
}

void print_device_line(const std::string& line) {
  std::fprintf(stderr, "clipsearch: %s\n", line.c_str());
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
