#include "text/wordpiece_vocab.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/read_file.h"
#include "text/json_file.h"
#include "text/utf8.h"

namespace clipsearch::text {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

Result<json> read_json(const fs::path& path) { return read_json_object(path.string()); }

// One special token as transformers names it: a string (added to the Rust tokenizer with
// normalized = false), or an AddedToken object (normalized defaults to true in Python).
struct TokenSpec {
  std::string content;
  bool normalized = false;
};

Result<std::optional<TokenSpec>> token_spec(const json& value, const std::string& where) {
  if (value.is_null()) return std::optional<TokenSpec>();
  if (value.is_string())
    return std::optional<TokenSpec>(TokenSpec{value.get<std::string>(), false});
  if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    TokenSpec spec{value["content"].get<std::string>(), true};
    if (value.contains("normalized")) {
      if (!value["normalized"].is_boolean()) {
        return Status::corruption(where + ": \"normalized\" must be true or false");
      }
      spec.normalized = value["normalized"].get<bool>();
    }
    for (const char* flag : {"lstrip", "rstrip", "single_word"}) {
      if (value.contains(flag) && value[flag].is_boolean() && value[flag].get<bool>()) {
        return Status::unsupported(where + ": \"" + flag +
                                   "\": true is not supported for WordPiece tokenizers");
      }
    }
    return std::optional<TokenSpec>(spec);
  }
  return Status::corruption(where +
                            ": a special token must be a string or an object with a "
                            "string \"content\"");
}

const char* const kSpecialKeys[] = {"unk_token", "sep_token", "pad_token", "cls_token",
                                    "mask_token"};

struct Settings {
  // ref: BertTokenizerFast defaults.
  std::optional<TokenSpec> tokens[5] = {TokenSpec{"[UNK]"}, TokenSpec{"[SEP]"}, TokenSpec{"[PAD]"},
                                        TokenSpec{"[CLS]"}, TokenSpec{"[MASK]"}};
  std::vector<TokenSpec> additional;
  std::string tokens_source[5] = {"default", "default", "default", "default", "default"};
  bool do_lower_case = true;
  std::optional<bool> strip_accents;
  bool tokenize_chinese_chars = true;
  int model_max_length = 0;
};

Status read_special_tokens(const json& j, const std::string& file, Settings* s) {
  for (int k = 0; k < 5; ++k) {
    if (!j.contains(kSpecialKeys[k])) continue;
    CLIPSEARCH_ASSIGN_OR_RETURN(s->tokens[k],
                                token_spec(j[kSpecialKeys[k]], file + ": " + kSpecialKeys[k]));
    s->tokens_source[k] = file;
  }
  if (j.contains("additional_special_tokens") && !j["additional_special_tokens"].is_null()) {
    const json& list = j["additional_special_tokens"];
    if (!list.is_array()) {
      return Status::corruption(file + ": additional_special_tokens must be a list");
    }
    s->additional.clear();
    for (const json& item : list) {
      CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<TokenSpec> spec,
                                  token_spec(item, file + ": additional_special_tokens"));
      if (spec) s->additional.push_back(*spec);
    }
  }
  return Status();
}

Result<bool> get_bool(const json& j, const char* key, bool fallback, const std::string& file) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_boolean()) return Status::corruption(file + ": " + key + " must be true or false");
  return j[key].get<bool>();
}

Status read_tokenizer_config(const fs::path& path, Settings* s) {
  CLIPSEARCH_ASSIGN_OR_RETURN(json j, read_json(path));
  const std::string file = path.string();
  CLIPSEARCH_ASSIGN_OR_RETURN(s->do_lower_case, get_bool(j, "do_lower_case", true, file));
  CLIPSEARCH_ASSIGN_OR_RETURN(s->tokenize_chinese_chars,
                              get_bool(j, "tokenize_chinese_chars", true, file));
  if (j.contains("strip_accents") && !j["strip_accents"].is_null()) {
    CLIPSEARCH_ASSIGN_OR_RETURN(bool strip, get_bool(j, "strip_accents", false, file));
    s->strip_accents = strip;
  }
  if (j.contains("model_max_length") && j["model_max_length"].is_number()) {
    // transformers writes a huge number (int(1e30)) for "no limit".
    const double v = j["model_max_length"].get<double>();
    if (v >= 2 && v <= (1 << 20)) s->model_max_length = static_cast<int>(v);
  }
  return read_special_tokens(j, file, s);
}

// Adds `spec` to the specials unless a token with its content is there already (ref:
// AddedVocabulary::add_special_tokens keeps the first registration).
Status add_special(const TokenSpec& spec, const std::string& what, WordPieceVocab* v) {
  if (spec.content.empty()) return Status();
  std::u32string content;
  utf8_decode(spec.content, &content);
  for (const SpecialToken& s : v->specials) {
    if (s.content == content) return Status();
  }
  const int32_t id = v->token_to_id.find(spec.content);
  if (id < 0) {
    return Status::invalid_argument(what + " \"" + spec.content + "\" is not in " + v->source);
  }
  v->specials.push_back({content, id, spec.normalized});
  return Status();
}

void compute_max_token_chars(const std::vector<std::string>& tokens, WordPieceVocab* v) {
  const std::string& prefix = v->continuing_subword_prefix;
  for (const std::string& t : tokens) {
    std::string_view body = t;
    if (!prefix.empty() && body.substr(0, prefix.size()) == prefix)
      body.remove_prefix(prefix.size());
    size_t chars = 0;
    for (unsigned char c : body) chars += (c & 0xC0) != 0x80;
    v->max_token_chars = std::max(v->max_token_chars, chars);
  }
}

// The WordPiece model of a tokenizer.json (model.type "WordPiece").
Status read_tokenizer_json(const fs::path& path, WordPieceVocab* v) {
  CLIPSEARCH_ASSIGN_OR_RETURN(json j, read_json(path));
  const std::string file = path.string();
  v->source = file;
  const json* model = j.contains("model") ? &j["model"] : nullptr;
  if (model == nullptr || !model->is_object() || !model->contains("type") ||
      (*model)["type"] != "WordPiece") {
    return Status::unsupported(file + ": model.type is not \"WordPiece\"");
  }
  if (!model->contains("vocab") || !(*model)["vocab"].is_object() || (*model)["vocab"].empty()) {
    return Status::corruption(file + ": model.vocab must be a non-empty object");
  }
  std::vector<std::string> tokens;
  v->token_to_id.reserve((*model)["vocab"].size());
  for (const auto& [token, id] : (*model)["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= (1 << 30)) {
      return Status::corruption(file + ": model.vocab: \"" + token + "\" has no valid id");
    }
    v->token_to_id.set(token, static_cast<int32_t>(id.get<int64_t>()));
    v->size = std::max(v->size, static_cast<size_t>(id.get<int64_t>()) + 1);
    tokens.push_back(token);
  }
  auto string_field = [&](const char* key, std::string* out) -> Status {
    if (!model->contains(key)) return Status();
    if (!(*model)[key].is_string())
      return Status::corruption(file + ": model." + key + " must be a string");
    *out = (*model)[key].get<std::string>();
    return Status();
  };
  std::string unk = "[UNK]";
  CLIPSEARCH_RETURN_IF_ERROR(string_field("unk_token", &unk));
  CLIPSEARCH_RETURN_IF_ERROR(
      string_field("continuing_subword_prefix", &v->continuing_subword_prefix));
  if (model->contains("max_input_chars_per_word")) {
    const json& m = (*model)["max_input_chars_per_word"];
    if (!m.is_number_unsigned()) {
      return Status::corruption(file + ": model.max_input_chars_per_word must be an integer >= 0");
    }
    v->max_input_chars_per_word = m.get<size_t>();
  }
  v->unk_id = v->token_to_id.find(unk);
  if (v->unk_id < 0)
    return Status::invalid_argument(file + ": unk_token \"" + unk + "\" is not in model.vocab");
  compute_max_token_chars(tokens, v);

  const json* norm = j.contains("normalizer") ? &j["normalizer"] : nullptr;
  if (norm != nullptr && !norm->is_null()) {
    if (!norm->is_object() || !norm->contains("type") || (*norm)["type"] != "BertNormalizer") {
      return Status::unsupported(file + ": only a BertNormalizer is supported as normalizer");
    }
    CLIPSEARCH_ASSIGN_OR_RETURN(v->normalizer.clean_text,
                                get_bool(*norm, "clean_text", true, file));
  }
  const json* pre = j.contains("pre_tokenizer") ? &j["pre_tokenizer"] : nullptr;
  if (pre == nullptr || !pre->is_object() || !pre->contains("type") ||
      (*pre)["type"] != "BertPreTokenizer") {
    return Status::unsupported(file + ": only a BertPreTokenizer is supported as pre_tokenizer");
  }
  if (j.contains("added_tokens") && !j["added_tokens"].is_null()) {
    const json& added = j["added_tokens"];
    if (!added.is_array()) return Status::corruption(file + ": added_tokens must be a list");
    for (const json& t : added) {
      CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<TokenSpec> spec,
                                  token_spec(t, file + ": added_tokens"));
      if (!spec) return Status::corruption(file + ": added_tokens: an entry is null");
      // Entries of tokenizer.json always carry "normalized"; token_spec read it.
      CLIPSEARCH_RETURN_IF_ERROR(add_special(*spec, file + ": added token", v));
    }
  }
  return Status();
}

}  // namespace

Result<WordPieceVocab> parse_vocab_txt(std::string_view text, const std::string& path) {
  WordPieceVocab v;
  v.source = path;
  std::vector<std::string> tokens;
  size_t pos = 0;
  std::u32string scratch;
  // ref: transformers' load_vocab: open(..., encoding="utf-8").readlines() (universal newlines:
  // "\n", "\r\n" and "\r" end a line), each token .rstrip("\n").
  while (pos < text.size()) {
    size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    const size_t line_no = tokens.size() + 1;
    scratch.clear();
    if (utf8_decode(line, &scratch) != 0) {
      return Status::corruption(path + ": line " + std::to_string(line_no) + ": not valid UTF-8");
    }
    tokens.emplace_back(line);
    pos = end;
    if (pos < text.size())
      pos += (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ? 2 : 1;
  }
  if (tokens.empty()) return Status::corruption(path + ": empty vocabulary");
  if (tokens.size() >= (size_t{1} << 30)) return Status::corruption(path + ": too many lines");
  v.token_to_id.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) v.token_to_id.set(tokens[i], static_cast<int32_t>(i));
  v.size = tokens.size();
  compute_max_token_chars(tokens, &v);
  return v;
}

bool is_wordpiece_folder(const std::string& dir_name) {
  const fs::path dir(dir_name);
  if (is_file(dir / "vocab.txt") && !is_file(dir / "vocab.json") &&
      !is_file(dir / "bpe_simple_vocab_16e6.txt.gz")) {
    return true;
  }
  if (json_file_string_field((dir / "config.json").string(), "model_type") == "chinese_clip") {
    return true;
  }
  const auto cls =
      json_file_string_field((dir / "tokenizer_config.json").string(), "tokenizer_class");
  return cls && cls->rfind("Bert", 0) == 0;
}

Result<WordPieceVocab> load_wordpiece_vocab(const std::string& dir_name) {
  const fs::path dir(dir_name);
  Settings settings;
  if (is_file(dir / "added_tokens.json")) {
    return Status::unsupported((dir / "added_tokens.json").string() +
                               ": added tokens outside the vocabulary are not supported");
  }
  if (is_file(dir / "tokenizer_config.json")) {
    CLIPSEARCH_RETURN_IF_ERROR(read_tokenizer_config(dir / "tokenizer_config.json", &settings));
  }
  if (is_file(dir / "special_tokens_map.json")) {
    const fs::path p = dir / "special_tokens_map.json";
    CLIPSEARCH_ASSIGN_OR_RETURN(json j, read_json(p));
    CLIPSEARCH_RETURN_IF_ERROR(read_special_tokens(j, p.string(), &settings));
  }
  WordPieceVocab v;
  if (is_file(dir / "tokenizer.json")) {
    CLIPSEARCH_RETURN_IF_ERROR(read_tokenizer_json(dir / "tokenizer.json", &v));
  } else {
    const fs::path p = dir / "vocab.txt";
    CLIPSEARCH_ASSIGN_OR_RETURN(std::string text, read_file(p));
    CLIPSEARCH_ASSIGN_OR_RETURN(v, parse_vocab_txt(text, p.string()));
    // ref: BertConverter: WordPiece(vocab, unk_token=str(unk_token)), prefix "##", 100 chars.
    if (!settings.tokens[0]) return Status::invalid_argument(dir_name + ": no unk_token");
    v.unk_id = v.token_to_id.find(settings.tokens[0]->content);
  }
  // ref: BertTokenizerFast.__init__: the normalizer follows the tokenizer's arguments;
  // strip_accents None follows lowercase (BertNormalizer in tokenizers).
  v.normalizer.lowercase = settings.do_lower_case;
  v.normalizer.strip_accents = settings.strip_accents.value_or(settings.do_lower_case);
  v.normalizer.handle_chinese_chars = settings.tokenize_chinese_chars;
  v.model_max_length = settings.model_max_length;
  // ref: from_pretrained -> sanitize_special_tokens: every special token becomes an added token
  // (order: unk, sep, pad, cls, mask, additional).
  for (int k = 0; k < 5; ++k) {
    if (!settings.tokens[k]) continue;
    CLIPSEARCH_RETURN_IF_ERROR(
        add_special(*settings.tokens[k], settings.tokens_source[k] + " " + kSpecialKeys[k], &v));
  }
  for (const TokenSpec& spec : settings.additional) {
    CLIPSEARCH_RETURN_IF_ERROR(add_special(spec, "additional special token", &v));
  }
  auto require = [&](int k, int32_t* id) -> Status {
    if (!settings.tokens[k]) return Status::invalid_argument(dir_name + ": no " + kSpecialKeys[k]);
    *id = v.token_to_id.find(settings.tokens[k]->content);
    if (*id < 0) {
      return Status::invalid_argument(settings.tokens_source[k] + " " + kSpecialKeys[k] + " \"" +
                                      settings.tokens[k]->content + "\" is not in " + v.source);
    }
    return Status();
  };
  int32_t unused = -1;
  if (v.unk_id < 0) CLIPSEARCH_RETURN_IF_ERROR(require(0, &unused));
  CLIPSEARCH_RETURN_IF_ERROR(require(3, &v.cls_id));
  CLIPSEARCH_RETURN_IF_ERROR(require(1, &v.sep_id));
  return v;
}

}  // namespace clipsearch::text
