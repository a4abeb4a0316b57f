#include "text/siglip_vocab.h"

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

// A JSON file of the folder, or an empty object when it is absent.
Result<json> read_optional_json(const fs::path& path) {
  if (!is_file(path)) return json::object();
  return read_json(path);
}

// ref: tokenizers' AddedToken: content and flags; normalized defaults to `not special`.
struct TokenSpec {
  std::string content;
  bool lstrip = false, rstrip = false, normalized = false, special = false;
  bool is_object = false;  // an AddedToken, not a plain string
};

Result<std::optional<TokenSpec>> token_spec(const json& v, const std::string& where, bool special) {
  if (v.is_null()) return std::optional<TokenSpec>();
  TokenSpec t;
  if (v.is_string()) {
    t.content = v.get<std::string>();
  } else if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    t.is_object = true;
    t.content = v["content"].get<std::string>();
    t.special = special;
    t.normalized = !special;
    for (const auto& [key, value] : v.items()) {
      if (key == "content" || key == "__type") continue;
      if (!value.is_boolean()) return Status::corruption(where + "." + key + " must be a boolean");
      const bool b = value.get<bool>();
      if (key == "lstrip") {
        t.lstrip = b;
      } else if (key == "rstrip") {
        t.rstrip = b;
      } else if (key == "normalized") {
        t.normalized = b;
      } else if (key == "special") {
        t.special = b;
      } else if (key == "single_word") {
        if (b) return Status::unsupported(where + ".single_word: true is not supported");
      } else {
        return Status::unsupported(where + "." + key + " is not a known AddedToken flag");
      }
    }
  } else {
    return Status::corruption(where + " must be a string or an AddedToken object");
  }
  if (t.content.empty()) return Status::unsupported(where + " is an empty token");
  std::u32string decoded;
  if (utf8_decode(t.content, &decoded) != 0) {
    return Status::corruption(where + " is not valid UTF-8");
  }
  return std::optional<TokenSpec>(t);
}

// ref: SpecialTokensMixin.SPECIAL_TOKENS_ATTRIBUTES, in order.
const char* const kSpecialAttributes[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                          "pad_token", "cls_token", "mask_token"};

Status check_settings(const json& config, const std::string& file, SiglipVocab* v) {
  if (config.contains("do_lower_case") && !config["do_lower_case"].is_null()) {
    if (!config["do_lower_case"].is_boolean()) {
      return Status::corruption(file + ": do_lower_case must be true or false");
    }
    v->do_lower_case = config["do_lower_case"].get<bool>();
  }
  if (config.contains("sp_model_kwargs") && !config["sp_model_kwargs"].is_null() &&
      !(config["sp_model_kwargs"].is_object() && config["sp_model_kwargs"].empty())) {
    return Status::unsupported(file + ": sp_model_kwargs " + config["sp_model_kwargs"].dump() +
                               " is not supported (sampling and other encoder options)");
  }
  if (config.contains("split_special_tokens") && config["split_special_tokens"] != false) {
    return Status::unsupported(file + ": split_special_tokens true is not supported");
  }
  if (config.contains("truncation_side") && config["truncation_side"] != "right") {
    return Status::unsupported(file + ": truncation_side " + config["truncation_side"].dump() +
                               " is not supported (only \"right\")");
  }
  if (config.contains("padding_side")) {
    const json& side = config["padding_side"];
    if (side != "right" && side != "left") {
      return Status::corruption(file + ": padding_side must be \"right\" or \"left\"");
    }
    v->pad_left = side == "left";
  }
  if (config.contains("model_max_length") && config["model_max_length"].is_number()) {
    // transformers writes a huge number (int(1e30)) for "no limit".
    const double max = config["model_max_length"].get<double>();
    if (max >= 2 && max <= (1 << 20)) v->default_context_length = static_cast<int>(max);
  }
  return Status();
}

}  // namespace

bool is_siglip_folder(const std::string& dir) {
  const fs::path d(dir);
  if (!is_file(d / "spiece.model")) return false;
  auto field = [](const fs::path& p, const char* key) {
    return json_file_string_field(p.string(), key);
  };
  // ref: AutoTokenizer: tokenizer_config.json's tokenizer_class first, else config.json's
  // model_type (siglip -> SiglipTokenizer in 4.37).
  if (auto cls = field(d / "tokenizer_config.json", "tokenizer_class")) {
    return *cls == "SiglipTokenizer";
  }
  return field(d / "config.json", "model_type") == "siglip" && !is_file(d / "tokenizer.json");
}

Result<SiglipVocab> load_siglip_vocab(const std::string& dir) {
  const fs::path d(dir);
  const std::string model_path = (d / "spiece.model").string();
  CLIPSEARCH_ASSIGN_OR_RETURN(SpieceModel model, load_spiece_model(model_path));
  // ref: SiglipTokenizer.get_spm_processor: normalizer_spec.add_dummy_prefix = False.
  model.normalizer.add_dummy_prefix = false;
  CLIPSEARCH_ASSIGN_OR_RETURN(SentencePieceProcessor sp,
                              SentencePieceProcessor::create(model, model_path));
  SiglipVocab v{std::move(sp)};

  if (is_file(d / "added_tokens.json")) {
    return Status::unsupported((d / "added_tokens.json").string() +
                               ": added_tokens.json is not supported");
  }
  const fs::path config_path = d / "tokenizer_config.json";
  const std::string config_file = config_path.string();
  CLIPSEARCH_ASSIGN_OR_RETURN(json config, read_optional_json(config_path));
  CLIPSEARCH_RETURN_IF_ERROR(check_settings(config, config_file, &v));
  {
    CLIPSEARCH_ASSIGN_OR_RETURN(json model_config, read_optional_json(d / "config.json"));
    if (model_config.contains("model_type") && model_config["model_type"] == "siglip") {
      v.default_context_length = 64;
    }
  }

  // The special token attributes: tokenizer_config.json, SiglipTokenizer's defaults.
  json attrs = json::object();
  attrs["eos_token"] = "</s>";
  attrs["unk_token"] = "<unk>";
  attrs["pad_token"] = "</s>";
  std::string attrs_file = config_file;
  for (const char* key : kSpecialAttributes) {
    if (config.contains(key)) attrs[key] = config[key];
  }
  if (config.contains("additional_special_tokens")) {
    attrs["additional_special_tokens"] = config["additional_special_tokens"];
  }
  // added_tokens_decoder: id -> AddedToken.
  std::vector<std::pair<int64_t, TokenSpec>> decoder;
  const bool has_decoder = config.contains("added_tokens_decoder");
  if (has_decoder) {
    const json& dec = config["added_tokens_decoder"];
    if (!dec.is_object()) {
      return Status::corruption(config_file + ": added_tokens_decoder must be an object");
    }
    for (const auto& [key, value] : dec.items()) {
      const std::string where = config_file + ": added_tokens_decoder." + key;
      int64_t id = -1;
      try {
        size_t used = 0;
        id = std::stoll(key, &used);
        if (used != key.size()) id = -1;
      } catch (const std::exception&) {
        id = -1;
      }
      if (id < 0) return Status::corruption(where + ": the key is not an id");
      if (!value.is_object()) return Status::corruption(where + " must be an AddedToken object");
      // AddedToken(**dict): normalized defaults to `not special`, special to false.
      const bool special = value.contains("special") && value["special"] == true;
      CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<TokenSpec> spec, token_spec(value, where, special));
      decoder.emplace_back(id, *spec);
    }
  } else {
    // ref: _from_pretrained's legacy path: special_tokens_map.json overrides the attributes.
    const fs::path map_path = d / "special_tokens_map.json";
    CLIPSEARCH_ASSIGN_OR_RETURN(json map, read_optional_json(map_path));
    for (const auto& [key, value] : map.items()) attrs[key] = value;
    if (!map.empty()) attrs_file = map_path.string();
    if (is_file(d / "tokenizer.json")) {
      return Status::unsupported((d / "tokenizer.json").string() +
                                 ": a tokenizer.json beside spiece.model without "
                                 "added_tokens_decoder in tokenizer_config.json is not supported");
    }
  }

  // The added vocabulary: added_tokens_decoder, then the special tokens (ref: _add_tokens,
  // which gives a later registration of the same content its flags).
  auto add = [&](const TokenSpec& t, int32_t id) {
    std::u32string content;
    utf8_decode(t.content, &content);
    for (SiglipAddedToken& a : v.added) {
      if (a.content == content) {
        a = {content, a.id, t.lstrip, t.rstrip, t.normalized, t.special};
        return;
      }
    }
    v.added.push_back({content, id, t.lstrip, t.rstrip, t.normalized, t.special});
  };
  for (const auto& [id, t] : decoder) {
    if (id >= static_cast<int64_t>(v.sp.size())) {
      return Status::unsupported(config_file + ": added token \"" + t.content + "\" has id " +
                                 std::to_string(id) + ", past spiece.model's " +
                                 std::to_string(v.sp.size()) + " pieces");
    }
    add(t, static_cast<int32_t>(id));
  }
  auto id_of = [&](const std::string& content) -> int32_t {
    std::u32string c;
    utf8_decode(content, &c);
    for (const SiglipAddedToken& a : v.added) {
      if (a.content == c) return a.id;
    }
    const int32_t id = v.sp.piece_to_id(content);
    // piece_to_id gives unk for an unknown piece; only the unknown piece itself may have it.
    return id == v.sp.unk_id() && content != v.sp.id_to_piece(id) ? -1 : id;
  };
  std::vector<std::string> special_strings;
  auto register_special = [&](const json& value, const std::string& key,
                              bool siglip_default) -> Status {
    const std::string where = attrs_file + ": " + key;
    CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<TokenSpec> spec, token_spec(value, where, true));
    if (!spec) return Status();
    TokenSpec t = *spec;
    // A string registered in added_tokens_decoder takes that AddedToken (_from_pretrained);
    // else SiglipTokenizer.__init__ wraps eos/unk/pad strings with lstrip/rstrip.
    bool from_decoder = false;
    if (!t.is_object) {
      for (const auto& [id, d] : decoder) {
        if (d.content == t.content) t = d, from_decoder = true;
      }
    }
    if (!t.is_object && !from_decoder) {
      t.lstrip = t.rstrip = siglip_default;
      t.normalized = false;
    }
    t.special = true;
    const int32_t id = id_of(t.content);
    if (id < 0) {
      return Status::unsupported(where + " \"" + t.content +
                                 "\" is not in spiece.model (transformers would add it past "
                                 "the vocabulary)");
    }
    add(t, id);
    bool seen = false;
    for (const std::string& s : special_strings) seen = seen || s == t.content;
    if (!seen) special_strings.push_back(t.content);
    return Status();
  };
  for (const char* key : kSpecialAttributes) {
    if (!attrs.contains(key)) continue;
    const std::string k = key;
    CLIPSEARCH_RETURN_IF_ERROR(
        register_special(attrs[key], k, k == "eos_token" || k == "unk_token" || k == "pad_token"));
  }
  if (attrs.contains("additional_special_tokens") &&
      !attrs["additional_special_tokens"].is_null()) {
    const json& list = attrs["additional_special_tokens"];
    if (!list.is_array()) {
      return Status::corruption(attrs_file + ": additional_special_tokens must be a list");
    }
    for (const json& item : list) {
      CLIPSEARCH_RETURN_IF_ERROR(register_special(item, "additional_special_tokens", false));
    }
  }
  for (const char* key : {"eos_token", "unk_token", "pad_token"}) {
    if (attrs[key].is_null()) {
      return Status::unsupported(attrs_file + ": " + key + " null is not supported");
    }
  }
  auto content_of = [&](const char* key) {
    const json& value = attrs[key];
    return value.is_string() ? value.get<std::string>() : value["content"].get<std::string>();
  };
  v.eos_id = id_of(content_of("eos_token"));
  v.pad_id = id_of(content_of("pad_token"));
  utf8_decode(content_of("unk_token"), &v.unk_token);
  for (const std::string& s : special_strings) {
    std::u32string c;
    utf8_decode(s, &c);
    v.special_tokens.push_back(std::move(c));
  }
  return v;
}

}  // namespace clipsearch::text
