// Helpers shared by the subcommands: error reporting, the --threads, --model, --precision and
// --device options.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "clipsearch/model.h"
#include "clipsearch/status.h"

namespace clipsearch::cli {

// Prints "clipsearch: <message>" to stderr and returns the exit code for a failed command.
int report_error(const Status& status);

// Whether `status` is about one picture (missing, unreadable, corrupt, unsupported), so that a
// command over several pictures goes on with the next, rather than about all of them.
bool is_picture_error(const Status& status);

// Adds `--db FILE` with the default catalog's path in its help.
void add_db_option(CLI::App* cmd, std::string* db);

// Adds `--threads N` (default 0 = all cores) to a subcommand.
void add_threads_option(CLI::App* cmd, int* threads);

// Applies --threads to the whole process (the engine's pool and OpenBLAS).
void apply_threads(int threads);

// Adds `--precision f32|bf16|f16|int8|int8-dynamic` (default f32): the precision the model's
// weights run at (clipsearch/model.h). A name precision_parse refuses is a usage error naming the
// choices.
void add_precision_option(CLI::App* cmd, Precision* precision);

// Adds `--device auto|cpu|cuda[:N]` (default auto): where the model runs (clipsearch/model.h). A
// name device_parse refuses is a usage error naming the choices.
void add_device_option(CLI::App* cmd, Device* device);
// ModelOptions::on_device of every command: the line on stderr, "clipsearch: " first.
void print_device_line(const std::string& line);

// Adds `--model SPEC` (default: the preset clip-vit-base-patch32). `what` says which files the
// command reads from the model.
void add_model_option(CLI::App* cmd, std::string* model, const std::string& what);

// Turns a --model value (folder, preset or Hugging Face repo id) into a local folder, in place,
// downloading what is missing (src/hub, with the HF_* environment; a progress bar on a terminal).
Status resolve_model_arg(std::string* model);

}  // namespace clipsearch::cli
