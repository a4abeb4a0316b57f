// `clipsearch quantize`: writes a model folder at a lower precision (quantize_model in
// clipsearch/model.h), or, with --check, measures what the lower precisions would change on the
// user's own catalog (precision_check.h).
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/precision_check.h"
#include "clipsearch/library.h"
#include "core/path_json.h"

namespace clipsearch::cli {
namespace {

struct QuantizeArgs {
  std::string model;
  bool model_given = false;
  std::vector<std::string> precisions;
  std::string output;
  bool check = false;
  std::string db;
  int64_t sample = 200;
  std::string queries;
  bool json = false;
  int threads = 0;
};

Result<std::vector<Precision>> parse_precisions(const std::vector<std::string>& names) {
  std::vector<Precision> out;
  for (const std::string& name : names) {
    CLIPSEARCH_ASSIGN_OR_RETURN(Precision p, precision_parse(name));
    out.push_back(p);
  }
  return out;
}

std::string megabytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

int run_quantize(const QuantizeArgs& a) {
  if (a.output.empty())
    return report_error(Status::invalid_argument("quantize: give --output DIR"));
  auto precisions = parse_precisions(a.precisions);
  if (!precisions.ok()) return report_error(precisions.status());
  if (precisions->size() != 1) {
    return report_error(Status::invalid_argument(
        "quantize: give one --precision (bf16, f16 or int8) for the output folder"));
  }
  auto report = quantize_model(a.model, precisions->front(), a.output);
  if (!report.ok()) return report_error(report.status());
  const double share = static_cast<double>(report->output_bytes) /
                       static_cast<double>(std::max<int64_t>(report->source_bytes, 1));
  if (a.json) {
    nlohmann::json out = {{"output", report->output_dir},
                          {"weights_file", report->weights_file},
                          {"precision", precision_name(precisions->front())},
                          {"source_bytes", report->source_bytes},
                          {"output_bytes", report->output_bytes},
                          {"reduced_tensors", report->reduced_tensors}};
    std::cout << out.dump() << "\n";
    return 0;
  }
  char percent[16];
  std::snprintf(percent, sizeof percent, "%.0f%%", 100.0 * share);
  std::cout << "wrote " << path_json(report->output_dir) << ": "
            << precision_name(precisions->front()) << ", " << megabytes(report->output_bytes)
            << " (" << percent << " of " << megabytes(report->source_bytes) << "), "
            << report->reduced_tensors << " tensors converted\n"
            << "use it like any model: --model " << path_json(report->output_dir) << "\n";
  return 0;
}

void print_check(const PrecisionCheck& c, bool json) {
  if (json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const PrecisionCheckRow& r : c.rows) {
      rows.push_back({{"precision", precision_name(r.precision)},
                      {"recall_at_10", r.recall_at_10},
                      {"mean_cosine", r.mean_cosine},
                      {"least_cosine", r.least_cosine},
                      {"images_per_s", r.images_per_s},
                      {"query_ms", r.query_ms}});
    }
    nlohmann::json out = {
        {"images", c.images},
        {"skipped", c.skipped},
        {"queries", c.queries},
        {"k", c.k},
        {"f32", {{"images_per_s", c.f32.images_per_s}, {"query_ms", c.f32.query_ms}}},
        {"precisions", rows}};
    std::cout << out.dump() << "\n";
    return;
  }
  std::printf("%lld pictures of the catalog, %lld queries; recall@%lld against f32\n\n",
              static_cast<long long>(c.images), static_cast<long long>(c.queries),
              static_cast<long long>(c.k));
  std::printf(
      "precision     recall@%-3lld mean cosine  least cosine  images/s  speed-up  query ms\n",
      static_cast<long long>(c.k));
  std::printf("f32           %-9s %-12s %-13s %8.1f  %8s  %8.1f\n", "1", "1", "1",
              c.f32.images_per_s, "1.00x", c.f32.query_ms);
  for (const PrecisionCheckRow& r : c.rows) {
    std::printf("%-13s %-9.3f %-12.5f %-13.5f %8.1f  %7.2fx  %8.1f\n", precision_name(r.precision),
                r.recall_at_10, r.mean_cosine, r.least_cosine, r.images_per_s,
                r.images_per_s / c.f32.images_per_s, r.query_ms);
  }
}

int run_check(const QuantizeArgs& a) {
  PrecisionCheckOptions options;
  options.db = a.db.empty() ? Library::default_catalog_path() : a.db;
  options.sample = a.sample;
  options.queries_file = a.queries;
  auto precisions = parse_precisions(a.precisions);
  if (!precisions.ok()) return report_error(precisions.status());
  options.precisions = *precisions;
  std::string model = a.model;
  if (!a.model_given) {
    // The catalog's own model, unless another is named.
    auto library = Library::open(options.db);
    if (!library.ok()) return report_error(library.status());
    auto status = (*library)->status(0);
    if (!status.ok()) return report_error(status.status());
    if (status->model) model = status->model->name;
  }
  if (Status st = resolve_model_arg(&model); !st.ok()) return report_error(st);
  options.model_dir = model;
  auto check = run_precision_check(options);
  if (!check.ok()) return report_error(check.status());
  print_check(*check, a.json);
  return 0;
}

}  // namespace

void add_quantize_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "quantize",
      "Write a model folder at a lower precision (--output), or measure what the lower "
      "precisions change on your own catalog (--check)");
  add_model_option(cmd, &args->model, "Hugging Face or open_clip layout");
  cmd->add_option("--precision", args->precisions,
                  "bf16, f16 or int8 (int8-dynamic writes int8's folder); with --check "
                  "repeatable, default bf16, f16, int8 and int8-dynamic");
  cmd->add_option("--output", args->output, "The folder to write (must not exist, or be empty)");
  cmd->add_flag("--check", args->check,
                "Compare the precisions with f32 on a sample of the catalog's pictures: "
                "recall@10, cosine, speed");
  add_db_option(cmd, &args->db);
  cmd->add_option("--sample", args->sample, "--check: pictures to sample from the catalog")
      ->capture_default_str();
  cmd->add_option("--queries", args->queries,
                  "--check: a file of text queries, one per line (default: 100 everyday ones)");
  cmd->add_flag("--json", args->json, "Print the result as JSON");
  add_threads_option(cmd, &args->threads);
  cmd->callback([cmd, args, exit_code] {
    apply_threads(args->threads);
    args->model_given = cmd->count("--model") > 0;
    if (args->check) {
      *exit_code = run_check(*args);
      return;
    }
    Status status = resolve_model_arg(&args->model);
    *exit_code = status.ok() ? run_quantize(*args) : report_error(status);
  });
}

}  // namespace clipsearch::cli
