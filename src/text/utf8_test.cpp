#include "text/utf8.h"

#include <gtest/gtest.h>

namespace clipsearch::text {
namespace {

std::u32string decode(std::string_view bytes, size_t* replaced = nullptr) {
  std::u32string out;
  size_t n = utf8_decode(bytes, &out);
  if (replaced) *replaced = n;
  return out;
}

TEST(Utf8, DecodesValidText) {
  size_t replaced = 99;
  EXPECT_EQ(decode("a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80", &replaced), U"a\u00e9\u65e5\U0001F600");
  EXPECT_EQ(replaced, 0u);
  EXPECT_EQ(decode(std::string_view("\0x", 2)), std::u32string(U"\0x", 2));
}

TEST(Utf8, ReplacesMaximalSubparts) {
  // The example of the Unicode Standard (section 3.9, "U+FFFD Substitution of Maximal
  // Subparts"), which Python's errors="replace" follows.
  size_t replaced = 0;
  EXPECT_EQ(decode("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", &replaced),
            U"a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd");
  EXPECT_EQ(replaced, 6u);
}

TEST(Utf8, RejectsOverlongsSurrogatesAndOutOfRange) {
  EXPECT_EQ(decode("\xc0\xaf"), U"\uFFFD\uFFFD");                      // overlong '/'
  EXPECT_EQ(decode("\xe0\x80\xaf"), U"\uFFFD\uFFFD\uFFFD");            // overlong, 3 bytes
  EXPECT_EQ(decode("\xed\xa0\x80"), U"\uFFFD\uFFFD\uFFFD");            // surrogate U+D800
  EXPECT_EQ(decode("\xf4\x90\x80\x80"), U"\uFFFD\uFFFD\uFFFD\uFFFD");  // above U+10FFFF
  EXPECT_EQ(decode("\xf0\x9f\x98"), U"\uFFFD");                        // truncated at the end
  EXPECT_EQ(decode("\xff\xfe"), U"\uFFFD\uFFFD");
  EXPECT_EQ(decode("\xef\xbf\xbe"), U"\uFFFE");  // a noncharacter is still well-formed
}

TEST(Utf8, EncodeRoundTrip) {
  std::u32string all;
  for (char32_t c = 0; c < 0x110000; c += 97) {
    if (c < 0xD800 || c > 0xDFFF) all.push_back(c);
  }
  EXPECT_EQ(decode(utf8_encode(all)), all);
}

}  // namespace
}  // namespace clipsearch::text
