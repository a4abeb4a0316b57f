#include "text/vocab_json.h"

#include <cstring>

#include "text/utf8.h"

namespace clipsearch::text {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t'))
      ++i_;
  }
  bool eat(char c) {
    skip_ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool at_end() {
    skip_ws();
    return i_ == s_.size();
  }
  size_t pos() const { return i_; }

  bool hex4(uint32_t* v) {
    if (i_ + 4 > s_.size()) return false;
    *v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      int d = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (d < 0) return false;
      *v = *v * 16 + static_cast<uint32_t>(d);
    }
    return true;
  }

  // A JSON string, unescaped into *out.
  bool string(std::string* out) {
    out->clear();
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (i_ >= s_.size()) return false;
      char e = s_[i_++];
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (!hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && i_ + 6 <= s_.size() && s_[i_] == '\\' &&
              s_[i_ + 1] == 'u') {
            size_t save = i_;
            i_ += 2;
            uint32_t lo;
            if (hex4(&lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else {
              i_ = save;
            }
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // a lone surrogate
          utf8_append(cp, out);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  // Skips one JSON value of any kind, checking only that strings close and brackets match.
  bool skip_value() {
    skip_ws();
    if (i_ >= s_.size()) return false;
    if (s_[i_] == '"') return skip_string();
    if (s_[i_] != '{' && s_[i_] != '[') {  // a number, true, false, null
      size_t start = i_;
      while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && s_[i_] != ' ' &&
             s_[i_] != '\n' && s_[i_] != '\r' && s_[i_] != '\t') {
        ++i_;
      }
      return i_ > start;
    }
    std::string open;  // the brackets not yet closed
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '"') {
        if (!skip_string()) return false;
        continue;
      }
      ++i_;
      if (c == '{' || c == '[') {
        open.push_back(c);
      } else if (c == '}' || c == ']') {
        if (open.empty() || open.back() != (c == '}' ? '{' : '[')) return false;
        open.pop_back();
        if (open.empty()) return true;
      }
    }
    return false;
  }

  bool skip_string() {
    if (!eat('"')) return false;
    // memchr finds the next quote at memory speed; a quote preceded by an odd number of
    // backslashes is escaped.
    while (i_ < s_.size()) {
      const void* q = std::memchr(s_.data() + i_, '"', s_.size() - i_);
      if (q == nullptr) return false;
      const size_t at = static_cast<size_t>(static_cast<const char*>(q) - s_.data());
      size_t backslashes = 0;
      while (at - backslashes > i_ && s_[at - backslashes - 1] == '\\') ++backslashes;
      i_ = at + 1;
      if (backslashes % 2 == 0) return true;
    }
    return false;
  }

  std::string_view text(size_t begin, size_t end) const { return s_.substr(begin, end - begin); }

  bool integer(int64_t* v) {
    skip_ws();
    size_t start = i_;
    *v = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
      *v = *v * 10 + (s_[i_++] - '0');
      if (*v > INT32_MAX) return false;
    }
    return i_ > start;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

Result<std::vector<std::pair<std::string, int64_t>>> parse_vocab_json(std::string_view text,
                                                                      const std::string& path) {
  std::vector<std::pair<std::string, int64_t>> entries;
  Reader r(text);
  auto fail = [&](const char* what) {
    return Status::corruption(path + ": " + what + " at byte " + std::to_string(r.pos()));
  };
  if (!r.eat('{')) return fail("expected an object of token -> id");
  if (r.eat('}')) return entries;
  std::string key;
  do {
    if (!r.string(&key)) return fail("expected a token string");
    if (!r.eat(':')) return fail("expected ':'");
    int64_t id;
    if (!r.integer(&id)) return fail("expected a non-negative integer id");
    entries.emplace_back(key, id);
  } while (r.eat(','));
  if (!r.eat('}')) return fail("expected ',' or '}'");
  if (!r.at_end()) return fail("unexpected data after the object");
  return entries;
}

namespace {

// Calls on_member(key, value) for each member of the object `text` until it returns false.
Status for_each_member(std::string_view text, const std::string& path, const std::string& where,
                       const std::function<bool(std::string&, std::string_view)>& on_member) {
  Reader r(text);
  const std::string name = path + ": " + (where.empty() ? std::string() : where + ": ");
  auto fail = [&](const std::string& what) {
    return Status::corruption(name + what + " at byte " + std::to_string(r.pos()));
  };
  if (!r.eat('{')) return fail("expected a JSON object");
  if (r.eat('}')) return Status();
  std::string key;
  do {
    if (!r.string(&key)) return fail("expected a key string");
    if (!r.eat(':')) return fail("expected ':'");
    r.skip_ws();
    const size_t begin = r.pos();
    if (!r.skip_value()) return fail("malformed value of \"" + key + "\"");
    if (!on_member(key, r.text(begin, r.pos()))) return Status();
  } while (r.eat(','));
  if (!r.eat('}')) return fail("expected ',' or '}'");
  if (!r.at_end()) return fail("unexpected data after the object");
  return Status();
}

}  // namespace

Result<std::vector<JsonMember>> split_json_object(std::string_view text, const std::string& path,
                                                  const std::string& where) {
  std::vector<JsonMember> members;
  CLIPSEARCH_RETURN_IF_ERROR(
      for_each_member(text, path, where, [&](std::string& key, std::string_view value) {
        members.push_back({std::move(key), value});
        return true;
      }));
  return members;
}

Result<std::string_view> find_json_member(std::string_view text, std::string_view key,
                                          const std::string& path, const std::string& where) {
  std::string_view found;
  CLIPSEARCH_RETURN_IF_ERROR(
      for_each_member(text, path, where, [&](std::string& k, std::string_view value) {
        if (k == key) found = value;
        return found.empty();
      }));
  return found;
}

Status for_each_merge(
    std::string_view text, const std::string& path,
    const std::function<Status(size_t, std::string_view, std::string_view)>& on_merge) {
  Reader r(text);
  auto fail = [&](const std::string& what) {
    return Status::corruption(path + ": model.merges: " + what + " at byte " +
                              std::to_string(r.pos()));
  };
  if (!r.eat('[')) return fail("expected an array");
  if (r.eat(']')) return Status();
  std::string left, right;
  size_t index = 0;
  do {
    r.skip_ws();
    if (r.eat('[')) {  // ["left", "right"]
      if (!r.string(&left) || !r.eat(',') || !r.string(&right) || !r.eat(']')) {
        return fail("entry " + std::to_string(index) + " is not a pair of strings");
      }
    } else {  // "left right": exactly one space (ref: tokenizers convert_merges_to_hashmap)
      if (!r.string(&left)) return fail("entry " + std::to_string(index) + " is not a string");
      const size_t space = left.find(' ');
      if (space == std::string::npos || left.find(' ', space + 1) != std::string::npos) {
        return fail("entry " + std::to_string(index) + " \"" + left +
                    "\" is not two tokens separated by one space");
      }
      right = left.substr(space + 1);
      left.resize(space);
    }
    CLIPSEARCH_RETURN_IF_ERROR(on_merge(index, left, right));
    ++index;
  } while (r.eat(','));
  if (!r.eat(']')) return fail("expected ',' or ']'");
  if (!r.at_end()) return fail("unexpected data after the array");
  return Status();
}

std::string_view find_json_array(std::string_view text, std::string_view key) {
  std::string quoted(1, '"');
  quoted.append(key);
  quoted.push_back('"');
  size_t k = text.find(quoted);
  if (k == std::string_view::npos) return {};
  size_t i = k + quoted.size();
  while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' ||
                             text[i] == '\t' || text[i] == ':')) {
    ++i;
  }
  if (i >= text.size() || text[i] != '[') return {};
  int depth = 0;
  bool in_string = false;
  for (size_t j = i; j < text.size(); ++j) {
    char c = text[j];
    if (in_string) {
      if (c == '\\') {
        ++j;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth == 0) return text.substr(i, j + 1 - i);
    }
  }
  return {};
}

}  // namespace clipsearch::text
