#include "text/sentencepiece_processor.h"

#include <algorithm>
#include <cfloat>

namespace clipsearch::text {

Result<SentencePieceProcessor> SentencePieceProcessor::create(const SpieceModel& model,
                                                              const std::string& path) {
  using Type = SpieceModel::PieceType;
  std::optional<PrecompiledCharsmap> charsmap;
  if (!model.normalizer.precompiled_charsmap.empty()) {
    CLIPSEARCH_ASSIGN_OR_RETURN(
        PrecompiledCharsmap parsed,
        PrecompiledCharsmap::parse(model.normalizer.precompiled_charsmap,
                                   path + ": normalizer_spec.precompiled_charsmap"));
    charsmap = std::move(parsed);
  }
  // ref: unigram Model::Model: the minimum over the NORMAL pieces.
  float min_score = FLT_MAX;
  for (const SpieceModel::Piece& p : model.pieces) {
    if (p.type == Type::kNormal) min_score = std::min(min_score, p.score);
  }
  std::vector<std::pair<std::string, double>> vocab;
  UnigramModel::SentencePieceScoring scoring;
  // ref: EncodeOptimized's kUnkPenalty.
  scoring.unk_score = min_score - 10.0f;
  std::vector<std::string> user_defined;
  vocab.reserve(model.pieces.size());
  scoring.matchable.reserve(model.pieces.size());
  for (const SpieceModel::Piece& p : model.pieces) {
    double score = p.score;
    if (p.type == Type::kUserDefined) {
      // ref: EncodeOptimized in sentencepiece 0.2.3: a user-defined piece scores
      // GetUserDefinedScore(length) = 0.1 * (length - 1), a float, length in bytes (0.2.1 had
      // `length * max_score_ - 0.1`; measured on the reference, see docs/TOKENIZER.md).
      score = static_cast<float>(0.1 * (static_cast<double>(p.piece.size()) - 1));
      user_defined.push_back(p.piece);
    }
    vocab.emplace_back(p.piece, score);
    // ref: InitializePieces: only NORMAL, USER_DEFINED and UNUSED pieces are in the trie, and
    // EncodeOptimized skips UNUSED ones.
    scoring.matchable.push_back(p.type == Type::kNormal || p.type == Type::kUserDefined);
  }
  SentencePieceNormalizer normalizer(model.normalizer, model.treat_whitespace_as_suffix,
                                     std::move(charsmap), user_defined);
  SentencePieceProcessor sp(std::move(normalizer),
                            UnigramModel(vocab, model.unk_id, std::move(scoring)));
  sp.pieces_.reserve(vocab.size());
  sp.index_.reserve(vocab.size());
  for (size_t id = 0; id < vocab.size(); ++id) {
    sp.index_.set(vocab[id].first, static_cast<int32_t>(id));
    sp.pieces_.push_back(std::move(vocab[id].first));
  }
  sp.unk_id_ = model.unk_id;
  sp.byte_fallback_ = model.byte_fallback;
  return sp;
}

int32_t SentencePieceProcessor::piece_to_id(std::string_view piece) const {
  const int32_t id = index_.find(piece);
  return id >= 0 ? id : unk_id_;
}

void SentencePieceProcessor::encode(std::string_view text, std::vector<Piece>* pieces) {
  pieces->clear();
  normalizer_.normalize(text, &normalized_);
  if (normalized_.empty()) return;
  spans_.clear();
  model_.segment(normalized_, &scratch_, &spans_);
  // ref: PopulateSentencePieceText.
  bool prev_unk = false;
  for (const UnigramModel::Span& span : spans_) {
    const std::string_view surface =
        std::string_view(normalized_).substr(span.begin, span.end - span.begin);
    const bool is_unk = span.id == unk_id_;
    if (is_unk && byte_fallback_) {
      static const char kHex[] = "0123456789ABCDEF";
      for (unsigned char b : surface) {
        std::string piece = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
        const int32_t id = piece_to_id(piece);
        pieces->push_back({std::move(piece), id});
      }
    } else if (is_unk && prev_unk) {
      pieces->back().piece.append(surface);
    } else {
      pieces->push_back({std::string(surface), span.id});
    }
    prev_unk = is_unk;
  }
}

}  // namespace clipsearch::text
