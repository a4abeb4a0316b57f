// clipsearch: the command-line entry point. Only main() decides how the process ends.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>

#include "cli/commands.h"
#include "tensor/blas_core.h"

namespace {

// OpenBLAS chooses its kernels when it loads, before main; if it fell back to slow generic ones
// on a CPU it does not recognize, run this program again with OPENBLAS_CORETYPE naming the right
// ones (see tensor/blas_core.h). A user's own OPENBLAS_CORETYPE is always respected.
void reexec_with_better_blas(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  const std::string coretype = clipsearch::blas_better_coretype();
  if (coretype.empty()) return;
  ::setenv("OPENBLAS_CORETYPE", coretype.c_str(), 1);
  ::execv("/proc/self/exe", argv);
  ::unsetenv("OPENBLAS_CORETYPE");  // exec failed: carry on with the kernels we have
}

}  // namespace

int main(int argc, char** argv) {
  reexec_with_better_blas(argv);
  CLI::App app{"clipsearch: semantic image search with CLIP, no Python, no GPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "clipsearch 0.1.0");
  int exit_code = 0;
  clipsearch::cli::add_embed_command(app, &exit_code);
  clipsearch::cli::add_bench_command(app, &exit_code);
  clipsearch::cli::add_preprocess_command(app, &exit_code);
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
