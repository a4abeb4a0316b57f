// The query values people type (clipsearch/query.h: parse_query_date, _size, parse_sort_order),
// shared by the CLI's flags and the HTTP API's parameters.
#include <gtest/gtest.h>

#include "clipsearch/query.h"

namespace clipsearch {
namespace {

constexpr int64_t kSecond = 1000000000;

TEST(QueryValues, DatesAreNaiveWallClockTimes) {
  EXPECT_EQ(*parse_query_date("1970-01-02", false), 86400 * kSecond);
  EXPECT_EQ(*parse_query_date("1970-01-02", true), 2 * 86400 * kSecond - 1);  // the day's end
  EXPECT_EQ(*parse_query_date("1970-01-01T01:00:00", true), 3600 * kSecond);
  for (const char* bad : {"", "yesterday", "2024-06", "2024-06-01T", "2024-06-01x"}) {
    const Result<int64_t> d = parse_query_date(bad, false);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(d.status().message().find(std::string("'") + bad + "'"), std::string::npos);
  }
}

TEST(QueryValues, SizesInBytesOrPowersOf1024) {
  EXPECT_EQ(*parse_query_size("2000"), 2000);
  EXPECT_EQ(*parse_query_size("500K"), 500 * 1024);
  EXPECT_EQ(*parse_query_size("2.5M"), 5 * 512 * 1024);
  EXPECT_EQ(*parse_query_size("1GB"), int64_t{1} << 30);
  EXPECT_EQ(*parse_query_size("0.5K"), 512);
  for (const char* bad :
       {"", "lots", "5Q", "-1", "1e300", "1e5", "0x10", " 5", "5.", ".5", "99999999999G"}) {
    EXPECT_FALSE(parse_query_size(bad).ok()) << bad;
  }
}

TEST(QueryValues, SortOrders) {
  EXPECT_EQ(*parse_sort_order("score"), SortOrder::kScore);
  EXPECT_EQ(*parse_sort_order("relevance"), SortOrder::kScore);
  EXPECT_EQ(*parse_sort_order("date"), SortOrder::kDateNewest);
  EXPECT_EQ(*parse_sort_order("date-oldest"), SortOrder::kDateOldest);
  EXPECT_FALSE(parse_sort_order("Date").ok());
}

}  // namespace
}  // namespace clipsearch
