// libFuzzer target for the tokenizer, both flavours: arbitrary bytes (ill-formed UTF-8, control
// characters, HTML, mojibake for ftfy's encoding repair) through encode() must never crash or
// hang, and must always give [start, ids inside the vocabulary..., end] within the context
// length.
//
// The vocabularies are the ones the tokenizer tests derive at test time from open_clip's BPE
// file (ctest fixture tokenizer_reference; nothing is committed):
// $CLIPSEARCH_REFERENCE_DIR/tokenizer/models/hf (transformers) and .../open_clip.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "clipsearch/tokenizer.h"

namespace {

clipsearch::Tokenizer* g_transformers = nullptr;
clipsearch::Tokenizer* g_open_clip = nullptr;

clipsearch::Tokenizer* load(const char* model, clipsearch::TokenizerFlavor flavor) {
  const char* root = std::getenv("CLIPSEARCH_REFERENCE_DIR");
  std::string dir = std::string(root ? root : "reference") + "/tokenizer/models/" + model;
  auto tokenizer = clipsearch::Tokenizer::load(dir, {flavor, 0});
  if (!tokenizer.ok()) {
    std::fprintf(stderr,
                 "tokenizer_fuzz: %s\n(set CLIPSEARCH_REFERENCE_DIR to a folder the "
                 "tokenizer_reference fixture has filled)\n",
                 tokenizer.status().message().c_str());
    std::abort();
  }
  return new clipsearch::Tokenizer(std::move(*tokenizer));
}

void check(clipsearch::Tokenizer* tokenizer, std::string_view text) {
  clipsearch::Encoding enc = tokenizer->encode(text);
  if (enc.ids.size() < 2 || enc.ids.size() > static_cast<size_t>(tokenizer->context_length()) ||
      enc.ids.front() != tokenizer->start_token_id() ||
      enc.ids.back() != tokenizer->end_token_id()) {
    __builtin_trap();
  }
  for (int32_t id : enc.ids) {
    if (id < 0 || static_cast<size_t>(id) >= tokenizer->vocab_size()) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Kept for the whole process, as libFuzzer runs inputs until it exits.
  g_transformers = load("hf", clipsearch::TokenizerFlavor::kTransformers);
  g_open_clip = load("open_clip", clipsearch::TokenizerFlavor::kOpenClip);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check(g_transformers, text);
  check(g_open_clip, text);
  return 0;
}
