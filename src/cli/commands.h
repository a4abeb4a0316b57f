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
// `index`, `reindex` and `status`: the catalog (src/cli/cmd_index.cpp).
void add_index_commands(CLI::App& app, int* exit_code);
// `models` and `pull`: presets, the Hugging Face cache, downloads (src/cli/cmd_models.cpp).
void add_models_command(CLI::App& app, int* exit_code);
void add_pull_command(CLI::App& app, int* exit_code);
// `search`: text / picture / more-like-this queries over the catalog (src/cli/cmd_search.cpp).
void add_search_command(CLI::App& app, int* exit_code);
// The zero-shot features (docs/SEARCH.md): `similarity`, `classify`, `albums`, `click` and
// `recommend`, `duplicates`.
void add_similarity_command(CLI::App& app, int* exit_code);
void add_classify_command(CLI::App& app, int* exit_code);
void add_albums_command(CLI::App& app, int* exit_code);
void add_click_command(CLI::App& app, int* exit_code);
void add_recommend_command(CLI::App& app, int* exit_code);
void add_duplicates_command(CLI::App& app, int* exit_code);
// `quantize`: a model folder at a lower precision, or --check on the catalog
// (src/cli/cmd_quantize.cpp, src/cli/precision_check.cpp).
void add_quantize_command(CLI::App& app, int* exit_code);
// `serve`: the HTTP API and web page (src/cli/cmd_serve.cpp, src/server).
void add_serve_command(CLI::App& app, int* exit_code);

}  // namespace clipsearch::cli
