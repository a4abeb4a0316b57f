// HubOptions::from_environment and the terminal progress bar: the two places the hub code
// looks at the process (environment variables, whether stderr is a terminal).
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "clipsearch/hub.h"

namespace clipsearch {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::string trim(const std::string& s) {
  const size_t first = s.find_first_not_of(" \t\r\n");
  const size_t last = s.find_last_not_of(" \t\r\n");
  return first == std::string::npos ? "" : s.substr(first, last - first + 1);
}

// ref: huggingface_hub/constants.py: HF_HOME = $HF_HOME or $XDG_CACHE_HOME/huggingface (default
// ~/.cache/huggingface); HF_HUB_CACHE = $HF_HUB_CACHE or $HUGGINGFACE_HUB_CACHE or HF_HOME/hub;
// the token file is $HF_TOKEN_PATH or HF_HOME/token; HF_HUB_OFFLINE is true for 1/ON/YES/TRUE.
std::string hf_home() {
  if (!env("HF_HOME").empty()) return env("HF_HOME");
  const std::string xdg = env("XDG_CACHE_HOME");
  return (xdg.empty() ? env("HOME") + "/.cache" : xdg) + "/huggingface";
}

bool truthy(std::string value) {
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return value == "1" || value == "ON" || value == "YES" || value == "TRUE";
}

class TerminalProgress : public ProgressSink {
 public:
  void start(const std::string& file, uint64_t total, uint64_t resumed_from) override {
    file_ = file;
    total_ = total;
    resumed_ = resumed_from;
    done_ = resumed_from;
    begin_ = last_ = std::chrono::steady_clock::now();
    draw();
  }
  void update(uint64_t done) override {
    done_ = done;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    draw();
  }
  void finish() override {
    draw();
    std::fputc('\n', stderr);
  }

 private:
  void draw() {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin_).count();
    const double rate = seconds > 0 ? static_cast<double>(done_ - resumed_) / seconds : 0;
    char line[256];
    if (total_ > 0) {
      const double left =
          rate > 0 ? static_cast<double>(total_ - std::min(done_, total_)) / rate : 0;
      const int eta = static_cast<int>(left);
      std::snprintf(line, sizeof line,
                    "\r%-28.28s %3d%%  %8.1f / %.1f MB  %6.1f MB/s  ETA %d:%02d ", file_.c_str(),
                    static_cast<int>(100.0 * done_ / total_), done_ / 1e6, total_ / 1e6, rate / 1e6,
                    eta / 60, eta % 60);
    } else {
      std::snprintf(line, sizeof line, "\r%-28.28s %8.1f MB  %6.1f MB/s ", file_.c_str(),
                    done_ / 1e6, rate / 1e6);
    }
    std::fputs(line, stderr);
    std::fflush(stderr);
  }

  std::string file_;
  uint64_t total_ = 0, resumed_ = 0, done_ = 0;
  std::chrono::steady_clock::time_point begin_, last_;
};

}  // namespace

HubOptions HubOptions::from_environment() {
  HubOptions options;
  std::string endpoint = env("HF_ENDPOINT");
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (!endpoint.empty()) options.endpoint = endpoint;
  const std::string home = hf_home();
  options.cache_dir = !env("HF_HUB_CACHE").empty()            ? env("HF_HUB_CACHE")
                      : !env("HUGGINGFACE_HUB_CACHE").empty() ? env("HUGGINGFACE_HUB_CACHE")
                                                              : home + "/hub";
  options.token = trim(env("HF_TOKEN"));
  if (options.token.empty()) {
    const std::string path = env("HF_TOKEN_PATH").empty() ? home + "/token" : env("HF_TOKEN_PATH");
    std::ifstream in(path);
    std::string token;
    if (in && std::getline(in, token)) options.token = trim(token);
  }
  options.offline = truthy(env("HF_HUB_OFFLINE"));
  return options;
}

ProgressSink* terminal_progress() {
  static TerminalProgress bar;
  return isatty(STDERR_FILENO) ? &bar : nullptr;
}

}  // namespace clipsearch
