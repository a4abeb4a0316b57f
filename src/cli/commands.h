// Subcommands of the `clipsearch` binary. Each add_*_command registers one subcommand on the
// app; its callback stores the process exit code in *exit_code. Commands print results to
// stdout and errors (naming the file and the problem) to stderr.
#pragma once

#include <CLI/CLI.hpp>

namespace clipsearch::cli {

void add_embed_command(CLI::App& app, int* exit_code);
void add_bench_command(CLI::App& app, int* exit_code);
void add_tokenize_command(CLI::App& app, int* exit_code);
// `preprocess`: an image to the model's float32 input tensor, as .npy (src/cli/cmd_preprocess.cpp).
void add_preprocess_command(CLI::App& app, int* exit_code);
// `models` and `pull`: presets, the Hugging Face cache, downloads (src/cli/cmd_models.cpp).
void add_models_command(CLI::App& app, int* exit_code);
void add_pull_command(CLI::App& app, int* exit_code);

}  // namespace clipsearch::cli
