// What the route files of ZeroShotService share (private to src/server): the library, the
// limits and the background jobs. zero_shot_service.cpp makes it and registers the classify and
// duplicates routes; album_routes.cpp, recommend_routes.cpp and job_routes.cpp add theirs.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "clipsearch/library.h"
#include "server/job_table.h"
#include "server/router.h"
#include "server/zero_shot_service.h"

namespace clipsearch::server {

// JSON request bodies of these routes (no uploads): 1 MiB.
inline constexpr size_t kJsonBodyLimit = 1u << 20;

struct ZeroShotService::Context {
  Context(Library* l, ZeroShotServiceOptions o) : library(*l), options(std::move(o)) {}

  Library& library;
  ZeroShotServiceOptions options;
  JobTable jobs;  // declared last: its jobs stop before the rest goes
};

void add_album_routes(Router* router, ZeroShotService::Context* context);
void add_recommend_routes(Router* router, ZeroShotService::Context* context);
void add_job_routes(Router* router, ZeroShotService::Context* context);
// The jobs still running, as /api/status lists them (job_json's objects, without results).
nlohmann::json running_jobs_json(const ZeroShotService::Context& context);

// {"threshold", "groups": [{"size", "min_similarity", "images": [...]}]}: the answer of GET
// /api/duplicates and the result of a duplicates job.
std::string duplicates_body(double threshold, const std::vector<DuplicateGroup>& groups);

// {"classified", "restarted", "albums": [{"name", "count"}]} for the theme file's albums: the
// answer of POST /api/albums and the result of an albums job.
Result<nlohmann::json> albums_update_json(Library& library, const AlbumsUpdate& update);

}  // namespace clipsearch::server
