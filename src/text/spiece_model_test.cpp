// spiece.model reading (protobuf wire format, validation) and robustness: random truncations and
// bit flips of a model file are errors or models, never a crash (the sanitizer build runs this).
#include "text/spiece_model.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "text/protobuf_reader.h"
#include "text/sentencepiece_processor.h"
#include "text/spiece_model_test_util.h"

namespace clipsearch::text {
namespace {

using namespace spiece_test;

TEST(ProtoReader, ReadsEveryWireTypeAndRefusesGroups) {
  std::string bytes = varint_field(1, 300) + fixed32_field(2, 0x01020304) + bytes_field(3, "abc") +
                      key(4, 1) + std::string(8, '\x07');
  ProtoReader reader(bytes);
  ProtoField f;
  ASSERT_TRUE(*reader.next(&f));
  EXPECT_EQ(f.number, 1u);
  EXPECT_EQ(f.value, 300u);
  ASSERT_TRUE(*reader.next(&f));
  EXPECT_EQ(f.type, WireType::kFixed32);
  EXPECT_EQ(f.value, 0x01020304u);
  ASSERT_TRUE(*reader.next(&f));
  EXPECT_EQ(f.bytes, "abc");
  ASSERT_TRUE(*reader.next(&f));
  EXPECT_EQ(f.value, 0x0707070707070707u);
  EXPECT_FALSE(*reader.next(&f));

  // The reader borrows its buffer: each one is kept alive here.
  const std::string group_bytes = key(5, 3);
  ProtoReader group(group_bytes);
  Result<bool> r = group.next(&f);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("group"), std::string::npos) << r.status().message();
  const std::string zero_bytes("\x00\x01", 2);
  ProtoReader zero(zero_bytes);
  EXPECT_FALSE(zero.next(&f).ok());
  const std::string truncated_bytes = key(1, 2) + varint(5) + "ab";  // 5 declared, 2 present
  ProtoReader truncated(truncated_bytes);
  r = truncated.next(&f);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().message();
  const std::string long_bytes(11, '\xff');
  ProtoReader long_varint(long_bytes);
  EXPECT_FALSE(long_varint.next(&f).ok());
}

TEST(SpieceModel, ParsesPiecesSpecsAndDefaults) {
  const std::string bytes = siglip_like_model() + varint_field(99, 7);  // unknown field skipped
  Result<SpieceModel> m = parse_spiece_model(bytes, "spiece.model");
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->pieces.size(), kSyntheticPieces.size());
  EXPECT_EQ(m->pieces[0].piece, "<pad>");
  EXPECT_EQ(m->pieces[0].type, SpieceModel::PieceType::kControl);
  EXPECT_EQ(m->unk_id, 2);
  EXPECT_FLOAT_EQ(m->pieces[3].score, kSyntheticPieces[3].score);
  EXPECT_EQ(m->model_type, SpieceModel::ModelType::kUnigram);
  EXPECT_TRUE(m->normalizer.add_dummy_prefix);  // proto default
  EXPECT_TRUE(m->normalizer.remove_extra_whitespaces);
  EXPECT_EQ(m->normalizer.name, "identity");
}

void expect_error(const std::string& bytes, StatusCode code, const std::string& needle) {
  Result<SpieceModel> m = parse_spiece_model(bytes, "dir/spiece.model");
  ASSERT_FALSE(m.ok()) << needle;
  EXPECT_EQ(m.status().code(), code) << m.status().message();
  EXPECT_NE(m.status().message().find("dir/spiece.model"), std::string::npos)
      << m.status().message();
  EXPECT_NE(m.status().message().find(needle), std::string::npos) << m.status().message();
}

TEST(SpieceModel, RefusesMalformedAndUnsupportedModels) {
  const std::string good = siglip_like_model();
  expect_error(good.substr(0, good.size() - 3), StatusCode::kCorruption, "");
  expect_error(good + bytes_field(2, varint_field(3, 2)), StatusCode::kUnsupported, "BPE");
  expect_error(good + bytes_field(2, varint_field(3, 9)), StatusCode::kCorruption, "model_type");
  expect_error(good + varint_field(1, 5), StatusCode::kCorruption, "wire type varint");
  expect_error(
      good + bytes_field(1, bytes_field(1, "zz") + fixed32_field(2, 0) + varint_field(3, 42)),
      StatusCode::kCorruption, ".type is 42");
  expect_error(good + bytes_field(1, bytes_field(1, "zz") + varint_field(2, 1)),
               StatusCode::kCorruption, "score");
  expect_error(good + piece_bytes({"▁a", -1, 1}), StatusCode::kCorruption, "already defined");
  expect_error(good + piece_bytes({"", -1, 1}), StatusCode::kCorruption, "is empty");
  expect_error(good + piece_bytes({"<unk2>", 0, 2}), StatusCode::kCorruption, "second UNKNOWN");
  expect_error(good + piece_bytes({"<0x41>", 0, 6}), StatusCode::kCorruption, "byte_fallback");
  expect_error(piece_bytes({"a", -1, 1}), StatusCode::kCorruption, "UNKNOWN");
  expect_error("", StatusCode::kCorruption, "no pieces");
  expect_error(good + bytes_field(2, varint_field(35, 1)), StatusCode::kCorruption,
               "byte piece 0 is missing");
  // The charsmap is parsed when the processor is made from the model.
  Result<SpieceModel> m =
      parse_spiece_model(good + bytes_field(3, bytes_field(2, "\x01")), "dir/spiece.model");
  ASSERT_TRUE(m.ok()) << m.status().message();
  Result<SentencePieceProcessor> sp = SentencePieceProcessor::create(*m, "dir/spiece.model");
  ASSERT_FALSE(sp.ok());
  EXPECT_NE(sp.status().message().find("dir/spiece.model: normalizer_spec.precompiled_charsmap"),
            std::string::npos)
      << sp.status().message();
}

TEST(SpieceModel, DamagedFilesNeverCrash) { fuzz_model(siglip_like_model(), 20000); }

}  // namespace
}  // namespace clipsearch::text
