// BpeModel: the "model" of a tokenizers BPE tokenizer.json (ref: tokenizers 0.21
// models/bpe/model.rs), as SentencePiece-BPE tokenizers such as Gemma's serialize it: a
// vocabulary of token strings, a ranked merge list, an unknown token, byte fallback.
//
// A word is split into characters, each looked up in the vocabulary; a character that is not
// there becomes the tokens "<0xXX>" of its UTF-8 bytes (byte_fallback) or the unknown token
// (runs of them fused into one with fuse_unk); then merges are applied as tokenizers'
// Word::merge_all does: a priority queue of (rank, position), lowest rank first and leftmost
// among equals, each merge making new candidate pairs with its neighbours.
//
// CLIP's BpeEncoder (bpe.h) keeps its own loop: it reproduces open_clip's "merge every
// occurrence of the best pair, then look again", which gives the same words for CLIP's merge list
// but not for every list (tokenizers' queue can take a newly formed pair of lower rank before the
// remaining occurrences of the current one). Both share the flat tables of hash_tables.h.
//
// Immutable after load apart from scratch buffers: tokenize() is not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clipsearch/status.h"
#include "text/hash_tables.h"
#include "text/vocab_json.h"

namespace clipsearch::text {

class BpeModel {
 public:
  // Reads the members of tokenizer.json's "model" object (type "BPE"); `path` names the file in
  // errors. Options that tokenizers has and this does not reproduce (dropout, subword prefix and
  // suffix) are refused by name.
  static Result<BpeModel> load(const std::vector<JsonMember>& model, const std::string& path);

  // Appends the ids of `word` (UTF-8, not empty) to *ids.
  void tokenize(std::string_view word, std::vector<int32_t>* ids);

  int32_t token_id(std::string_view token) const { return token_to_id_.find(token); }
  size_t size() const { return size_; }

 private:
  struct Symbol {
    int32_t id;
    int32_t prev, next;  // neighbours' positions, -1 at the ends
    uint32_t len;        // bytes covered; 0 once merged into its left neighbour
  };
  void merge_all();

  TokenIndex token_to_id_;
  MergeTable merges_;
  size_t size_ = 0;
  int32_t unk_id_ = -1;  // -1: no unknown token (a character that has no id is dropped)
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::array<int32_t, 256> byte_ids_{};  // the id of "<0xXX>", or -1
  std::vector<Symbol> symbols_;          // scratch
};

}  // namespace clipsearch::text
