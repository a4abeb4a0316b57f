#include "text/gemma_encoder.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "text/gemma_tokenizer_config.h"
#include "text/utf8.h"
#include "text/vocab_json.h"

namespace clipsearch::text {

using nlohmann::json;

namespace {

// The largest context length taken from model_max_length (transformers writes 1e30 for "none").
constexpr int64_t kMaxContext = 1 << 20;

const json* member(const json& j, const char* key) {
  return j.is_object() && j.contains(key) ? &j[key] : nullptr;
}

// A {"String": s} pattern's string; nullptr for anything else (a Regex).
const std::string* literal_pattern(const json* pattern) {
  const json* s = pattern ? member(*pattern, "String") : nullptr;
  return s && s->is_string() && !s->get_ref<const std::string&>().empty()
             ? &s->get_ref<const std::string&>()
             : nullptr;
}

}  // namespace

Result<std::unique_ptr<GemmaEncoder>> GemmaEncoder::load(const std::string& dir,
                                                         const std::string& path,
                                                         std::string_view text) {
  auto corrupt = [&](const std::string& key, const std::string& msg) {
    return Status::corruption(path + ": " + key + ": " + msg);
  };
  auto unsupported = [&](const std::string& key, const std::string& msg) {
    return Status::unsupported(path + ": " + key + ": " + msg);
  };
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<JsonMember> top, split_json_object(text, path));
  std::string_view model_text;
  json normalizer, pre_tokenizer, added_tokens, padding;
  for (const JsonMember& m : top) {
    if (m.key == "model") {
      model_text = m.value;
      continue;
    }
    if (m.key == "post_processor" || m.key == "decoder" || m.key == "version") {
      continue;  // rebuilt by GemmaTokenizerFast; decoding only; the format version
    }
    json v = json::parse(m.value, nullptr, /*allow_exceptions=*/false);
    if (v.is_discarded()) return corrupt(m.key, "not valid JSON");
    if (m.key == "normalizer") {
      normalizer = std::move(v);
    } else if (m.key == "pre_tokenizer") {
      pre_tokenizer = std::move(v);
    } else if (m.key == "added_tokens") {
      added_tokens = std::move(v);
    } else if (m.key == "padding") {
      padding = std::move(v);
    } else if (m.key == "truncation") {
      // transformers sets truncation per call; the file's only default that matters is the side.
      if (!v.is_null() && !(v.is_object() && v.value("direction", "Right") == "Right")) {
        return unsupported("truncation", v.dump() + " (only null or direction \"Right\")");
      }
    } else {
      return unsupported(m.key, "unknown key (not reproduced)");
    }
  }
  if (model_text.empty()) return corrupt("model", "missing");
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<JsonMember> model_members,
                              split_json_object(model_text, path, "model"));
  CLIPSEARCH_ASSIGN_OR_RETURN(BpeModel model, BpeModel::load(model_members, path));
  std::unique_ptr<GemmaEncoder> enc(new GemmaEncoder(std::move(model)));

  // --- normalizer: Replace of a literal string, Prepend, or a Sequence of them.
  std::vector<std::pair<std::string, const json*>> pending;
  if (!normalizer.is_null()) pending.emplace_back("normalizer", &normalizer);
  for (size_t k = 0; k < pending.size(); ++k) {
    const auto [key, node] = pending[k];
    const json* type = member(*node, "type");
    if (!type || !type->is_string()) return corrupt(key, "not an object with a \"type\"");
    if (*type == "Sequence") {
      const json* list = member(*node, "normalizers");
      if (!list || !list->is_array())
        return corrupt(key + ".normalizers", "missing or not an array");
      std::vector<std::pair<std::string, const json*>> inner;
      for (size_t i = 0; i < list->size(); ++i) {
        inner.emplace_back(key + ".normalizers[" + std::to_string(i) + "]", &(*list)[i]);
      }
      pending.insert(pending.begin() + static_cast<std::ptrdiff_t>(k) + 1, inner.begin(),
                     inner.end());
    } else if (*type == "Replace") {
      const std::string* pattern = literal_pattern(member(*node, "pattern"));
      const json* content = member(*node, "content");
      if (!pattern) {
        return unsupported(key + ".pattern", "only a non-empty {\"String\": ...} is supported");
      }
      if (!content || !content->is_string()) return corrupt(key + ".content", "not a string");
      enc->normalizer_.push_back(
          {NormalizerStep::Kind::kReplace, *pattern, content->get<std::string>()});
    } else if (*type == "Prepend") {
      const json* prepend = member(*node, "prepend");
      if (!prepend || !prepend->is_string()) return corrupt(key + ".prepend", "not a string");
      enc->normalizer_.push_back({NormalizerStep::Kind::kPrepend, {}, prepend->get<std::string>()});
    } else {
      return unsupported(key + ".type", "normalizer " + type->dump() + " is not supported");
    }
  }

  // --- pre-tokenizer: none, or Split on a literal string.
  if (!pre_tokenizer.is_null()) {
    const json* type = member(pre_tokenizer, "type");
    if (!type || *type != "Split") {
      return unsupported("pre_tokenizer.type", (type ? type->dump() : std::string("missing")) +
                                                   " (only Split on a string is supported)");
    }
    const std::string* pattern = literal_pattern(member(pre_tokenizer, "pattern"));
    if (!pattern) {
      return unsupported("pre_tokenizer.pattern",
                         "only a non-empty {\"String\": ...} is supported");
    }
    const json* invert = member(pre_tokenizer, "invert");
    if (invert && *invert != false) return unsupported("pre_tokenizer.invert", "only false");
    static const std::pair<const char*, SplitBehavior> kBehaviors[] = {
        {"Removed", SplitBehavior::kRemoved},
        {"Isolated", SplitBehavior::kIsolated},
        {"MergedWithPrevious", SplitBehavior::kMergedWithPrevious},
        {"MergedWithNext", SplitBehavior::kMergedWithNext},
        {"Contiguous", SplitBehavior::kContiguous}};
    const json* behavior = member(pre_tokenizer, "behavior");
    bool known = false;
    for (const auto& [name, b] : kBehaviors) {
      if (behavior && *behavior == name) enc->split_behavior_ = b, known = true;
    }
    if (!known) return corrupt("pre_tokenizer.behavior", "missing or unknown");
    enc->split_ = true;
    enc->split_pattern_ = *pattern;
  }

  // --- the transformers layer: tokenizer_config.json, special_tokens_map.json.
  TokenizerJsonPadding pad_default;
  if (!padding.is_null()) {
    pad_default.present = true;
    pad_default.left = padding.value("direction", "Right") == "Left";
    const json* pad = member(padding, "pad_token");
    if (pad && pad->is_string()) pad_default.pad_token = pad->get<std::string>();
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(GemmaTokenizerConfig cfg,
                              read_gemma_tokenizer_config(dir, pad_default));

  // --- added tokens: tokenizer.json's (their ids recomputed, as tokenizers does on loading),
  // then those transformers adds.
  const BpeModel* m = &enc->model_;
  enc->added_ = std::make_unique<AddedVocabulary>(
      [m](std::string_view token) { return m->token_id(token); }, m->size());
  if (!added_tokens.is_null()) {
    if (!added_tokens.is_array()) return corrupt("added_tokens", "not an array");
    for (size_t i = 0; i < added_tokens.size(); ++i) {
      const std::string what = path + ": added_tokens[" + std::to_string(i) + "]";
      const json& t = added_tokens[i];
      if (!t.is_object() || !t.contains("content") || !t["content"].is_string()) {
        return Status::corruption(what + ": not an object with a string \"content\"");
      }
      AddedTokenSpec spec;
      spec.content = t["content"].get<std::string>();
      for (auto [key, flag] : {std::pair<const char*, bool*>{"special", &spec.special},
                               {"normalized", &spec.normalized},
                               {"lstrip", &spec.lstrip},
                               {"rstrip", &spec.rstrip},
                               {"single_word", &spec.single_word}}) {
        if (!t.contains(key)) continue;
        if (!t[key].is_boolean()) return Status::corruption(what + "." + key + ": not a boolean");
        *flag = t[key].get<bool>();
      }
      if (!t.contains("normalized")) spec.normalized = !spec.special;
      CLIPSEARCH_RETURN_IF_ERROR(enc->added_->add(spec, what));
    }
  }
  for (const auto& [spec, what] : cfg.added) {
    CLIPSEARCH_RETURN_IF_ERROR(enc->added_->add(spec, what));
  }
  GemmaEncoder* self = enc.get();
  enc->added_->finish([self](std::string_view s) { return self->normalize(s); });

  // --- framing: ref: GemmaTokenizerFast.update_post_processor; padding="max_length".
  auto special_id = [&](const std::string& name, const std::string& source,
                        const char* what) -> Result<int32_t> {
    if (name.empty()) {
      return Status::invalid_argument(source + ": " + what + " is null but the tokenizer needs it");
    }
    const int32_t id = enc->added_->token_id(name);
    if (id < 0) return Status::corruption(source + ": " + what + " \"" + name + "\" has no id");
    return id;
  };
  if (cfg.add_bos) {
    CLIPSEARCH_ASSIGN_OR_RETURN(int32_t id, special_id(cfg.bos, cfg.bos_source, "bos_token"));
    enc->framing_.start = id;
  }
  if (cfg.add_eos) {
    CLIPSEARCH_ASSIGN_OR_RETURN(int32_t id, special_id(cfg.eos, cfg.eos_source, "eos_token"));
    enc->framing_.end = id;
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(enc->framing_.pad_id,
                              special_id(cfg.pad, cfg.pad_source, "pad_token"));
  enc->framing_.pad_to_context = true;
  enc->framing_.pad_left = cfg.pad_left;
  if (cfg.model_max_length >= 2 && cfg.model_max_length <= kMaxContext) {
    enc->model_max_length_ = static_cast<int>(cfg.model_max_length);
  }
  return enc;
}

std::string GemmaEncoder::normalize(std::string_view text) const {
  std::string cur(text), next;
  for (const NormalizerStep& step : normalizer_) {
    if (step.kind == NormalizerStep::Kind::kPrepend) {
      // ref: tokenizers normalizers/prepend.rs: only a non-empty string gets the prefix.
      if (!cur.empty()) cur.insert(0, step.content);
      continue;
    }
    // ref: normalizers/replace.rs with a String pattern: every occurrence, left to right.
    next.clear();
    for (size_t i = 0; i < cur.size();) {
      if (cur.compare(i, step.pattern.size(), step.pattern) == 0) {
        next += step.content;
        i += step.pattern.size();
      } else {
        next.push_back(cur[i++]);
      }
    }
    cur.swap(next);
  }
  return cur;
}

// The Split pre-tokenizer, then the model on each piece. Returns false once `limit` ids are in.
bool GemmaEncoder::encode_piece(std::string_view piece, size_t limit, std::vector<int32_t>* ids) {
  auto emit = [&](size_t begin, size_t end) {
    if (end > begin && ids->size() < limit) model_.tokenize(piece.substr(begin, end - begin), ids);
  };
  if (!split_) {
    emit(0, piece.size());
    return ids->size() < limit;
  }
  // ref: tokenizers NormalizedString::split: the stretches and matches of the pattern, then the
  // behaviour decides what is kept and what goes together; empty pieces are dropped.
  struct Span {
    size_t begin, end;
    bool match;
  };
  std::vector<Span> spans;
  size_t prev = 0;
  for (size_t i = piece.find(split_pattern_); i != std::string_view::npos;
       i = piece.find(split_pattern_, prev)) {
    if (prev != i) spans.push_back({prev, i, false});
    prev = i + split_pattern_.size();
    spans.push_back({i, prev, true});
  }
  if (prev != piece.size()) spans.push_back({prev, piece.size(), false});
  std::vector<Span> out;  // `match` now means "removed"
  bool previous_match = false;
  switch (split_behavior_) {
    case SplitBehavior::kRemoved:
      out = spans;
      break;
    case SplitBehavior::kIsolated:
      for (Span s : spans) out.push_back({s.begin, s.end, false});
      break;
    case SplitBehavior::kContiguous:
      for (Span s : spans) {
        if (s.match == previous_match && !out.empty()) {
          out.back().end = s.end;
        } else {
          out.push_back({s.begin, s.end, false});
        }
        previous_match = s.match;
      }
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (Span s : spans) {
        if (s.match && !previous_match && !out.empty()) {
          out.back().end = s.end;
        } else {
          out.push_back({s.begin, s.end, false});
        }
        previous_match = s.match;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->match && !previous_match && !out.empty()) {
          out.back().begin = it->begin;
        } else {
          out.push_back({it->begin, it->end, false});
        }
        previous_match = it->match;
      }
      std::reverse(out.begin(), out.end());
      break;
  }
  for (const Span& s : out) {
    if (!s.match) emit(s.begin, s.end);
  }
  return ids->size() < limit;
}

void GemmaEncoder::encode(const std::u32string& text, size_t limit, std::vector<int32_t>* ids) {
  utf8_ = utf8_encode(text);
  auto on_token = [&](int32_t id) {
    if (ids->size() >= limit) return false;
    ids->push_back(id);
    return true;
  };
  added_->split(utf8_, /*normalized=*/false, on_token, [&](std::string_view raw) {
    normalized_ = normalize(raw);
    return added_->split(normalized_, /*normalized=*/true, on_token,
                         [&](std::string_view piece) { return encode_piece(piece, limit, ids); });
  });
}

}  // namespace clipsearch::text
