// Paths are bytes. This is the one rule for printing them (docs/FORMATS.md, "Paths in output"):
// a JSON string literal in which valid UTF-8 is kept as is, control characters, '"' and '\' are
// escaped as JSON requires, and each byte that is not part of valid UTF-8 becomes \udcXX, the
// lone surrogate Python's "surrogateescape" uses (so os.fsencode(json.loads(s)) gives the bytes
// back). Every command prints paths this way, in JSON and in human-readable lines alike.
#pragma once

#include <string>

namespace clipsearch {

std::string path_json(const std::string& bytes);
// The inverse, for tests and tools: the bytes a path_json literal stands for. Returns false for
// text that is not such a literal.
bool path_from_json(const std::string& literal, std::string* bytes);

}  // namespace clipsearch
