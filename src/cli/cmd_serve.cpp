// `clipsearch serve`: the HTTP API and the web page over one catalog (src/server). Runs until
// SIGINT or SIGTERM.
#include <pthread.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/serve_redis.h"
#include "clipsearch/library.h"
#include "image/vips_runtime.h"
#include "server/descriptor_limit.h"
#include "server/http_server.h"
#include "server/search_service.h"
#include "server/serve_routes.h"
#include "server/zero_shot_service.h"

namespace clipsearch::cli {
namespace {

struct ServeArgs {
  std::string db;
  std::string model;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string token;
  std::string token_file;
  bool no_auth = false;
  std::vector<std::string> cors;
  double max_upload_mb = 20;
  unsigned max_connections = 0;  // 0: as many as the file-descriptor limit allows (<= 10,000)
  unsigned max_connections_per_ip = 32;
  std::vector<std::string> trusted_proxies;
  unsigned handler_threads = 64;
  std::string thumbnail_dir;
  int max_batch = 16;
  double max_wait_ms = 5;
  int max_queue = 256;
  int threads = 0;
  Precision precision = Precision::kFloat32;
  Device device;  // auto
  ServeRedisArgs redis;
};

Result<std::string> read_token(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::error(path + ": cannot read the token file");
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) return Status::error(path + ": the token file is empty");
  return token;
}

int run_serve(const ServeArgs& a) {
  // main() has done it already (then this returns at once); the server's threads below must
  // never be the first to reach libvips (image/vips_runtime.h).
  if (Status st = vips_ready(); !st.ok()) return report_error(st);
  apply_threads(a.threads);
  server::ServerConfig config;
  config.bind_address = a.host;
  config.port = a.port;
  config.auth_token = a.token;
  config.no_auth = a.no_auth;
  config.cors_origins = a.cors;
  config.max_body_bytes = static_cast<size_t>(a.max_upload_mb * 1024 * 1024);
  config.max_connections = a.max_connections;
  config.max_connections_per_ip = a.max_connections_per_ip;
  config.trusted_proxies = a.trusted_proxies;
  config.handler_threads = a.handler_threads;
  if (!a.token_file.empty()) {
    auto token = read_token(a.token_file);
    if (!token.ok()) return report_error(token.status());
    config.auth_token = *token;
  }
  if (Status st = config.validate(); !st.ok()) return report_error(st);
  // Before the model loads: a connection limit the descriptor limit cannot hold fails at once.
  if (config.max_connections != 0) {
    if (Status st = server::fit_descriptor_limit(config.max_connections); !st.ok()) {
      return report_error(Status::invalid_argument("--max-connections: " + st.message()));
    }
  }
  if (Status st = check_redis_url(a.redis); !st.ok()) return report_error(st);

  // The catalog's model (its fingerprint names the Redis keys) before the library that loads it.
  Result<std::unique_ptr<Library>> catalog = Library::open(a.db);
  if (!catalog.ok()) return report_error(catalog.status());
  Result<LibraryStatus> status = (*catalog)->status(0);
  if (!status.ok()) return report_error(status.status());
  if (!status->model) {
    return report_error(
        Status::not_found(status->catalog + ": the index is empty (run `clipsearch index` first)"));
  }
  server::Metrics metrics;
  LibraryOptions library_options;
  library_options.model = a.model;
  library_options.model_options.precision = a.precision;
  library_options.model_options.device = a.device;
  library_options.model_options.on_device = print_device_line;
  QueryBatching batching;
  batching.max_batch = static_cast<size_t>(a.max_batch);
  batching.max_wait = std::chrono::microseconds(static_cast<int64_t>(a.max_wait_ms * 1000));
  batching.max_queue = static_cast<size_t>(a.max_queue);
  library_options.batching = server::batching_with_metrics(batching, &metrics);
  server::SearchServiceOptions service_options;
  service_options.thumbnail_dir =
      a.thumbnail_dir.empty() ? status->catalog + ".thumbnails" : a.thumbnail_dir;
  if (!a.redis.url.empty()) {
    // Text embeddings differ with the precision: a reduced one names its keys apart (f32 keeps
    // the keys it had before precisions existed).
    const std::string& precision = status->model->precision;
    auto shared = open_redis_cache(
        a.redis, status->model->fingerprint + (precision == "f32" ? "" : "-" + precision),
        &metrics);
    if (!shared.ok()) return report_error(shared.status());
    library_options.shared_text_cache = *shared;
    service_options.shared_answers = *shared;
    // A catalog made before catalog ids existed gets one at its next `index`; until then its
    // absolute path stands in.
    service_options.catalog_id =
        status->catalog_id.value_or("path:" + std::filesystem::absolute(status->catalog).string());
    service_options.answer_ttl = std::chrono::seconds(a.redis.ttl_seconds);
  }
  Result<std::unique_ptr<Library>> library = Library::open(status->catalog, library_options);
  if (!library.ok()) return report_error(library.status());
  if (Status st = (*library)->load_model(); !st.ok()) return report_error(st);
  for (const std::string& note : (*library)->notes()) std::cerr << "clipsearch: " << note << "\n";

  server::SearchService service(library->get(), &metrics, service_options);
  server::ZeroShotService zero_shot(library->get(), {service_options.max_k});
  server::Router router;
  server::add_serve_routes(&router, &service, &zero_shot);

  // Block the stop signals in every thread; this one waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto http = server::HttpServer::start(config, std::move(router), &metrics);
  if (!http.ok()) return report_error(http.status());
  std::cerr << "clipsearch: serving " << status->catalog << " on http://"
            << (a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host) << ":"
            << (*http)->port() << "/" << std::endl;
  if (const unsigned n = (*http)->config().max_connections;
      a.max_connections == 0 && n < server::kAutomaticMaxConnections) {
    std::cerr << "clipsearch: at most " << n
              << " connections: the file-descriptor limit (ulimit -Hn) allows no more\n";
  }
  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::cerr << "clipsearch: stopping\n";
  (*http)->stop();
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "HTTP API and web page for searching the index");
  add_db_option(cmd, &args->db);
  cmd->add_option("--model", args->model, "Model (default: the one the index was built with)");
  cmd->add_option("--host", args->host,
                  "Address to listen on (anything but loopback needs --token or --no-auth)")
      ->capture_default_str();
  cmd->add_option("--port", args->port, "Port (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--token", args->token, "Require \"Authorization: Bearer TOKEN\"");
  cmd->add_option("--token-file", args->token_file, "Read the token from this file");
  cmd->add_flag("--no-auth", args->no_auth, "Allow a non-loopback address without a token");
  cmd->add_option("--cors-origin", args->cors, "Origin allowed to call the API (repeatable)");
  cmd->add_option("--max-upload-mb", args->max_upload_mb, "Largest request body")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-connections", args->max_connections,
                  "Open connections in all (0: as many as the file-descriptor limit allows, at "
                  "most 10000)")
      ->capture_default_str();
  cmd->add_option("--max-connections-per-ip", args->max_connections_per_ip,
                  "Open connections per client address (IPv6: per /64); the excess is answered "
                  "429")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000000u));
  cmd->add_option("--trusted-proxy", args->trusted_proxies,
                  "Reverse proxy (address or range, e.g. 10.0.0.0/8) whose X-Forwarded-For names "
                  "the client (repeatable)");
  cmd->add_option("--handler-threads", args->handler_threads,
                  "Requests handled at once; the rest wait without a thread each")
      ->capture_default_str()
      ->check(CLI::Range(1u, 4096u));
  cmd->add_option("--thumbnail-dir", args->thumbnail_dir,
                  "Thumbnail cache (default: <db>.thumbnails)");
  cmd->add_option("--max-batch", args->max_batch,
                  "Queries per forward pass (uploaded pictures; texts not in the cache)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-wait-ms", args->max_wait_ms,
                  "How long the first query of a batch waits for others")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-queue", args->max_queue,
                  "Queries waiting (per batcher) before requests get 503 + Retry-After")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--redis", args->redis.url,
                  "Share text embeddings and answers with other servers through Redis: "
                  "redis://[:password@]host[:port][/db] or unix:///path/to/redis.sock");
  cmd->add_option("--redis-ttl", args->redis.ttl_seconds, "Seconds a search answer stays in Redis")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--redis-timeout-ms", args->redis.timeout_ms,
                  "Longest wait for Redis to connect or answer, per command")
      ->capture_default_str()
      ->check(CLI::Range(1, 60000));
  add_threads_option(cmd, &args->threads);
  add_precision_option(cmd, &args->precision);
  add_device_option(cmd, &args->device);
  cmd->callback([args, exit_code] { *exit_code = run_serve(*args); });
}

}  // namespace clipsearch::cli
