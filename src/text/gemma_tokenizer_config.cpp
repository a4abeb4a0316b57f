#include "text/gemma_tokenizer_config.h"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "text/json_file.h"

namespace clipsearch::text {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A token as transformers holds it: a string (special, not normalized) or an AddedToken dict.
Result<AddedTokenSpec> token_spec(const json& v, const std::string& what) {
  AddedTokenSpec s;
  s.special = true;
  if (v.is_string()) {
    s.content = v.get<std::string>();
    return s;
  }
  if (!v.is_object() || !v.contains("content") || !v["content"].is_string()) {
    return Status::corruption(what + ": must be a string or an object with a string \"content\"");
  }
  s.content = v["content"].get<std::string>();
  bool normalized_given = false;
  for (auto [key, flag] : {std::pair<const char*, bool*>{"lstrip", &s.lstrip},
                           {"rstrip", &s.rstrip},
                           {"normalized", &s.normalized},
                           {"single_word", &s.single_word},
                           {"special", &s.special}}) {
    if (!v.contains(key) || v[key].is_null()) continue;
    if (!v[key].is_boolean()) return Status::corruption(what + "." + key + ": must be a boolean");
    *flag = v[key].get<bool>();
    normalized_given |= std::string(key) == "normalized";
  }
  if (!normalized_given) s.normalized = !s.special;  // ref: AddedToken(normalized=not special)
  return s;
}

const char* const kAttributes[] = {
    "bos_token", "eos_token", "unk_token",  "sep_token",
    "pad_token", "cls_token", "mask_token", "additional_special_tokens"};

}  // namespace

Result<GemmaTokenizerConfig> read_gemma_tokenizer_config(const std::string& dir,
                                                         const TokenizerJsonPadding& padding) {
  GemmaTokenizerConfig out;
  const fs::path config_path = fs::path(dir) / "tokenizer_config.json";
  const std::string cfg_name = config_path.string();
  CLIPSEARCH_ASSIGN_OR_RETURN(json cfg, read_optional_json_object(config_path.string()));
  if (cfg.is_null()) cfg = json::object();
  auto bad = [&](const char* key, const std::string& msg) {
    return Status::corruption(cfg_name + ": " + key + ": " + msg);
  };
  auto unsupported = [&](const char* key, const std::string& msg) {
    return Status::unsupported(cfg_name + ": " + key + ": " + msg);
  };

  if (cfg.contains("tokenizer_class") && !cfg["tokenizer_class"].is_null()) {
    const json& c = cfg["tokenizer_class"];
    if (c != "GemmaTokenizer" && c != "GemmaTokenizerFast") {
      return unsupported("tokenizer_class",
                         c.dump() +
                             " is not reproduced with a BPE tokenizer.json (only "
                             "GemmaTokenizer / GemmaTokenizerFast)");
    }
  }
  for (auto [key, flag] : {std::pair<const char*, bool*>{"add_bos_token", &out.add_bos},
                           {"add_eos_token", &out.add_eos}}) {
    if (!cfg.contains(key)) continue;
    if (!cfg[key].is_boolean()) return bad(key, "must be true or false");
    *flag = cfg[key].get<bool>();
  }
  // ref: PreTrainedTokenizerFast.__init__: kwargs.setdefault("padding_side", padding direction).
  if (padding.present) out.pad_left = padding.left;
  if (cfg.contains("padding_side")) {
    const json& v = cfg["padding_side"];
    if (v != "left" && v != "right") return bad("padding_side", "must be \"left\" or \"right\"");
    out.pad_left = v == "left";
  }
  if (cfg.contains("truncation_side") && cfg["truncation_side"] != "right") {
    return unsupported("truncation_side", cfg["truncation_side"].dump() + " (only \"right\")");
  }
  if (cfg.contains("split_special_tokens") && cfg["split_special_tokens"] != false) {
    return unsupported("split_special_tokens", "only false is reproduced");
  }
  if (cfg.contains("model_max_length") && cfg["model_max_length"].is_number_integer()) {
    out.model_max_length = cfg["model_max_length"].get<int64_t>();
  }

  // ref: PreTrainedTokenizerFast.__init__: added_tokens_decoder's tokens, by id.
  if (cfg.contains("added_tokens_decoder") && !cfg["added_tokens_decoder"].is_null()) {
    const json& dec = cfg["added_tokens_decoder"];
    if (!dec.is_object()) return bad("added_tokens_decoder", "not an object");
    std::map<int64_t, std::pair<json, std::string>> by_id;
    for (const auto& [id, tok] : dec.items()) {
      const std::string what = cfg_name + ": added_tokens_decoder[\"" + id + "\"]";
      char* end = nullptr;
      const long long n = std::strtoll(id.c_str(), &end, 10);
      if (id.empty() || *end != '\0' || n < 0) {
        return Status::corruption(what + ": the key must be a non-negative id");
      }
      by_id[n] = {tok, what};
    }
    for (const auto& [id, entry] : by_id) {
      CLIPSEARCH_ASSIGN_OR_RETURN(AddedTokenSpec spec, token_spec(entry.first, entry.second));
      out.added.emplace_back(std::move(spec), entry.second);
    }
  }

  // The special tokens: GemmaTokenizerFast's defaults, tokenizer.json's padding token,
  // tokenizer_config.json, special_tokens_map.json, each over the one before.
  std::map<std::string, std::pair<json, std::string>> specials = {
      {"bos_token", {"<bos>", "GemmaTokenizerFast default bos_token"}},
      {"eos_token", {"<eos>", "GemmaTokenizerFast default eos_token"}},
      {"unk_token", {"<unk>", "GemmaTokenizerFast default unk_token"}},
      {"pad_token", {"<pad>", "GemmaTokenizerFast default pad_token"}},
  };
  if (padding.present) specials["pad_token"] = {padding.pad_token, "tokenizer.json: padding"};
  const fs::path map_path = fs::path(dir) / "special_tokens_map.json";
  CLIPSEARCH_ASSIGN_OR_RETURN(json map, read_optional_json_object(map_path.string()));
  for (const auto* source : {&cfg, &map}) {
    const std::string file = source == &cfg ? cfg_name : map_path.string();
    for (const char* attr : kAttributes) {
      if (source->contains(attr)) specials[attr] = {(*source)[attr], file + ": " + attr};
    }
  }
  for (const char* attr : kAttributes) {
    auto it = specials.find(attr);
    if (it == specials.end()) continue;
    const auto& [value, what] = it->second;
    std::vector<const json*> values;
    if (std::string(attr) == "additional_special_tokens") {
      if (value.is_null()) continue;
      if (!value.is_array()) return Status::corruption(what + ": not an array");
      for (const json& e : value) values.push_back(&e);
    } else {
      values.push_back(&value);
    }
    for (const json* v : values) {
      if (v->is_null()) continue;
      CLIPSEARCH_ASSIGN_OR_RETURN(AddedTokenSpec spec, token_spec(*v, what));
      spec.special = true;  // ref: is_special = token.special or str(token) in special_tokens
      const std::string a(attr);
      if (a == "bos_token") out.bos = spec.content, out.bos_source = what;
      if (a == "eos_token") out.eos = spec.content, out.eos_source = what;
      if (a == "pad_token") out.pad = spec.content, out.pad_source = what;
      if (a == "unk_token") out.unk = spec.content;
      out.added.emplace_back(std::move(spec), what);
    }
    if (value.is_null()) {
      const std::string a(attr);
      if (a == "bos_token") out.bos.clear(), out.bos_source = what;
      if (a == "eos_token") out.eos.clear(), out.eos_source = what;
      if (a == "pad_token") out.pad.clear(), out.pad_source = what;
      if (a == "unk_token") out.unk.clear();
    }
  }
  return out;
}

}  // namespace clipsearch::text
