// Query values as people write them: dates, sizes, sort orders (clipsearch/query.h). The CLI and
// the HTTP server both parse with these, so "--since 2024-06-01" and "since=2024-06-01" agree.
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <string>

#include "clipsearch/query.h"

namespace clipsearch {

Result<int64_t> parse_query_date(const std::string& text, bool end_of_day) {
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%d", &tm);
  if (rest == nullptr) return Status::invalid_argument("date '" + text + "': expected YYYY-MM-DD");
  bool has_time = false;
  if (*rest == 'T' || *rest == ' ') {
    rest = strptime(rest + 1, "%H:%M:%S", &tm);
    if (rest == nullptr) {
      return Status::invalid_argument("date '" + text + "': expected YYYY-MM-DDTHH:MM:SS");
    }
    has_time = true;
  }
  if (*rest != '\0') {
    return Status::invalid_argument("date '" + text + "': unexpected '" + rest + "'");
  }
  int64_t seconds = timegm(&tm);
  if (end_of_day && !has_time) seconds += 86400 - 1;
  return seconds * 1000000000 + (end_of_day && !has_time ? 999999999 : 0);
}

Result<int64_t> parse_query_size(const std::string& text) {
  // Digits, an optional fraction, a unit: nothing else (no sign, exponent, hex or spaces).
  size_t used = 0;
  while (used < text.size() && std::isdigit(static_cast<unsigned char>(text[used]))) ++used;
  const size_t whole = used;
  if (used < text.size() && text[used] == '.') {
    ++used;
    while (used < text.size() && std::isdigit(static_cast<unsigned char>(text[used]))) ++used;
  }
  if (whole == 0 || used == whole + 1) {
    return Status::invalid_argument("size '" + text +
                                    "': expected a number of bytes, e.g. 500K or 2M");
  }
  const double value = std::strtod(text.substr(0, used).c_str(), nullptr);
  const std::string unit = text.substr(used);
  double scale = 1;
  if (unit == "K" || unit == "k" || unit == "KB")
    scale = 1024;
  else if (unit == "M" || unit == "MB")
    scale = 1024.0 * 1024;
  else if (unit == "G" || unit == "GB")
    scale = 1024.0 * 1024 * 1024;
  else if (!unit.empty() && unit != "B")
    return Status::invalid_argument("size '" + text + "': unknown unit");
  // Below 2^62 bytes: larger is no file, and the product must fit an int64.
  if (value * scale > 4.6e18) {
    return Status::invalid_argument("size '" + text + "': must be at most 4 EB");
  }
  return static_cast<int64_t>(value * scale);
}

Result<SortOrder> parse_sort_order(const std::string& text) {
  if (text == "score" || text == "relevance") return SortOrder::kScore;
  if (text == "date") return SortOrder::kDateNewest;
  if (text == "date-oldest") return SortOrder::kDateOldest;
  return Status::invalid_argument("sort '" + text +
                                  "': expected score (or relevance), date or date-oldest");
}

Result<DateField> parse_date_field(const std::string& text) {
  if (text == "taken") return DateField::kTaken;
  if (text == "modified") return DateField::kModified;
  return Status::invalid_argument("date '" + text + "': expected taken or modified");
}

}  // namespace clipsearch
