// The embedded page served by a live server: content types, ETag revalidation, CSP, and a page
// that keeps to its own CSP (no inline script or style).
#include "server/static_assets.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "server/http_server.h"
#include "server/openapi_document.h"
#include "server/test_http_client.h"

namespace clipsearch::server {
namespace {

using testing::get_request;

std::string file_text(const char* name) {
  const EmbeddedFile* f = embedded_web_file(name);
  return f ? std::string(reinterpret_cast<const char*>(f->data), f->size) : "";
}

TEST(StaticAssets, EmbeddedFilesArePresent) {
  for (const char* name :
       {"index.html", "js/main.js", "js/search.js", "js/filters.js", "js/viewer.js", "js/albums.js",
        "js/duplicates.js", "js/jobs.js", "app.css", "favicon.svg"}) {
    const EmbeddedFile* f = embedded_web_file(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_GT(f->size, 100u) << name;
    EXPECT_EQ(f->data[f->size], 0) << name;
  }
  EXPECT_EQ(embedded_web_file("secret.txt"), nullptr);
}

// GET /js/{name} documents its names: every embedded module, nothing else.
TEST(StaticAssets, TheModulesAreTheDocumentedNames) {
  std::set<std::string> embedded;
  for (const EmbeddedFile& f : embedded_web_files()) {
    const std::string name = f.name;
    if (name.rfind("js/", 0) == 0) embedded.insert(name.substr(3));
  }
  EXPECT_GE(embedded.size(), 6u);
  const nlohmann::json doc = nlohmann::json::parse(openapi_document());
  const auto names = doc["paths"]["/js/{name}"]["get"]["parameters"][0]["schema"]["enum"]
                         .get<std::set<std::string>>();
  EXPECT_EQ(names, embedded);
}

TEST(StaticAssets, PageHasNoInlineScriptOrStyle) {
  const std::string html = file_text("index.html");
  EXPECT_NE(html.find("name=\"viewport\""), std::string::npos);
  // Every <script ...></script> has a src and an empty body. (No std::regex: GCC 12 warns on
  // its internals under -O1 with sanitizers.)
  int scripts = 0;
  for (size_t pos = html.find("<script"); pos != std::string::npos;
       pos = html.find("<script", pos + 1)) {
    ++scripts;
    const size_t tag_end = html.find('>', pos);
    ASSERT_NE(tag_end, std::string::npos);
    EXPECT_NE(html.substr(pos, tag_end - pos).find("src="), std::string::npos) << "inline script";
    EXPECT_EQ(html.compare(tag_end + 1, 9, "</script>"), 0) << "inline script body";
  }
  EXPECT_EQ(scripts, 1);
  EXPECT_EQ(html.find("<style"), std::string::npos);
  EXPECT_EQ(html.find(" style="), std::string::npos);
  EXPECT_EQ(html.find(" onclick="), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos) << "no external resources";
  EXPECT_EQ(html.find("https://"), std::string::npos) << "no external resources";
  for (const EmbeddedFile& f : embedded_web_files()) {
    const std::string text(reinterpret_cast<const char*>(f.data), f.size);
    if (std::string(f.name).find(".js") == std::string::npos) continue;
    EXPECT_EQ(text.find("https://"), std::string::npos) << f.name << ": no external resources";
    EXPECT_EQ(text.find("http://"), std::string::npos) << f.name << ": no external resources";
  }
}

TEST(StaticAssets, ServedWithTypesEtagsAndCsp) {
  Router router;
  add_static_routes(&router);
  ServerConfig config;
  config.port = 0;
  config.auth_token = "tok";  // the page is public even so
  auto server = HttpServer::start(config, std::move(router));
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int port = (*server)->port();

  testing::RawResponse r = testing::exchange(port, get_request("/"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(r.body, file_text("index.html"));
  EXPECT_NE(r.headers["content-security-policy"].find("script-src 'self'"), std::string::npos);
  EXPECT_NE(r.headers["content-security-policy"].find("img-src 'self' blob: data:"),
            std::string::npos);
  EXPECT_EQ(r.headers["cache-control"], "no-cache");
  const std::string etag = r.headers["etag"];
  EXPECT_EQ(etag, content_etag(file_text("index.html")));

  r = testing::exchange(port, get_request("/", "If-None-Match: " + etag + "\r\n"));
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  r = testing::exchange(port, get_request("/", "If-None-Match: \"0000000000000000\"\r\n"));
  EXPECT_EQ(r.status, 200);

  r = testing::exchange(port, get_request("/js/main.js"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_EQ(r.body, file_text("js/main.js"));
  // Only the page's modules answer under /js/.
  EXPECT_EQ(testing::exchange(port, get_request("/js/missing.js")).status, 404);
  EXPECT_EQ(testing::exchange(port, get_request("/js/index.html")).status, 404);
  EXPECT_EQ(testing::exchange(port, get_request("/app.js")).status, 404);
  r = testing::exchange(port, get_request("/app.css"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/css; charset=utf-8");
  EXPECT_NE(r.headers["etag"], etag);
  r = testing::exchange(port, get_request("/favicon.svg"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "image/svg+xml");
}

}  // namespace
}  // namespace clipsearch::server
