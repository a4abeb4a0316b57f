#include "server/multipart.h"

#include <gtest/gtest.h>

namespace clipsearch::server {
namespace {

const std::string kBoundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

std::string part(const std::string& headers, const std::string& data) {
  return "--" + kBoundary + "\r\n" + headers + "\r\n" + data + "\r\n";
}
std::string close_delimiter() { return "--" + kBoundary + "--\r\n"; }

TEST(Multipart, BoundaryFromContentType) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + kBoundary).value(), kBoundary);
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b;c\"").value(),
            "a b;c");
  EXPECT_FALSE(multipart_boundary("application/json").ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data").ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=").ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=\"abc").ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')).ok());
}

TEST(Multipart, ParsesFilesAndFields) {
  const std::string image("\xFF\xD8\xFF\x00\r\n--not-the-boundary\r\n\x01", 26);
  const std::string body =
      "preamble to ignore\r\n" +
      part(
          "Content-Disposition: form-data; name=\"image\"; filename=\"cat \\\"1\\\".jpg\"\r\n"
          "Content-Type: image/jpeg\r\n",
          image) +
      part("content-disposition: form-data; name=q\r\n", "a red car") +
      part("Content-Disposition: form-data; name=\"empty\"\r\n", "") + close_delimiter() +
      "epilogue";
  auto parts = multipart_parse(body, kBoundary);
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 3u);
  const MultipartPart* img = multipart_find(*parts, "image");
  ASSERT_NE(img, nullptr);
  EXPECT_EQ(img->filename, "cat \"1\".jpg");
  EXPECT_EQ(img->content_type, "image/jpeg");
  EXPECT_EQ(img->data, image);
  EXPECT_EQ(multipart_find(*parts, "q")->data, "a red car");
  EXPECT_EQ(multipart_find(*parts, "q")->content_type, "text/plain");
  EXPECT_EQ(multipart_find(*parts, "empty")->data, "");
  EXPECT_EQ(multipart_find(*parts, "missing"), nullptr);
}

TEST(Multipart, MalformedBodiesAreClearErrors) {
  const std::string disp = "Content-Disposition: form-data; name=\"q\"\r\n";
  struct Case {
    std::string body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"no boundary at all", "does not occur"},
      {part(disp, "x"), "no closing boundary"},
      {"--" + kBoundary + "junk\r\n" + disp + "\r\nx\r\n" + close_delimiter(), "CRLF"},
      {part("Content-Type: text/plain\r\n", "x") + close_delimiter(), "no Content-Disposition"},
      {part("Content-Disposition: attachment; name=\"q\"\r\n", "x") + close_delimiter(),
       "not form-data"},
      {part("Content-Disposition: form-data\r\n", "x") + close_delimiter(), "has no name"},
      {part("Content-Disposition: form-data; name=\"q\r\n", "x") + close_delimiter(),
       "unterminated quote"},
      {part("Bogus header line\r\n" + disp, "x") + close_delimiter(), "without ':'"},
      {"--" + kBoundary + "\r\n" + disp + "x", "not terminated"},
  };
  for (const Case& c : cases) {
    auto parts = multipart_parse(c.body, kBoundary);
    ASSERT_FALSE(parts.ok()) << c.body;
    EXPECT_NE(parts.status().message().find(c.message), std::string::npos)
        << parts.status().message();
    EXPECT_EQ(parts.status().message().rfind("multipart body", 0), 0u);
  }
}

TEST(Multipart, Limits) {
  const std::string disp = "Content-Disposition: form-data; name=\"f\"\r\n";
  MultipartLimits limits;
  limits.max_parts = 2;
  limits.max_part_bytes = 10;
  limits.max_part_header_bytes = 100;
  std::string three = part(disp, "a") + part(disp, "b") + part(disp, "c") + close_delimiter();
  auto r = multipart_parse(three, kBoundary, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("more than 2 parts"), std::string::npos);
  r = multipart_parse(part(disp, std::string(11, 'x')) + close_delimiter(), kBoundary, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("larger than 10 bytes"), std::string::npos);
  EXPECT_TRUE(
      multipart_parse(part(disp, std::string(10, 'x')) + close_delimiter(), kBoundary, limits)
          .ok());
  r = multipart_parse(
      part("X-Long: " + std::string(200, 'h') + "\r\n" + disp, "x") + close_delimiter(), kBoundary,
      limits);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("headers larger than 100"), std::string::npos);
}

TEST(Multipart, EveryTruncationIsAnErrorNotACrash) {
  const std::string body =
      part("Content-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n",
           "\x89PNGdata") +
      close_delimiter();
  ASSERT_TRUE(multipart_parse(body, kBoundary).ok());
  const size_t complete = body.size() - 2;  // the final CRLF after the close delimiter is optional
  for (size_t n = 0; n < complete; ++n) {
    EXPECT_FALSE(multipart_parse(std::string_view(body).substr(0, n), kBoundary).ok()) << n;
  }
}

}  // namespace
}  // namespace clipsearch::server
