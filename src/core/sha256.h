// SHA-256 (OpenSSL's libcrypto): of a buffer in one call, or incrementally; and hex digests.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace clipsearch {

// SHA-256 of a buffer, 32 raw bytes.
std::string sha256_bytes(const void* data, size_t size);
// Lowercase hex of raw bytes ("\x01\xab" -> "01ab").
std::string hex(const std::string& bytes);

// An incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void add(const void* data, size_t size);
  // Length-prefixed: no two sequences of strings hash alike by concatenation.
  void add(const std::string& s);
  // The digest, 32 raw bytes; the object is spent afterwards.
  std::string finish();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace clipsearch
