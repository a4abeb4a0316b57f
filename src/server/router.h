// Router: maps (method, path) to a handler. Patterns are literal segments and {name} segments
// ("/api/images/{id}"); a {name} segment matches one non-empty segment and its value is handed
// to the handler in Request::path_params. Routes are added before the server starts and never
// change afterwards, so matching needs no lock.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "server/http_types.h"

namespace clipsearch::server {

struct RouteOptions {
  // Served without the Bearer token check (the page and its script: they hold no data).
  bool public_route = false;
  // The largest request body accepted; 0 = the server's default (ServerConfig::max_body_bytes).
  size_t max_body_bytes = 0;
};

struct Route {
  std::string method;
  std::string pattern;  // also the route's label in metrics
  std::vector<std::string> segments;
  Handler handler;
  RouteOptions options;
};

class Router {
 public:
  void add(const std::string& method, const std::string& pattern, Handler handler,
           RouteOptions options = {});

  struct Match {
    const Route* route = nullptr;  // null: no route for this method
    std::map<std::string, std::string> params;
    // Methods that have a route for this path (non-empty with route == null: answer 405).
    std::vector<std::string> allowed_methods;
  };
  Match match(const std::string& method, const std::string& path) const;

  // Every route, in the order added (the OpenAPI document's test compares them with its paths).
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace clipsearch::server
