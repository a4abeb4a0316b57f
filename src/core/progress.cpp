#include "core/progress.h"

#include <unistd.h>

#include <algorithm>

namespace clipsearch {

bool progress_style_parse(const std::string& name, std::FILE* out, ProgressStyle* style) {
  if (name == "auto") {
    *style = isatty(fileno(out)) ? ProgressStyle::kBar : ProgressStyle::kLines;
  } else if (name == "bar") {
    *style = ProgressStyle::kBar;
  } else if (name == "lines") {
    *style = ProgressStyle::kLines;
  } else if (name == "json") {
    *style = ProgressStyle::kJson;
  } else if (name == "none") {
    *style = ProgressStyle::kNone;
  } else {
    return false;
  }
  return true;
}

Progress::Progress(ProgressStyle style, std::string label, std::FILE* out)
    : style_(style),
      label_(std::move(label)),
      out_(out),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void Progress::update(int64_t done, int64_t total, int64_t errors) {
  done_ = done;
  total_ = total;
  errors_ = errors;
  if (style_ == ProgressStyle::kNone) return;
  const auto now = std::chrono::steady_clock::now();
  const auto every = style_ == ProgressStyle::kBar ? std::chrono::milliseconds(100)
                                                   : std::chrono::milliseconds(1000);
  if (drawn_ && now - last_ < every && done != total) return;
  last_ = now;
  draw(false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (style_ == ProgressStyle::kNone) return;
  draw(true);
  if (style_ == ProgressStyle::kBar) std::fputc('\n', out_);
  std::fflush(out_);
}

void Progress::stop() {
  if (finished_) return;
  finished_ = true;
  if (style_ == ProgressStyle::kBar && drawn_) std::fputc('\n', out_);
  std::fflush(out_);
}

void Progress::draw(bool final) {
  drawn_ = true;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : -1.0;
  switch (style_) {
    case ProgressStyle::kBar: {
      constexpr int kWidth = 30;
      const int filled =
          total_ > 0 ? static_cast<int>(kWidth * std::min<int64_t>(done_, total_) / total_) : 0;
      std::string bar(static_cast<size_t>(filled), '#');
      bar.resize(kWidth, '.');
      std::fprintf(out_, "\r%s [%s] %lld/%lld  %.1f files/s", label_.c_str(), bar.c_str(),
                   static_cast<long long>(done_), static_cast<long long>(total_), rate);
      if (!final && eta >= 0) std::fprintf(out_, "  ETA %ds", static_cast<int>(eta + 0.5));
      if (errors_ > 0) std::fprintf(out_, "  %lld errors", static_cast<long long>(errors_));
      std::fputs("\x1b[K", out_);  // clear what a longer previous line left
      break;
    }
    case ProgressStyle::kLines:
      std::fprintf(out_, "%s: %lld/%lld files, %.1f files/s, %lld errors%s\n", label_.c_str(),
                   static_cast<long long>(done_), static_cast<long long>(total_), rate,
                   static_cast<long long>(errors_), final ? ", done" : "");
      break;
    case ProgressStyle::kJson:
      std::fprintf(out_,
                   "{\"event\": \"progress\", \"done\": %lld, \"total\": %lld, \"errors\": %lld, "
                   "\"files_per_second\": %.3f, \"eta_seconds\": %.1f, \"final\": %s}\n",
                   static_cast<long long>(done_), static_cast<long long>(total_),
                   static_cast<long long>(errors_), rate, final ? 0.0 : std::max(eta, 0.0),
                   final ? "true" : "false");
      break;
    case ProgressStyle::kNone:
      break;
  }
  std::fflush(out_);
}

}  // namespace clipsearch
