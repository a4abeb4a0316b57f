#include "text/unigram_model.h"

#include <cassert>
#include <limits>

#include "text/utf8.h"

namespace clipsearch::text {

namespace {

// ref: tokenizers unigram/model.rs K_UNK_PENALTY.
constexpr double kUnkPenalty = 10.0;

uint64_t edge_key(int32_t node, unsigned char byte) {
  return ((static_cast<uint64_t>(node) << 8) | byte) + 1;  // never 0, the empty slot
}

}  // namespace

UnigramModel::UnigramModel(std::vector<std::pair<std::string, double>> vocab, int32_t unk_id,
                           SentencePieceScoring scoring)
    : UnigramModel(std::move(vocab), unk_id, &scoring.matchable) {
  sentencepiece_ = true;
  unk_score_f_ = scoring.unk_score;
}

UnigramModel::UnigramModel(std::vector<std::pair<std::string, double>> vocab, int32_t unk_id)
    : UnigramModel(std::move(vocab), unk_id, nullptr) {}

UnigramModel::UnigramModel(std::vector<std::pair<std::string, double>> vocab, int32_t unk_id,
                           const std::vector<bool>* matchable)
    : unk_id_(unk_id) {
  assert(unk_id >= 0 && static_cast<size_t>(unk_id) < vocab.size());
  size_t total_bytes = 0;
  for (const auto& [token, score] : vocab) total_bytes += token.size();
  // Each edge has a node; at most one node per token byte, plus the root.
  size_t capacity = 16;
  while (capacity < (total_bytes + 1) * 2) capacity *= 2;
  edges_.assign(capacity, {0, 0});
  node_token_.reserve(total_bytes / 2 + 1);
  node_token_.push_back(-1);  // the root
  scores_.reserve(vocab.size());
  index_.reserve(vocab.size());
  double min_score = std::numeric_limits<double>::infinity();
  const size_t mask = capacity - 1;
  for (size_t id = 0; id < vocab.size(); ++id) {
    const auto& [token, score] = vocab[id];
    scores_.push_back(score);
    if (score < min_score) min_score = score;
    index_.set(token, static_cast<int32_t>(id));
    int32_t node = 0;
    for (unsigned char c : token) {
      uint64_t key = edge_key(node, c);
      size_t i = hash_mix(key) & mask;
      while (edges_[i].first != 0 && edges_[i].first != key) i = (i + 1) & mask;
      if (edges_[i].first == 0) {
        edges_[i] = {key, static_cast<int32_t>(node_token_.size())};
        node_token_.push_back(-1);
      }
      node = edges_[i].second;
    }
    // The empty token never matches (the root is not a match), as in tokenizers' trie.
    const bool match = matchable == nullptr || (id < matchable->size() && (*matchable)[id]);
    if (node != 0 && match) node_token_[node] = static_cast<int32_t>(id);
  }
  unk_score_ = min_score - kUnkPenalty;
}

int32_t UnigramModel::child(int32_t node, unsigned char byte) const {
  uint64_t key = edge_key(node, byte);
  const size_t mask = edges_.size() - 1;
  for (size_t i = hash_mix(key) & mask;; i = (i + 1) & mask) {
    if (edges_[i].first == key) return edges_[i].second;
    if (edges_[i].first == 0) return -1;
  }
}

void UnigramModel::viterbi(std::string_view word, Scratch* scratch) const {
  const size_t size = word.size();
  auto& best = scratch->best;
  best.assign(size + 1, Scratch::Node{});
  best[0].score = 0;
  // ref: Unigram::encode_optimized: the best path to every character start, left to right.
  for (size_t start = 0; start < size;) {
    const double score_here = best[start].score;
    const size_t char_len = utf8_sequence_length(static_cast<unsigned char>(word[start]));
    bool has_single_char_token = false;
    int32_t node = 0;
    for (size_t end = start; end < size;) {
      node = child(node, static_cast<unsigned char>(word[end]));
      if (node < 0) break;
      ++end;
      const int32_t id = node_token_[node];
      if (id < 0) continue;
      Scratch::Node& target = best[end];
      // ref: EncodeOptimized: `score + best_path_score_till_here` in float.
      const double candidate = sentencepiece_
                                   ? static_cast<double>(static_cast<float>(scores_[id]) +
                                                         static_cast<float>(score_here))
                                   : scores_[id] + score_here;
      if (target.start < 0 || candidate > target.score) {
        target = {candidate, static_cast<int32_t>(start), id};
      }
      if (end - start == char_len) has_single_char_token = true;
    }
    if (!has_single_char_token) {
      Scratch::Node& target = best[start + char_len];
      // ref: EncodeOptimized: `unk_score + best_path_score_till_here`, both float.
      const double candidate =
          sentencepiece_ ? static_cast<double>(unk_score_f_ + static_cast<float>(score_here))
                         : unk_score_ + score_here;
      if (target.start < 0 || candidate > target.score) {
        target = {candidate, static_cast<int32_t>(start), unk_id_};
      }
    }
    start += char_len;
  }
  // Back from the end.
  auto& tokens = scratch->tokens;
  tokens.clear();
  for (size_t end = size; end > 0;) {
    const size_t start = static_cast<size_t>(best[end].start);
    tokens.push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
    end = start;
  }
}

void UnigramModel::segment(std::string_view word, Scratch* scratch,
                           std::vector<Span>* spans) const {
  viterbi(word, scratch);
  for (size_t k = scratch->tokens.size(); k > 0;) {
    --k;
    const auto [begin, end] = scratch->tokens[k];
    spans->push_back({begin, end, scratch->best[end].id});
  }
}

void UnigramModel::encode(std::string_view word, Scratch* scratch,
                          std::vector<int32_t>* ids) const {
  viterbi(word, scratch);
  const auto& best = scratch->best;
  const auto& tokens = scratch->tokens;
  // Forward, fusing runs of unknown-token nodes (fuse_unk).
  for (size_t k = tokens.size(); k > 0;) {
    --k;
    const auto [begin, end] = tokens[k];
    const int32_t id = best[end].id;
    if (id != unk_id_) {
      ids->push_back(id);
      continue;
    }
    uint32_t run_end = end;
    while (k > 0 && best[tokens[k - 1].second].id == unk_id_) {
      --k;
      run_end = tokens[k].second;
    }
    // ref: Unigram::tokenize looks the fused string up again; unknown strings get unk_id.
    const int32_t fused = index_.find(word.substr(begin, run_end - begin));
    ids->push_back(fused >= 0 ? fused : unk_id_);
  }
}

}  // namespace clipsearch::text
