#include "server/router.h"

#include <algorithm>
#include <cassert>

namespace clipsearch::server {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Trailing slashes other than the root make a different path ("/api/status/" is not a route).
bool matches(const Route& route, const std::string& path, const std::vector<std::string>& parts,
             std::map<std::string, std::string>* params) {
  if (parts.size() != route.segments.size()) return false;
  if (path.size() > 1 && path.back() == '/') return false;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& seg = route.segments[i];
    if (is_param(seg)) {
      found[seg.substr(1, seg.size() - 2)] = parts[i];
    } else if (seg != parts[i]) {
      return false;
    }
  }
  *params = std::move(found);
  return true;
}

}  // namespace

void Router::add(const std::string& method, const std::string& pattern, Handler handler,
                 RouteOptions options) {
  assert(!pattern.empty() && pattern[0] == '/');
  Route r;
  r.method = method;
  r.pattern = pattern;
  r.segments = split_path(pattern);
  r.handler = std::move(handler);
  r.options = options;
  routes_.push_back(std::move(r));
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match m;
  if (path.empty() || path[0] != '/') return m;
  const std::vector<std::string> parts = split_path(path);
  for (const Route& r : routes_) {
    std::map<std::string, std::string> params;
    if (!matches(r, path, parts, &params)) continue;
    // HEAD is GET without the body (libmicrohttpd leaves it out), as HTTP/1.1 requires.
    const bool method_matches = r.method == method || (method == "HEAD" && r.method == "GET");
    if (method_matches && m.route == nullptr) {
      m.route = &r;
      m.params = std::move(params);
    }
    if (std::find(m.allowed_methods.begin(), m.allowed_methods.end(), r.method) ==
        m.allowed_methods.end()) {
      m.allowed_methods.push_back(r.method);
      if (r.method == "GET") m.allowed_methods.push_back("HEAD");
    }
  }
  return m;
}

}  // namespace clipsearch::server
