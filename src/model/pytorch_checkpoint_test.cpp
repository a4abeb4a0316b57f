// pytorch_model.bin reading: the zip reader, the restricted unpickler and the tensor views, on
// checkpoints assembled byte by byte here (valid ones and hostile ones). The real
// save_pretrained files are compared with the reference in clip_reference_test.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "core/zip_reader.h"
#include "model/pytorch_checkpoint.h"
#include "model/torch_pickle.h"
#include "model/weight_store.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

// --- a tiny pickle assembler -------------------------------------------------------------

std::string le(uint64_t v, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}
// (Built by appending: GCC 12 warns falsely on `"X" + std::string`.)
std::string str(const std::string& s) {
  std::string out(1, 'X');
  out += le(s.size(), 4);
  return out + s;
}
std::string num(int64_t v) {
  std::string out(1, 'J');
  out += le(static_cast<uint64_t>(v), 4);
  return out;
}
std::string ints(const std::vector<int64_t>& v) {
  std::string out = "(";
  for (int64_t x : v) out += num(x);
  return out + "t";
}

struct PTensor {
  std::string name, storage_type = "FloatStorage", key;
  int64_t numel = 0, offset = 0;
  std::vector<int64_t> shape, stride;
};

std::string tensor_op(const PTensor& t) {
  return "ctorch._utils\n_rebuild_tensor_v2\n((" + str("storage") + "ctorch\n" + t.storage_type +
         "\n" + str(t.key) + str("cpu") + num(t.numel) + "tQ" + num(t.offset) + ints(t.shape) +
         ints(t.stride) + "\x89" + "ccollections\nOrderedDict\n)RtR";
}

std::string state_dict_pickle(const std::vector<PTensor>& tensors) {
  std::string p = std::string("\x80\x02") + "ccollections\nOrderedDict\n)R(";
  for (const auto& t : tensors) p += str(t.name) + tensor_op(t);
  // _metadata, as state_dict() carries it: BUILD with {'_metadata': {...}}
  return p + "u}" + str("_metadata") + "}s" + "b.";
}

// --- a tiny zip writer (stored entries) --------------------------------------------------

struct ZipFile {
  std::string name, data;
  uint16_t method = 0;
};

std::string local_header(const ZipFile& f) {
  return le(0x04034b50, 4) + le(20, 2) + le(0, 2) + le(f.method, 2) + le(0, 4) + le(0, 4) +
         le(f.data.size(), 4) + le(f.data.size(), 4) + le(f.name.size(), 2) + le(0, 2) + f.name;
}

// `patch` may change the local-header offsets written into the central directory.
std::string zip_bytes(const std::vector<ZipFile>& files,
                      const std::function<void(std::vector<uint64_t>*)>& patch = nullptr) {
  std::string out;
  std::vector<uint64_t> offsets;
  for (const auto& f : files) {
    offsets.push_back(out.size());
    out += local_header(f) + f.data;
  }
  if (patch) patch(&offsets);
  const size_t dir = out.size();
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    out += le(0x02014b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(f.method, 2) + le(0, 4) +
           le(0, 4) + le(f.data.size(), 4) + le(f.data.size(), 4) + le(f.name.size(), 2) +
           le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(offsets[i], 4) + f.name;
  }
  out += le(0x06054b50, 4) + le(0, 2) + le(0, 2) + le(files.size(), 2) + le(files.size(), 2) +
         le(out.size() - dir, 4) + le(dir, 4) + le(0, 2);
  return out;
}

std::string floats(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

std::string checkpoint(const std::vector<PTensor>& tensors,
                       const std::map<std::string, std::string>& storages) {
  std::vector<ZipFile> files{{"archive/data.pkl", state_dict_pickle(tensors)}};
  for (const auto& [key, bytes] : storages) files.push_back({"archive/data/" + key, bytes});
  files.push_back({"archive/version", "3\n"});
  return zip_bytes(files);
}

Result<std::map<std::string, TensorView>> parse(const std::string& bytes,
                                                std::deque<std::vector<uint8_t>>* owned) {
  return PytorchCheckpoint::parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                  "model.bin", owned);
}

std::string parse_error(const std::string& bytes) {
  std::deque<std::vector<uint8_t>> owned;
  auto result = parse(bytes, &owned);
  return result.ok() ? "(no error)" : result.status().message();
}

std::string unpickle_error(const std::string& pickle) {
  auto result = unpickle_state_dict(reinterpret_cast<const uint8_t*>(pickle.data()), pickle.size(),
                                    "data.pkl");
  return result.ok() ? "(no error)" : result.status().message();
}

StatusCode parse_code(const std::string& bytes) {
  std::deque<std::vector<uint8_t>> owned;
  return parse(bytes, &owned).status().code();
}

StatusCode unpickle_code(const std::string& pickle) {
  return unpickle_state_dict(reinterpret_cast<const uint8_t*>(pickle.data()), pickle.size(),
                             "data.pkl")
      .status()
      .code();
}

std::vector<float> values(const TensorView& view) {
  std::vector<float> out(view.nbytes / sizeof(float));
  std::memcpy(out.data(), view.data, view.nbytes);
  return out;
}

// --- valid checkpoints -----------------------------------------------------------------

TEST(PytorchCheckpoint, ViewsOfSharedStoragesAreMaterializedInRowMajorOrder) {
  const std::vector<float> storage{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};  // a [3, 4] matrix
  std::vector<PTensor> tensors{
      {"whole", "FloatStorage", "0", 12, 0, {3, 4}, {4, 1}},
      {"transposed", "FloatStorage", "0", 12, 0, {4, 3}, {1, 4}},
      {"row1", "FloatStorage", "0", 12, 4, {4}, {1}},
      {"column2", "FloatStorage", "0", 12, 2, {3}, {4}},
      {"scalar", "FloatStorage", "0", 12, 7, {}, {}},
      {"empty", "FloatStorage", "0", 12, 0, {0, 4}, {4, 1}},
  };
  std::deque<std::vector<uint8_t>> owned;
  const std::string bytes = checkpoint(tensors, {{"0", floats(storage)}});  // the views point here
  auto views = parse(bytes, &owned);
  ASSERT_TRUE(views.ok()) << views.status().message();
  EXPECT_EQ(values(views->at("whole")), storage);
  EXPECT_EQ(values(views->at("transposed")),
            (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_EQ(values(views->at("row1")), (std::vector<float>{4, 5, 6, 7}));
  EXPECT_EQ(values(views->at("column2")), (std::vector<float>{2, 6, 10}));
  EXPECT_EQ(values(views->at("scalar")), (std::vector<float>{7}));
  EXPECT_EQ(views->at("empty").nbytes, 0u);
  EXPECT_EQ(views->at("transposed").shape, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(owned.size(), 2u);  // only the transposed view and the column were copied
}

TEST(PytorchCheckpoint, WeightStoreReadsHalfPrecisionBin) {
  testing::TempDir dir;
  const std::string half = le(0x3c00, 2) + le(0xc000, 2);  // 1.0, -2.0
  testing::write_file(dir.file("pytorch_model.bin"),
                      checkpoint({{"w", "HalfStorage", "0", 2, 0, {2}, {1}}}, {{"0", half}}));
  auto store = WeightStore::open(dir.file("pytorch_model.bin"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto w = (*store)->f32("w", {2});
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ((*w)[0], 1.0f);
  EXPECT_EQ((*w)[1], -2.0f);
  auto wrong = (*store)->f32("w", {3});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kCorruption);
  EXPECT_NE(
      wrong.status().message().find("pytorch_model.bin: tensor w has shape [2], config says [3]"),
      std::string::npos)
      << wrong.status().message();
}

// The legacy (PyTorch < 1.6) layout: magic, protocol, sys_info, state dict (6-field persistent
// ids), storage keys, then each storage as an 8-byte count and its bytes.
std::string legacy_checkpoint(const std::vector<float>& storage) {
  std::string out("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15);
  out += std::string("\x80\x02M\xe9\x03.", 6);
  out += std::string("\x80\x02}(") + str("little_endian") + "\x88" + "u.";
  std::string dict = std::string("\x80\x02}(") + str("wt");
  dict += "ctorch._utils\n_rebuild_tensor_v2\n((" + str("storage") + "ctorch\nFloatStorage\n" +
          str("140") + str("cpu") + num(static_cast<int64_t>(storage.size())) + "NtQ" + num(0) +
          ints({2, 2}) + ints({1, 2}) + "\x89" + "ccollections\nOrderedDict\n)RtR";
  out += dict + "u.";
  out += std::string("\x80\x02](") + str("140") + "e.";
  out += le(storage.size(), 8) + floats(storage);
  return out;
}

TEST(PytorchCheckpoint, ReadsTheLegacyFormat) {
  const std::string legacy = legacy_checkpoint({1, 2, 3, 4});
  std::deque<std::vector<uint8_t>> owned;
  auto views = parse(legacy, &owned);
  ASSERT_TRUE(views.ok()) << views.status().message();
  EXPECT_EQ(values(views->at("wt")), (std::vector<float>{1, 3, 2, 4}));  // transposed
  for (size_t n = 0; n < legacy.size(); ++n) {
    EXPECT_NE(parse_error(legacy.substr(0, n)), "(no error)") << n;
    EXPECT_EQ(parse_code(legacy.substr(0, n)), StatusCode::kCorruption) << n;
  }
}

// --- hostile pickles -------------------------------------------------------------------

void expect_contains(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos) << message;
}

TEST(TorchPickle, RefusesGlobalsOutsideTheAllowList) {
  const std::string os_system =
      std::string("\x80\x02") + "cos\nsystem\n" + str("echo pwned") + "\x85" + "R.";
  expect_contains(unpickle_error(os_system), "pickle imports os.system");
  expect_contains(unpickle_error(os_system), "nothing was executed");
  EXPECT_EQ(unpickle_code(os_system), StatusCode::kUnsupported);
  expect_contains(unpickle_error("\x80\x02"
                                 "cbuiltins\neval\n" +
                                 str("1+1") + "\x85R."),
                  "builtins.eval");
  // STACK_GLOBAL (protocol 4) goes through the same allow list.
  expect_contains(unpickle_error("\x80\x04" + str("builtins") + str("exec") + "\x93" +
                                 str("import os") + "\x85R."),
                  "builtins.exec");
  expect_contains(unpickle_error("\x80\x02"
                                 "ctorch\nload\n."),
                  "torch.load");
}

TEST(TorchPickle, RefusesObjectBuildingOpcodes) {
  expect_contains(unpickle_error("\x80\x02(ios\nsystem\n."), "opcode 0x69 (INST) is not allowed");
  EXPECT_EQ(unpickle_code("\x80\x02(ios\nsystem\n."), StatusCode::kUnsupported);
  expect_contains(unpickle_error(std::string("\x80\x02") + "\x81."), "(NEWOBJ) is not allowed");
  expect_contains(unpickle_error("\x80\x02"
                                 "\x82\x01."),
                  "(EXT) is not allowed");
  // REDUCE of something that is not an allowed callable.
  expect_contains(unpickle_error("\x80\x02"
                                 "ctorch\nFloatStorage\n)R."),
                  "REDUCE calls torch.FloatStorage");
  expect_contains(unpickle_error("\x80\x02" + str("x") + ")R."), "REDUCE of a str");
}

TEST(TorchPickle, BoundsNestingMemoAndInput) {
  expect_contains(unpickle_error("\x80\x02" + std::string(100, '(')),
                  "MARKs nested deeper than 64");
  std::string nested = "\x80\x02)";
  for (int i = 0; i < 100; ++i) nested += "\x85";  // ((((),),),)...
  expect_contains(unpickle_error(nested + "."), "containers nested deeper than 64");
  expect_contains(unpickle_error("\x80\x02}r\xff\xff\xff\xff."),
                  "memo index 4294967295 is too large");
  expect_contains(unpickle_error("\x80\x02h\x07."), "memo index 7 was never set");
  expect_contains(unpickle_error("\x80\x02X\xff\xff\xff\x7f"
                                 "abc"),
                  "truncated pickle");
  expect_contains(unpickle_error("\x80\x02}"), "truncated pickle (no STOP)");
  EXPECT_EQ(unpickle_code("\x80\x02}"), StatusCode::kCorruption);
  expect_contains(unpickle_error("\x80\x02u."), "no MARK on the stack");
  expect_contains(unpickle_error("\x80\x02" + str("x") + "."), "holds a str, not a state dict");
  expect_contains(unpickle_error("\x80\x09}."), "pickle protocol 9 not supported");
  EXPECT_EQ(unpickle_code("\x80\x09}."), StatusCode::kUnsupported);
  // Every truncation of a valid pickle is an error, never a crash.
  const std::string valid = state_dict_pickle({{"w", "FloatStorage", "0", 2, 0, {2}, {1}}});
  ASSERT_EQ(unpickle_error(valid), "(no error)");
  for (size_t n = 0; n < valid.size(); ++n) {
    EXPECT_NE(unpickle_error(valid.substr(0, n)), "(no error)") << n;
    EXPECT_EQ(unpickle_code(valid.substr(0, n)), StatusCode::kCorruption) << n;
  }
}

TEST(PytorchCheckpoint, RefusesViewsOutsideTheirStorage) {
  const std::string six = floats({0, 1, 2, 3, 4, 5});
  expect_contains(
      parse_error(checkpoint({{"w", "FloatStorage", "0", 6, 4, {3}, {1}}}, {{"0", six}})),
      "tensor w: view (offset 4, shape [3], strides [1]) reaches element 6 of a storage of 6");
  expect_contains(
      parse_error(checkpoint({{"w", "FloatStorage", "0", 8, 0, {2}, {1}}}, {{"0", six}})),
      "storage 0 holds 24 bytes, the pickle says 8 elements of 4 bytes");
  expect_contains(
      parse_error(checkpoint({{"w", "FloatStorage", "9", 6, 0, {2}, {1}}}, {{"0", six}})),
      "storage 9 is not in the file");
  expect_contains(
      parse_error(checkpoint({{"w", "FloatStorage", "0", 6, 0, {1 << 30, 1 << 30}, {1 << 30, 1}}},
                             {{"0", six}})),
      "tensor w");
}

// --- hostile archives ------------------------------------------------------------------

TEST(ZipReader, RefusesCompressedOverlappingAndOutOfRangeEntries) {
  const std::string pickle = state_dict_pickle({});
  expect_contains(parse_error(zip_bytes({{"archive/data.pkl", pickle, 8}})),
                  "entry 'archive/data.pkl' is compressed (method 8)");
  EXPECT_EQ(parse_code(zip_bytes({{"archive/data.pkl", pickle, 8}})), StatusCode::kUnsupported);
  // Entry B's local header and data lie inside entry A's data.
  const ZipFile b{"archive/b", "bbbb"};
  const ZipFile a{"archive/data.pkl", local_header(b) + b.data};
  const std::string overlapping = zip_bytes(
      {a, b}, [&](std::vector<uint64_t>* offsets) { (*offsets)[1] = 30 + a.name.size(); });
  expect_contains(parse_error(overlapping), "overlap");
  EXPECT_EQ(parse_code(overlapping), StatusCode::kCorruption);
  // A local header offset past the end of the file.
  const std::string outside =
      zip_bytes({{"archive/data.pkl", pickle}},
                [](std::vector<uint64_t>* offsets) { (*offsets)[0] = 1u << 30; });
  expect_contains(parse_error(outside), "local header out of range");
  // The data size claims more than the file holds.
  std::string truncated = zip_bytes({{"archive/data.pkl", pickle}});
  truncated.replace(18, 8, le(1u << 20, 4) + le(1u << 20, 4));  // local sizes (unused)
  const size_t central = truncated.find("PK\x01\x02");
  truncated.replace(central + 20, 8, le(1u << 20, 4) + le(1u << 20, 4));
  expect_contains(parse_error(truncated), "lies outside the file");
  expect_contains(parse_error("PK\x03\x04 not really a zip archive, only its signature"),
                  "no zip end-of-central-directory");
  expect_contains(parse_error(zip_bytes({{"archive/other", "x"}})), "without <archive>/data.pkl");
  expect_contains(parse_error("\x80\x02\x8a\x0alegacy magic"), "not a PyTorch checkpoint");
  EXPECT_EQ(parse_code("\x80\x02\x8a\x0alegacy magic"), StatusCode::kCorruption);
  // Every truncation of a valid archive is an error, never a crash.
  const std::string valid =
      checkpoint({{"w", "FloatStorage", "0", 2, 0, {2}, {1}}}, {{"0", floats({1, 2})}});
  ASSERT_EQ(parse_error(valid), "(no error)");
  for (size_t n = 0; n < valid.size(); ++n) {
    EXPECT_NE(parse_error(valid.substr(0, n)), "(no error)");
    EXPECT_EQ(parse_code(valid.substr(0, n)), StatusCode::kCorruption) << n;
  }
}

}  // namespace
}  // namespace clipsearch
