#include "text/added_vocabulary.h"

#include "text/unicode.h"
#include "text/utf8.h"

namespace clipsearch::text {

Status AddedVocabulary::add(const AddedTokenSpec& spec, const std::string& what) {
  if (spec.content.empty()) return Status();
  if (spec.single_word) {
    return Status::unsupported(what + ": single_word true is not supported (\"" + spec.content +
                               "\")");
  }
  for (Token& t : tokens_) {
    if (t.name == spec.content) {
      // ref: add_tokens: the new AddedToken replaces the old in added_tokens_map_r, whose flags
      // find_matches reads; the match list it was first put in (raw or normalized) stays.
      t.lstrip = spec.lstrip;
      t.rstrip = spec.rstrip;
      return Status();
    }
  }
  Token t;
  t.name = t.content = spec.content;
  t.id = model_id_(spec.content);
  if (t.id < 0) t.id = next_id_++;
  t.normalized = spec.normalized;
  t.lstrip = spec.lstrip;
  t.rstrip = spec.rstrip;
  tokens_.push_back(std::move(t));
  return Status();
}

int32_t AddedVocabulary::token_id(std::string_view content) const {
  for (const Token& t : tokens_) {
    if (t.name == content) return t.id;
  }
  return model_id_(content);
}

void AddedVocabulary::finish(const std::function<std::string(std::string_view)>& normalize) {
  for (auto& list : by_first_byte_) list.clear();
  for (size_t i = 0; i < tokens_.size(); ++i) {
    Token& t = tokens_[i];
    // ref: refresh_added_tokens: normalized tokens are matched by their normalized content.
    if (t.normalized) t.content = normalize(t.content);
    if (t.content.empty()) continue;
    by_first_byte_[static_cast<unsigned char>(t.content[0])].push_back(static_cast<uint32_t>(i));
  }
}

bool AddedVocabulary::split(std::string_view text, bool normalized,
                            const std::function<bool(int32_t)>& on_token,
                            const std::function<bool(std::string_view)>& on_text) const {
  // ref: AddedVocabulary::find_matches (aho-corasick, MatchKind::LeftmostLongest).
  size_t start_offset = 0;
  for (size_t i = 0; i < text.size();) {
    const Token* best = nullptr;
    for (uint32_t k : by_first_byte_[static_cast<unsigned char>(text[i])]) {
      const Token& t = tokens_[k];
      if (t.normalized != normalized) continue;
      if ((best == nullptr || t.content.size() > best->content.size()) &&
          text.compare(i, t.content.size(), t.content) == 0) {
        best = &t;
      }
    }
    if (best == nullptr) {
      i += utf8_sequence_length(static_cast<unsigned char>(text[i]));
      continue;
    }
    size_t start = i, stop = i + best->content.size();
    i = stop;  // the search goes on after the match itself, stripped spaces or not
    if (best->lstrip) start = std::max(white_space_run_before(text, start), start_offset);
    if (best->rstrip) stop = white_space_run_after(text, stop);
    if (start_offset < start && !on_text(text.substr(start_offset, start - start_offset))) {
      return false;
    }
    if (!on_token(best->id)) return false;
    start_offset = stop;
  }
  if (start_offset < text.size()) return on_text(text.substr(start_offset));
  return true;
}

}  // namespace clipsearch::text
