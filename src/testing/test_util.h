// Helpers shared by the tests: where the reference fixtures wrote their data, running the CLI,
// temporary folders, and writing safetensors files to build broken checkpoints.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace clipsearch::testing {

// $CLIPSEARCH_REFERENCE_DIR (set by ctest); empty when unset.
std::string reference_dir();
// The folder a reference fixture writes into: $CLIPSEARCH_REFERENCE_DIR/NAME ("reference/NAME"
// when unset).
std::string reference_subdir(const std::string& name);
// $CLIPSEARCH_BINARY: the clipsearch CLI (set by ctest).
std::string cli_binary();

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs `args` (no shell) and captures stdout and stderr.
CommandResult run_command(const std::vector<std::string>& args);

// A fresh, empty folder under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct RawTensor {
  std::string dtype = "F32";
  std::vector<int64_t> shape;
  std::string bytes;  // little-endian data
};
// Serializes tensors as a safetensors file (header padded to 8 bytes, data in name order).
std::string safetensors_bytes(const std::map<std::string, RawTensor>& tensors);
// The 8-byte length, then `header` as given (valid or not), then `data`.
std::string safetensors_with_header(const std::string& header, const std::string& data);
void write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);
std::vector<uint8_t> read_bytes(const std::string& path);  // empty when unreadable

}  // namespace clipsearch::testing
