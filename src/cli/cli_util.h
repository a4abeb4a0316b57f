// Helpers shared by the subcommands: error reporting and the --threads option.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "clipsearch/status.h"

namespace clipsearch::cli {

// Prints "clipsearch: <message>" to stderr and returns the exit code for a failed command.
int report_error(const Status& status);

// Adds `--threads N` (default 0 = all cores) to a subcommand.
void add_threads_option(CLI::App* cmd, int* threads);

// Applies --threads to the whole process (the engine's pool and OpenBLAS).
void apply_threads(int threads);

}  // namespace clipsearch::cli
