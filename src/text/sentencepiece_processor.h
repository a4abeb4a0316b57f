// SentencePieceProcessor: what the sentencepiece package's SentencePieceProcessor.encode(text,
// out_type=str) returns for a Unigram model, without sampling (ref: sentencepiece
// sentencepiece_processor.cc Encode and PopulateSentencePieceText; unigram_model.cc
// Model::EncodeOptimized). The slow transformers tokenizers built on sentencepiece
// (SiglipTokenizer) call it on each stretch of text and look the piece strings up again with
// piece_to_id.
//
// encode: SentencePieceNormalizer, then the Unigram Viterbi with sentencepiece's float
// arithmetic (unigram_model.h), then the processor's post-processing: adjacent unknown pieces are
// merged into one piece (the normalized surface of the run, id unk), or with byte_fallback each
// unknown piece becomes one "<0xHH>" piece per UTF-8 byte. Pieces are the normalized text they
// cover. Immutable after load apart from scratch buffers: encode() is not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clipsearch/status.h"
#include "text/hash_tables.h"
#include "text/sentencepiece_normalizer.h"
#include "text/spiece_model.h"
#include "text/unigram_model.h"

namespace clipsearch::text {

class SentencePieceProcessor {
 public:
  // `path` names the model file in errors (its precompiled charsmap is parsed here).
  static Result<SentencePieceProcessor> create(const SpieceModel& model, const std::string& path);

  struct Piece {
    std::string piece;
    int32_t id = 0;
  };
  // Replaces *pieces with the pieces of `text` (valid UTF-8).
  void encode(std::string_view text, std::vector<Piece>* pieces);

  // ref: ModelInterface::PieceToId: any piece's id (control and unknown ones included), else
  // the unknown id.
  int32_t piece_to_id(std::string_view piece) const;
  const std::string& id_to_piece(int32_t id) const { return pieces_[static_cast<size_t>(id)]; }
  size_t size() const { return pieces_.size(); }
  int32_t unk_id() const { return unk_id_; }

 private:
  SentencePieceProcessor(SentencePieceNormalizer normalizer, UnigramModel model)
      : normalizer_(std::move(normalizer)), model_(std::move(model)) {}

  SentencePieceNormalizer normalizer_;
  UnigramModel model_;
  std::vector<std::string> pieces_;  // [id]
  TokenIndex index_;                 // piece -> id
  int32_t unk_id_ = 0;
  bool byte_fallback_ = false;
  // Scratch reused between calls.
  std::string normalized_;
  UnigramModel::Scratch scratch_;
  std::vector<UnigramModel::Span> spans_;
};

}  // namespace clipsearch::text
