// Content types as RFC 9110 reads them: the media type is case-insensitive and its parameters
// (charset, boundary) are not part of it.
#include "server/api_params.h"

#include <gtest/gtest.h>

namespace clipsearch::server {
namespace {

Request with_type(const char* content_type, std::string body = "{}") {
  Request r;
  r.method = "POST";
  if (content_type) r.headers["content-type"] = content_type;
  r.body = std::move(body);
  return r;
}

TEST(ApiParams, MediaTypeIsLowercasedWithoutParameters) {
  EXPECT_EQ(request_media_type(with_type(nullptr)), "");
  EXPECT_EQ(request_media_type(with_type("application/json")), "application/json");
  EXPECT_EQ(request_media_type(with_type("Application/JSON; charset=UTF-8")), "application/json");
  EXPECT_EQ(request_media_type(with_type(" Multipart/Form-Data ;boundary=XyZ")),
            "multipart/form-data");
  EXPECT_EQ(request_media_type(with_type("")), "");
}

TEST(ApiParams, JsonBodyTakesJsonInAnyCaseAndRefusesOtherTypes) {
  for (const char* type : {static_cast<const char*>(nullptr), "application/json",
                           "APPLICATION/JSON", "application/json;charset=utf-8"}) {
    auto parsed = json_body(with_type(type, R"({"a": 1})"));
    ASSERT_TRUE(std::holds_alternative<nlohmann::json>(parsed)) << (type ? type : "(none)");
    EXPECT_EQ(std::get<nlohmann::json>(parsed)["a"], 1);
  }
  for (const char* type : {"text/plain", "application/jsonp", "multipart/form-data; boundary=x"}) {
    auto parsed = json_body(with_type(type));
    ASSERT_TRUE(std::holds_alternative<Response>(parsed)) << type;
    EXPECT_EQ(std::get<Response>(parsed).status, 415) << type;
  }
  auto broken = json_body(with_type("application/json", "{"));
  ASSERT_TRUE(std::holds_alternative<Response>(broken));
  EXPECT_EQ(std::get<Response>(broken).status, 400);
}

}  // namespace
}  // namespace clipsearch::server
