#include "hub/http.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace clipsearch::hub {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  HttpResponse response;
  std::FILE* out = nullptr;
  uint64_t written = 0;
  const std::function<void(uint64_t)>* on_bytes = nullptr;
  bool write_failed = false;
  bool started = false;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a redirect): start over
    t->response.headers.clear();
    const size_t space = line.find(' ');
    t->response.status = space == std::string::npos ? 0 : std::atol(line.c_str() + space + 1);
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return size * count;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string value = line.substr(colon + 1);
  const size_t first = value.find_first_not_of(" \t");
  const size_t last = value.find_last_not_of(" \t\r\n");
  value = first == std::string::npos ? "" : value.substr(first, last - first + 1);
  t->response.headers[name] = value;
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  // Only the body of a successful response goes to the file (not a 404 page).
  const long status = t->response.status;
  if (t->out == nullptr || (status != 200 && status != 206)) return size * count;
  if (!t->started) {
    t->started = true;
    // A 200 answer to a Range request is the whole file: what was on disk is dropped.
    if (status == 200 && (std::fflush(t->out) != 0 || ftruncate(fileno(t->out), 0) != 0 ||
                          std::fseek(t->out, 0, SEEK_SET) != 0)) {
      t->write_failed = true;
      return 0;
    }
  }
  if (std::fwrite(data, 1, size * count, t->out) != size * count) {
    t->write_failed = true;
    return 0;
  }
  t->written += size * count;
  if (t->on_bytes != nullptr && *t->on_bytes) (*t->on_bytes)(t->written);
  return size * count;
}

Result<HttpResponse> perform(const std::string& url, const std::vector<std::string>& headers,
                             bool head, std::FILE* out,
                             const std::function<void(uint64_t)>* on_bytes, bool* dropped) {
  global_init();
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Status::error("cannot start libcurl");
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> list_guard(list, curl_slist_free_all);
  Transfer t;
  t.out = out;
  t.on_bytes = on_bytes;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "clipsearch/0.1");
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
  // A stalled transfer (under 1 KB/s for 60 s) counts as dropped and is resumed.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
  if (head) {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  }
  const CURLcode code = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.response.status);
  if (t.write_failed) return Status::io_error("cannot write the downloaded data to disk");
  if (code != CURLE_OK) {
    if (dropped != nullptr) {
      *dropped = code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR ||
                 code == CURLE_OPERATION_TIMEDOUT || code == CURLE_GOT_NOTHING ||
                 code == CURLE_SEND_ERROR || code == CURLE_COULDNT_CONNECT;
    }
    // A URL curl cannot use is the caller's mistake; every other failure is the network's.
    const bool bad_url = code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL;
    return Status::error(bad_url ? StatusCode::kInvalidArgument : StatusCode::kUnavailable,
                         url + ": " + curl_easy_strerror(code));
  }
  return t.response;
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

Result<HttpResponse> http_head(const std::string& url, const std::vector<std::string>& headers) {
  return perform(url, headers, true, nullptr, nullptr, nullptr);
}

Result<HttpResponse> http_get(const std::string& url, const std::vector<std::string>& headers,
                              std::FILE* out, const std::function<void(uint64_t)>& on_bytes,
                              bool* dropped) {
  if (dropped != nullptr) *dropped = false;
  return perform(url, headers, false, out, &on_bytes, dropped);
}

}  // namespace clipsearch::hub
