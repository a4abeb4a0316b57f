// clipsearch: the command-line entry point. Only main() decides how the process ends.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "clipsearch/version.h"
#include "core/isa.h"
#include "image/vips_runtime.h"
#include "tensor/blas_core.h"

int main(int argc, char** argv) {
  if (const clipsearch::Status isa = clipsearch::isa_environment_check(); !isa.ok()) {
    std::cerr << "clipsearch: " << isa.message() << "\n";
    return 2;
  }
  clipsearch::reexec_with_better_blas(argv);
  // libvips is initialised here, before any command runs and before any thread of ours exists:
  // a first libvips call racing another thread's initialisation aborts the process
  // (image/vips_runtime.h).
  if (clipsearch::Status st = clipsearch::vips_ready(); !st.ok()) {
    std::cerr << "clipsearch: " << st.message() << "\n";
    return 1;
  }
  CLI::App app{"clipsearch: semantic image search with CLIP, no Python, no GPU"};
  app.require_subcommand(1);
  // The SIMD level and OpenBLAS kernels in use: what a bug report needs, and how
  // scripts/test.sh learns which lower levels to force.
  app.set_version_flag("--version", [] {
    return std::string("clipsearch ") + clipsearch::version() +
           "\nisa: " + clipsearch::isa_name(clipsearch::isa_active()) +
           " (this CPU: " + clipsearch::isa_name(clipsearch::isa_supported()) +
           ")\nopenblas: " + clipsearch::blas_core_name();
  });
  int exit_code = 0;
  clipsearch::cli::add_embed_command(app, &exit_code);
  clipsearch::cli::add_bench_command(app, &exit_code);
  clipsearch::cli::add_tokenize_command(app, &exit_code);
  clipsearch::cli::add_preprocess_command(app, &exit_code);
  clipsearch::cli::add_index_commands(app, &exit_code);
  clipsearch::cli::add_models_command(app, &exit_code);
  clipsearch::cli::add_pull_command(app, &exit_code);
  clipsearch::cli::add_search_command(app, &exit_code);
  clipsearch::cli::add_similarity_command(app, &exit_code);
  clipsearch::cli::add_classify_command(app, &exit_code);
  clipsearch::cli::add_albums_command(app, &exit_code);
  clipsearch::cli::add_click_command(app, &exit_code);
  clipsearch::cli::add_recommend_command(app, &exit_code);
  clipsearch::cli::add_duplicates_command(app, &exit_code);
  clipsearch::cli::add_quantize_command(app, &exit_code);
  clipsearch::cli::add_serve_command(app, &exit_code);
  // A repeatable option takes one value per use ("--not sand QUERY" leaves QUERY positional);
  // CLI11's default lets a vector option swallow every following word.
  for (CLI::App* cmd : app.get_subcommands({})) {
    for (CLI::Option* opt : cmd->get_options()) {
      if (!opt->get_positional()) opt->allow_extra_args(false);
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "clipsearch: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
