// The Tokenizer facade: finds the model folder's tokenizer family, applies open_clip's text
// cleaning before a Hugging Face tokenizer in an open_clip folder (or lower-cases, for SigLIP 2),
// adds the start and end tokens, truncates to the context length, pads where the family says.
#include "clipsearch/tokenizer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/read_file.h"
#include "text/clip_bpe_encoder.h"
#include "text/gemma_encoder.h"
#include "text/json_file.h"
#include "text/open_clip_clean.h"
#include "text/siglip_encoder.h"
#include "text/unicode.h"
#include "text/unigram_encoder.h"
#include "text/utf8.h"
#include "text/vocab_json.h"
#include "text/vocabulary.h"
#include "text/wordpiece_encoder.h"

namespace clipsearch {

namespace fs = std::filesystem;

namespace {

constexpr int kDefaultContextLength = 77;
constexpr int kSiglipContextLength = 64;

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

// What open_clip_config.json's model_cfg.text_cfg.tokenizer_kwargs asks of the tokenizer.
struct OpenClipTokenizerKwargs {
  bool open_clip = false;  // the folder has open_clip_config.json
  bool clean_given = false;
  text::OpenClipClean clean = text::OpenClipClean::kWhitespace;  // HFTokenizer's default
};

// ref: open_clip 2.23 factory.get_tokenizer: HFTokenizer(text_cfg["hf_tokenizer_name"],
// context_length, **text_cfg.get("tokenizer_kwargs", {})); SimpleTokenizer likewise. Keys that
// would change the ids in a way not reproduced are refused by name.
Result<OpenClipTokenizerKwargs> read_tokenizer_kwargs(const fs::path& dir) {
  OpenClipTokenizerKwargs out;
  const fs::path p = dir / "open_clip_config.json";
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return out;
  out.open_clip = true;
  std::ifstream in(p);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::corruption(p.string() + ": not valid JSON");
  const nlohmann::json* node = &j;
  for (const char* key : {"model_cfg", "text_cfg", "tokenizer_kwargs"}) {
    if (!node->is_object() || !node->contains(key)) return out;
    node = &(*node)[key];
  }
  const std::string where = p.string() + ": model_cfg.text_cfg.tokenizer_kwargs";
  if (node->is_null()) return out;
  if (!node->is_object()) return Status::invalid_argument(where + " must be an object");
  for (const auto& [key, value] : node->items()) {
    if (key == "clean") {
      if (!value.is_string() ||
          !text::parse_open_clip_clean(value.get<std::string>(), &out.clean)) {
        return Status::invalid_argument(where + ".clean is " + value.dump() +
                                        "; open_clip knows \"whitespace\", \"lower\" and "
                                        "\"canonicalize\"");
      }
      out.clean_given = true;
    } else if (key == "strip_sep_token" && value.is_boolean() && !value.get<bool>()) {
      // HFTokenizer's default: nothing to do
    } else {
      return Status::unsupported(where + "." + key + " = " + value.dump() +
                                 " is not supported by clipsearch (only \"clean\")");
    }
  }
  return out;
}

}  // namespace

struct Tokenizer::Impl {
  std::unique_ptr<text::TokenEncoder> encoder;
  TokenizerFlavor flavor = TokenizerFlavor::kTransformers;
  int context_length = kDefaultContextLength;
  // open_clip's cleaning before a Hugging Face tokenizer family (never for CLIP's BPE, whose
  // open_clip flavour cleans inside its encoder).
  bool clean = false;
  text::OpenClipClean clean_kind = text::OpenClipClean::kWhitespace;
  bool lower = false;     // Python's str.lower() before the tokenizer (SigLIP 2)
  text::Framing framing;  // the encoder's, read once
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

namespace {

// The flavour kAuto stands for in `dir`: kOpenClip for an open_clip folder, else kTransformers.
TokenizerFlavor detect_flavor(const fs::path& dir, bool is_dir, const text::Vocabulary& vocab) {
  std::error_code ec;
  bool open_clip = vocab.layout == text::Vocabulary::Layout::kOpenClip ||
                   (is_dir && fs::exists(dir / "open_clip_config.json", ec));
  return open_clip ? TokenizerFlavor::kOpenClip : TokenizerFlavor::kTransformers;
}

// model.type of a tokenizer.json, read without parsing the whole file (Gemma's is tens of MB: the
// members before "model" are small, and "type" comes first in it); empty when there is none.
Result<std::string> tokenizer_json_model_type(std::string_view text, const std::string& path) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string_view model, text::find_json_member(text, "model", path));
  if (model.empty() || model.front() != '{') return std::string();
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string_view type,
                              text::find_json_member(model, "type", path, "model"));
  nlohmann::json j = nlohmann::json::parse(type, nullptr, /*allow_exceptions=*/false);
  return j.is_string() ? j.get<std::string>() : std::string();
}

// The encoder of `dir`'s tokenizer.json (`flavor` kUnigram, kGemma, or kAuto: by its model.type,
// "Unigram" or "BPE"), or null when kAuto finds none there (a folder with vocab.json, or without
// tokenizer.json, or of another model type). *flavor becomes the one found.
Result<std::unique_ptr<text::TokenEncoder>> load_tokenizer_json(const fs::path& dir,
                                                                TokenizerFlavor* flavor) {
  const fs::path p = dir / "tokenizer.json";
  const bool required = *flavor != TokenizerFlavor::kAuto;
  std::error_code ec;
  if (!required && (fs::exists(dir / "vocab.json", ec) || !fs::is_regular_file(p, ec))) {
    return std::unique_ptr<text::TokenEncoder>();
  }
  if (!fs::is_regular_file(p, ec)) return Status::not_found(p.string() + ": no such file");
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string text, read_file(p.string()));
  if (!required) {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::string type, tokenizer_json_model_type(text, p.string()));
    if (type == "Unigram") *flavor = TokenizerFlavor::kUnigram;
    if (type == "BPE") *flavor = TokenizerFlavor::kGemma;
  }
  if (*flavor == TokenizerFlavor::kGemma) {
    CLIPSEARCH_ASSIGN_OR_RETURN(auto enc, text::GemmaEncoder::load(dir.string(), p.string(), text));
    return std::unique_ptr<text::TokenEncoder>(std::move(enc));
  }
  if (*flavor != TokenizerFlavor::kUnigram) return std::unique_ptr<text::TokenEncoder>();
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::corruption(p.string() + ": not valid JSON");
  CLIPSEARCH_ASSIGN_OR_RETURN(auto enc, text::UnigramEncoder::load(dir.string(), p.string(), j));
  return std::unique_ptr<text::TokenEncoder>(std::move(enc));
}

// config.json's model_type, or empty.
std::string config_model_type(const fs::path& dir) {
  return text::json_file_string_field((dir / "config.json").string(), "model_type").value_or("");
}

}  // namespace

Result<Tokenizer> Tokenizer::load(const std::string& model_dir, const TokenizerOptions& options) {
  auto impl = std::make_unique<Impl>();
  fs::path dir(model_dir);
  std::error_code ec;
  const bool is_dir = fs::is_directory(dir, ec);
  impl->flavor = options.flavor;
  if (impl->flavor == TokenizerFlavor::kAuto && is_dir && text::is_siglip_folder(model_dir)) {
    impl->flavor = TokenizerFlavor::kSiglip;
  }
  if (impl->flavor == TokenizerFlavor::kAuto && is_dir && text::is_wordpiece_folder(model_dir)) {
    impl->flavor = TokenizerFlavor::kWordPiece;
  }
  const bool json_family =
      options.flavor == TokenizerFlavor::kUnigram || options.flavor == TokenizerFlavor::kGemma;
  if ((json_family || options.flavor == TokenizerFlavor::kSiglip) && !is_dir) {
    return Status::invalid_argument(model_dir + ": this tokenizer flavour needs a model folder");
  }
  if (is_dir && (json_family || impl->flavor == TokenizerFlavor::kAuto)) {
    CLIPSEARCH_ASSIGN_OR_RETURN(impl->encoder, load_tokenizer_json(dir, &impl->flavor));
  }
  // tokenizer_config.json's model_max_length (WordPiece, Gemma, SigLIP)
  int tokenizer_max_length = 0;
  int family_default_length = kDefaultContextLength;
  if (impl->flavor == TokenizerFlavor::kGemma) {
    // SigLIP 2 was trained on lower-cased text (its model card: lower-case the queries), and its
    // text tower reads 64 positions (SiglipTextConfig's default max_position_embeddings).
    const std::string model_type = config_model_type(dir);
    impl->lower = model_type == "siglip" || model_type == "siglip2";
    tokenizer_max_length =
        impl->lower ? kSiglipContextLength
                    : static_cast<text::GemmaEncoder&>(*impl->encoder).model_max_length();
    family_default_length = kSiglipContextLength;
  }
  if (impl->flavor == TokenizerFlavor::kSiglip) {
    CLIPSEARCH_ASSIGN_OR_RETURN(text::SiglipVocab vocab, text::load_siglip_vocab(model_dir));
    auto encoder = std::make_unique<text::SiglipEncoder>(std::move(vocab));
    tokenizer_max_length = encoder->default_context_length();
    family_default_length = kSiglipContextLength;
    impl->encoder = std::move(encoder);
  } else if (impl->flavor == TokenizerFlavor::kWordPiece) {
    CLIPSEARCH_ASSIGN_OR_RETURN(text::WordPieceVocab vocab, text::load_wordpiece_vocab(model_dir));
    tokenizer_max_length = vocab.model_max_length;
    impl->encoder = std::make_unique<text::WordPieceEncoder>(std::move(vocab));
  } else if (!impl->encoder) {
    CLIPSEARCH_ASSIGN_OR_RETURN(text::Vocabulary vocab, text::load_vocabulary(model_dir));
    if (impl->flavor == TokenizerFlavor::kAuto) impl->flavor = detect_flavor(dir, is_dir, vocab);
    impl->encoder = std::make_unique<text::ClipBpeEncoder>(std::move(vocab), impl->flavor);
  }
  if (is_dir) {
    CLIPSEARCH_ASSIGN_OR_RETURN(OpenClipTokenizerKwargs kwargs, read_tokenizer_kwargs(dir));
    const bool clip_bpe = impl->flavor == TokenizerFlavor::kTransformers ||
                          impl->flavor == TokenizerFlavor::kOpenClip;
    if (impl->flavor == TokenizerFlavor::kOpenClip && kwargs.clean_given &&
        kwargs.clean != text::OpenClipClean::kLower) {
      return Status::unsupported(
          (dir / "open_clip_config.json").string() +
          ": model_cfg.text_cfg.tokenizer_kwargs.clean \"" +
          text::open_clip_clean_name(kwargs.clean) +
          "\" with CLIP's BPE tokenizer is not supported (open_clip's SimpleTokenizer is "
          "reproduced with its default \"lower\" only)");
    }
    // ref: open_clip HFTokenizer.__call__: texts = [self.clean_fn(text) for text in texts].
    impl->clean = kwargs.open_clip && !clip_bpe;
    impl->clean_kind = kwargs.clean;
  }
  impl->framing = impl->encoder->framing();
  const int framing_tokens = (impl->framing.start ? 1 : 0) + (impl->framing.end ? 1 : 0);
  if (options.context_length != 0) {
    if (options.context_length < std::max(2, framing_tokens)) {
      return Status::invalid_argument(model_dir + ": context length " +
                                      std::to_string(options.context_length) +
                                      " is too small (start and end tokens need 2)");
    }
    impl->context_length = options.context_length;
  } else if (is_dir) {
    CLIPSEARCH_ASSIGN_OR_RETURN(int configured, configured_context_length(dir));
    if (configured == 0) configured = tokenizer_max_length;
    impl->context_length = configured != 0 ? configured : family_default_length;
  } else {
    impl->context_length = family_default_length;
  }
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
  if (impl_->clean) cps = text::open_clip_clean(cps, impl_->clean_kind);
  if (impl_->lower) cps = text::python_lower(cps);
  const text::Framing& framing = impl_->framing;
  const size_t length = static_cast<size_t>(impl_->context_length);
  const size_t limit = length - (framing.end ? 1 : 0);  // room for the end token
  if (framing.start) enc.ids.push_back(*framing.start);
  impl_->encoder->encode(cps, limit, &enc.ids);
  // ref: truncation keeps the first ids and puts the end token last.
  if (enc.ids.size() > limit) enc.ids.resize(limit);
  if (framing.end &&
      !(framing.end_unless_last && !enc.ids.empty() && enc.ids.back() == *framing.end)) {
    enc.ids.push_back(*framing.end);
  }
  if (framing.pad_to_context && enc.ids.size() < length) {
    const auto at = framing.pad_left ? enc.ids.begin() : enc.ids.end();
    enc.ids.insert(at, length - enc.ids.size(), framing.pad_id);
  }
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
int32_t Tokenizer::start_token_id() const { return impl_->framing.start.value_or(-1); }
int32_t Tokenizer::end_token_id() const { return impl_->framing.end.value_or(-1); }
size_t Tokenizer::vocab_size() const { return impl_->encoder->vocab_size(); }

}  // namespace clipsearch
