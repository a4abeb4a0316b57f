#include "text/spiece_model.h"

#include <array>
#include <cstring>
#include <unordered_set>

#include "core/read_file.h"
#include "text/protobuf_reader.h"

namespace clipsearch::text {
namespace {

// Field numbers (ref: sentencepiece_model.proto).
namespace field {
constexpr uint32_t kPieces = 1, kTrainerSpec = 2, kNormalizerSpec = 3;
constexpr uint32_t kPiece = 1, kScore = 2, kType = 3;
constexpr uint32_t kModelType = 3, kTreatWhitespaceAsSuffix = 24, kByteFallback = 35;
constexpr uint32_t kName = 1, kPrecompiledCharsmap = 2, kAddDummyPrefix = 3,
                   kRemoveExtraWhitespaces = 4, kEscapeWhitespaces = 5;
}  // namespace field

// Errors inside one message: "<path>: <message path>.<field>: ...".
struct Where {
  const std::string& path;
  std::string message;

  Status wrong_type(const ProtoField& f, const char* name, WireType expected) const {
    return Status::corruption(path + ": " + message + "." + name + " (field " +
                              std::to_string(f.number) + " at byte " + std::to_string(f.offset) +
                              ") has wire type " + wire_type_name(f.type) + ", expected " +
                              wire_type_name(expected));
  }
  Status wrap(const Status& s) const {
    return Status::corruption(path + ": " + message + ": " + s.message());
  }
};

Status expect(const Where& w, const ProtoField& f, const char* name, WireType type) {
  return f.type == type ? Status() : w.wrong_type(f, name, type);
}

Result<SpieceModel::Piece> parse_piece(std::string_view bytes, size_t base, const Where& w) {
  SpieceModel::Piece piece;
  ProtoReader reader(bytes, base);
  ProtoField f;
  while (true) {
    Result<bool> more = reader.next(&f);
    if (!more.ok()) return w.wrap(more.status());
    if (!*more) break;
    if (f.number == field::kPiece) {
      CLIPSEARCH_RETURN_IF_ERROR(expect(w, f, "piece", WireType::kLengthDelimited));
      piece.piece = std::string(f.bytes);
    } else if (f.number == field::kScore) {
      CLIPSEARCH_RETURN_IF_ERROR(expect(w, f, "score", WireType::kFixed32));
      const auto bits = static_cast<uint32_t>(f.value);
      std::memcpy(&piece.score, &bits, sizeof bits);
    } else if (f.number == field::kType) {
      CLIPSEARCH_RETURN_IF_ERROR(expect(w, f, "type", WireType::kVarint));
      if (f.value < 1 || f.value > 6) {
        return Status::corruption(w.path + ": " + w.message + ".type is " +
                                  std::to_string(static_cast<int64_t>(f.value)) +
                                  ", not a SentencePiece.Type (1-6)");
      }
      piece.type = static_cast<SpieceModel::PieceType>(f.value);
    }
  }
  return piece;
}

Status parse_trainer_spec(std::string_view bytes, size_t base, const Where& w, SpieceModel* m) {
  ProtoReader reader(bytes, base);
  ProtoField f;
  while (true) {
    Result<bool> more = reader.next(&f);
    if (!more.ok()) return w.wrap(more.status());
    if (!*more) return Status();
    if (f.number == field::kModelType) {
      CLIPSEARCH_RETURN_IF_ERROR(expect(w, f, "model_type", WireType::kVarint));
      if (f.value < 1 || f.value > 4) {
        return Status::corruption(w.path + ": trainer_spec.model_type is " +
                                  std::to_string(static_cast<int64_t>(f.value)) +
                                  ", not a TrainerSpec.ModelType (1-4)");
      }
      m->model_type = static_cast<SpieceModel::ModelType>(f.value);
    } else if (f.number == field::kByteFallback) {
      CLIPSEARCH_RETURN_IF_ERROR(expect(w, f, "byte_fallback", WireType::kVarint));
      m->byte_fallback = f.value != 0;
    } else if (f.number == field::kTreatWhitespaceAsSuffix) {
      CLIPSEARCH_RETURN_IF_ERROR(expect(w, f, "treat_whitespace_as_suffix", WireType::kVarint));
      m->treat_whitespace_as_suffix = f.value != 0;
    }
  }
}

Status parse_normalizer_spec(std::string_view bytes, size_t base, const Where& w,
                             SpieceModel::Normalizer* n) {
  ProtoReader reader(bytes, base);
  ProtoField f;
  while (true) {
    Result<bool> more = reader.next(&f);
    if (!more.ok()) return w.wrap(more.status());
    if (!*more) return Status();
    switch (f.number) {
      case field::kName:
        CLIPSEARCH_RETURN_IF_ERROR(expect(w, f, "name", WireType::kLengthDelimited));
        n->name = std::string(f.bytes);
        break;
      case field::kPrecompiledCharsmap:
        CLIPSEARCH_RETURN_IF_ERROR(
            expect(w, f, "precompiled_charsmap", WireType::kLengthDelimited));
        n->precompiled_charsmap = std::string(f.bytes);
        break;
      case field::kAddDummyPrefix:
        CLIPSEARCH_RETURN_IF_ERROR(expect(w, f, "add_dummy_prefix", WireType::kVarint));
        n->add_dummy_prefix = f.value != 0;
        break;
      case field::kRemoveExtraWhitespaces:
        CLIPSEARCH_RETURN_IF_ERROR(expect(w, f, "remove_extra_whitespaces", WireType::kVarint));
        n->remove_extra_whitespaces = f.value != 0;
        break;
      case field::kEscapeWhitespaces:
        CLIPSEARCH_RETURN_IF_ERROR(expect(w, f, "escape_whitespaces", WireType::kVarint));
        n->escape_whitespaces = f.value != 0;
        break;
      default:
        break;
    }
  }
}

// ref: sentencepiece model_interface.cc PieceToByte: "<0x00>" ... "<0xFF>", upper-case hex.
int piece_to_byte(const std::string& piece) {
  if (piece.size() != 6 || piece.compare(0, 3, "<0x") != 0 || piece[5] != '>') return -1;
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  const int hi = hex(piece[3]), lo = hex(piece[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// ref: ModelInterface::InitializePieces's checks.
Status validate(const std::string& path, SpieceModel* m) {
  using Type = SpieceModel::PieceType;
  if (m->pieces.empty()) return Status::corruption(path + ": no pieces");
  std::unordered_set<std::string_view> seen;
  seen.reserve(m->pieces.size());
  std::array<bool, 256> bytes{};
  for (size_t i = 0; i < m->pieces.size(); ++i) {
    const SpieceModel::Piece& p = m->pieces[i];
    const std::string at = path + ": piece " + std::to_string(i);
    if (p.piece.empty()) return Status::corruption(at + " is empty");
    if (p.piece.size() >= 8000) return Status::corruption(at + " is 8000 bytes or longer");
    if (p.piece.find('\0') != std::string::npos) {
      return Status::corruption(at + " contains a NUL byte");
    }
    if (!seen.insert(p.piece).second) {
      return Status::corruption(at + " (\"" + p.piece + "\") is already defined");
    }
    if (p.type == Type::kUnknown) {
      if (m->unk_id >= 0) {
        return Status::corruption(at + ": a second UNKNOWN piece (the first is " +
                                  std::to_string(m->unk_id) + ")");
      }
      m->unk_id = static_cast<int32_t>(i);
    }
    if (p.type == Type::kByte) {
      if (!m->byte_fallback) {
        return Status::corruption(at + " (\"" + p.piece +
                                  "\") is a byte piece although byte_fallback is false");
      }
      const int b = piece_to_byte(p.piece);
      if (b < 0) return Status::corruption(at + " (\"" + p.piece + "\") is not a byte piece");
      bytes[static_cast<size_t>(b)] = true;
    }
  }
  if (m->unk_id < 0) return Status::corruption(path + ": no piece of type UNKNOWN");
  if (m->byte_fallback) {
    for (size_t b = 0; b < bytes.size(); ++b) {
      if (!bytes[b]) {
        return Status::corruption(path + ": byte_fallback is true but byte piece " +
                                  std::to_string(b) + " is missing");
      }
    }
  }
  return Status();
}

const char* model_type_name(SpieceModel::ModelType t) {
  switch (t) {
    case SpieceModel::ModelType::kUnigram:
      return "Unigram";
    case SpieceModel::ModelType::kBpe:
      return "BPE";
    case SpieceModel::ModelType::kWord:
      return "word";
    case SpieceModel::ModelType::kChar:
      return "char";
  }
  return "?";
}

}  // namespace

Result<SpieceModel> parse_spiece_model(std::string_view bytes, const std::string& path) {
  SpieceModel m;
  ProtoReader reader(bytes);
  ProtoField f;
  const Where top{path, "ModelProto"};
  while (true) {
    Result<bool> more = reader.next(&f);
    if (!more.ok()) return top.wrap(more.status());
    if (!*more) break;
    if (f.number == field::kPieces) {
      const Where w{path, "pieces[" + std::to_string(m.pieces.size()) + "]"};
      CLIPSEARCH_RETURN_IF_ERROR(expect(top, f, "pieces", WireType::kLengthDelimited));
      CLIPSEARCH_ASSIGN_OR_RETURN(SpieceModel::Piece piece,
                                  parse_piece(f.bytes, reader.payload_offset(f), w));
      m.pieces.push_back(std::move(piece));
    } else if (f.number == field::kTrainerSpec) {
      // A repeated occurrence of a message field merges into the first, as in protobuf.
      CLIPSEARCH_RETURN_IF_ERROR(expect(top, f, "trainer_spec", WireType::kLengthDelimited));
      CLIPSEARCH_RETURN_IF_ERROR(
          parse_trainer_spec(f.bytes, reader.payload_offset(f), {path, "trainer_spec"}, &m));
    } else if (f.number == field::kNormalizerSpec) {
      CLIPSEARCH_RETURN_IF_ERROR(expect(top, f, "normalizer_spec", WireType::kLengthDelimited));
      CLIPSEARCH_RETURN_IF_ERROR(parse_normalizer_spec(f.bytes, reader.payload_offset(f),
                                                       {path, "normalizer_spec"}, &m.normalizer));
    }
  }
  if (m.model_type != SpieceModel::ModelType::kUnigram) {
    return Status::unsupported(path + ": a SentencePiece " + model_type_name(m.model_type) +
                               " model; clipsearch reads Unigram models only");
  }
  CLIPSEARCH_RETURN_IF_ERROR(validate(path, &m));
  return m;
}

Result<SpieceModel> load_spiece_model(const std::string& path) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  return parse_spiece_model(bytes, path);
}

}  // namespace clipsearch::text
