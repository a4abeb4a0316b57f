#include "text/protobuf_reader.h"

namespace clipsearch::text {

const char* wire_type_name(WireType type) {
  switch (type) {
    case WireType::kVarint:
      return "varint";
    case WireType::kFixed64:
      return "fixed64";
    case WireType::kLengthDelimited:
      return "length-delimited";
    case WireType::kFixed32:
      return "fixed32";
  }
  return "?";
}

// ref: protobuf's varint: 7 bits per byte, low groups first, the high bit set on all but the
// last byte; at most 10 bytes for 64 bits.
Result<uint64_t> ProtoReader::varint() {
  const size_t start = pos_;
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= bytes_.size()) {
      return Status::corruption("truncated varint at byte " + std::to_string(base_ + start));
    }
    const auto byte = static_cast<unsigned char>(bytes_[pos_++]);
    value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  return Status::corruption("varint longer than 10 bytes at byte " + std::to_string(base_ + start));
}

Result<bool> ProtoReader::next(ProtoField* field) {
  if (pos_ >= bytes_.size()) return false;
  field->offset = base_ + pos_;
  CLIPSEARCH_ASSIGN_OR_RETURN(uint64_t tag, varint());
  const uint64_t number = tag >> 3;
  const auto type = static_cast<uint32_t>(tag & 7);
  const std::string at = " at byte " + std::to_string(field->offset);
  if (number == 0 || number > (1u << 29) - 1) {
    return Status::corruption("invalid field number " + std::to_string(number) + at);
  }
  field->number = static_cast<uint32_t>(number);
  field->bytes = {};
  field->value = 0;
  auto fixed = [&](size_t width) -> Status {
    if (bytes_.size() - pos_ < width) {
      return Status::corruption("truncated fixed" + std::to_string(width * 8) + " field " +
                                std::to_string(number) + at);
    }
    for (size_t k = width; k > 0; --k) {  // little-endian
      field->value = (field->value << 8) | static_cast<unsigned char>(bytes_[pos_ + k - 1]);
    }
    pos_ += width;
    return Status();
  };
  switch (type) {
    case 0: {
      field->type = WireType::kVarint;
      CLIPSEARCH_ASSIGN_OR_RETURN(field->value, varint());
      return true;
    }
    case 1:
      field->type = WireType::kFixed64;
      CLIPSEARCH_RETURN_IF_ERROR(fixed(8));
      return true;
    case 2: {
      field->type = WireType::kLengthDelimited;
      CLIPSEARCH_ASSIGN_OR_RETURN(uint64_t length, varint());
      if (length > bytes_.size() - pos_) {
        return Status::corruption("field " + std::to_string(number) + at + " declares " +
                                  std::to_string(length) + " bytes, " +
                                  std::to_string(bytes_.size() - pos_) + " remain (truncated?)");
      }
      field->bytes = bytes_.substr(pos_, static_cast<size_t>(length));
      pos_ += static_cast<size_t>(length);
      return true;
    }
    case 5:
      field->type = WireType::kFixed32;
      CLIPSEARCH_RETURN_IF_ERROR(fixed(4));
      return true;
    default:
      return Status::corruption(
          "field " + std::to_string(number) + at + " has wire type " + std::to_string(type) +
          (type == 3 || type == 4 ? " (group), not supported" : " (invalid)"));
  }
}

}  // namespace clipsearch::text
