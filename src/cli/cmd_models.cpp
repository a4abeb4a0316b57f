// `clipsearch models`: the presets and what the Hugging Face cache holds.
// `clipsearch pull NAME`: downloads a model ahead of use (a preset or owner/name[@revision]).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "clipsearch/hub.h"

namespace clipsearch::cli {
namespace {

std::string megabytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

Status run_models() {
  const HubOptions options = HubOptions::from_environment();
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<CachedModel> cached, list_cached_models(options));
  std::printf("Presets (--model NAME):\n");
  int name_width = 0, repo_width = 0;  // columns as wide as their longest entry
  for (const auto& preset : model_presets()) {
    name_width = std::max(name_width, static_cast<int>(std::strlen(preset.name)));
    repo_width = std::max(repo_width, static_cast<int>(std::strlen(preset.repo)));
  }
  for (const auto& preset : model_presets()) {
    bool have = false;
    for (const auto& m : cached) have = have || (m.repo == preset.repo && m.complete);
    std::printf("  %-*s  %-*s  %s%s\n      %s\n", name_width, preset.name, repo_width, preset.repo,
                have ? "cached" : "not downloaded",
                std::string(preset.name) == kDefaultModel ? " (default)" : "", preset.description);
  }
  std::printf("\nCache %s:\n", options.cache_dir.c_str());
  if (cached.empty()) std::printf("  (empty)\n");
  for (const auto& m : cached) {
    std::string state = m.commit.empty() ? "download started"
                        : m.complete     ? "complete"
                                         : "incomplete";
    if (m.partial_bytes > 0) state += ", " + megabytes(m.partial_bytes) + " partly downloaded";
    std::printf("  %-40s %-12s %-12.12s %10s  %s\n", m.repo.c_str(), m.revision.c_str(),
                m.commit.c_str(), megabytes(m.bytes).c_str(), state.c_str());
  }
  std::fflush(stdout);
  return std::cout.good() ? Status() : Status::error("stdout: write error");
}

}  // namespace

void add_models_command(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("models",
                                     "List the model presets and the models in the "
                                     "Hugging Face cache (HF_HOME, HF_HUB_CACHE)");
  cmd->callback([exit_code] {
    Status status = run_models();
    *exit_code = status.ok() ? 0 : report_error(status);
  });
}

void add_pull_command(CLI::App& app, int* exit_code) {
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "pull", "Download a model into the Hugging Face cache and print its folder");
  cmd->add_option("name", *name, "A preset (clipsearch models) or owner/name[@revision]")
      ->required();
  cmd->callback([name, exit_code] {
    auto folder = resolve_model(*name, HubOptions::from_environment(), terminal_progress());
    if (!folder.ok()) {
      *exit_code = report_error(folder.status());
      return;
    }
    std::cout << *folder << "\n";
    *exit_code = 0;
  });
}

}  // namespace clipsearch::cli
