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
// two run is 503 with Retry-After. The scan runs Library::duplicates, the same call as
// `clipsearch duplicates`, with its progress and cancellation hooks; an albums job runs
// Library::update_albums_from_text, the call of `clipsearch albums`, with its hooks (progress:
// themes embedded, then images looked at).
#include <nlohmann/json.hpp>
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

Response start_duplicates(Context& c, const json& body) {
  CLIPSEARCH_PARSE_OR_RESPOND(const double threshold, job_threshold(body));
  Library* library = &c.library;
  auto job = c.jobs.start("duplicates", {{"threshold", threshold}},
                          [library, threshold](JobControl& control) -> Result<std::string> {
                            DuplicatesOptions options;
                            options.min_similarity = static_cast<float>(threshold);
                            options.on_progress = [&control](int64_t done, int64_t total) {
                              control.progress(done, total);
                            };
                            options.cancelled = [&control] { return control.cancelled(); };
                            auto groups = library->duplicates(options);
                            if (!groups.ok()) return groups.status();
                            return duplicates_body(threshold, *groups);
                          });
  if (!job.ok()) return Response::from_status(job.status());
  return Response::bytes(202, job_json(*job, false), "application/json");
}

// The theme file of an albums job ("themes": the JSON a theme file holds, as POST /api/albums
// takes it) and its "exclusive" flag (optional, false).
Parsed<std::pair<std::string, bool>> job_themes(const json& body) {
  if (!body.contains("themes") || !body["themes"].is_object()) {
    return Response::error(400, "'themes' must be a theme file's JSON object");
  }
  if (body.contains("exclusive") && !body["exclusive"].is_boolean()) {
    return Response::error(400, "'exclusive' must be true or false");
  }
  std::string themes = body["themes"].dump();
  // What the file itself gets wrong is a 400 now, not a failed job later.
  Result<search::ThemeFile> parsed = search::album_themes_parse(themes, "'themes'");
  if (!parsed.ok()) return Response::from_status(parsed.status());
  return std::pair{std::move(themes), body.value("exclusive", false)};
}

Response start_albums(Context& c, const json& body) {
  CLIPSEARCH_PARSE_OR_RESPOND(const auto themes, job_themes(body));
  Library* library = &c.library;
  auto job =
      c.jobs.start("albums", {{"exclusive", themes.second}},
                   [library, themes](JobControl& control) -> Result<std::string> {
                     AlbumsOptions options;
                     options.exclusive = themes.second;
                     options.on_progress = [&control](int64_t done, int64_t total) {
                       control.progress(done, total);
                     };
                     options.cancelled = [&control] { return control.cancelled(); };
                     CLIPSEARCH_ASSIGN_OR_RETURN(
                         AlbumsUpdate update,
                         library->update_albums_from_text(themes.first, "the theme file", options));
                     CLIPSEARCH_ASSIGN_OR_RETURN(json answer, albums_update_json(*library, update));
                     return answer.dump();
                   });
  if (!job.ok()) return Response::from_status(job.status());
  return Response::bytes(202, job_json(*job, false), "application/json");
}

// POST /api/jobs: the kind of job names the work.
Response start_job(Context& c, const Request& r) {
  CLIPSEARCH_PARSE_OR_RESPOND(const json body, json_body(r));  // 415, 400
  const json kind = body.value("kind", json());
  if (kind == "duplicates") return start_duplicates(c, body);
  if (kind == "albums") return start_albums(c, body);
  return Response::error(400, "'kind' must be \"duplicates\" or \"albums\"");
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
