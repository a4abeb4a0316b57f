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
//
// SentencePiece's own encoder (ref: sentencepiece unigram_model.cc Model::EncodeOptimized, which
// SiglipTokenizer runs through the sentencepiece package) is the same Viterbi with its own
// arithmetic, chosen by constructing with SentencePieceScoring: scores and path scores are
// floats, each candidate a float sum compared with the stored float (sentencepiece 0.2.3; before
// it, a user-defined piece's `- 0.1` made the piece candidates double). Pieces that the trie must
// not match (control, unknown, byte, unused) are marked, and segment() gives the unfused
// segmentation that sentencepiece's processor then post-processes.
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

  // SentencePiece's arithmetic (above). `vocab` scores are the piece scores as the model uses
  // them (float values).
  struct SentencePieceScoring {
    float unk_score = 0;          // min(normal scores) - 10, in float
    std::vector<bool> matchable;  // [vocab] false: never matched by the trie
  };
  UnigramModel(std::vector<std::pair<std::string, double>> vocab, int32_t unk_id,
               SentencePieceScoring scoring);

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

  struct Span {
    uint32_t begin = 0, end = 0;  // bytes of the word
    int32_t id = 0;               // unk_id for an unknown character (one per character)
  };
  // The best segmentation of `word` (valid UTF-8), in order, unknown characters not fused.
  void segment(std::string_view word, Scratch* scratch, std::vector<Span>* spans) const;

  size_t size() const { return scores_.size(); }
  int32_t token_id(std::string_view token) const { return index_.find(token); }

 private:
  UnigramModel(std::vector<std::pair<std::string, double>> vocab, int32_t unk_id,
               const std::vector<bool>* matchable);

  // Byte trie over the tokens: node 0 is the root; a child is found in edges_ by
  // (node << 8 | byte).
  int32_t child(int32_t node, unsigned char byte) const;
  // Fills scratch->best and scratch->tokens (last token first).
  void viterbi(std::string_view word, Scratch* scratch) const;

  std::vector<double> scores_;       // [vocab]
  std::vector<int32_t> node_token_;  // [trie nodes] token id ending at the node, or -1
  std::vector<std::pair<uint64_t, int32_t>> edges_;  // open addressing; key 0: empty
  TokenIndex index_;                                 // token -> id (last one wins)
  int32_t unk_id_ = 0;
  double unk_score_ = 0;
  bool sentencepiece_ = false;  // SentencePiece's float arithmetic
  float unk_score_f_ = 0;
};

}  // namespace clipsearch::text
