// ProtoReader: the protobuf wire format (protobuf.dev, "Encoding"), read one field at a time from
// a byte buffer, without libprotobuf. Enough for sentencepiece's ModelProto (spiece_model.h):
// varints (wire type 0), fixed64 (1), length-delimited (2) and fixed32 (5); groups (3, 4) are
// refused, as proto3 and sentencepiece never write them.
//
// Every read is bounds-checked: a truncated varint, a length past the end, a field number 0 or a
// reserved wire type is an error naming the byte offset (the caller adds the file and the
// message path). The reader borrows the buffer; it must outlive the reader and the string_views
// it hands out. Not thread-safe (it has a position); cheap to copy.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "clipsearch/status.h"

namespace clipsearch::text {

enum class WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

struct ProtoField {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  uint64_t value = 0;      // kVarint, kFixed64, kFixed32 (zero-extended)
  std::string_view bytes;  // kLengthDelimited
  size_t offset = 0;       // where the field's tag starts in the buffer
};

class ProtoReader {
 public:
  // `base`: the offset of `bytes` inside the outermost buffer, so that nested messages report
  // offsets in the file.
  explicit ProtoReader(std::string_view bytes, size_t base = 0) : bytes_(bytes), base_(base) {}

  // Reads the next field into *field: true, or false at the end of the buffer.
  Result<bool> next(ProtoField* field);

  // The offset in the outermost buffer of a field's payload (for nested readers).
  size_t payload_offset(const ProtoField& field) const {
    return base_ + static_cast<size_t>(field.bytes.data() - bytes_.data());
  }

 private:
  Result<uint64_t> varint();

  std::string_view bytes_;
  size_t base_ = 0;
  size_t pos_ = 0;
};

// "varint", "fixed64", ...: for error messages.
const char* wire_type_name(WireType type);

}  // namespace clipsearch::text
