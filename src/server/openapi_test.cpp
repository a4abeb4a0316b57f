// The OpenAPI document (web/openapi.json) against the router `serve` builds (add_serve_routes):
// every route is documented and every documented operation is a route, with the same path
// parameters and the same authentication; the document parses, its $refs resolve, and the route
// serves it with the server's version.
#include "server/openapi_document.h"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "clipsearch/library.h"
#include "clipsearch/version.h"
#include "server/metrics.h"
#include "server/serve_routes.h"
#include "testing/test_util.h"

namespace clipsearch::server {
namespace {

using nlohmann::json;

const char* const kMethods[] = {"get",     "put",  "post",  "delete",
                                "options", "head", "patch", "trace"};

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The {name} segments of a pattern, in order.
std::vector<std::string> pattern_params(const std::string& pattern) {
  std::vector<std::string> out;
  for (size_t open = pattern.find('{'); open != std::string::npos;
       open = pattern.find('{', open + 1)) {
    out.push_back(pattern.substr(open + 1, pattern.find('}', open) - open - 1));
  }
  return out;
}

// The routes of `clipsearch serve`, built as cmd_serve.cpp builds them, over a catalog that does
// not exist yet (adding routes reads nothing).
class ServeRouter : public ::testing::Test {
 protected:
  void SetUp() override {
    auto library = Library::open(dir_.file("catalog.db"));
    ASSERT_TRUE(library.ok()) << library.status().message();
    library_ = std::move(library).value();
    SearchServiceOptions options;
    options.thumbnail_dir = dir_.file("thumbnails");
    search_ = std::make_unique<SearchService>(library_.get(), &metrics_, options);
    zero_shot_ = std::make_unique<ZeroShotService>(library_.get(), ZeroShotServiceOptions{});
    add_serve_routes(&router_, search_.get(), zero_shot_.get());
    doc_ = json::parse(openapi_document());
  }

  // The documented operation, or null.
  const json* operation(const Route& route) const {
    const json& paths = doc_["paths"];
    if (!paths.contains(route.pattern)) return nullptr;
    const json& item = paths[route.pattern];
    const std::string method = [&] {
      std::string m = route.method;
      for (char& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return m;
    }();
    return item.contains(method) ? &item[method] : nullptr;
  }

  testing::TempDir dir_;
  Metrics metrics_;
  std::unique_ptr<Library> library_;
  std::unique_ptr<SearchService> search_;
  std::unique_ptr<ZeroShotService> zero_shot_;
  Router router_;
  json doc_;
};

TEST_F(ServeRouter, EveryRouteIsDocumented) {
  ASSERT_GT(router_.routes().size(), 20u);
  for (const Route& route : router_.routes()) {
    EXPECT_NE(operation(route), nullptr)
        << route.method << " " << route.pattern << " is a route but not in web/openapi.json";
  }
}

TEST_F(ServeRouter, EveryDocumentedOperationIsARoute) {
  std::set<std::pair<std::string, std::string>> routes;
  for (const Route& route : router_.routes()) routes.emplace(route.method, route.pattern);
  int operations = 0;
  for (const auto& [path, item] : doc_["paths"].items()) {
    for (const char* method : kMethods) {
      if (!item.contains(method)) continue;
      ++operations;
      EXPECT_TRUE(routes.count({upper(method), path}))
          << upper(method) << " " << path << " is documented but the server has no such route";
    }
  }
  EXPECT_EQ(operations, static_cast<int>(router_.routes().size()));
}

TEST_F(ServeRouter, PathParametersMatchThePatterns) {
  for (const Route& route : router_.routes()) {
    const json* op = operation(route);
    if (op == nullptr) continue;  // EveryRouteIsDocumented says so
    std::vector<std::string> documented;
    for (const json& p : op->value("parameters", json::array())) {
      if (p.contains("in") && p["in"] == "path") {
        documented.push_back(p["name"].get<std::string>());
        EXPECT_EQ(p.value("required", false), true) << route.pattern << ": " << p["name"];
      }
    }
    EXPECT_EQ(documented, pattern_params(route.pattern)) << route.method << " " << route.pattern;
  }
}

// Public routes say `security: []`; every other one takes the document's default (the Bearer
// token, optional as the server's token is) and documents its 401.
TEST_F(ServeRouter, AuthenticationAsTheRouterHasIt) {
  for (const Route& route : router_.routes()) {
    const json* op = operation(route);
    if (op == nullptr) continue;
    const std::string name = route.method + " " + route.pattern;
    if (route.options.public_route) {
      EXPECT_EQ(op->value("security", json()), json::array()) << name << " is public";
      EXPECT_FALSE((*op)["responses"].contains("401")) << name;
    } else {
      EXPECT_FALSE(op->contains("security")) << name << " needs the token";
      EXPECT_TRUE((*op)["responses"].contains("401")) << name;
    }
  }
}

TEST_F(ServeRouter, OperationsHaveIdsAndAnswers) {
  std::set<std::string> ids;
  for (const Route& route : router_.routes()) {
    const json* op = operation(route);
    if (op == nullptr) continue;
    const std::string name = route.method + " " + route.pattern;
    ASSERT_TRUE(op->contains("operationId")) << name;
    EXPECT_TRUE(ids.insert((*op)["operationId"].get<std::string>()).second) << name;
    ASSERT_TRUE(op->contains("responses")) << name;
    bool success = false;
    for (const auto& [status, answer] : (*op)["responses"].items()) {
      success = success || status[0] == '2';
      EXPECT_TRUE(answer.contains("description") || answer.contains("$ref")) << name << status;
    }
    EXPECT_TRUE(success) << name << " documents no 2xx answer";
    // The per-address cap is checked before routing, so any route can answer it.
    EXPECT_TRUE((*op)["responses"].contains("429")) << name << " does not list the cap's 429";
  }
}

// Walks every value: each {"$ref": ...} must be local ("#/...") and name a value of the
// document; the refs that do not, with where they are.
void find_bad_refs(const json& doc, const json& value, const std::string& where, int* refs,
                   std::vector<std::string>* bad) {
  if (value.is_object()) {
    if (value.contains("$ref")) {
      ++*refs;
      const std::string ref = value["$ref"].is_string() ? value["$ref"].get<std::string>() : "";
      if (ref.rfind("#/", 0) != 0 || !doc.contains(json::json_pointer(ref.substr(1)))) {
        bad->push_back(where + ": " + ref);
      }
    }
    for (const auto& [key, member] : value.items()) {
      find_bad_refs(doc, member, where + "/" + key, refs, bad);
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      find_bad_refs(doc, value[i], where + "/" + std::to_string(i), refs, bad);
    }
  }
}

TEST_F(ServeRouter, DocumentParsesAndItsRefsResolve) {
  EXPECT_EQ(doc_["openapi"].get<std::string>().rfind("3.0.", 0), 0u);
  EXPECT_EQ(doc_["info"]["version"], version());
  int refs = 0;
  std::vector<std::string> bad;
  find_bad_refs(doc_, doc_, "#", &refs, &bad);
  EXPECT_GT(refs, 50);
  EXPECT_TRUE(bad.empty()) << "unresolved: " << ::testing::PrintToString(bad);
  // The walker finds a ref to a missing component, and a remote one.
  json broken = doc_;
  broken["paths"]["/healthz"]["get"]["responses"]["418"] = {{"$ref", "#/components/nothing"}};
  broken["components"]["schemas"]["Remote"] = {{"$ref", "https://example.com/a.json"}};
  refs = 0;
  bad.clear();
  find_bad_refs(broken, broken, "#", &refs, &bad);
  EXPECT_EQ(bad.size(), 2u) << ::testing::PrintToString(bad);
}

TEST_F(ServeRouter, ServedWithTheVersionAndRevalidated) {
  Router::Match match = router_.match("GET", "/api/openapi.json");
  ASSERT_NE(match.route, nullptr);
  EXPECT_TRUE(match.route->options.public_route);
  Request request;
  request.method = "GET";
  request.path = "/api/openapi.json";
  Response first = match.route->handler(request);
  EXPECT_EQ(first.status, 200);
  ASSERT_NE(first.header("Content-Type"), nullptr);
  EXPECT_EQ(*first.header("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(first.body)["info"]["version"], version());
  EXPECT_EQ(json::parse(first.body)["paths"].size(), doc_["paths"].size());
  ASSERT_NE(first.header("ETag"), nullptr);
  request.headers["if-none-match"] = *first.header("ETag");
  Response again = match.route->handler(request);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
}

}  // namespace
}  // namespace clipsearch::server
