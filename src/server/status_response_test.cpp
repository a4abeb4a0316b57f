// Status codes become HTTP statuses in one place (Response::from_status).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/http_types.h"

namespace clipsearch::server {
namespace {

TEST(StatusResponse, EveryCodeHasItsHttpStatus) {
  EXPECT_EQ(http_status_of(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(http_status_of(StatusCode::kNotFound), 404);
  EXPECT_EQ(http_status_of(StatusCode::kBusy), 409);
  EXPECT_EQ(http_status_of(StatusCode::kCorruption), 422);
  EXPECT_EQ(http_status_of(StatusCode::kUnsupported), 422);
  EXPECT_EQ(http_status_of(StatusCode::kUnavailable), 503);
  // A failure of the server's own (a database, a disk) is never blamed on the client.
  EXPECT_EQ(http_status_of(StatusCode::kIoError), 500);
  EXPECT_EQ(http_status_of(StatusCode::kInternal), 500);
}

TEST(StatusResponse, BodyNamesTheCodeAndCarriesTheMessage) {
  const Response r = Response::from_status(Status::not_found("image 7: not in the index"));
  EXPECT_EQ(r.status, 404);
  const nlohmann::json body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["error"], "image 7: not in the index");
  EXPECT_EQ(body["code"], "not found");
}

TEST(StatusResponse, UnavailableSaysWhenToRetry) {
  const Response r = Response::from_status(Status::unavailable("the queue is full"));
  EXPECT_EQ(r.status, 503);
  bool retry_after = false;
  for (const auto& [name, value] : r.headers) retry_after |= name == "Retry-After" && value == "1";
  EXPECT_TRUE(retry_after);
  const Response db = Response::from_status(Status::io_error("index.db: disk I/O error"));
  EXPECT_EQ(db.status, 500);
  for (const auto& [name, value] : db.headers) EXPECT_NE(name, "Retry-After");
}

}  // namespace
}  // namespace clipsearch::server
