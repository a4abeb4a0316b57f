// The background job routes of ZeroShotService (server/job_table.h):
//
//   POST   /api/jobs              JSON {"kind": "duplicates", "threshold": T} (threshold optional,
//                                 default 0.95) or {"kind": "albums", "themes": {theme file},
//                                 "exclusive": false} -> 202, the job
//   GET    /api/jobs              {"jobs": [job, ...]} every job kept, oldest first
//   GET    /api/jobs/{id}         the job: state, progress, and once done its "result" (the body
//                                 GET /api/duplicates, or POST /api/albums, answers)
//   DELETE /api/jobs/{id}         cancels a running job (waits for it to stop), forgets it;
//                                 answers its last state
//
// A job is {"id", "kind", "params", "state": "running|done|failed|cancelled", "progress":
// {"done", "total"}, "elapsed_ms"} (+ "result" / "error"). An unknown id is 404; a third job while
// two run is 429 with Retry-After (the client's to retry, not a server fault). The scan runs
// Library::duplicates, the same call as `clipsearch duplicates`, with its progress and cancellation
// hooks; an albums job runs Library::update_albums_from_text, the call of `clipsearch albums`, with
// its hooks (progress: themes embedded, then images looked at).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "search/albums.h"
#include "search/duplicates.h"
#include "server/api_params.h"
#include "server/zero_shot_routes.h"

namespace clipsearch::server {
namespace {

using nlohmann::json;
using Context = ZeroShotService::Context;

// The threshold of a duplicates job: a number in [0, 1] (as GET /api/duplicates takes it), the
// default when the body has none.
Parsed<double> job_threshold(const json& body) {
  if (!body.contains("threshold")) return double{search::kDefaultDuplicateThreshold};
  const json& t = body["threshold"];
  if (!t.is_number() || t.get<double>() < 0 || t.get<double>() > 1) {
    return Response::error(400, "'threshold' must be a number between 0 and 1");
  }
  return t.get<double>();
}

// Points the progress and cancellation hooks of a Library call's options at the job's control.
template <typename Options>
void follow_job(Options& options, JobControl& control) {
  options.on_progress = [&control](int64_t done, int64_t total) { control.progress(done, total); };
  options.cancelled = [&control] { return control.cancelled(); };
}

// kUnavailable from JobTable::start is the running-jobs limit: too many requests, retry soon.
Response refused_job(const Status& status) {
  if (status.code() != StatusCode::kUnavailable) return Response::from_status(status);
  Response r = Response::error(429, status.message());
  r.set_header("Retry-After", "1");
  return r;
}

Response start_duplicates(Context& c, double threshold) {
  Library* library = &c.library;
  auto job = c.jobs.start("duplicates", {{"threshold", threshold}},
                          [library, threshold](JobControl& control) -> Result<std::string> {
                            DuplicatesOptions options;
                            options.min_similarity = static_cast<float>(threshold);
                            follow_job(options, control);
                            auto groups = library->duplicates(options);
                            if (!groups.ok()) return groups.status();
                            return duplicates_body(threshold, *groups);
                          });
  if (!job.ok()) return refused_job(job.status());
  return Response::bytes(202, job_json(*job, false), "application/json");
}

// What an albums job runs: a theme file's text and the exclusive flag.
struct AlbumsJob {
  std::string themes;
  bool exclusive = false;
};

// The theme file of an albums job ("themes": the JSON a theme file holds, as POST /api/albums
// takes it) and its "exclusive" flag (optional, false); none when the body has no "themes".
Parsed<std::optional<AlbumsJob>> job_albums(const json& body) {
  if (body.contains("exclusive") && !body["exclusive"].is_boolean()) {
    return Response::error(400, "'exclusive' must be true or false");
  }
  if (!body.contains("themes")) return std::optional<AlbumsJob>();
  if (!body["themes"].is_object()) {
    return Response::error(400, "'themes' must be a theme file's JSON object");
  }
  AlbumsJob albums{body["themes"].dump(), body.value("exclusive", false)};
  // What the file itself gets wrong is a 400 now, not a failed job later.
  Result<search::ThemeFile> parsed = search::album_themes_parse(albums.themes, "'themes'");
  if (!parsed.ok()) return Response::from_status(parsed.status());
  return std::optional<AlbumsJob>(std::move(albums));
}

Response start_albums(Context& c, const AlbumsJob& albums) {
  Library* library = &c.library;
  auto job = c.jobs.start(
      "albums", {{"exclusive", albums.exclusive}},
      [library, albums](JobControl& control) -> Result<std::string> {
        AlbumsOptions options;
        options.exclusive = albums.exclusive;
        follow_job(options, control);
        CLIPSEARCH_ASSIGN_OR_RETURN(
            AlbumsUpdate update,
            library->update_albums_from_text(albums.themes, "the theme file", options));
        CLIPSEARCH_ASSIGN_OR_RETURN(json answer, albums_update_json(*library, update));
        return answer.dump();
      });
  if (!job.ok()) return refused_job(job.status());
  return Response::bytes(202, job_json(*job, false), "application/json");
}

// POST /api/jobs: the kind of job names the work. Every field is checked whatever the kind, so
// a malformed one is a 400 even where this kind ignores it (one body schema serves both).
Response start_job(Context& c, const Request& r) {
  CLIPSEARCH_PARSE_OR_RESPOND(const json body, json_body(r));  // 415, 400
  CLIPSEARCH_PARSE_OR_RESPOND(const double threshold, job_threshold(body));
  CLIPSEARCH_PARSE_OR_RESPOND(const std::optional<AlbumsJob> albums, job_albums(body));
  const json kind = body.value("kind", json());
  if (kind == "duplicates") return start_duplicates(c, threshold);
  if (kind != "albums") return Response::error(400, "'kind' must be \"duplicates\" or \"albums\"");
  if (!albums) return Response::error(400, "'themes' must be a theme file's JSON object");
  return start_albums(c, *albums);
}

Response list_jobs(const Context& c) {
  std::vector<std::string> jobs;
  for (const JobSnapshot& job : c.jobs.list(false)) jobs.push_back(job_json(job, false));
  return Response::bytes(200, "{\"jobs\": " + json_list(jobs) + "}", "application/json");
}

Response unknown_job(const Request& r) {
  return Response::error(404, "no job " + json_text(r.path_params.at("id")) +
                                  " (finished jobs are kept for a while, then forgotten)");
}

Response get_job(const Context& c, const Request& r) {
  const std::optional<JobSnapshot> job = c.jobs.get(r.path_params.at("id"));
  if (!job) return unknown_job(r);
  return Response::bytes(200, job_json(*job, true), "application/json");
}

Response delete_job(Context& c, const Request& r) {
  const std::optional<JobSnapshot> job = c.jobs.remove(r.path_params.at("id"));
  if (!job) return unknown_job(r);
  return Response::bytes(200, job_json(*job, false), "application/json");
}

}  // namespace

void add_job_routes(Router* router, Context* c) {
  router->add(
      "POST", "/api/jobs", [c](const Request& r) { return start_job(*c, r); },
      RouteOptions{false, kJsonBodyLimit});
  router->add("GET", "/api/jobs", [c](const Request&) { return list_jobs(*c); });
  router->add("GET", "/api/jobs/{id}", [c](const Request& r) { return get_job(*c, r); });
  router->add("DELETE", "/api/jobs/{id}", [c](const Request& r) { return delete_job(*c, r); });
}

nlohmann::json running_jobs_json(const Context& c) {
  json out = json::array();
  for (const JobSnapshot& job : c.jobs.list(true)) out.push_back(json::parse(job_json(job, false)));
  return out;
}

}  // namespace clipsearch::server
