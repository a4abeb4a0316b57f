// The one translation unit that includes hnswlib: its headers define non-inline globals
// (the SIMD distance pointers), so a second includer would break the link. Those SIMD distances
// are not used: the graph is built and walked with index/dot.h's kernel (DotSpace below).
#include "index/hnsw_index.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/atomic_file.h"
#include "core/mapped_file.h"
#include "core/thread_pool.h"
#include "index/dot.h"
#include "index/exact_index.h"
#include "index/file_checksum.h"
#include "index/index_file_header.h"
#include "index/top_k.h"

namespace clipsearch {
namespace {

using Graph = hnswlib::HierarchicalNSW<float>;
using hnswlib::tableint;

constexpr char kMagic[8] = {'C', 'L', 'I', 'P', 'H', 'N', 'S', 'W'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kHeaderSize = 320;
constexpr IndexFileKind kKind{kMagic, kVersion, "HNSW index"};

// The header as laid out on disk (little-endian); docs/FORMATS.md.
struct Header {
  char magic[8];
  uint32_t version;
  uint32_t dim;
  uint64_t count;
  uint64_t generation;
  uint32_t checksum;
  uint32_t model_id_size;
  uint32_t m;
  uint32_t ef_construction;
  uint64_t graph_offset;
  uint64_t graph_size;
  uint64_t ids_offset;
  uint64_t file_size;
  uint8_t reserved[48];
  char model_id[kMaxModelIdBytes];
};
static_assert(sizeof(Header) == kHeaderSize);
static_assert(offsetof(Header, checksum) == 32 && offsetof(Header, model_id) == 128);

// hnswlib's distance, 1 - dot: the graph is built and walked with the kernel (and ISA level)
// that scores everything else, rather than hnswlib's own, which picks its instructions at
// compile time.
float dot_distance(const void* a, const void* b, const void* dim) {
  return 1.0f - dot(static_cast<const float*>(a), static_cast<const float*>(b),
                    *static_cast<const int64_t*>(dim));
}

class DotSpace final : public hnswlib::SpaceInterface<float> {
 public:
  explicit DotSpace(int64_t dim) : dim_(dim) {}
  size_t get_data_size() override { return static_cast<size_t>(dim_) * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return dot_distance; }
  void* get_dist_func_param() override { return &dim_; }

 private:
  int64_t dim_;
};

// hnswlib 0.6.2's saveIndex() fields, in its order and sizes (hnswalg.h).
struct GraphFields {
  size_t offset_level0, max_elements, count, size_data_per_element, label_offset, offset_data;
  int max_level;
  tableint enter_point;
  size_t max_m, max_m0, m;
  double mult;
  size_t ef_construction;
};

// Bounds-checked reader over the mapped graph section.
class Reader {
 public:
  Reader(const uint8_t* data, uint64_t size) : p_(data), end_(data + size) {}
  template <class T>
  bool read(T& out) {
    if (static_cast<uint64_t>(end_ - p_) < sizeof(T)) return false;
    std::memcpy(&out, p_, sizeof(T));
    p_ += sizeof(T);
    return true;
  }
  const uint8_t* take(uint64_t n) {
    if (static_cast<uint64_t>(end_ - p_) < n) return nullptr;
    const uint8_t* at = p_;
    p_ += n;
    return at;
  }
  bool at_end() const { return p_ == end_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace

struct HnswIndex::Impl {
  int64_t dim = 0;
  HnswParams params;
  std::unique_ptr<DotSpace> space;        // the graph points into it: never moved
  std::unique_ptr<Graph> graph;           // null for an empty index
  std::vector<int64_t> ids;               // [rows]: the graph's labels are rows
  std::vector<tableint> internal_of_row;  // [rows]

  const float* vector_of_row(int64_t row) const {
    return reinterpret_cast<const float*>(
        graph->getDataByInternalId(internal_of_row[static_cast<size_t>(row)]));
  }
  int64_t rows() const { return static_cast<int64_t>(ids.size()); }
  double allowed_fraction(const IdFilter& filter) const;
  std::vector<SearchHit> exact(const float* query, const SearchOptions& options) const;
  Status write(AtomicFile& file, FileChecksum& sum, const void* data, uint64_t size) const {
    sum.update(data, size);
    return file.append(data, size);
  }
};

HnswIndex::HnswIndex() = default;
HnswIndex::HnswIndex(HnswIndex&&) noexcept = default;
HnswIndex& HnswIndex::operator=(HnswIndex&&) noexcept = default;
HnswIndex::~HnswIndex() = default;

int64_t HnswIndex::size() const { return impl_ ? impl_->rows() : 0; }
int64_t HnswIndex::dim() const { return impl_ ? impl_->dim : 0; }
int64_t HnswIndex::memory_bytes() const {
  if (!impl_ || !impl_->graph) return 0;
  const Graph& g = *impl_->graph;
  int64_t bytes = static_cast<int64_t>(g.cur_element_count * g.size_data_per_element_);
  for (size_t i = 0; i < g.cur_element_count; ++i) {
    bytes += static_cast<int64_t>(g.size_links_per_element_) * g.element_levels_[i];
  }
  return bytes;
}

Result<HnswIndex> HnswIndex::build(const VectorView& rows, const HnswParams& params) {
  if (rows.dim <= 0 || rows.count < 0 || rows.count > UINT32_MAX) {
    return Status::invalid_argument("hnsw build: bad shape [" + std::to_string(rows.count) + ", " +
                                    std::to_string(rows.dim) + "]");
  }
  if (params.m < 2 || params.m > 256 || params.ef_construction < 1) {
    return Status::invalid_argument("hnsw build: bad parameters M " + std::to_string(params.m) +
                                    ", ef_construction " + std::to_string(params.ef_construction));
  }
  HnswIndex index;
  index.impl_ = std::make_unique<Impl>();
  Impl& impl = *index.impl_;
  impl.dim = rows.dim;
  impl.params = params;
  impl.ids.assign(rows.ids, rows.ids + rows.count);
  impl.space = std::make_unique<DotSpace>(rows.dim);
  if (rows.count == 0) return index;
  try {
    impl.graph = std::make_unique<Graph>(
        impl.space.get(), static_cast<size_t>(rows.count), static_cast<size_t>(params.m),
        static_cast<size_t>(params.ef_construction), static_cast<size_t>(params.seed));
  } catch (const std::exception& e) {
    return Status::error(std::string("hnsw build: ") + e.what());
  }
  Graph& g = *impl.graph;
  // The first point becomes the entry point; the rest go in parallel, in blocks handed out
  // dynamically (insert cost grows with the graph).
  g.addPoint(rows.vectors, 0);
  constexpr int64_t kBlock = 256;
  const int64_t blocks = (rows.count - 1 + kBlock - 1) / kBlock;
  parallel_tasks(blocks, [&](int64_t b) {
    const int64_t begin = 1 + b * kBlock, end = std::min(rows.count, begin + kBlock);
    for (int64_t r = begin; r < end; ++r) {
      g.addPoint(rows.vectors + r * rows.dim, static_cast<hnswlib::labeltype>(r));
    }
  });
  g.setEf(1);  // search() passes its candidate count as k (see there)
  impl.internal_of_row.resize(static_cast<size_t>(rows.count));
  for (size_t i = 0; i < g.cur_element_count; ++i) {
    impl.internal_of_row[g.getExternalLabel(static_cast<tableint>(i))] = static_cast<tableint>(i);
  }
  return index;
}

Status HnswIndex::save(const std::string& path, const VectorFileInfo& info) const {
  assert(impl_);
  const Impl& impl = *impl_;
  if (info.model_id.size() > kMaxModelIdBytes) {
    return Status::invalid_argument(path + ": model id longer than " +
                                    std::to_string(kMaxModelIdBytes) + " bytes: " + info.model_id);
  }
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kVersion;
  h.dim = static_cast<uint32_t>(impl.dim);
  h.count = static_cast<uint64_t>(impl.rows());
  h.generation = info.generation;
  h.model_id_size = static_cast<uint32_t>(info.model_id.size());
  std::memcpy(h.model_id, info.model_id.data(), info.model_id.size());
  h.m = static_cast<uint32_t>(impl.params.m);
  h.ef_construction = static_cast<uint32_t>(impl.params.ef_construction);
  h.graph_offset = kHeaderSize;

  CLIPSEARCH_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::create(path));
  CLIPSEARCH_RETURN_IF_ERROR(file.append(&h, kHeaderSize));  // rewritten at the end
  FileChecksum sum;
  if (impl.graph) {
    const Graph& g = *impl.graph;
    const GraphFields f{g.offsetLevel0_,
                        g.max_elements_,
                        g.cur_element_count,
                        g.size_data_per_element_,
                        g.label_offset_,
                        g.offsetData_,
                        g.maxlevel_,
                        g.enterpoint_node_,
                        g.maxM_,
                        g.maxM0_,
                        g.M_,
                        g.mult_,
                        g.ef_construction_};
    // Field by field, as saveIndex writes them (no struct padding on disk).
    auto put = [&](const auto& v) { return impl.write(file, sum, &v, sizeof v); };
    for (Status st :
         {put(f.offset_level0), put(f.max_elements), put(f.count), put(f.size_data_per_element),
          put(f.label_offset), put(f.offset_data), put(f.max_level), put(f.enter_point),
          put(f.max_m), put(f.max_m0), put(f.m), put(f.mult), put(f.ef_construction)}) {
      CLIPSEARCH_RETURN_IF_ERROR(st);
    }
    CLIPSEARCH_RETURN_IF_ERROR(impl.write(file, sum, g.data_level0_memory_,
                                          g.cur_element_count * g.size_data_per_element_));
    for (size_t i = 0; i < g.cur_element_count; ++i) {
      const uint32_t bytes = static_cast<uint32_t>(g.size_links_per_element_ *
                                                   static_cast<size_t>(g.element_levels_[i]));
      CLIPSEARCH_RETURN_IF_ERROR(impl.write(file, sum, &bytes, sizeof bytes));
      if (bytes > 0) CLIPSEARCH_RETURN_IF_ERROR(impl.write(file, sum, g.linkLists_[i], bytes));
    }
  }
  sum.end_section();
  h.graph_size = file.size() - kHeaderSize;
  CLIPSEARCH_RETURN_IF_ERROR(file.pad_to(8));
  h.ids_offset = file.size();
  CLIPSEARCH_RETURN_IF_ERROR(
      impl.write(file, sum, impl.ids.data(), impl.ids.size() * sizeof(int64_t)));
  sum.end_section();
  h.file_size = file.size();
  h.checksum = sum.finish(&h, kHeaderSize);  // h.checksum is still 0 here
  CLIPSEARCH_RETURN_IF_ERROR(file.write_at(0, &h, kHeaderSize));
  return file.commit();
}

double HnswIndex::Impl::allowed_fraction(const IdFilter& filter) const {
  if (rows() == 0) return 0;
  if (filter.allowed_count() >= 0) {
    return std::min(1.0, static_cast<double>(filter.allowed_count()) / rows());
  }
  constexpr int64_t kSample = 1024;
  const int64_t n = std::min(kSample, rows());
  int64_t allowed = 0;
  for (int64_t i = 0; i < n; ++i)
    allowed += filter.allows(ids[static_cast<size_t>(rows() * i / n)]);
  return static_cast<double>(allowed) / n;
}

// The exact scan over the graph's own copy of the vectors (same kernel as exact_search).
std::vector<SearchHit> HnswIndex::Impl::exact(const float* query,
                                              const SearchOptions& options) const {
  const int64_t tasks = std::clamp<int64_t>(rows() / 4096, 1, 4 * num_threads());
  std::vector<TopK> tops(static_cast<size_t>(tasks), TopK(std::min(options.k, rows())));
  parallel_tasks(tasks, [&](int64_t t) {
    TopK& top = tops[static_cast<size_t>(t)];
    for (int64_t r = rows() * t / tasks; r < rows() * (t + 1) / tasks; ++r) {
      const int64_t id = ids[static_cast<size_t>(r)];
      if (options.filter != nullptr && !options.filter->allows(id)) continue;
      const float s = dot(query, vector_of_row(r), dim);
      if (s >= options.min_score && s >= top.threshold()) top.push(id, s);
    }
  });
  for (size_t t = 1; t < tops.size(); ++t) tops[0].merge(tops[t]);
  return tops[0].take_sorted();
}

bool HnswIndex::filter_uses_exact(const IdFilter& filter) const {
  if (!impl_ || impl_->rows() == 0) return true;
  const double f = impl_->allowed_fraction(filter);
  return f * impl_->rows() <= kFilterExactMaxRows || f < kFilterMinFraction;
}

std::vector<SearchHit> HnswIndex::search(const float* query, const SearchOptions& options,
                                         int ef) const {
  if (!impl_ || !impl_->graph || options.k <= 0) return {};
  const Impl& impl = *impl_;
  if (ef <= 0) ef = kDefaultEfSearch;
  double fraction = 1;
  if (options.filter != nullptr) {
    if (filter_uses_exact(*options.filter)) return impl.exact(query, options);
    fraction = impl.allowed_fraction(*options.filter);
  }
  // hnswlib searches with max(ef_, k) candidates; ef_ stays at its minimum so the candidate
  // count is per call (and search() stays const and thread-safe).
  const int64_t k = std::min(options.k, impl.rows());
  const int64_t wanted = static_cast<int64_t>(std::min<double>(
      std::ceil(static_cast<double>(k) / fraction), static_cast<double>(impl.rows())));
  const size_t candidates =
      static_cast<size_t>(std::min<int64_t>(std::max<int64_t>(wanted, ef), impl.rows()));
  auto queue = impl.graph->searchKnn(query, candidates);
  TopK top(k);
  // hnswlib's distance is 1 - dot: the largest distance is the lowest candidate score.
  const float lowest_candidate = queue.empty() ? 0.0f : 1.0f - queue.top().first;
  while (!queue.empty()) {
    const int64_t row = static_cast<int64_t>(queue.top().second);
    queue.pop();
    const int64_t id = impl.ids[static_cast<size_t>(row)];
    if (options.filter != nullptr && !options.filter->allows(id)) continue;
    const float s = dot(query, impl.vector_of_row(row), impl.dim);
    if (s >= options.min_score) top.push(id, s);
  }
  // Too few allowed hits in a full candidate list: the filter is more selective around this
  // query than overall, so the graph cannot answer it; the exact scan can.
  // (Not when the candidates already reach below min_score: the answer is then complete.)
  if (options.filter != nullptr && !top.full() && candidates < static_cast<size_t>(impl.rows()) &&
      lowest_candidate >= options.min_score) {
    return impl.exact(query, options);
  }
  return top.take_sorted();
}

Result<HnswIndex> HnswIndex::open(const std::string& path, const VectorFileInfo& expected,
                                  int64_t expected_dim) {
  CLIPSEARCH_ASSIGN_OR_RETURN(MappedFile map, MappedFile::open(path));
  const uint64_t size = map.size();
  auto corrupt = [&](const std::string& what) {
    return Status::corruption(path + ": corrupt HNSW index: " + what);
  };
  CLIPSEARCH_ASSIGN_OR_RETURN(const Header h, read_index_header<Header>(map, path, kKind));
  if (h.file_size != size) {
    return Status::corruption(path + ": truncated or extended: header says " +
                              std::to_string(h.file_size) + " bytes, file has " +
                              std::to_string(size));
  }
  if (h.dim == 0 || h.dim > 65536 || h.count > UINT32_MAX || h.m < 2 || h.m > 256 ||
      h.model_id_size > kMaxModelIdBytes || h.graph_offset != kHeaderSize ||
      h.graph_size > size - kHeaderSize ||
      h.ids_offset != (kHeaderSize + h.graph_size + 7) / 8 * 8 || h.ids_offset > size ||
      (size - h.ids_offset) % sizeof(int64_t) != 0 ||
      (size - h.ids_offset) / sizeof(int64_t) != h.count) {
    return corrupt("header fields do not fit together or the file size");
  }
  CLIPSEARCH_RETURN_IF_ERROR(
      check_index_identity(path, index_identity(h), h.dim, expected, expected_dim));
  const uint8_t* base = map.data();
  CLIPSEARCH_RETURN_IF_ERROR(verify_index_checksum(
      path, h,
      {{base + h.graph_offset, h.graph_size}, {base + h.ids_offset, h.count * sizeof(int64_t)}}));

  HnswIndex index;
  index.impl_ = std::make_unique<Impl>();
  Impl& impl = *index.impl_;
  impl.dim = h.dim;
  impl.params.m = static_cast<int>(h.m);
  impl.params.ef_construction = static_cast<int>(h.ef_construction);
  impl.ids.assign(reinterpret_cast<const int64_t*>(base + h.ids_offset),
                  reinterpret_cast<const int64_t*>(base + h.ids_offset) + h.count);
  impl.space = std::make_unique<DotSpace>(h.dim);
  if (h.count == 0) {
    if (h.graph_size != 0) return corrupt("graph data for an empty index");
    return index;
  }

  // The graph section, checked field by field against what the header implies, then every
  // list, so the search can follow any link without a bounds check.
  Reader in(base + h.graph_offset, h.graph_size);
  GraphFields f{};
  if (!in.read(f.offset_level0) || !in.read(f.max_elements) || !in.read(f.count) ||
      !in.read(f.size_data_per_element) || !in.read(f.label_offset) || !in.read(f.offset_data) ||
      !in.read(f.max_level) || !in.read(f.enter_point) || !in.read(f.max_m) || !in.read(f.max_m0) ||
      !in.read(f.m) || !in.read(f.mult) || !in.read(f.ef_construction)) {
    return corrupt("graph header cut short");
  }
  const size_t links0 = 2 * size_t{h.m} * sizeof(tableint) + sizeof(tableint);
  const size_t links = size_t{h.m} * sizeof(tableint) + sizeof(tableint);
  const size_t vector_bytes = size_t{h.dim} * sizeof(float);
  if (f.offset_level0 != 0 || f.count != h.count || f.max_elements < f.count || f.m != h.m ||
      f.max_m != h.m || f.max_m0 != 2 * size_t{h.m} || f.offset_data != links0 ||
      f.label_offset != links0 + vector_bytes ||
      f.size_data_per_element != links0 + vector_bytes + sizeof(hnswlib::labeltype) ||
      f.max_level < 0 || f.max_level > 64 || f.enter_point >= f.count) {
    return corrupt("graph header does not match M " + std::to_string(h.m) + ", dim " +
                   std::to_string(h.dim) + " and count " + std::to_string(h.count));
  }
  const size_t n = f.count;
  const uint8_t* level0 = in.take(n * f.size_data_per_element);
  if (level0 == nullptr) return corrupt("bottom layer cut short");
  std::vector<int> levels(n);
  std::vector<const uint8_t*> upper(n, nullptr);
  for (size_t i = 0; i < n; ++i) {
    uint32_t bytes = 0;
    if (!in.read(bytes) || bytes % links != 0 || bytes / links > size_t(f.max_level)) {
      return corrupt("bad link list size of element " + std::to_string(i));
    }
    levels[i] = static_cast<int>(bytes / links);
    if (bytes > 0 && (upper[i] = in.take(bytes)) == nullptr) {
      return corrupt("link lists cut short at element " + std::to_string(i));
    }
  }
  if (!in.at_end()) return corrupt("trailing bytes after the link lists");
  if (levels[f.enter_point] != f.max_level) return corrupt("entry point not on the top level");
  // A list: uint16 count, a deleted-mark byte, a spare byte, then the neighbours.
  auto check_list = [&](const uint8_t* list, size_t max_count, int level) {
    uint16_t count;
    std::memcpy(&count, list, sizeof count);
    if (count > max_count || list[2] != 0) return false;
    for (size_t j = 0; j < count; ++j) {
      tableint to;
      std::memcpy(&to, list + sizeof(tableint) * (j + 1), sizeof to);
      if (to >= n || levels[to] < level) return false;
    }
    return true;
  };
  std::vector<tableint> internal_of_row(n, UINT32_MAX);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* element = level0 + i * f.size_data_per_element;
    hnswlib::labeltype label;
    std::memcpy(&label, element + f.label_offset, sizeof label);
    if (label >= n || internal_of_row[label] != UINT32_MAX) {
      return corrupt("bad or repeated row label at element " + std::to_string(i));
    }
    internal_of_row[label] = static_cast<tableint>(i);
    bool ok = check_list(element, f.max_m0, 0);
    for (int l = 1; ok && l <= levels[i]; ++l) {
      ok = check_list(upper[i] + (l - 1) * links, f.max_m, l);
    }
    if (!ok) return corrupt("bad link list at element " + std::to_string(i));
  }

  try {
    impl.graph =
        std::make_unique<Graph>(impl.space.get(), n, size_t{h.m}, size_t{h.ef_construction});
  } catch (const std::exception& e) {
    return Status::error(path + ": " + e.what());
  }
  Graph& g = *impl.graph;
  std::memcpy(g.data_level0_memory_, level0, n * f.size_data_per_element);
  for (size_t i = 0; i < n; ++i) {
    g.element_levels_[i] = levels[i];
    g.linkLists_[i] = nullptr;
    if (levels[i] > 0) {
      const size_t bytes = links * static_cast<size_t>(levels[i]);
      g.linkLists_[i] = static_cast<char*>(std::malloc(bytes));
      if (g.linkLists_[i] == nullptr) {
        g.element_levels_[i] = 0;  // the destructor frees the lists of the elements before i
        return Status::error(path + ": out of memory loading the graph");
      }
      std::memcpy(g.linkLists_[i], upper[i], bytes);
    }
    g.cur_element_count = i + 1;
  }
  g.maxlevel_ = f.max_level;
  g.enterpoint_node_ = f.enter_point;
  g.setEf(1);
  // label_lookup_ stays empty: it serves addPoint/markDelete, which a loaded index never calls.
  impl.internal_of_row = std::move(internal_of_row);
  return index;
}

}  // namespace clipsearch
