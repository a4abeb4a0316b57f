#include "hub/download.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "core/errno_status.h"
#include "hub/cache.h"
#include "hub/http.h"

namespace clipsearch::hub {
namespace {

namespace fs = std::filesystem;

std::string percent_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// "https://host:port" of a URL.
std::string origin(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

// ref: huggingface_hub file_download._normalize_etag: drop a W/ prefix and the quotes.
std::string normalize_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}

bool all_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

struct Metadata {
  std::string commit, etag, location;
  uint64_t size = 0;  // 0: unknown
};

// The lock huggingface_hub takes on <cache>/.locks/<repo>/<etag>.lock (filelock: flock).
class BlobLock {
 public:
  explicit BlobLock(const std::string& path) {
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~BlobLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
  }
  BlobLock(const BlobLock&) = delete;
  BlobLock& operator=(const BlobLock&) = delete;

 private:
  int fd_ = -1;
};

std::vector<std::string> auth_headers(const HubOptions& options) {
  std::vector<std::string> headers{"Accept-Encoding: identity"};
  if (!options.token.empty()) headers.push_back("Authorization: Bearer " + options.token);
  return headers;
}

// HEAD, following only relative redirects (a renamed repository, the hub's resolve cache), as
// huggingface_hub does; an absolute redirect (to the CDN) carries the metadata itself.
// `*final_url` receives the URL that answered.
Result<HttpResponse> head_metadata(const std::string& url, const HubOptions& options,
                                   std::string* final_url) {
  std::string current = url;
  for (int hop = 0; hop < 10; ++hop) {
    CLIPSEARCH_ASSIGN_OR_RETURN(HttpResponse r, http_head(current, auth_headers(options)));
    const std::string location = r.header("location");
    if (r.status >= 300 && r.status < 400 && !location.empty() && location[0] == '/' &&
        (location.size() < 2 || location[1] != '/')) {
      // ref: huggingface_hub _request_wrapper: urlparse(url)._replace(path=target.path)
      current = origin(current) + location.substr(0, location.find('?'));
      continue;
    }
    *final_url = current;
    return r;
  }
  return Status::unavailable(url + ": too many redirects");
}

// The code for an HTTP failure status: gone is kNotFound; overloaded, throttled or timed out is
// kUnavailable (worth retrying); anything else has no better category.
StatusCode http_status_code(long status) {
  if (status == 404 || status == 410) return StatusCode::kNotFound;
  if (status == 408 || status == 429 || status >= 500) return StatusCode::kUnavailable;
  return StatusCode::kInternal;
}

Status http_error(const HttpResponse& r, const std::string& repo, const std::string& revision,
                  const std::string& file, const HubOptions& options) {
  const std::string code = r.header("x-error-code");
  const std::string at = repo + "@" + revision;
  if (code == "RepoNotFound" || (r.status == 401 && code.empty())) {
    return Status::not_found("repository " + repo + " not found at " + options.endpoint +
                             (options.token.empty() ? " (if it is private or gated, set HF_TOKEN)"
                                                    : " (or the token has no access to it)"));
  }
  if (code == "RevisionNotFound") {
    return Status::not_found(repo + ": revision " + revision + " not found");
  }
  if (code == "GatedRepo" || r.status == 401 || r.status == 403) {
    return Status::invalid_argument(
        at + ": access to " + file + " refused (HTTP " + std::to_string(r.status) + ")" +
        (options.token.empty() ? "; set HF_TOKEN" : "; check HF_TOKEN"));
  }
  return Status::error(http_status_code(r.status),
                       at + ": " + file + ": HTTP " + std::to_string(r.status));
}

std::string resolve_url(const HubOptions& options, const std::string& repo,
                        const std::string& revision, const std::string& file) {
  return options.endpoint + "/" + repo + "/resolve/" + percent_encode(revision) + "/" + file;
}

// A 404 for the file alone (the repository and the revision exist): EntryNotFound.
bool entry_missing(const HttpResponse& r) {
  return r.status == 404 && r.header("x-error-code") != "RepoNotFound" &&
         r.header("x-error-code") != "RevisionNotFound";
}

// Remembers a missing file by commit (.no_exist), so a later run need not ask again.
Status record_missing(const RepoCache& cache, const std::string& revision,
                      const std::string& commit, const std::string& file) {
  if (!is_commit_hash(commit)) return Status();
  mark_missing(cache, commit, file);
  return write_ref(cache, revision, commit);
}

Status download_blob(const HubOptions& options, const Metadata& meta, const std::string& url,
                     const std::string& blob, const std::string& file, ProgressSink* progress) {
  const std::string incomplete = blob + ".incomplete";
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::fopen(incomplete.c_str(), "ab"),
                                                      std::fclose);
  if (!out) {
    const int err = errno;
    return errno_status(err, incomplete + ": cannot open for writing");
  }
  // ref: huggingface_hub drops the token when the file comes from another host (the CDN).
  HubOptions anonymous = options;
  anonymous.token.clear();
  const std::vector<std::string> headers =
      auth_headers(origin(meta.location) == origin(url) ? options : anonymous);
  Status last;
  for (int attempt = 0; attempt <= options.retries; ++attempt) {
    std::fseek(out.get(), 0, SEEK_END);
    const uint64_t have = static_cast<uint64_t>(std::ftell(out.get()));
    if (meta.size != 0 && have == meta.size) break;
    std::vector<std::string> request = headers;
    if (have > 0) request.push_back("Range: bytes=" + std::to_string(have) + "-");
    if (progress != nullptr) progress->start(file, meta.size, have);
    bool dropped = false;
    uint64_t base = have;
    auto result = http_get(
        meta.location, request, out.get(),
        [&](uint64_t written) {
          if (progress != nullptr) progress->update(base + written);
        },
        &dropped);
    std::fflush(out.get());
    if (progress != nullptr) progress->finish();
    if (result.ok() && result->status == 416) {  // the range is past the end: start over
      if (ftruncate(fileno(out.get()), 0) != 0) return Status::io_error(incomplete + ": truncate");
      last = Status::unavailable(file + ": the server refused to resume (HTTP 416)");
      continue;
    }
    if (result.ok() && (result->status == 200 || result->status == 206)) {
      last = Status();
      if (meta.size == 0) break;
      continue;  // the loop checks the size (a short body without error is retried too)
    }
    if (result.ok()) {
      return Status::error(
          http_status_code(result->status),
          file + ": GET " + meta.location + ": HTTP " + std::to_string(result->status));
    }
    last = result.status();
    if (!dropped) return last;
  }
  std::fseek(out.get(), 0, SEEK_END);
  const uint64_t got = static_cast<uint64_t>(std::ftell(out.get()));
  out.reset();
  if (!last.ok() && (meta.size == 0 || got != meta.size)) {
    return last.with_context(file + ": download failed after " +
                             std::to_string(options.retries + 1) + " attempts");
  }
  if (meta.size != 0 && got != meta.size) {
    std::error_code ec;
    if (got > meta.size) fs::remove(incomplete, ec);  // cannot be resumed
    return Status::unavailable(file + ": downloaded " + std::to_string(got) +
                               " bytes, the hub says " + std::to_string(meta.size));
  }
  Status verified = verify_etag(incomplete, meta.etag);
  if (!verified.ok()) {
    std::error_code ec;
    fs::remove(incomplete, ec);  // never keep a corrupt file
    return verified.with_context(file + " from " + meta.location);
  }
  std::error_code ec;
  fs::rename(incomplete, blob, ec);
  if (ec) return errno_status(ec.value(), blob + ": " + ec.message());
  return Status();
}

}  // namespace

Status verify_etag(const std::string& path, const std::string& etag) {
  const bool sha256 = etag.size() == 64 && all_hex(etag);
  const bool git_sha1 = etag.size() == 40 && all_hex(etag);
  if (!sha256 && !git_sha1) return Status();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!in) {
    const int err = errno;
    return errno_status(err, path + ": cannot open");
  }
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), sha256 ? EVP_sha256() : EVP_sha1(), nullptr);
  if (git_sha1) {  // ref: git hash-object: sha1("blob <size>\0" + content)
    std::error_code ec;
    const std::string header = "blob " + std::to_string(fs::file_size(path, ec));
    EVP_DigestUpdate(ctx.get(), header.c_str(), header.size() + 1);
  }
  std::vector<char> buffer(1 << 20);
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), in.get())) > 0) {
    EVP_DigestUpdate(ctx.get(), buffer.data(), n);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  std::string hex;
  char two[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(two, sizeof two, "%02x", digest[i]);
    hex += two;
  }
  if (hex != etag) {
    return Status::corruption(std::string("checksum mismatch: ") +
                              (sha256 ? "sha256" : "git sha1") + " of the content is " + hex +
                              ", the hub says " + etag);
  }
  return Status();
}

Result<Fetched> hub_fetch(const HubOptions& options, const std::string& repo,
                          const std::string& revision, const std::string& file,
                          ProgressSink* progress) {
  const RepoCache cache(options.cache_dir, repo);
  const std::string at = repo + "@" + revision;
  if (options.offline) {
    auto commit = cached_commit(cache, revision);
    if (!commit.ok()) {
      return Status::not_found("offline (HF_HUB_OFFLINE=1) and " + at +
                               " is not in the cache (no " + cache.ref(revision) +
                               "); download it first: clipsearch pull " + repo +
                               (revision == "main" ? "" : "@" + revision));
    }
    Fetched fetched{false, cache.pointer(*commit, file), *commit};
    if (fs::exists(fetched.path)) {
      fetched.found = true;
      return fetched;
    }
    if (fs::exists(cache.no_exist(*commit, file))) return fetched;
    return Status::not_found("offline (HF_HUB_OFFLINE=1) and " + file + " of " + at +
                             " is not in the cache (" + fetched.path + ")");
  }
  // A commit never changes: if the file (or its absence) is cached, nothing needs asking.
  if (is_commit_hash(revision) && fs::exists(cache.pointer(revision, file))) {
    return Fetched{true, cache.pointer(revision, file), revision};
  }
  if (is_commit_hash(revision) && fs::exists(cache.no_exist(revision, file))) {
    return Fetched{false, "", revision};
  }
  const std::string url = resolve_url(options, repo, revision, file);
  std::string answered;
  auto head = head_metadata(url, options, &answered);
  if (!head.ok()) return head.status().with_context(at + ": " + file);
  const HttpResponse& r = *head;
  Fetched fetched;
  fetched.commit = r.header("x-repo-commit");
  if (entry_missing(r)) {
    CLIPSEARCH_RETURN_IF_ERROR(record_missing(cache, revision, fetched.commit, file));
    return fetched;  // not found
  }
  if (r.status >= 400 || r.status < 200) return http_error(r, repo, revision, file, options);
  Metadata meta;
  meta.commit = fetched.commit;
  meta.etag = normalize_etag(!r.header("x-linked-etag").empty() ? r.header("x-linked-etag")
                                                                : r.header("etag"));
  const std::string location = r.header("location");
  meta.location = location.empty()     ? answered
                  : location[0] == '/' ? origin(answered) + location
                                       : location;
  const std::string size =
      !r.header("x-linked-size").empty() ? r.header("x-linked-size") : r.header("content-length");
  meta.size = size.empty() ? 0 : std::strtoull(size.c_str(), nullptr, 10);
  if (!is_commit_hash(meta.commit)) {
    return Status::invalid_argument(at + ": " + file + ": the server sent no X-Repo-Commit (is " +
                                    options.endpoint + " a Hugging Face hub?)");
  }
  if (meta.etag.empty() || meta.etag.find('/') != std::string::npos || meta.etag == "..") {
    return Status::invalid_argument(at + ": " + file + ": the server sent no usable ETag");
  }
  const std::string blob = cache.blob(meta.etag);
  std::error_code ec;
  fs::create_directories(fs::path(blob).parent_path(), ec);
  if (!fs::exists(blob)) {
    BlobLock lock(cache.locks + "/" + meta.etag + ".lock");
    if (!fs::exists(blob)) {
      CLIPSEARCH_RETURN_IF_ERROR(
          download_blob(options, meta, url, blob, file, progress).with_context(at));
    }
  }
  CLIPSEARCH_RETURN_IF_ERROR(link_snapshot(cache, meta.commit, file, meta.etag));
  CLIPSEARCH_RETURN_IF_ERROR(write_ref(cache, revision, meta.commit));
  fetched.found = true;
  fetched.path = cache.pointer(meta.commit, file);
  return fetched;
}

Result<bool> hub_probe(const HubOptions& options, const std::string& repo,
                       const std::string& revision, const std::string& file) {
  const RepoCache cache(options.cache_dir, repo);
  if (options.offline || is_commit_hash(revision)) {
    auto commit = cached_commit(cache, revision);
    if (commit.ok() && fs::exists(cache.pointer(*commit, file))) return true;
    if (commit.ok() && fs::exists(cache.no_exist(*commit, file))) return false;
    if (options.offline) return false;  // not known here, and nothing may be asked
  }
  std::string answered;
  auto head = head_metadata(resolve_url(options, repo, revision, file), options, &answered);
  if (!head.ok()) return head.status().with_context(repo + "@" + revision + ": " + file);
  if (entry_missing(*head)) {
    CLIPSEARCH_RETURN_IF_ERROR(
        record_missing(cache, revision, head->header("x-repo-commit"), file));
    return false;
  }
  if (head->status >= 400 || head->status < 200) {
    return http_error(*head, repo, revision, file, options);
  }
  return true;
}

}  // namespace clipsearch::hub
