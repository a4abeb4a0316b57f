#include "server/multipart.h"

#include <strings.h>

#include <cctype>

namespace clipsearch::server {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Splits "type; a=1; b="x;y"" into the type and its parameters. Quoted values may contain ';'
// and backslash escapes. Returns false on an unterminated quote.
bool parse_header_params(std::string_view value, std::string* type,
                         std::vector<std::pair<std::string, std::string>>* params) {
  size_t i = value.find(';');
  *type = std::string(trim(value.substr(0, i)));
  while (i != std::string_view::npos && i < value.size()) {
    ++i;  // past ';'
    const size_t eq = value.find('=', i);
    const size_t semi = value.find(';', i);
    if (eq == std::string_view::npos || (semi != std::string_view::npos && semi < eq)) {
      i = semi;  // a parameter without a value: ignored
      continue;
    }
    std::string key(trim(value.substr(i, eq - i)));
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t j = eq + 1;
    while (j < value.size() && (value[j] == ' ' || value[j] == '\t')) ++j;
    std::string v;
    if (j < value.size() && value[j] == '"') {
      ++j;
      bool closed = false;
      while (j < value.size()) {
        const char c = value[j++];
        if (c == '\\' && j < value.size()) {
          v += value[j++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          v += c;
        }
      }
      if (!closed) return false;
      i = value.find(';', j);
    } else {
      const size_t end = value.find(';', j);
      v = std::string(trim(value.substr(j, end == std::string_view::npos ? end : end - j)));
      i = end;
    }
    params->emplace_back(std::move(key), std::move(v));
  }
  return true;
}

const std::string* param(const std::vector<std::pair<std::string, std::string>>& params,
                         const char* key) {
  for (const auto& [k, v] : params) {
    if (k == key) return &v;
  }
  return nullptr;
}

Status part_error(size_t index, const std::string& what) {
  return Status::error("multipart body: part " + std::to_string(index + 1) + ": " + what);
}

// Parses the header block of one part (lines separated by CRLF) into `part`.
Status parse_part_headers(std::string_view block, size_t index, MultipartPart* part) {
  bool have_disposition = false;
  part->content_type = "text/plain";
  while (!block.empty()) {
    size_t eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return part_error(index, "header line without ':'");
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    std::string type;
    std::vector<std::pair<std::string, std::string>> params;
    if (iequals(name, "content-disposition")) {
      if (!parse_header_params(value, &type, &params)) {
        return part_error(index, "unterminated quote in Content-Disposition");
      }
      if (!iequals(type, "form-data")) {
        return part_error(index, "Content-Disposition is '" + type + "', not form-data");
      }
      const std::string* n = param(params, "name");
      if (n == nullptr || n->empty()) return part_error(index, "Content-Disposition has no name");
      part->name = *n;
      if (const std::string* f = param(params, "filename")) part->filename = *f;
      have_disposition = true;
    } else if (iequals(name, "content-type")) {
      part->content_type = std::string(value);
    }
  }
  if (!have_disposition) return part_error(index, "no Content-Disposition header");
  return Status();
}

}  // namespace

Result<std::string> multipart_boundary(const std::string& content_type) {
  std::string type;
  std::vector<std::pair<std::string, std::string>> params;
  if (!parse_header_params(content_type, &type, &params)) {
    return Status::error("Content-Type: unterminated quote");
  }
  if (!iequals(type, "multipart/form-data")) {
    return Status::error("Content-Type is '" + type + "', expected multipart/form-data");
  }
  const std::string* b = param(params, "boundary");
  if (b == nullptr || b->empty()) return Status::error("multipart/form-data without a boundary");
  if (b->size() > 70) return Status::error("multipart boundary longer than 70 characters");
  return *b;
}

Result<std::vector<MultipartPart>> multipart_parse(std::string_view body,
                                                   const std::string& boundary,
                                                   const MultipartLimits& limits) {
  if (boundary.empty()) return Status::error("multipart body: empty boundary");
  const std::string delimiter = "--" + boundary;
  const std::string next_delimiter = "\r\n" + delimiter;
  size_t pos;
  if (body.substr(0, delimiter.size()) == delimiter) {
    pos = 0;
  } else {
    pos = body.find(next_delimiter);  // after a preamble
    if (pos == std::string_view::npos) {
      return Status::error("multipart body: the boundary does not occur in the body");
    }
    pos += 2;
  }
  std::vector<MultipartPart> parts;
  for (size_t index = 0;; ++index) {
    // `pos` is at a delimiter.
    size_t p = pos + delimiter.size();
    if (body.substr(p, 2) == "--") return parts;  // the close delimiter; the epilogue is ignored
    while (p < body.size() && (body[p] == ' ' || body[p] == '\t')) ++p;
    if (body.substr(p, 2) != "\r\n") {
      return part_error(index, "boundary line not followed by CRLF");
    }
    p += 2;
    if (parts.size() == limits.max_parts) {
      return Status::error("multipart body: more than " + std::to_string(limits.max_parts) +
                           " parts");
    }
    size_t content_start;
    std::string_view header_block;
    if (body.substr(p, 2) == "\r\n") {
      content_start = p + 2;
    } else {
      const size_t end = body.substr(p, limits.max_part_header_bytes + 4).find("\r\n\r\n");
      if (end == std::string_view::npos) {
        return part_error(index, body.size() - p > limits.max_part_header_bytes
                                     ? "headers larger than " +
                                           std::to_string(limits.max_part_header_bytes) + " bytes"
                                     : "headers not terminated by an empty line");
      }
      header_block = body.substr(p, end);
      content_start = p + end + 4;
    }
    MultipartPart part;
    CLIPSEARCH_RETURN_IF_ERROR(parse_part_headers(header_block, index, &part));
    const size_t content_end = body.find(next_delimiter, content_start);
    if (content_end == std::string_view::npos) {
      return part_error(index, "no closing boundary (truncated body?)");
    }
    if (content_end - content_start > limits.max_part_bytes) {
      return part_error(index, "'" + part.name + "' is larger than " +
                                   std::to_string(limits.max_part_bytes) + " bytes");
    }
    part.data = std::string(body.substr(content_start, content_end - content_start));
    parts.push_back(std::move(part));
    pos = content_end + 2;
  }
}

const MultipartPart* multipart_find(const std::vector<MultipartPart>& parts,
                                    const std::string& name) {
  for (const MultipartPart& p : parts) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace clipsearch::server
