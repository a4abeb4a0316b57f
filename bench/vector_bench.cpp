// Vector index benchmark: exact search (one query, 1 and 2 threads; batched queries/s), HNSW
// build time, HNSW latency and recall@10 against exact at several ef, the policy crossover
// (exact vs HNSW latency by collection size), and the vector file's open time (mmap + checksum).
// Synthetic L2-normalized vectors (index/test_vectors.h): embedding-like (a mixture of
// gaussians in a 64-d latent space, projected, plus noise) and optionally a share of pure random
// directions (--random-share 1 for the worst case); queries are perturbed stored rows.
//
// Usage: vector_bench [--rows N] [--dim D] [--random-share F] [--queries Q] [--repeats R]
//                     [--m M] [--efc EF] [--ef 16,32,64,128] [--file-rows N] [--no-hnsw]
//                     [--crossover] [--dir TMPDIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "clipsearch/threads.h"
#include "core/half.h"
#include "index/compact_search.h"
#include "index/dot.h"
#include "index/exact_index.h"
#include "index/hnsw_index.h"
#include "index/vector_file.h"
#include "tensor/blas_core.h"
#include "testing/test_vectors.h"

using namespace clipsearch;

namespace {

// CPU time of the whole process: on a machine shared with other work the wall time of a
// memory-bound scan mostly measures waiting for a core; the CPU time is closer to what an idle
// machine gives (for 1 thread, wall = CPU when idle).
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Stats {
  double min = 0, median = 0;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v.front(), v[v.size() / 2]};
}

struct Data {
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  int64_t dim;
  VectorView view(int64_t rows = -1) const {
    return {ids.data(), vectors.data(), rows < 0 ? static_cast<int64_t>(ids.size()) : rows, dim};
  }
};

Data make_data(int64_t n, int64_t dim, double random_share) {
  const int64_t n_random = static_cast<int64_t>(n * random_share);
  const int64_t n_clustered = n - n_random;
  Data d{
      {}, testing::embedding_like_vectors(n_clustered, dim, std::max<int64_t>(n / 500, 1), 1), dim};
  const std::vector<float> random = testing::random_unit_vectors(n_random, dim, 2);
  d.vectors.insert(d.vectors.end(), random.begin(), random.end());
  // Shuffle rows so the random share is spread over the file, as in a real catalog.
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(3);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<float> shuffled(d.vectors.size());
  for (int64_t r = 0; r < n; ++r) {
    std::copy_n(d.vectors.begin() + order[r] * dim, dim, shuffled.begin() + r * dim);
  }
  d.vectors = std::move(shuffled);
  d.ids.resize(static_cast<size_t>(n));
  std::iota(d.ids.begin(), d.ids.end(), 1);
  return d;
}

std::vector<float> make_queries(const Data& d, int64_t count, int64_t rows) {
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<int64_t> pick(0, rows - 1);
  std::vector<float> q = testing::random_unit_vectors(count, d.dim, 5);
  for (int64_t i = 0; i < count; ++i) {
    const float* row = d.vectors.data() + pick(rng) * d.dim;
    for (int64_t j = 0; j < d.dim; ++j) q[i * d.dim + j] = row[j] + 0.5f * q[i * d.dim + j];
  }
  testing::normalize_rows(q, d.dim);
  return q;
}

// Per-query latency over all queries, repeated; returns min/median of the per-query mean, wall
// and CPU.
Stats g_cpu;  // CPU ms per query of the last time_queries()
template <class Fn>
Stats time_queries(int64_t queries, int repeats, Fn&& fn) {
  std::vector<double> per_query, cpu;
  for (int r = 0; r < repeats; ++r) {
    const double t0 = now_ms(), c0 = cpu_ms();
    for (int64_t q = 0; q < queries; ++q) fn(q);
    per_query.push_back((now_ms() - t0) / static_cast<double>(queries));
    cpu.push_back((cpu_ms() - c0) / static_cast<double>(queries));
  }
  g_cpu = stats(cpu);
  return stats(per_query);
}

std::vector<int> parse_list(const char* s) {
  std::vector<int> out;
  for (const char* p = s; *p;) {
    out.push_back(std::atoi(p));
    while (*p && *p != ',') ++p;
    if (*p == ',') ++p;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  reexec_with_better_blas(argv);  // Debian's OpenBLAS falls back to SSE3 kernels on new Xeons
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress visible when redirected to a file
  int64_t rows = 1000000, dim = 512, queries = 50, file_rows = 100000;
  double random_share = 0;
  int repeats = 5;
  HnswParams params;
  std::vector<int> efs = {16, 32, 64, 128, 256};
  bool hnsw = true, crossover = false;
  std::string dir = std::filesystem::temp_directory_path().string();
  for (int i = 1; i < argc; ++i) {
    auto arg = [&](const char* name) { return !std::strcmp(argv[i], name) && i + 1 < argc; };
    if (arg("--rows"))
      rows = std::atoll(argv[++i]);
    else if (arg("--dim"))
      dim = std::atoll(argv[++i]);
    else if (arg("--random-share"))
      random_share = std::atof(argv[++i]);
    else if (arg("--queries"))
      queries = std::atoll(argv[++i]);
    else if (arg("--repeats"))
      repeats = std::max(1, std::atoi(argv[++i]));
    else if (arg("--m"))
      params.m = std::atoi(argv[++i]);
    else if (arg("--efc"))
      params.ef_construction = std::atoi(argv[++i]);
    else if (arg("--ef"))
      efs = parse_list(argv[++i]);
    else if (arg("--file-rows"))
      file_rows = std::atoll(argv[++i]);
    else if (arg("--dir"))
      dir = argv[++i];
    else if (!std::strcmp(argv[i], "--no-hnsw"))
      hnsw = false;
    else if (!std::strcmp(argv[i], "--crossover"))
      crossover = true;
    else {
      std::fprintf(stderr, "vector_bench: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  std::printf(
      "vector_bench: %lld rows x %lld dims (%.0f%% random, rest embedding-like), %lld queries, "
      "%d repeats (min / median)\n",
      static_cast<long long>(rows), static_cast<long long>(dim), random_share * 100,
      static_cast<long long>(queries), repeats);
  std::printf("  OpenBLAS kernels: %s\n", blas_core_name().c_str());
  double t0 = now_ms();
  const Data data = make_data(rows, dim, random_share);
  const std::vector<float> q = make_queries(data, queries, rows);
  std::printf("  data generated in %.1f s\n", (now_ms() - t0) / 1000);

  // Exact, one query at a time.
  std::vector<std::vector<SearchHit>> truth(static_cast<size_t>(queries));
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    Stats s = time_queries(queries, repeats, [&](int64_t i) {
      truth[i] = exact_search(data.view(), q.data() + i * dim, SearchOptions{});
    });
    std::printf("  exact, 1 query, %d thread(s): %.1f / %.1f ms (CPU %.1f / %.1f ms)\n", threads,
                s.min, s.median, g_cpu.min, g_cpu.median);
  }
  // Exact through the compact F16 store (index/compact_search.h): F16 scan, F32 rescoring.
  {
    std::vector<uint16_t> halves(data.vectors.size());
    for (size_t i = 0; i < halves.size(); ++i) halves[i] = f32_to_f16(data.vectors[i]);
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      Stats s = time_queries(queries, repeats, [&](int64_t i) {
        (void)compact_search(data.view(), halves.data(), q.data() + i * dim, SearchOptions{});
      });
      std::printf("  compact f16, 1 query, %d thread(s): %.1f / %.1f ms (CPU %.1f / %.1f ms)\n",
                  threads, s.min, s.median, g_cpu.min, g_cpu.median);
    }
    // The kernels alone on this thread (no pool, no heap, no rescoring): what the whole
    // searches above lose around them.
    std::vector<float> scores(256);
    const auto kernel_alone = [&](auto&& score_block) {
      return time_queries(queries, repeats, [&](int64_t i) {
        for (int64_t b = 0; b < rows; b += 256)
          score_block(q.data() + i * dim, b, std::min<int64_t>(256, rows - b));
      });
    };
    Stats k32 = kernel_alone([&](const float* query, int64_t b, int64_t n) {
      dot_rows(query, data.vectors.data() + b * dim, n, dim, scores.data());
    });
    const Stats c32 = g_cpu;
    Stats k16 = kernel_alone([&](const float* query, int64_t b, int64_t n) {
      dot_rows_f16(query, halves.data() + b * dim, n, dim, scores.data());
    });
    std::printf(
        "  kernels alone, 1 query, 1 thread: f32 %.1f / %.1f ms (CPU %.1f / %.1f), f16 %.1f / "
        "%.1f ms (CPU %.1f / %.1f)\n",
        k32.min, k32.median, c32.min, c32.median, k16.min, k16.median, g_cpu.min, g_cpu.median);
    int64_t found = 0, total = 0;
    for (int64_t i = 0; i < queries; ++i) {
      const auto got =
          compact_search(data.view(), halves.data(), q.data() + i * dim, SearchOptions{});
      for (const SearchHit& t : truth[i])
        found += std::find(got.begin(), got.end(), t) != got.end();
      total += static_cast<int64_t>(truth[i].size());
    }
    const CompactRecall sampled = measure_compact_recall(data.view(), halves.data());
    std::printf(
        "  compact f16 recall@10 against f32 exact: %.4f (bench queries), %.4f (the %u "
        "sample queries of the build)\n",
        static_cast<double>(found) / static_cast<double>(total), sampled.recall_at_10,
        sampled.queries);
    // Batched through the compact store: one pass over the halves for all the queries (what
    // the server's ScanBatcher runs for concurrent searches).
    const std::vector<SearchOptions> each(static_cast<size_t>(queries));
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      std::vector<double> qps;
      for (int r = 0; r < std::min(repeats, 3); ++r) {
        const double t = now_ms();
        (void)compact_search_batch(data.view(), halves.data(), q.data(), each);
        qps.push_back(static_cast<double>(queries) / ((now_ms() - t) / 1000));
      }
      std::sort(qps.begin(), qps.end());
      std::printf("  compact f16, batch of %lld, %d thread(s): %.1f queries/s best, %.1f median\n",
                  static_cast<long long>(queries), threads, qps.back(), qps[qps.size() / 2]);
    }
  }
  // Exact, batched.
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    std::vector<double> qps, cpu_qps;
    for (int r = 0; r < std::min(repeats, 3); ++r) {
      const double t = now_ms(), c = cpu_ms();
      auto res = exact_search_batch(data.view(), q.data(), queries, SearchOptions{});
      qps.push_back(static_cast<double>(queries) / ((now_ms() - t) / 1000));
      cpu_qps.push_back(static_cast<double>(queries) * threads / ((cpu_ms() - c) / 1000));
    }
    std::sort(qps.begin(), qps.end());
    std::sort(cpu_qps.begin(), cpu_qps.end());
    std::printf(
        "  exact, batch of %lld, %d thread(s): %.1f queries/s best, %.1f median (per "
        "%d thread(s) of CPU time: %.1f best)\n",
        static_cast<long long>(queries), threads, qps.back(), qps[qps.size() / 2], threads,
        cpu_qps.back());
  }
  set_num_threads(0);

  // Vector file: write, then open (mmap + checksum) of the first file_rows rows.
  {
    const std::string path = dir + "/vector_bench.vectors";
    const int64_t n = std::min(file_rows, rows);
    const VectorFileInfo info{"bench-model", 1};
    t0 = now_ms();
    Status st = write_vector_file(path, info, data.view(n));
    const double write_ms = now_ms() - t0;
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
    std::vector<double> open_ms, open_cpu;
    for (int r = 0; r < repeats; ++r) {
      t0 = now_ms();
      const double c0 = cpu_ms();
      auto file = VectorFile::open(path, info, dim);
      open_ms.push_back(now_ms() - t0);
      open_cpu.push_back(cpu_ms() - c0);
      if (!file.ok()) return 1;
    }
    Stats s = stats(open_ms);
    const Stats c = stats(open_cpu);
    std::printf(
        "  vector file, %lld rows (%.0f MB): write+fsync %.0f ms, open+verify %.1f / %.1f "
        "ms (CPU of all threads %.1f / %.1f ms; page cache warm)\n",
        static_cast<long long>(n), n * (dim * 4.0 + 8) / 1e6, write_ms, s.min, s.median, c.min,
        c.median);
    std::filesystem::remove(path);
  }

  if (crossover) {
    // Exact vs HNSW latency (2 threads / 1 thread per query) by collection size.
    for (int64_t n : {5000, 10000, 20000, 50000, 100000, 200000}) {
      if (n > rows) break;
      set_num_threads(0);
      auto index = HnswIndex::build(data.view(n), params);
      const std::vector<float> qn = make_queries(data, queries, n);
      Stats e = time_queries(queries, repeats, [&](int64_t i) {
        (void)exact_search(data.view(n), qn.data() + i * dim, SearchOptions{});
      });
      const Stats e_cpu = g_cpu;
      Stats h = time_queries(queries, repeats, [&](int64_t i) {
        (void)index->search(qn.data() + i * dim, SearchOptions{});
      });
      std::printf(
          "  crossover n=%lld: exact %.2f / %.2f ms (CPU %.2f / %.2f), hnsw(ef %d) %.3f / "
          "%.3f ms (CPU %.3f / %.3f)\n",
          static_cast<long long>(n), e.min, e.median, e_cpu.min, e_cpu.median, kDefaultEfSearch,
          h.min, h.median, g_cpu.min, g_cpu.median);
    }
  }

  if (hnsw) {
    set_num_threads(0);
    t0 = now_ms();
    const double c0 = cpu_ms();
    auto index = HnswIndex::build(data.view(), params);
    if (!index.ok()) return 1;
    std::printf(
        "  hnsw build (M %d, ef_construction %d, %d threads): %.1f s (CPU %.1f s), %.0f MB\n",
        params.m, params.ef_construction, num_threads(), (now_ms() - t0) / 1000,
        (cpu_ms() - c0) / 1000, index->memory_bytes() / 1e6);
    for (int ef : efs) {
      int64_t found = 0, total = 0;
      for (int64_t i = 0; i < queries; ++i) {
        auto got = index->search(q.data() + i * dim, SearchOptions{}, ef);
        for (const SearchHit& t : truth[i])
          found += std::find(got.begin(), got.end(), t) != got.end();
        total += static_cast<int64_t>(truth[i].size());
      }
      Stats s = time_queries(queries, repeats, [&](int64_t i) {
        (void)index->search(q.data() + i * dim, SearchOptions{}, ef);
      });
      std::printf("  hnsw ef %d: recall@10 %.3f, %.3f / %.3f ms per query (CPU %.3f / %.3f)\n", ef,
                  static_cast<double>(found) / total, s.min, s.median, g_cpu.min, g_cpu.median);
    }
    const std::string path = dir + "/vector_bench.hnsw";
    t0 = now_ms();
    if (!index->save(path, {"bench-model", 1}).ok()) return 1;
    const double save_ms = now_ms() - t0;
    t0 = now_ms();
    auto loaded = HnswIndex::open(path, {"bench-model", 1}, dim);
    std::printf("  hnsw save %.0f ms, open+verify %.0f ms (%s)\n", save_ms, now_ms() - t0,
                loaded.ok() ? "ok" : loaded.status().message().c_str());
    std::filesystem::remove(path);
  }
  return 0;
}
