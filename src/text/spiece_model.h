// SentencePiece's model file (spiece.model, *.model): a serialized protobuf ModelProto
// (ref: sentencepiece src/sentencepiece_model.proto), read with the wire-format reader in
// protobuf_reader.h. Only what encoding needs is kept: the pieces (string, score, type), the
// trainer options that change encoding (model_type, byte_fallback, treat_whitespace_as_suffix)
// and the normalizer_spec. Unknown fields are skipped, as protobuf does.
//
// load checks what sentencepiece's loader checks (ref: model_interface.cc
// ModelInterface::InitializePieces): at least one piece, none empty, none with a NUL byte, no
// piece twice, exactly one of type UNKNOWN, byte pieces only with byte_fallback and then all 256.
// Every malformed or unsupported file is an error naming it and the field: truncated data, a
// known field with the wrong wire type, an enum value the proto does not define, a model type
// other than Unigram (a BPE spiece.model is kUnsupported). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clipsearch/status.h"

namespace clipsearch::text {

struct SpieceModel {
  // ref: ModelProto.SentencePiece.Type.
  enum class PieceType : uint8_t {
    kNormal = 1,
    kUnknown = 2,
    kControl = 3,
    kUserDefined = 4,
    kUnused = 5,
    kByte = 6,
  };
  struct Piece {
    std::string piece;
    float score = 0;
    PieceType type = PieceType::kNormal;
  };
  // ref: TrainerSpec.ModelType.
  enum class ModelType : uint8_t { kUnigram = 1, kBpe = 2, kWord = 3, kChar = 4 };
  // ref: NormalizerSpec, with its defaults.
  struct Normalizer {
    std::string name;
    std::string precompiled_charsmap;  // empty: no character rules
    bool add_dummy_prefix = true;
    bool remove_extra_whitespaces = true;
    bool escape_whitespaces = true;
  };

  std::vector<Piece> pieces;  // id = index
  ModelType model_type = ModelType::kUnigram;
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  Normalizer normalizer;
  int32_t unk_id = -1;  // the one UNKNOWN piece
};

// Parses the bytes of a model file; `path` names it in errors. Refuses non-Unigram models.
Result<SpieceModel> parse_spiece_model(std::string_view bytes, const std::string& path);

// Reads and parses the file at `path`.
Result<SpieceModel> load_spiece_model(const std::string& path);

}  // namespace clipsearch::text
