// Metrics: counters, gauges and histograms rendered in the Prometheus text exposition format
// (version 0.0.4) for GET /metrics.
//
// A family (one metric name, its help text and type) holds one child per label set. Looking a
// child up takes the family's mutex once; updating it is a relaxed atomic operation, so callers
// on hot paths keep the reference they got (children live as long as the registry and never
// move). Callback metrics read a value owned elsewhere (TextEmbeddingCache::hits()) at render
// time. Every method is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace clipsearch::server {

// Label name/value pairs, in the order they are rendered.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Cumulative buckets with fixed upper bounds (le), plus +Inf, a sum and a count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);

  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Observations <= upper_bounds()[i] (cumulative); index bounds.size() is +Inf (the count).
  uint64_t cumulative_count(size_t i) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bucket, not cumulative
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_bits_{0};  // a double, updated with compare-exchange
};

// Bucket bounds for request latencies in seconds (1 ms .. 10 s) and for batch sizes.
std::vector<double> latency_buckets_seconds();
std::vector<double> linear_buckets(double start, double step, int count);

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The child for these labels, created on first use. A name is one type for its lifetime
  // (asserted); help text and bucket bounds come from the first call.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help,
                       const std::vector<double>& upper_bounds, const Labels& labels = {});
  // A value read at render time; `type` is "counter" or "gauge".
  void add_callback(const std::string& name, const std::string& help, const std::string& type,
                    std::function<double()> read);

  // The Prometheus text exposition of every metric, families sorted by name.
  std::string render() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram, kCallback };
  struct Family {
    Kind kind;
    std::string help;
    std::string callback_type;
    std::vector<double> bounds;
    std::function<double()> read;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(const std::string& name, const std::string& help, Kind kind);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

// GET /metrics: the rendered text as "text/plain; version=0.0.4".
struct Response;
Response metrics_response(const Metrics& metrics);

// A label value escaped for the exposition format (backslash, double quote, newline).
std::string metrics_escape_label(const std::string& value);

}  // namespace clipsearch::server
