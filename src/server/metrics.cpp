#include "server/metrics.h"

#include "server/http_types.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace clipsearch::server {

namespace {

uint64_t double_bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}
double bits_double(uint64_t b) {
  double v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

// Prometheus float formatting: shortest round-trip form, +Inf/-Inf/NaN spelled out.
std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // Prefer the shortest form that reads back exactly.
  for (int precision = 6; precision < 17; ++precision) {
    char shorter[32];
    std::snprintf(shorter, sizeof shorter, "%.*g", precision, v);
    if (std::strtod(shorter, nullptr) == v) return shorter;
  }
  return buf;
}

std::string render_labels(const Labels& labels, const char* extra_name = nullptr,
                          const std::string& extra_value = "") {
  if (labels.empty() && extra_name == nullptr) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + metrics_escape_label(v) + "\"";
  }
  if (extra_name != nullptr) {
    if (!first) out += ",";
    out += std::string(extra_name) + "=\"" + extra_value + "\"";
  }
  return out + "}";
}

std::string escape_help(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string metrics_escape_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  assert(std::is_sorted(bounds_.begin(), bounds_.end()));
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double value) {
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  uint64_t old = sum_bits_.load(std::memory_order_relaxed);
  while (!sum_bits_.compare_exchange_weak(old, double_bits(bits_double(old) + value),
                                          std::memory_order_relaxed)) {
  }
}

uint64_t Histogram::cumulative_count(size_t i) const {
  assert(i <= bounds_.size());
  uint64_t total = 0;
  for (size_t b = 0; b <= i; ++b) total += buckets_[b].load(std::memory_order_relaxed);
  return total;
}

double Histogram::sum() const { return bits_double(sum_bits_.load(std::memory_order_relaxed)); }

Response metrics_response(const Metrics& metrics) {
  return Response::bytes(200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
}

std::vector<double> latency_buckets_seconds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> linear_buckets(double start, double step, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) out.push_back(start + step * i);
  return out;
}

Metrics::Family& Metrics::family(const std::string& name, const std::string& help, Kind kind) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.kind = kind;
    it->second.help = help;
  }
  assert(it->second.kind == kind && "a metric name is used with two types");
  return it->second;
}

Counter& Metrics::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = family(name, help, Kind::kCounter).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = family(name, help, Kind::kGauge).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Metrics::histogram(const std::string& name, const std::string& help,
                              const std::vector<double>& upper_bounds, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  Family& f = family(name, help, Kind::kHistogram);
  if (f.bounds.empty()) f.bounds = upper_bounds;
  auto& slot = f.histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(f.bounds);
  return *slot;
}

void Metrics::add_callback(const std::string& name, const std::string& help,
                           const std::string& type, std::function<double()> read) {
  assert(type == "counter" || type == "gauge");
  std::lock_guard<std::mutex> lock(mutex_);
  Family& f = family(name, help, Kind::kCallback);
  f.callback_type = type;
  f.read = std::move(read);
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    const char* type = f.kind == Kind::kCounter     ? "counter"
                       : f.kind == Kind::kGauge     ? "gauge"
                       : f.kind == Kind::kHistogram ? "histogram"
                                                    : f.callback_type.c_str();
    out += "# HELP " + name + " " + escape_help(f.help) + "\n";
    out += "# TYPE " + name + " " + type + "\n";
    for (const auto& [labels, c] : f.counters) {
      out += name + render_labels(labels) + " " + std::to_string(c->value()) + "\n";
    }
    for (const auto& [labels, g] : f.gauges) {
      out += name + render_labels(labels) + " " + std::to_string(g->value()) + "\n";
    }
    for (const auto& [labels, h] : f.histograms) {
      const auto& bounds = h->upper_bounds();
      for (size_t i = 0; i <= bounds.size(); ++i) {
        const std::string le = i < bounds.size() ? format_value(bounds[i]) : "+Inf";
        out += name + "_bucket" + render_labels(labels, "le", le) + " " +
               std::to_string(h->cumulative_count(i)) + "\n";
      }
      out += name + "_sum" + render_labels(labels) + " " + format_value(h->sum()) + "\n";
      // The +Inf bucket, read once more: _count must equal it even while observations land.
      out += name + "_count" + render_labels(labels) + " " +
             std::to_string(h->cumulative_count(bounds.size())) + "\n";
    }
    if (f.kind == Kind::kCallback) out += name + " " + format_value(f.read()) + "\n";
  }
  return out;
}

}  // namespace clipsearch::server
