// The Tokenizer facade: model folder loading and the two reference pipelines.
#include "clipsearch/tokenizer.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "text/bpe.h"
#include "text/open_clip_clean.h"
#include "text/pre_tokenizer.h"
#include "text/unicode.h"
#include "text/utf8.h"
#include "text/vocabulary.h"

namespace clipsearch {

namespace fs = std::filesystem;
using text::Piece;

namespace {

constexpr int kDefaultContextLength = 77;

// The context length that the model folder's config names, or 0.
Result<int> configured_context_length(const fs::path& dir) {
  struct Source {
    const char* file;
    std::vector<const char*> keys;
  };
  const Source sources[] = {
      {"config.json", {"text_config", "max_position_embeddings"}},
      {"open_clip_config.json", {"model_cfg", "text_cfg", "context_length"}},
  };
  for (const Source& src : sources) {
    fs::path p = dir / src.file;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) continue;
    std::ifstream in(p);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Status::corruption(p.string() + ": not valid JSON");
    const nlohmann::json* node = &j;
    for (const char* key : src.keys) {
      if (!node->is_object() || !node->contains(key)) {
        node = nullptr;
        break;
      }
      node = &(*node)[key];
    }
    if (node == nullptr) continue;
    if (!node->is_number_integer() || node->get<int64_t>() < 2 || node->get<int64_t>() > 1 << 20) {
      return Status::invalid_argument(p.string() + ": " + src.keys.back() +
                                      " must be an integer >= 2");
    }
    return static_cast<int>(node->get<int64_t>());
  }
  return 0;
}

}  // namespace

struct Tokenizer::Impl {
  text::Vocabulary vocab;
  TokenizerFlavor flavor = TokenizerFlavor::kTransformers;
  int context_length = kDefaultContextLength;
  std::unique_ptr<text::BpeEncoder> bpe;
  // Scratch buffers reused between calls.
  std::vector<Piece> raw_pieces, pieces, words;
  std::u32string normalized;
  std::string word_utf8;

  // Appends the ids of the words of `buf` described by `words` (BPE or special ids); returns
  // false once `limit` ids are reached (the rest would be truncated away).
  bool emit(const std::u32string& buf, const std::vector<Piece>& word_pieces, size_t limit,
            std::vector<int32_t>* ids) {
    for (const Piece& w : word_pieces) {
      if (ids->size() >= limit) return false;
      if (w.special_id >= 0) {
        ids->push_back(w.special_id);
        continue;
      }
      word_utf8.clear();
      for (uint32_t i = w.begin; i < w.end; ++i) text::utf8_append(buf[i], &word_utf8);
      bpe->encode_word(word_utf8, ids);
    }
    return ids->size() < limit;
  }

  // ref: CLIPTokenizerFast (tokenizers 0.13): added tokens matched in the raw text, then the
  // normalizer (NFC, \s+ -> ' ', lowercase) on each stretch between them, added tokens matched
  // in the normalized text, the CLIP Split pre-tokenizer, ByteLevel, BPE.
  void encode_transformers(const std::u32string& cps, size_t limit, std::vector<int32_t>* ids) {
    raw_pieces.clear();
    text::split_special_tokens(cps, vocab.specials, /*normalized=*/false, 0, &raw_pieces);
    for (const Piece& raw : raw_pieces) {
      if (raw.special_id >= 0) {
        if (ids->size() >= limit) return;
        ids->push_back(raw.special_id);
        continue;
      }
      std::u32string nfc = cps.substr(raw.begin, raw.end - raw.begin);
      text::nfc_in_place(&nfc);
      normalized.clear();
      bool in_space = false;
      for (char32_t c : nfc) {
        if (text::is_white_space(c)) {
          if (!in_space) normalized.push_back(' ');
          in_space = true;
        } else {
          text::append_lowercase(c, &normalized);
          in_space = false;
        }
      }
      pieces.clear();
      text::split_special_tokens(normalized, vocab.specials, /*normalized=*/true, 0, &pieces);
      for (const Piece& p : pieces) {
        words.clear();
        if (p.special_id >= 0) {
          words.push_back(p);
        } else {
          std::u32string_view view(normalized);
          text::clip_pre_tokenize(view.substr(p.begin, p.end - p.begin),
                                  text::UnicodeFlavor::kTokenizers, nullptr, p.begin, &words);
        }
        if (!emit(normalized, words, limit, ids)) return;
      }
    }
  }

  // ref: open_clip SimpleTokenizer.encode: clean (ftfy, html.unescape, whitespace, lower), then
  // re.findall with the special tokens as the pattern's first alternatives, then BPE.
  void encode_open_clip(const std::u32string& cps, size_t limit, std::vector<int32_t>* ids) {
    normalized = text::open_clip_clean(cps);
    words.clear();
    text::clip_pre_tokenize(normalized, text::UnicodeFlavor::kPythonRegex, &vocab.specials, 0,
                            &words);
    emit(normalized, words, limit, ids);
  }
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Result<Tokenizer> Tokenizer::load(const std::string& model_dir, const TokenizerOptions& options) {
  auto impl = std::make_unique<Impl>();
  CLIPSEARCH_ASSIGN_OR_RETURN(impl->vocab, text::load_vocabulary(model_dir));
  fs::path dir(model_dir);
  std::error_code ec;
  bool is_dir = fs::is_directory(dir, ec);
  impl->flavor = options.flavor;
  if (impl->flavor == TokenizerFlavor::kAuto) {
    bool open_clip = impl->vocab.layout == text::Vocabulary::Layout::kOpenClip ||
                     (is_dir && fs::exists(dir / "open_clip_config.json", ec));
    impl->flavor = open_clip ? TokenizerFlavor::kOpenClip : TokenizerFlavor::kTransformers;
  }
  if (impl->flavor == TokenizerFlavor::kOpenClip) {
    // open_clip matches only its start and end tokens, at any case, in the cleaned text.
    std::vector<text::SpecialToken> specials;
    for (const auto& s : impl->vocab.specials) {
      if (s.id == impl->vocab.start_id || s.id == impl->vocab.end_id) {
        bool seen = false;
        for (const auto& t : specials) seen |= t.content == s.content;
        if (!seen) specials.push_back(s);
      }
    }
    impl->vocab.specials = std::move(specials);
  }
  if (options.context_length != 0) {
    if (options.context_length < 2) {
      return Status::invalid_argument(model_dir + ": context length " +
                                      std::to_string(options.context_length) +
                                      " is too small (start and end tokens need 2)");
    }
    impl->context_length = options.context_length;
  } else if (is_dir) {
    CLIPSEARCH_ASSIGN_OR_RETURN(int configured, configured_context_length(dir));
    if (configured != 0) impl->context_length = configured;
  }
  impl->bpe = std::make_unique<text::BpeEncoder>(&impl->vocab);
  return Tokenizer(std::move(impl));
}

Encoding Tokenizer::encode(std::string_view text) {
  Encoding enc;
  std::u32string cps;
  enc.invalid_utf8 = text::utf8_decode(text, &cps);
  if (enc.invalid_utf8 != 0) {
    enc.warning = "invalid UTF-8: " + std::to_string(enc.invalid_utf8) +
                  " ill-formed sequence(s) replaced with U+FFFD";
  }
  const size_t limit = static_cast<size_t>(impl_->context_length) - 1;  // room for the end
  enc.ids.push_back(impl_->vocab.start_id);
  if (impl_->flavor == TokenizerFlavor::kOpenClip) {
    impl_->encode_open_clip(cps, limit, &enc.ids);
  } else {
    impl_->encode_transformers(cps, limit, &enc.ids);
  }
  // ref: truncation keeps the first context_length - 1 ids and puts the end token last.
  if (enc.ids.size() > limit) enc.ids.resize(limit);
  enc.ids.push_back(impl_->vocab.end_id);
  return enc;
}

std::vector<Encoding> Tokenizer::encode_batch(const std::vector<std::string>& texts) {
  std::vector<Encoding> out;
  out.reserve(texts.size());
  for (const std::string& t : texts) out.push_back(encode(t));
  return out;
}

TokenizerFlavor Tokenizer::flavor() const { return impl_->flavor; }
int Tokenizer::context_length() const { return impl_->context_length; }
int32_t Tokenizer::start_token_id() const { return impl_->vocab.start_id; }
int32_t Tokenizer::end_token_id() const { return impl_->vocab.end_id; }
size_t Tokenizer::vocab_size() const { return impl_->vocab.id_to_token.size(); }

}  // namespace clipsearch
