#include "text/unigram_encoder.h"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "text/json_file.h"
#include "text/unicode.h"
#include "text/utf8.h"

namespace clipsearch::text {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A special token as transformers gives it to tokenizers' add_special_tokens: a string, or an
// AddedToken object (tokenizer_config.json marks them "__type": "AddedToken").
struct SpecialSpec {
  std::string content;
  bool lstrip = false, rstrip = false, normalized = false, single_word = false;
};

Result<SpecialSpec> special_spec(const json& v, bool mask_default_lstrip, const std::string& what) {
  SpecialSpec s;
  if (v.is_string()) {
    s.content = v.get<std::string>();
    // ref: XLMRobertaTokenizerFast.__init__: a string mask_token becomes
    // AddedToken(mask_token, lstrip=True, rstrip=False).
    s.lstrip = mask_default_lstrip;
    return s;
  }
  if (!v.is_object() || !v.contains("content") || !v["content"].is_string()) {
    return Status::corruption(what + ": must be a string or an object with a string \"content\"");
  }
  s.content = v["content"].get<std::string>();
  for (auto [key, flag] : {std::pair<const char*, bool*>{"lstrip", &s.lstrip},
                           {"rstrip", &s.rstrip},
                           {"normalized", &s.normalized},
                           {"single_word", &s.single_word}}) {
    if (!v.contains(key) || v[key].is_null()) continue;  // unset: special tokens are not normalized
    if (!v[key].is_boolean())
      return Status::corruption(what + "." + key + ": must be true or false");
    *flag = v[key].get<bool>();
  }
  return s;
}

}  // namespace

Result<std::unique_ptr<UnigramEncoder>> UnigramEncoder::load(const std::string& dir,
                                                             const std::string& path,
                                                             const json& tj) {
  auto corrupt = [&](const std::string& key, const std::string& msg) {
    return Status::corruption(path + ": " + key + ": " + msg);
  };
  auto unsupported = [&](const std::string& key, const std::string& msg) {
    return Status::unsupported(path + ": " + key + ": " + msg);
  };
  if (!tj.is_object()) return Status::corruption(path + ": not a JSON object");

  // --- model
  if (!tj.contains("model") || !tj["model"].is_object()) return corrupt("model", "missing");
  const json& m = tj["model"];
  if (!m.contains("type") || !m["type"].is_string()) return corrupt("model.type", "missing");
  if (m["type"] != "Unigram") {
    return unsupported("model.type", "\"" + m["type"].get<std::string>() + "\" is not Unigram");
  }
  if (m.contains("byte_fallback") && m["byte_fallback"].is_boolean() &&
      m["byte_fallback"].get<bool>()) {
    return unsupported("model.byte_fallback", "true is not supported (tokenizers 0.13 has none)");
  }
  if (!m.contains("vocab") || !m["vocab"].is_array()) {
    return corrupt("model.vocab", "missing or not an array");
  }
  const json& jv = m["vocab"];
  if (jv.empty()) return corrupt("model.vocab", "empty (the unknown token is needed)");
  std::vector<std::pair<std::string, double>> vocab;
  vocab.reserve(jv.size());
  for (size_t i = 0; i < jv.size(); ++i) {
    const json& e = jv[i];
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number()) {
      return corrupt("model.vocab[" + std::to_string(i) + "]",
                     "must be [token string, score number], is " + e.dump().substr(0, 80));
    }
    vocab.emplace_back(e[0].get<std::string>(), e[1].get<double>());
  }
  if (!m.contains("unk_id") || m["unk_id"].is_null()) {
    return unsupported("model.unk_id", "a Unigram model without an unknown token is not supported");
  }
  if (!m["unk_id"].is_number_integer() || m["unk_id"].get<int64_t>() < 0 ||
      m["unk_id"].get<int64_t>() >= static_cast<int64_t>(vocab.size())) {
    return corrupt("model.unk_id", m["unk_id"].dump() + " is not an id of the " +
                                       std::to_string(vocab.size()) + "-token vocabulary");
  }
  const auto unk_id = static_cast<int32_t>(m["unk_id"].get<int64_t>());
  const size_t model_size = vocab.size();
  std::unique_ptr<UnigramEncoder> enc(new UnigramEncoder(UnigramModel(std::move(vocab), unk_id)));

  // --- normalizer
  std::vector<std::pair<std::string, const json*>> pending;
  if (tj.contains("normalizer") && !tj["normalizer"].is_null()) {
    pending.emplace_back("normalizer", &tj["normalizer"]);
  }
  for (size_t k = 0; k < pending.size(); ++k) {
    const auto [key, node] = pending[k];
    if (!node->is_object() || !node->contains("type") || !(*node)["type"].is_string()) {
      return corrupt(key, "not an object with a \"type\"");
    }
    const std::string type = (*node)["type"].get<std::string>();
    if (type == "Sequence") {
      if (!node->contains("normalizers") || !(*node)["normalizers"].is_array()) {
        return corrupt(key + ".normalizers", "missing or not an array");
      }
      const json& list = (*node)["normalizers"];
      std::vector<std::pair<std::string, const json*>> inner;
      for (size_t i = 0; i < list.size(); ++i) {
        inner.emplace_back(key + ".normalizers[" + std::to_string(i) + "]", &list[i]);
      }
      pending.insert(pending.begin() + static_cast<std::ptrdiff_t>(k) + 1, inner.begin(),
                     inner.end());
    } else if (type == "Precompiled") {
      const std::string what = key + ".precompiled_charsmap";
      if (!node->contains("precompiled_charsmap") || !(*node)["precompiled_charsmap"].is_string()) {
        return corrupt(what, "missing or not a string");
      }
      auto blob = base64_decode((*node)["precompiled_charsmap"].get<std::string>());
      if (!blob) return corrupt(what, "not valid base64");
      CLIPSEARCH_ASSIGN_OR_RETURN(PrecompiledCharsmap map,
                                  PrecompiledCharsmap::parse(*blob, path + ": " + what));
      enc->normalizer_.push_back({NormalizerStep::Kind::kPrecompiled, std::move(map), {}, {}});
    } else if (type == "Replace") {
      const json* pat = node->contains("pattern") ? &(*node)["pattern"] : nullptr;
      if (!node->contains("content") || !(*node)["content"].is_string()) {
        return corrupt(key + ".content", "missing or not a string");
      }
      std::string content = (*node)["content"].get<std::string>();
      if (pat && pat->is_object() && pat->contains("String") && (*pat)["String"].is_string() &&
          !(*pat)["String"].get<std::string>().empty()) {
        enc->normalizer_.push_back({NormalizerStep::Kind::kReplaceString,
                                    {},
                                    (*pat)["String"].get<std::string>(),
                                    std::move(content)});
      } else if (pat && pat->is_object() && pat->contains("Regex") && (*pat)["Regex"] == " {2,}") {
        enc->normalizer_.push_back(
            {NormalizerStep::Kind::kReplaceSpaceRuns, {}, {}, std::move(content)});
      } else {
        return unsupported(key + ".pattern",
                           (pat ? pat->dump() : std::string("null")) +
                               " (supported: a non-empty String, or the Regex \" {2,}\")");
      }
    } else {
      return unsupported(key + ".type", "normalizer \"" + type + "\" is not supported");
    }
  }

  // --- pre-tokenizer
  if (tj.contains("pre_tokenizer") && !tj["pre_tokenizer"].is_null()) {
    const json& p = tj["pre_tokenizer"];
    if (!p.is_object() || !p.contains("type") || p["type"] != "Metaspace") {
      return unsupported("pre_tokenizer.type",
                         p.contains("type") ? p["type"].dump() + " is not Metaspace" : "missing");
    }
    if (!p.contains("replacement") || !p["replacement"].is_string()) {
      return corrupt("pre_tokenizer.replacement", "missing or not a string");
    }
    std::u32string rep;
    const std::string rep_utf8 = p["replacement"].get<std::string>();
    if (utf8_decode(rep_utf8, &rep) != 0 || rep.size() != 1) {
      return corrupt("pre_tokenizer.replacement", "must be one character");
    }
    if (p.contains("add_prefix_space") && !p["add_prefix_space"].is_boolean()) {
      return corrupt("pre_tokenizer.add_prefix_space", "must be true or false");
    }
    if (p.contains("prepend_scheme")) {
      return unsupported("pre_tokenizer.prepend_scheme",
                         "not supported (tokenizers 0.13 has none)");
    }
    enc->metaspace_ = true;
    enc->metaspace_replacement_ = rep_utf8;
    enc->add_prefix_space_ = p.value("add_prefix_space", true);
  }

  // --- added tokens: tokenizer.json's, then the special tokens transformers adds on loading
  // (added_vocabulary.h: a token keeps the split it was first put in, raw or normalized text; a
  // later add of the same content replaces its strip flags).
  const UnigramModel* model = &enc->model_;
  enc->added_ = std::make_unique<AddedVocabulary>(
      [model](std::string_view token) { return model->token_id(token); }, model_size);
  auto add = [&](const SpecialSpec& s, const std::string& what) -> Status {
    AddedTokenSpec spec;
    spec.content = s.content;
    spec.normalized = s.normalized;
    spec.lstrip = s.lstrip;
    spec.rstrip = s.rstrip;
    spec.single_word = s.single_word;
    return enc->added_->add(spec, path + ": " + what);
  };
  if (tj.contains("added_tokens") && !tj["added_tokens"].is_null()) {
    const json& list = tj["added_tokens"];
    if (!list.is_array()) return corrupt("added_tokens", "not an array");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string what = "added_tokens[" + std::to_string(i) + "]";
      if (!list[i].is_object()) return corrupt(what, "not an object");
      // A token of tokenizer.json that is not special defaults to normalized (AddedToken's
      // default); the file always writes the flag.
      json tok = list[i];
      if (!tok.contains("normalized")) tok["normalized"] = !tok.value("special", false);
      auto spec = special_spec(tok, false, path + ": " + what);
      if (!spec.ok()) return spec.status();
      CLIPSEARCH_RETURN_IF_ERROR(add(*spec, what));
    }
  }
  // ref: transformers 4.25 PreTrainedTokenizerBase._from_pretrained: tokenizer_config.json,
  // overridden by special_tokens_map.json, over the class defaults; then
  // sanitize_special_tokens() adds all_special_tokens_extended in this order.
  static const char* const kAttributes[] = {
      "bos_token", "eos_token", "unk_token",  "sep_token",
      "pad_token", "cls_token", "mask_token", "additional_special_tokens"};
  std::map<std::string, std::pair<json, std::string>> specials = {
      {"bos_token", {"<s>", "XLMRobertaTokenizerFast default"}},
      {"eos_token", {"</s>", "XLMRobertaTokenizerFast default"}},
      {"unk_token", {"<unk>", "XLMRobertaTokenizerFast default"}},
      {"sep_token", {"</s>", "XLMRobertaTokenizerFast default"}},
      {"pad_token", {"<pad>", "XLMRobertaTokenizerFast default"}},
      {"cls_token", {"<s>", "XLMRobertaTokenizerFast default"}},
      {"mask_token", {"<mask>", "XLMRobertaTokenizerFast default"}},
  };
  for (const char* file : {"tokenizer_config.json", "special_tokens_map.json"}) {
    const fs::path fp = fs::path(dir) / file;
    CLIPSEARCH_ASSIGN_OR_RETURN(json cfg, read_optional_json_object(fp.string()));
    if (cfg.is_null()) continue;
    for (const char* attr : kAttributes) {
      if (cfg.contains(attr)) specials[attr] = {cfg[attr], fp.string() + ": " + attr};
    }
  }
  for (const char* attr : kAttributes) {
    auto it = specials.find(attr);
    if (it == specials.end() || it->second.first.is_null()) continue;
    const json& v = it->second.first;
    const std::string& what = it->second.second;
    std::vector<const json*> values;
    if (std::string(attr) == "additional_special_tokens") {
      if (!v.is_array()) return Status::corruption(what + ": not an array");
      for (const json& e : v) values.push_back(&e);
    } else {
      values.push_back(&v);
    }
    for (const json* e : values) {
      auto spec = special_spec(*e, std::string(attr) == "mask_token", what);
      if (!spec.ok()) return spec.status();
      Status st = add(*spec, what);
      if (!st.ok()) return Status::unsupported(what + ": single_word tokens are not supported");
    }
  }
  enc->added_->finish([&](std::string_view content) {
    std::string n;
    enc->normalize(content, &n);
    return n;
  });
  const int64_t vocab_size = static_cast<int64_t>(enc->added_->vocab_size());

  // --- post-processor: the start and end tokens.
  if (!tj.contains("post_processor") || !tj["post_processor"].is_object()) {
    return unsupported("post_processor", "missing: the start and end tokens come from it");
  }
  const json& pp = tj["post_processor"];
  const std::string pp_type = pp.value("type", "");
  if (pp_type == "TemplateProcessing") {
    const json* single = pp.contains("single") ? &pp["single"] : nullptr;
    auto special_of = [&](const json& piece) -> std::string {
      if (piece.is_object() && piece.contains("SpecialToken") &&
          piece["SpecialToken"].is_object() && piece["SpecialToken"].contains("id") &&
          piece["SpecialToken"]["id"].is_string()) {
        return piece["SpecialToken"]["id"].get<std::string>();
      }
      return {};
    };
    if (!single || !single->is_array() || single->size() != 3 || special_of((*single)[0]).empty() ||
        !(*single)[1].is_object() || !(*single)[1].contains("Sequence") ||
        special_of((*single)[2]).empty()) {
      return unsupported("post_processor.single",
                         "only the template <start> $A <end> is supported");
    }
    int32_t* targets[] = {&enc->start_id_, &enc->end_id_};
    const std::string names[] = {special_of((*single)[0]), special_of((*single)[2])};
    for (int k = 0; k < 2; ++k) {
      const std::string key = "post_processor.special_tokens[\"" + names[k] + "\"]";
      const json* st = pp.contains("special_tokens") && pp["special_tokens"].is_object() &&
                               pp["special_tokens"].contains(names[k])
                           ? &pp["special_tokens"][names[k]]
                           : nullptr;
      if (!st || !st->contains("ids") || !(*st)["ids"].is_array() || (*st)["ids"].size() != 1 ||
          !(*st)["ids"][0].is_number_integer()) {
        return corrupt(key, "missing, or not exactly one id");
      }
      const int64_t id = (*st)["ids"][0].get<int64_t>();
      if (id < 0 || id >= vocab_size) {
        return corrupt(key, std::to_string(id) + " is outside the vocabulary");
      }
      *targets[k] = static_cast<int32_t>(id);
    }
  } else if (pp_type == "RobertaProcessing" || pp_type == "BertProcessing") {
    int32_t* targets[] = {&enc->start_id_, &enc->end_id_};
    const char* keys[] = {"cls", "sep"};
    for (int k = 0; k < 2; ++k) {
      const std::string key = std::string("post_processor.") + keys[k];
      const json* e = pp.contains(keys[k]) ? &pp[keys[k]] : nullptr;
      if (!e || !e->is_array() || e->size() != 2 || !(*e)[1].is_number_integer() ||
          (*e)[1].get<int64_t>() < 0 || (*e)[1].get<int64_t>() >= vocab_size) {
        return corrupt(key, "must be [token, id] with an id of the vocabulary");
      }
      *targets[k] = static_cast<int32_t>((*e)[1].get<int64_t>());
    }
  } else {
    return unsupported("post_processor.type", "\"" + pp_type + "\" is not supported");
  }
  return enc;
}

void UnigramEncoder::normalize(std::string_view text, std::string* out) const {
  std::string cur(text), next;
  for (const NormalizerStep& step : normalizer_) {
    next.clear();
    switch (step.kind) {
      case NormalizerStep::Kind::kPrecompiled:
        step.charsmap.normalize(cur, &next);
        break;
      case NormalizerStep::Kind::kReplaceString:
        for (size_t i = 0; i < cur.size();) {
          if (cur.compare(i, step.pattern.size(), step.pattern) == 0) {
            next += step.content;
            i += step.pattern.size();
          } else {
            next.push_back(cur[i++]);
          }
        }
        break;
      case NormalizerStep::Kind::kReplaceSpaceRuns:
        // ref: tokenizers Replace(Regex(" {2,}")): every run of two or more spaces.
        for (size_t i = 0; i < cur.size();) {
          size_t j = i;
          while (j < cur.size() && cur[j] == ' ') ++j;
          if (j - i >= 2) {
            next += step.content;
            i = j;
          } else {
            next.push_back(cur[i++]);
          }
        }
        break;
    }
    cur.swap(next);
  }
  out->append(cur);
}

bool UnigramEncoder::split_added(std::string_view text, bool normalized, size_t limit,
                                 std::vector<int32_t>* ids,
                                 const std::function<bool(std::string_view)>& on_text) const {
  const bool whole = added_->split(
      text, normalized,
      [&](int32_t id) {
        if (ids->size() >= limit) return false;
        ids->push_back(id);
        return true;
      },
      on_text);
  return whole && ids->size() < limit;
}

bool UnigramEncoder::encode_normalized(std::string_view text, size_t limit,
                                       std::vector<int32_t>* ids) {
  if (!metaspace_) {
    if (ids->size() >= limit) return false;
    model_.encode(text, &scratch_, ids);
    return ids->size() < limit;
  }
  // ref: tokenizers pre_tokenizers/metaspace.rs: ' ' -> U+2581, a prefix U+2581 unless there is
  // one, then split before every U+2581 (SplitDelimiterBehavior::MergedWithNext).
  const std::string& rep = metaspace_replacement_;
  tmp_.clear();
  for (char c : text) {
    if (c == ' ') {
      tmp_ += rep;
    } else {
      tmp_.push_back(c);
    }
  }
  word_.clear();
  if (add_prefix_space_ && tmp_.compare(0, rep.size(), rep) != 0) word_ = rep;
  word_ += tmp_;
  size_t begin = 0;
  for (size_t i = 1; i <= word_.size(); ++i) {
    if (i < word_.size() && word_.compare(i, rep.size(), rep) != 0) continue;
    if (i > begin) {
      if (ids->size() >= limit) return false;
      model_.encode(std::string_view(word_).substr(begin, i - begin), &scratch_, ids);
    }
    begin = i;
    if (i == word_.size()) break;
  }
  return ids->size() < limit;
}

void UnigramEncoder::encode(const std::u32string& text, size_t limit, std::vector<int32_t>* ids) {
  utf8_ = utf8_encode(text);
  split_added(utf8_, /*normalized=*/false, limit, ids, [&](std::string_view raw) {
    normalized_.clear();
    normalize(raw, &normalized_);
    return split_added(normalized_, /*normalized=*/true, limit, ids, [&](std::string_view piece) {
      return encode_normalized(piece, limit, ids);
    });
  });
}

}  // namespace clipsearch::text
