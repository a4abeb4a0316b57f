// `clipsearch bench`: throughput of both towers on random inputs, one JSON line.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <random>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "clipsearch/model.h"
#include "clipsearch/threads.h"
#include "core/isa.h"
#include "tensor/blas_core.h"
#include "tensor/int8_gemm.h"

#include <nlohmann/json.hpp>

namespace clipsearch::cli {
namespace {

struct BenchArgs {
  std::string model;
  int batch = 32;
  int iters = 5;
  int threads = 0;
  int text_batch = 32;
  int text_tokens = 0;  // 0: the model's context length
  Precision precision = Precision::kFloat32;
  Device device;  // auto
};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of the whole process, every thread: on a shared machine, where wall time depends on
// what else runs, this is the steadier figure (with --threads 1, where no pool thread spins).
double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

struct Runs {
  std::vector<double> wall_s;  // one per timed run
  std::vector<double> cpu_s;
};

// Runs `fn` once to warm up, then `iters` times; returns the seconds of each timed run.
template <class Fn>
Result<Runs> time_runs(int iters, Fn fn) {
  CLIPSEARCH_RETURN_IF_ERROR(fn());
  Runs runs;
  for (int i = 0; i < iters; ++i) {
    auto start = Clock::now();
    const double cpu_start = process_cpu_seconds();
    CLIPSEARCH_RETURN_IF_ERROR(fn());
    runs.cpu_s.push_back(process_cpu_seconds() - cpu_start);
    runs.wall_s.push_back(seconds_since(start));
  }
  return runs;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

Status run_bench(const BenchArgs& args) {
  apply_threads(args.threads);
  auto load_start = Clock::now();
  ModelOptions options;
  options.precision = args.precision;
  options.device = args.device;
  options.on_device = print_device_line;
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::load(args.model, options));
  const double load_s = seconds_since(load_start);
  const ModelInfo& info = model->info();
  std::mt19937 rng(1234);
  std::normal_distribution<float> normal;
  std::vector<float> pixels(static_cast<size_t>(args.batch) * 3 * info.image_size *
                            info.image_size);
  for (float& p : pixels) p = normal(rng);
  std::vector<float> out(static_cast<size_t>(std::max(args.batch, args.text_batch)) *
                         info.embed_dim);
  // Texts of `tokens` ids: start token, random ids, end token last (the highest id).
  const int64_t tokens = args.text_tokens > 0 ? args.text_tokens : info.context_length;
  if (tokens < 2 || tokens > info.context_length) {
    return Status::error("bench: --text-tokens must be in [2, " +
                         std::to_string(info.context_length) + "]");
  }
  std::uniform_int_distribution<int32_t> id(1, static_cast<int32_t>(info.vocab_size) - 3);
  std::vector<std::vector<int32_t>> texts(static_cast<size_t>(args.text_batch));
  for (auto& t : texts) {
    t.push_back(static_cast<int32_t>(info.vocab_size) - 2);
    while (static_cast<int64_t>(t.size()) < tokens - 1) t.push_back(id(rng));
    t.push_back(static_cast<int32_t>(info.vocab_size) - 1);
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(Runs image_runs, time_runs(args.iters, [&] {
                                return model->encode_images(pixels.data(), args.batch, out.data());
                              }));
  CLIPSEARCH_ASSIGN_OR_RETURN(Runs text_runs, time_runs(args.iters, [&] {
                                return model->encode_texts(texts, out.data());
                              }));
  nlohmann::json result = {
      {"model", info.path},
      {"image_tower", info.image_tower},
      {"text_tower", info.text_tower},
      {"embed_dim", info.embed_dim},
      {"image_size", info.image_size},
      {"precision", info.precision},
      {"image_device", info.image_device},
      {"text_device", info.text_device},
      {"threads", num_threads()},
      {"batch", args.batch},
      {"text_batch", args.text_batch},
      {"text_tokens", tokens},
      {"iters", args.iters},
      {"load_s", load_s},
      {"images_per_s", args.batch / median(image_runs.wall_s)},
      {"images_per_s_best",
       args.batch / *std::min_element(image_runs.wall_s.begin(), image_runs.wall_s.end())},
      {"texts_per_s_ctx" + std::to_string(tokens), args.text_batch / median(text_runs.wall_s)},
      {"images_per_cpu_s", args.batch / median(image_runs.cpu_s)},
      {"texts_per_cpu_s_ctx" + std::to_string(tokens), args.text_batch / median(text_runs.cpu_s)},
      {"blas_core", blas_core_name()},
      {"isa", isa_name(isa_active())},
      {"int8_kernels", int8_level_name(int8_level_active())},  // what int8-dynamic runs
      {"image_batch_s", image_runs.wall_s},
      {"text_batch_s", text_runs.wall_s},
      {"image_batch_cpu_s", image_runs.cpu_s},
      {"text_batch_cpu_s", text_runs.cpu_s},
  };
  std::cout << result.dump() << "\n";
  return Status();
}

}  // namespace

void add_bench_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Measure image and text embedding throughput on random inputs (one JSON line)");
  add_model_option(cmd, &args->model, "Hugging Face or open_clip layout");
  cmd->add_option("--batch", args->batch, "Images per batch")->check(CLI::Range(1, 4096));
  cmd->add_option("--text-batch", args->text_batch, "Texts per batch")->check(CLI::Range(1, 4096));
  cmd->add_option("--iters", args->iters, "Timed repetitions (after one warm-up)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--text-tokens", args->text_tokens,
                  "Token ids per text, start and end tokens included (default: context length)");
  add_threads_option(cmd, &args->threads);
  add_precision_option(cmd, &args->precision);
  add_device_option(cmd, &args->device);
  cmd->callback([args, exit_code] {
    Status status = resolve_model_arg(&args->model);
    if (status.ok()) status = run_bench(*args);
    *exit_code = status.ok() ? 0 : report_error(status);
  });
}

}  // namespace clipsearch::cli
