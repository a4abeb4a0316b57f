// A hand-written spiece.model for the SigLIP unit tests: protobuf wire-format writers and a small
// Unigram ModelProto (no charsmap, "identity" normalizer) laid out like SigLIP's (<pad> 0,
// </s> 1, <unk> 2), and the damaged-model robustness check.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "text/sentencepiece_processor.h"
#include "text/spiece_model.h"

namespace clipsearch::text::spiece_test {

inline std::string varint(uint64_t v) {
  std::string out;
  do {
    out.push_back(static_cast<char>((v & 0x7F) | (v > 0x7F ? 0x80 : 0)));
    v >>= 7;
  } while (v != 0);
  return out;
}
inline std::string key(uint32_t number, uint32_t type) { return varint(number << 3 | type); }
inline std::string varint_field(uint32_t n, uint64_t v) { return key(n, 0) + varint(v); }
inline std::string fixed32_field(uint32_t n, uint32_t v) {
  std::string out = key(n, 5);
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>(v >> (8 * k)));
  return out;
}
inline std::string bytes_field(uint32_t n, const std::string& b) {
  return key(n, 2) + varint(b.size()) + b;
}

struct SyntheticPiece {
  std::string piece;
  float score;
  int type;  // SentencePiece.Type
};

// ModelProto.pieces entry.
inline std::string piece_bytes(const SyntheticPiece& p) {
  uint32_t bits = 0;
  std::memcpy(&bits, &p.score, sizeof bits);
  return bytes_field(1, bytes_field(1, p.piece) + fixed32_field(2, bits) +
                            (p.type == 1 ? std::string() : varint_field(3, p.type)));
}

inline const std::vector<SyntheticPiece> kSyntheticPieces = {
    {"<pad>", 0, 3}, {"</s>", 0, 3},  {"<unk>", 0, 2},        {"\u2581a", -2, 1}, {"\u2581", -3, 1},
    {"a", -4, 1},    {"b", -4, 1},    {"\u2581photo", -5, 1}, {"<", -6, 1},       {"u", -6, 1},
    {"n", -6, 1},    {"k", -6, 1},    {">", -6, 1},           {"\u2581b", -3, 1}, {"s", -6, 1},
    {"/", -6, 1},    {"<img>", 0, 4}, {"<pad2>", 0, 1},
};

inline std::string siglip_like_model() {
  std::string out;
  for (const SyntheticPiece& p : kSyntheticPieces) out += piece_bytes(p);
  out += bytes_field(2, varint_field(3, 1));          // trainer_spec.model_type UNIGRAM
  out += bytes_field(3, bytes_field(1, "identity"));  // normalizer_spec.name
  return out;
}

// Truncations and bit flips: a Status or a model that encodes text, never a crash.
inline void fuzz_model(const std::string& model, int iterations) {
  uint64_t state = 0x243F6A8885A308D3ULL;
  auto next = [&] {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return state;
  };
  size_t parsed = 0;
  std::vector<SentencePieceProcessor::Piece> pieces;
  for (int i = 0; i < iterations; ++i) {
    std::string bytes = model;
    if (next() % 3 == 0) bytes.resize(next() % (bytes.size() + 1));
    const int flips = static_cast<int>(next() % 8) + (next() % 3 == 0 ? 0 : 1);
    for (int k = 0; k < flips && !bytes.empty(); ++k) {
      bytes[next() % bytes.size()] ^= static_cast<char>(1u << (next() % 8));
    }
    Result<SpieceModel> m = parse_spiece_model(bytes, "fuzz.model");
    if (!m.ok()) {
      EXPECT_NE(m.status().message().find("fuzz.model"), std::string::npos);
      continue;
    }
    Result<SentencePieceProcessor> sp = SentencePieceProcessor::create(*m, "fuzz.model");
    if (!sp.ok()) continue;
    ++parsed;
    for (const char* text : {"a photo of a dog", "  x\xe2\x96\x81y \xe4\xb8\xad ", "<unk>"}) {
      sp->encode(text, &pieces);
      for (const auto& p : pieces) {
        ASSERT_GE(p.id, 0);
        ASSERT_LT(static_cast<size_t>(p.id), sp->size());
      }
    }
  }
  std::cout << parsed << " of " << iterations << " damaged models still loaded\n";
}

}  // namespace clipsearch::text::spiece_test
