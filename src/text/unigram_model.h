// UnigramModel: SentencePiece's Unigram segmentation, as tokenizers' Unigram model runs it
// (ref: tokenizers 0.13 models/unigram/model.rs, encode_optimized, which follows
// sentencepiece's unigram_model.cc).
//
// A word (one pre-tokenized piece, UTF-8) is cut into the sequence of vocabulary tokens with the
// highest total score (Viterbi over the byte positions where characters start). A character
// that no single-character token covers gets a node of the unknown token with score
// min(score) - 10; adjacent unknown nodes are fused into one string, which is looked up in the
// vocabulary again (almost always giving the unknown id). Ties keep the first candidate: shorter
// tokens are tried first at each start. Immutable after construction; encode() uses
// caller-owned scratch, so const calls are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/hash_tables.h"

namespace clipsearch::text {

class UnigramModel {
 public:
  // `vocab`: (token, score) in id order; `unk_id` < vocab.size(). A token repeated in the
  // vocabulary resolves to its last id, as tokenizers' HashMap does.
  UnigramModel(std::vector<std::pair<std::string, double>> vocab, int32_t unk_id);

  struct Scratch {
    struct Node {
      double score = 0;    // best total score of a path ending here
      int32_t start = -1;  // byte where the last token of that path starts; -1: unreached
      int32_t id = 0;
    };
    std::vector<Node> best;                             // [word bytes + 1]
    std::vector<std::pair<uint32_t, uint32_t>> tokens;  // [begin, end) of each chosen token
  };

  // Appends the ids of `word` (non-empty, valid UTF-8) to *ids.
  void encode(std::string_view word, Scratch* scratch, std::vector<int32_t>* ids) const;

  size_t size() const { return scores_.size(); }
  int32_t token_id(std::string_view token) const { return index_.find(token); }

 private:
  // Byte trie over the tokens: node 0 is the root; a child is found in edges_ by
  // (node << 8 | byte).
  int32_t child(int32_t node, unsigned char byte) const;

  std::vector<double> scores_;       // [vocab]
  std::vector<int32_t> node_token_;  // [trie nodes] token id ending at the node, or -1
  std::vector<std::pair<uint64_t, int32_t>> edges_;  // open addressing; key 0: empty
  TokenIndex index_;                                 // token -> id (last one wins)
  int32_t unk_id_ = 0;
  double unk_score_ = 0;
};

}  // namespace clipsearch::text
