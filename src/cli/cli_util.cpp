#include "cli/cli_util.h"

#include <iostream>

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

}  // namespace clipsearch::cli
