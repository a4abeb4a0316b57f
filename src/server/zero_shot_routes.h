// What the route files of ZeroShotService share (private to src/server): the library and the
// limits. zero_shot_service.cpp makes it and registers the classify and duplicates routes;
// album_routes.cpp and recommend_routes.cpp add theirs.
#pragma once

#include <cstddef>
#include <utility>

#include "clipsearch/library.h"
#include "server/router.h"
#include "server/zero_shot_service.h"

namespace clipsearch::server {

// JSON request bodies of these routes (no uploads): 1 MiB.
inline constexpr size_t kJsonBodyLimit = 1u << 20;

struct ZeroShotService::Context {
  Context(Library* l, ZeroShotServiceOptions o) : library(*l), options(std::move(o)) {}

  Library& library;
  ZeroShotServiceOptions options;
};

void add_album_routes(Router* router, ZeroShotService::Context* context);
void add_recommend_routes(Router* router, ZeroShotService::Context* context);

}  // namespace clipsearch::server
