#include "text/sentencepiece_normalizer.h"

#include <algorithm>

namespace clipsearch::text {
namespace {

constexpr std::string_view kSpaceSymbol = "\xe2\x96\x81";  // U+2581

// ref: sentencepiece string_util::OneCharLen (by the lead byte; the text is valid UTF-8).
size_t one_char_len(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

}  // namespace

SentencePieceNormalizer::SentencePieceNormalizer(
    const SpieceModel::Normalizer& spec, bool treat_whitespace_as_suffix,
    std::optional<PrecompiledCharsmap> charsmap,
    const std::vector<std::string>& user_defined_symbols)
    : spec_(spec),
      treat_whitespace_as_suffix_(treat_whitespace_as_suffix),
      charsmap_(std::move(charsmap)) {
  spec_.precompiled_charsmap.clear();  // parsed into charsmap_
  if (user_defined_symbols.empty()) return;
  user_defined_.resize(256);
  for (const std::string& s : user_defined_symbols) {
    if (!s.empty()) user_defined_[static_cast<unsigned char>(s[0])].push_back(s);
  }
}

std::pair<std::string_view, size_t> SentencePieceNormalizer::normalize_prefix(
    std::string_view input) const {
  // ref: PrefixMatcher::PrefixMatch: the longest user-defined symbol is kept as it is.
  if (!user_defined_.empty()) {
    size_t longest = 0;
    for (const std::string& s : user_defined_[static_cast<unsigned char>(input[0])]) {
      if (s.size() > longest && input.substr(0, s.size()) == s) longest = s.size();
    }
    if (longest != 0) return {input.substr(0, longest), longest};
  }
  if (charsmap_) {
    if (auto rule = charsmap_->longest_prefix(input)) return {rule->second, rule->first};
  }
  const size_t len = std::min(one_char_len(static_cast<unsigned char>(input[0])), input.size());
  return {input.substr(0, len), len};
}

void SentencePieceNormalizer::normalize(std::string_view input, std::string* out) const {
  out->clear();
  // ref: Normalizer::Normalize: leading spaces (after normalization) are dropped.
  if (spec_.remove_extra_whitespaces) {
    while (!input.empty()) {
      const auto [norm, consumed] = normalize_prefix(input);
      if (norm != " ") break;
      input.remove_prefix(consumed);
    }
  }
  if (input.empty()) return;
  auto add_ws = [&] { out->append(spec_.escape_whitespaces ? kSpaceSymbol : " "); };
  if (!treat_whitespace_as_suffix_ && spec_.add_dummy_prefix) add_ws();
  bool is_prev_space = spec_.remove_extra_whitespaces;
  while (!input.empty()) {
    auto [sp, consumed] = normalize_prefix(input);
    if (is_prev_space) {
      while (!sp.empty() && sp[0] == ' ') sp.remove_prefix(1);
    }
    if (!sp.empty()) {
      for (char c : sp) {
        if (spec_.escape_whitespaces && c == ' ') {
          out->append(kSpaceSymbol);
        } else {
          out->push_back(c);
        }
      }
      is_prev_space = sp.back() == ' ';
    }
    input.remove_prefix(consumed);
    if (!spec_.remove_extra_whitespaces) is_prev_space = false;
  }
  // ref: "Ignores tailing space": every trailing space symbol, a literal U+2581 included.
  if (spec_.remove_extra_whitespaces) {
    const std::string_view space = spec_.escape_whitespaces ? kSpaceSymbol : " ";
    while (out->size() >= space.size() &&
           std::string_view(*out).substr(out->size() - space.size()) == space) {
      out->resize(out->size() - space.size());
    }
  }
  if (treat_whitespace_as_suffix_ && spec_.add_dummy_prefix) add_ws();
}

}  // namespace clipsearch::text
