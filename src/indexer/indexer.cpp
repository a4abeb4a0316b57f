#include "indexer/indexer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "clipsearch/threads.h"
#include "core/sha256.h"
#include "image/decode.h"
#include "image/video_decode.h"
#include "indexer/image_file_steps.h"
#include "indexer/model_identity.h"

namespace clipsearch {
namespace {

// A file that needs work: new, or its size or mtime changed.
struct WorkItem {
  std::string path;
  int64_t root_id = 0;
  int64_t existing_id = 0;  // the row with this path; 0 for a new file
  bool existing_ok = false;
  std::string existing_hash;
  bool existing_has_color = false;
  // An unchanged row indexed before colour signatures existed: only its colour is computed.
  bool color_only = false;
};

enum class Outcome {
  kTensor,    // decoded and preprocessed: `pixels` is the model's input
  kReuse,     // content already embedded under another path
  kTouch,     // same content as this path's row: only the file facts changed
  kNotImage,  // first bytes are no allow-listed format
  kFailed,
  kColor,  // color_only: the signature of an unchanged, already embedded image
};

struct Prepared {
  size_t item = 0;
  Outcome outcome = Outcome::kFailed;
  ImageRecord record;
  std::vector<float> pixels;  // [3, H, W] for kTensor
  // A video's frames for kTensor (pixels then stays empty): [3, H, W] each, at these times.
  std::vector<std::vector<float>> frame_pixels;
  std::vector<int64_t> frame_times;
  // Packed colour signature (image/color_signature.h) computed from the decoded pixels; empty
  // when the image could not be decoded for it (kTouch, kColor); unset: not computed.
  std::optional<std::vector<float>> color;
};

struct Shared {
  const std::vector<WorkItem>& work;
  const std::unordered_set<std::string>* known_hashes;  // embedded content (null: decode all)
  const PreprocessConfig& config;
  const IndexOptions& options;
  std::atomic<size_t> next{0};
  std::atomic<int64_t> bytes_read{0};
  std::atomic<int64_t> decoded{0};
  std::atomic<bool> stop{false};

  // Prepared items waiting for the writer; bounded so memory stays at about two batches.
  std::mutex mu;
  std::condition_variable can_push, can_pop;
  std::deque<Prepared> queue;
  size_t capacity = 64;
  int producers = 0;
};

Status read_whole(int fd, int64_t size, std::vector<uint8_t>* buf) {
  buf->resize(static_cast<size_t>(size));
  size_t done = 0;
  while (done < buf->size()) {
    const ssize_t n = ::read(fd, buf->data() + done, buf->size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::io_error(std::string("cannot read: ") + std::strerror(errno));
    if (n == 0) return Status::unavailable("the file shrank while being read");
    done += static_cast<size_t>(n);
  }
  return Status();
}

// The colour signature alone, for a file whose embedding is kept: a file that no longer decodes
// gets an empty signature ("no colour") rather than failing a row whose embedding is fine.
std::vector<float> color_of(const std::vector<uint8_t>& buf, const std::string& path,
                            const Shared& sh) {
  Result<RgbImage> rgb =
      image_decode_for_preprocess(buf.data(), buf.size(), path, sh.config, sh.options.decode);
  return rgb.ok() ? image_file_color(*rgb) : std::vector<float>();
}

// SHA-256 of the whole file by 1 MiB reads: a video of several GB is never held in memory.
Status hash_streaming(int fd, int64_t size, std::string* hash) {
  Sha256 sha;
  std::vector<uint8_t> chunk(1 << 20);
  int64_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, chunk.data(), chunk.size(), done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::io_error(std::string("cannot read: ") + std::strerror(errno));
    if (n == 0) return Status::unavailable("the file shrank while being read");
    sha.add(chunk.data(), static_cast<size_t>(n));
    done += n;
  }
  *hash = sha.finish();
  return Status();
}

// The facts of a video's row: format, size as displayed, duration, the container's date.
void set_video_facts(const VideoInfo& info, VideoFormat format, ImageRecord* r) {
  r->format = video_format_name(format);
  r->width = info.width;
  r->height = info.height;
  r->duration_ms = std::max<int64_t>(1, info.duration_ms);
  int64_t created_ns = 0;
  if (exif_date_to_ns(info.creation_time, &created_ns)) {
    r->date_taken_ns = created_ns;
    r->date_from_exif = true;
  }
}

// prepare() for a video: `fd` is open on it and p.record holds its file facts.
Prepared prepare_video(int fd, VideoFormat format, const WorkItem& w, Shared& sh, Prepared p) {
  ImageRecord& r = p.record;
  auto fail = [&](const std::string& message) {
    p.outcome = w.color_only ? Outcome::kColor : Outcome::kFailed;
    if (w.color_only) p.color.emplace();
    r.error = message;
    return std::move(p);
  };
  if (w.color_only) {  // a video's colour comes with its frames; an older row gets none
    ::close(fd);
    p.outcome = Outcome::kColor;
    p.color.emplace();
    return p;
  }
  Status hashed = hash_streaming(fd, r.size, &r.hash);
  ::close(fd);
  if (!hashed.ok()) return fail(hashed.message());
  sh.bytes_read += r.size;
  const bool same = w.existing_ok && r.hash == w.existing_hash;
  if (same || (sh.known_hashes && sh.known_hashes->count(r.hash))) {
    Result<VideoInfo> info = video_probe(w.path, sh.options.decode);
    if (!info.ok()) return fail(info.status().message());
    set_video_facts(*info, format, &r);
    p.outcome = same ? Outcome::kTouch : Outcome::kReuse;
    r.status = ImageStatus::kOk;
    return p;
  }
  ++sh.decoded;
  Result<VideoInfo> info = video_probe(w.path, sh.options.decode);
  if (!info.ok()) return fail(info.status().message());
  const std::vector<int64_t> times = video_frame_times(info->duration_ms, sh.options.video_frames);
  Result<std::vector<VideoFrame>> frames =
      video_decode_frames(w.path, times, sh.options.decode, &*info);
  if (!frames.ok()) return fail(frames.status().message());
  set_video_facts(*info, format, &r);
  p.color = image_file_color(frames->front().image);  // the first frame's colours
  for (const VideoFrame& f : *frames) {
    p.frame_pixels.push_back(image_preprocess_rgb(f.image, sh.config).data);
    p.frame_times.push_back(f.time_ms);
  }
  p.outcome = Outcome::kTensor;
  r.status = ImageStatus::kOk;
  return p;
}

Prepared prepare(size_t index, Shared& sh) {
  const WorkItem& w = sh.work[index];
  Prepared p;
  p.item = index;
  ImageRecord& r = p.record;
  r.path = w.path;
  r.root_id = w.root_id;
  r.status = ImageStatus::kError;
  auto fail = [&](const std::string& message) {
    // A row whose embedding is kept never becomes an error row for want of a colour.
    p.outcome = w.color_only ? Outcome::kColor : Outcome::kFailed;
    if (w.color_only) p.color.emplace();
    r.error = message;
    return std::move(p);
  };
  const int fd = ::open(w.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return fail(std::string("cannot open: ") + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("not a regular file any more");
  }
  r.size = st.st_size;
  r.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  r.date_taken_ns = mtime_to_local_ns(r.mtime_ns);
  // Sniff the first bytes before reading the rest: a large video is not read whole.
  uint8_t head[64];
  const ssize_t head_n = ::pread(fd, head, sizeof head, 0);
  const size_t head_size = head_n > 0 ? static_cast<size_t>(head_n) : 0;
  if (image_sniff_format(head, head_size) == ImageFormat::kUnknown) {
    const VideoFormat video = video_sniff_format(head, head_size);
    if (video != VideoFormat::kUnknown && sh.options.video_frames > 0) {
      return prepare_video(fd, video, w, sh, std::move(p));
    }
    ::close(fd);
    p.outcome = Outcome::kNotImage;
    return p;
  }
  if (r.size > sh.options.max_file_bytes) {
    ::close(fd);
    return fail(image_file_too_large(r.size, sh.options.max_file_bytes));
  }
  std::vector<uint8_t> buf;
  Status st_read = read_whole(fd, r.size, &buf);
  ::close(fd);
  if (!st_read.ok()) return fail(st_read.message());
  sh.bytes_read += r.size;
  if (w.color_only) {
    ++sh.decoded;
    p.outcome = Outcome::kColor;
    p.color = color_of(buf, w.path, sh);
    return p;
  }
  r.hash = sha256_bytes(buf.data(), buf.size());

  ImageFileFacts facts;
  Status read_facts =
      image_file_read_facts(buf.data(), buf.size(), w.path, r.mtime_ns, sh.options.decode, &facts);
  if (!read_facts.ok()) return fail(read_facts.message());
  r.format = facts.format;
  r.width = facts.width;
  r.height = facts.height;
  r.camera = facts.camera;
  r.date_taken_ns = facts.taken_ns;
  r.date_from_exif = facts.taken_from_exif;
  if (w.existing_ok && r.hash == w.existing_hash) {
    p.outcome = Outcome::kTouch;
    r.status = ImageStatus::kOk;
    if (!w.existing_has_color) {
      ++sh.decoded;
      p.color = color_of(buf, w.path, sh);
    }
    return p;
  }
  if (sh.known_hashes && sh.known_hashes->count(r.hash)) {
    p.outcome = Outcome::kReuse;
    r.status = ImageStatus::kOk;
    return p;
  }
  ++sh.decoded;
  Result<DecodedImageFile> decoded =
      image_file_decode(buf.data(), buf.size(), w.path, sh.config, sh.options.decode);
  if (!decoded.ok()) return fail(decoded.status().message());
  p.color = std::move(decoded->color);
  p.outcome = Outcome::kTensor;
  r.status = ImageStatus::kOk;
  p.pixels = std::move(decoded->pixels.data);
  return p;
}

void worker(Shared& sh) {
  for (;;) {
    const size_t i = sh.next++;
    if (i >= sh.work.size() || sh.stop) break;
    Prepared p = prepare(i, sh);
    std::unique_lock<std::mutex> lock(sh.mu);
    sh.can_push.wait(lock, [&] { return sh.queue.size() < sh.capacity || sh.stop; });
    if (sh.stop) break;
    sh.queue.push_back(std::move(p));
    sh.can_pop.notify_one();
  }
  std::lock_guard<std::mutex> lock(sh.mu);
  --sh.producers;
  sh.can_pop.notify_one();
}

// The writer's state across batches and pipeline passes.
struct Writer {
  Catalog& catalog;
  Model& model;
  const PreprocessConfig& config;
  const IndexOptions& options;
  IndexStats& stats;
  // Rows of files seen missing, by content hash: a new file with that content is a move.
  std::unordered_map<std::string, std::vector<int64_t>> missing_by_hash;
  std::set<int64_t> missing;    // ids still to remove at the end
  std::vector<WorkItem> retry;  // reuse candidates whose source row vanished: decode them
  int64_t done = 0;
  int64_t total = 0;

  Status flush(const std::vector<WorkItem>& work, std::vector<Prepared>& batch) {
    if (batch.empty()) return Status();
    const int64_t dim = model.info().embed_dim;
    std::vector<size_t> tensor_items;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].outcome == Outcome::kTensor) tensor_items.push_back(i);
    }
    std::vector<float> embeddings(tensor_items.size() * static_cast<size_t>(dim));
    std::vector<std::vector<float>> frame_embeddings;
    CLIPSEARCH_RETURN_IF_ERROR(
        embed(batch, tensor_items, dim, embeddings.data(), &frame_embeddings));
    CLIPSEARCH_RETURN_IF_ERROR(catalog.begin_write());
    Status st = apply(work, batch, tensor_items, embeddings, frame_embeddings, dim);
    if (!st.ok()) {
      catalog.rollback();
      return st;
    }
    CLIPSEARCH_RETURN_IF_ERROR(catalog.commit());
    ++stats.batches;
    done += static_cast<int64_t>(batch.size());
    batch.clear();
    if (options.on_progress) options.on_progress({done, total, stats.failed});
    return Status();
  }

  // embeddings [tensor_items.size(), dim]: those given by options.precomputed, the others from
  // the model in forward passes of at most batch_size pictures; a video's row is the normalized
  // mean of its frames', which frame_embeddings[k] ([frames, dim]) keeps.
  Status embed(const std::vector<Prepared>& batch, const std::vector<size_t>& tensor_items,
               int64_t dim, float* embeddings, std::vector<std::vector<float>>* frame_embeddings) {
    const auto d = static_cast<size_t>(dim);
    frame_embeddings->assign(tensor_items.size(), {});
    // Each picture for the model, and where its embedding goes.
    std::vector<const std::vector<float>*> inputs;
    std::vector<float*> outputs;
    for (size_t k = 0; k < tensor_items.size(); ++k) {
      const Prepared& p = batch[tensor_items[k]];
      float* out = embeddings + k * d;
      if (!p.frame_pixels.empty()) {
        (*frame_embeddings)[k].resize(p.frame_pixels.size() * d);
        for (size_t j = 0; j < p.frame_pixels.size(); ++j) {
          inputs.push_back(&p.frame_pixels[j]);
          outputs.push_back((*frame_embeddings)[k].data() + j * d);
        }
      } else if (options.precomputed && options.precomputed(p.record.path, dim, out)) {
        ++stats.imported;
      } else {
        inputs.push_back(&p.pixels);
        outputs.push_back(out);
      }
    }
    const size_t pass = static_cast<size_t>(std::max(1, options.batch_size));
    for (size_t first = 0; first < inputs.size(); first += pass) {
      const size_t n = std::min(pass, inputs.size() - first);
      const size_t per = inputs[first]->size();
      std::vector<float> pixels(n * per);  // [n, 3, H, W]
      for (size_t j = 0; j < n; ++j) {
        std::copy(inputs[first + j]->begin(), inputs[first + j]->end(),
                  pixels.begin() + static_cast<std::ptrdiff_t>(j * per));
      }
      std::vector<float> computed(n * d);
      CLIPSEARCH_RETURN_IF_ERROR(
          model.encode_images(pixels.data(), static_cast<int64_t>(n), computed.data(), true));
      for (size_t j = 0; j < n; ++j) {
        std::copy(computed.begin() + static_cast<std::ptrdiff_t>(j * d),
                  computed.begin() + static_cast<std::ptrdiff_t>((j + 1) * d), outputs[first + j]);
      }
    }
    for (size_t k = 0; k < tensor_items.size(); ++k) {
      if (!(*frame_embeddings)[k].empty())
        mean_direction((*frame_embeddings)[k], d, embeddings + k * d);
    }
    return Status();
  }

  // The normalized mean of `rows` ([n, d], each normalized): the direction a video as a whole
  // points to, for duplicates, albums, classify and "more like this".
  static void mean_direction(const std::vector<float>& rows, size_t d, float* out) {
    std::vector<double> sum(d, 0.0);
    for (size_t i = 0; i < rows.size(); ++i) sum[i % d] += rows[i];
    double norm = 0;
    for (double v : sum) norm += v * v;
    norm = std::sqrt(norm);
    for (size_t j = 0; j < d; ++j) out[j] = norm > 0 ? static_cast<float>(sum[j] / norm) : 0.0f;
  }

  Status apply(const std::vector<WorkItem>& work, std::vector<Prepared>& batch,
               const std::vector<size_t>& tensor_items, const std::vector<float>& embeddings,
               const std::vector<std::vector<float>>& frame_embeddings, int64_t dim) {
    size_t k = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      Prepared& p = batch[i];
      const WorkItem& w = work[p.item];
      switch (p.outcome) {
        case Outcome::kTensor: {
          assert(tensor_items[k] == i);
          const float* e = embeddings.data() + static_cast<int64_t>(k) * dim;
          CLIPSEARCH_ASSIGN_OR_RETURN(int64_t id, catalog.put_image(p.record, e, &*p.color));
          if (!p.frame_times.empty()) {
            CLIPSEARCH_RETURN_IF_ERROR(
                catalog.put_frames(id, p.frame_times, frame_embeddings[k].data()));
            ++stats.videos;
            stats.frames += static_cast<int64_t>(p.frame_times.size());
          }
          ++k;
          ++stats.embedded;
          break;
        }
        case Outcome::kTouch: {
          CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<float> e, catalog.get_embedding(w.existing_id));
          if (!p.color) {
            CLIPSEARCH_ASSIGN_OR_RETURN(p.color, catalog.get_color(w.existing_id));
          }
          // A video's frames are kept: put_image drops the frames of the row it rewrites.
          CLIPSEARCH_ASSIGN_OR_RETURN(FrameSnapshot frames, catalog.get_frames(w.existing_id));
          CLIPSEARCH_ASSIGN_OR_RETURN(
              int64_t id, catalog.put_image(p.record, e.data(), p.color ? &*p.color : nullptr));
          if (!frames.times_ms.empty()) {
            CLIPSEARCH_RETURN_IF_ERROR(
                catalog.put_frames(id, frames.times_ms, frames.vectors.data()));
          }
          ++stats.touched;
          break;
        }
        case Outcome::kColor:
          CLIPSEARCH_RETURN_IF_ERROR(catalog.set_color(w.existing_id, *p.color));
          ++stats.colored;
          break;
        case Outcome::kReuse: {
          auto it = missing_by_hash.find(p.record.hash);
          if (w.existing_id == 0 && it != missing_by_hash.end() && !it->second.empty()) {
            const int64_t id = it->second.back();
            it->second.pop_back();
            missing.erase(id);
            CLIPSEARCH_RETURN_IF_ERROR(catalog.move_image(id, p.record));
            ++stats.moved;
            break;
          }
          CLIPSEARCH_ASSIGN_OR_RETURN(auto source, catalog.find_by_hash(p.record.hash));
          if (!source) {
            retry.push_back(w);
            --done;  // counted again when the retry pass writes it
            break;
          }
          // The copy carries the source's colour too (none yet: the next run computes it).
          CLIPSEARCH_ASSIGN_OR_RETURN(p.color, catalog.get_color(source->first.id));
          CLIPSEARCH_ASSIGN_OR_RETURN(int64_t id, catalog.put_image(p.record, source->second.data(),
                                                                    p.color ? &*p.color : nullptr));
          CLIPSEARCH_RETURN_IF_ERROR(catalog.copy_frames(source->first.id, id));
          ++stats.reused;
          break;
        }
        case Outcome::kNotImage:
          ++stats.not_images;
          if (w.existing_id) {
            CLIPSEARCH_RETURN_IF_ERROR(catalog.remove_image(w.existing_id));
            ++stats.removed;
          }
          break;
        case Outcome::kFailed:
          CLIPSEARCH_RETURN_IF_ERROR(catalog.put_image(p.record, nullptr).status());
          ++stats.failed;
          stats.failures.push_back({p.record.path, p.record.error});
          break;
      }
    }
    return Status();
  }

  // Prepares `work` on worker threads and writes it batch by batch.
  Status run(const std::vector<WorkItem>& work, const std::unordered_set<std::string>* known) {
    if (work.empty()) return Status();
    Shared sh{work, known, config, options};
    const int batch_size = std::max(1, options.batch_size);
    sh.capacity = static_cast<size_t>(2 * batch_size);
    int n = options.workers > 0 ? options.workers : num_threads();
    n = static_cast<int>(std::min<size_t>(static_cast<size_t>(std::max(1, n)), work.size()));
    sh.producers = n;
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) threads.emplace_back(worker, std::ref(sh));
    Status status;
    std::vector<Prepared> batch;
    size_t pictures = 0;  // model inputs in `batch`: a video counts its frames
    for (;;) {
      Prepared p;
      {
        std::unique_lock<std::mutex> lock(sh.mu);
        sh.can_pop.wait(lock, [&] { return !sh.queue.empty() || sh.producers == 0; });
        if (sh.queue.empty()) break;
        p = std::move(sh.queue.front());
        sh.queue.pop_front();
        sh.can_push.notify_one();
      }
      pictures += std::max<size_t>(1, p.frame_pixels.size());
      batch.push_back(std::move(p));
      if (static_cast<int>(batch.size()) >= batch_size ||
          pictures >= static_cast<size_t>(batch_size)) {
        status = flush(work, batch);
        pictures = 0;
        if (!status.ok()) break;
      }
    }
    if (status.ok()) status = flush(work, batch);
    if (!status.ok()) {
      std::lock_guard<std::mutex> lock(sh.mu);
      sh.stop = true;
      sh.can_push.notify_all();
    }
    for (auto& t : threads) t.join();
    stats.bytes_read += sh.bytes_read;
    stats.decoded += sh.decoded;
    return status;
  }
};

bool under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

}  // namespace

bool exif_date_to_ns(const std::string& text, int64_t* ns) {
  int y, mo, d, h, mi, s;
  char tail;
  if (text.size() < 19 ||
      std::sscanf(text.c_str(), "%4d:%2d:%2d %2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &tail) < 6) {
    return false;
  }
  if (y < 1800 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || h < 0 ||
      mi < 0 || s < 0) {
    return false;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  *ns = static_cast<int64_t>(timegm(&tm)) * 1000000000;
  return true;
}

int64_t mtime_to_local_ns(int64_t mtime_ns) {
  const time_t secs = static_cast<time_t>(mtime_ns / 1000000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  return static_cast<int64_t>(timegm(&tm)) * 1000000000 + mtime_ns % 1000000000;
}

Result<IndexStats> index_library(Catalog& catalog, Model& model, const PreprocessConfig& config,
                                 const IndexOptions& options) {
  IndexStats stats;
  // The roots: those given (stored for later runs), else the catalog's.
  std::vector<CatalogRoot> roots;
  if (!options.roots.empty()) {
    CLIPSEARCH_RETURN_IF_ERROR(catalog.begin_write());
    for (const CatalogRoot& given : options.roots) {
      CatalogRoot r{0, absolute_path(given.path), given.excludes};
      auto id = catalog.add_root(r.path, r.excludes);
      if (!id.ok()) {
        catalog.rollback();
        return id.status();
      }
      r.id = *id;
      roots.push_back(std::move(r));
    }
    CLIPSEARCH_RETURN_IF_ERROR(catalog.commit());
  } else {
    CLIPSEARCH_ASSIGN_OR_RETURN(roots, catalog.roots());
    if (roots.empty()) {
      return Status::invalid_argument(catalog.path() +
                                      ": no library roots yet; give PATH... to index");
    }
  }

  // Crawl every root (stat only) and compare with the catalog.
  std::vector<WorkItem> work;
  std::set<std::string> queued;  // paths already in `work` (overlapping roots)
  std::set<std::string> seen;    // every file found
  Writer writer{catalog, model, config, options, stats, {}, {}, {}, 0, 0};
  std::vector<FileState> candidates_missing;
  std::vector<std::string> protected_dirs;
  for (const CatalogRoot& root : roots) {
    CrawlOptions crawl_options;
    crawl_options.excludes = root.excludes;
    crawl_options.sniff = false;  // the workers sniff, so unchanged files are never opened
    RootScan scan = crawl_root(root.path, crawl_options);
    std::map<std::string, FileState> known;
    CLIPSEARCH_RETURN_IF_ERROR(catalog.for_each_file_under(
        scan.root, [&](const FileState& f) { known.emplace(f.path, f); }));
    if (scan.state != RootState::kOk) {
      stats.skipped_roots.push_back(
          {scan.root, scan.state, scan.message, static_cast<int64_t>(known.size())});
      continue;
    }
    for (const CrawledFile& f : scan.files) {
      seen.insert(f.path);
      ++stats.files;
      auto it = known.find(f.path);
      const bool unchanged =
          it != known.end() && it->second.size == f.size && it->second.mtime_ns == f.mtime_ns;
      if (unchanged) ++stats.unchanged;
      const bool needs_color =
          unchanged && it->second.status == ImageStatus::kOk && !it->second.has_color;
      if ((unchanged && !needs_color) || !queued.insert(f.path).second) continue;
      WorkItem w;
      w.path = f.path;
      w.root_id = root.id;
      w.color_only = needs_color;
      if (it != known.end()) {
        w.existing_id = it->second.id;
        w.existing_ok = it->second.status == ImageStatus::kOk;
        w.existing_hash = it->second.hash;
        w.existing_has_color = it->second.has_color;
      }
      work.push_back(std::move(w));
    }
    protected_dirs.insert(protected_dirs.end(), scan.unreadable_dirs.begin(),
                          scan.unreadable_dirs.end());
    for (auto& [path, f] : known) candidates_missing.push_back(f);
  }
  // Entries under a root that could not be scanned, or a folder that could not be read, stay,
  // also when another root above it was read (/media read, /media/usb not mounted).
  for (const SkippedRoot& r : stats.skipped_roots) protected_dirs.push_back(r.root);
  for (const FileState& f : candidates_missing) {
    if (seen.count(f.path) || writer.missing.count(f.id)) continue;
    const bool kept = std::any_of(protected_dirs.begin(), protected_dirs.end(),
                                  [&](const auto& d) { return d == f.path || under(f.path, d); });
    if (kept) continue;
    writer.missing.insert(f.id);
    if (f.status == ImageStatus::kOk && !f.hash.empty())
      writer.missing_by_hash[f.hash].push_back(f.id);
  }

  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<std::string> hashes, catalog.embedded_hashes());
  const std::unordered_set<std::string> known_hashes(hashes.begin(), hashes.end());
  writer.total = static_cast<int64_t>(work.size());
  if (options.on_progress) options.on_progress({0, writer.total, 0});
  CLIPSEARCH_RETURN_IF_ERROR(writer.run(work, &known_hashes));
  if (!writer.retry.empty()) {
    std::vector<WorkItem> retry = std::move(writer.retry);
    writer.retry.clear();
    CLIPSEARCH_RETURN_IF_ERROR(writer.run(retry, nullptr));
  }

  // Files gone from readable roots, removed last so a move found above keeps its row.
  std::vector<int64_t> gone(writer.missing.begin(), writer.missing.end());
  for (size_t i = 0; i < gone.size(); i += 1000) {
    CLIPSEARCH_RETURN_IF_ERROR(catalog.begin_write());
    for (size_t j = i; j < std::min(gone.size(), i + 1000); ++j) {
      Status st = catalog.remove_image(gone[j]);
      if (!st.ok()) {
        catalog.rollback();
        return st;
      }
      ++stats.removed;
    }
    CLIPSEARCH_RETURN_IF_ERROR(catalog.commit());
    ++stats.batches;
  }
  return stats;
}

}  // namespace clipsearch
