// Reading configuration JSON: typed fields with the reference's defaults and errors that name
// the file and the key. Shared by the Hugging Face and open_clip configuration parsers.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "clipsearch/status.h"
#include "model/clip_config.h"

namespace clipsearch::config_json {

using nlohmann::json;

// Upper bound on any single size: far above every published CLIP, low enough that products of
// sizes cannot overflow.
constexpr int64_t kMaxDim = 1 << 16;
// Upper bound on a vocabulary: XLM-R has 250,002 tokens, Gemma's 256,000.
constexpr int64_t kMaxVocab = 1 << 20;

class Reader {
 public:
  Reader(const json& object, std::string where) : object_(object), where_(std::move(where)) {}

  Status integer(const char* key, int64_t fallback, int64_t* out, int64_t max = kMaxDim) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      *out = fallback;
      return Status();
    }
    if (!it->is_number_integer()) return error(key, "is not an integer");
    int64_t v = it->get<int64_t>();
    if (v < 1 || v > max) {
      return error(key, "is " + std::to_string(v) + ", expected 1.." + std::to_string(max));
    }
    *out = v;
    return Status();
  }

  Status number(const char* key, double fallback, double* out) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      *out = fallback;
      return Status();
    }
    if (!it->is_number()) return error(key, "is not a number");
    *out = it->get<double>();
    return Status();
  }

  Status string(const char* key, const std::string& fallback, std::string* out) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      *out = fallback;
      return Status();
    }
    if (!it->is_string()) return error(key, "is not a string");
    *out = it->get<std::string>();
    return Status();
  }

  Status boolean(const char* key, bool fallback, bool* out) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      *out = fallback;
      return Status();
    }
    if (!it->is_boolean()) return error(key, "is not true or false");
    *out = it->get<bool>();
    return Status();
  }

  // Whether `key` is present with the value null.
  bool has_null(const char* key) const {
    auto it = object_.find(key);
    return it != object_.end() && it->is_null();
  }
  // Fails if `key` is present and not equal to the value the engine implements.
  Status require_default(const char* key, const json& expected) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null() || *it == expected) return Status();
    return unsupported(key, "is " + it->dump() + "; only " + expected.dump() + " is supported");
  }

  // A value that is wrong in itself (not an integer, out of range).
  Status error(const char* key, const std::string& what) const {
    return Status::invalid_argument(where_ + key + " " + what);
  }
  // A valid value naming a feature the engine does not implement.
  Status unsupported(const char* key, const std::string& what) const {
    return Status::unsupported(where_ + key + " " + what);
  }
  const std::string& where() const { return where_; }

 private:
  const json& object_;
  std::string where_;
};

inline Result<json> parse_object(const std::string& text, const std::string& name) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status::corruption(name + ": not valid JSON");
  if (!parsed.is_object()) return Status::corruption(name + ": not a JSON object");
  return parsed;
}

inline Result<Activation> parse_activation(const std::string& name, const std::string& where) {
  if (name == "quick_gelu") return Activation::kQuickGelu;
  if (name == "gelu") return Activation::kGelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") {
    return Activation::kGeluTanh;
  }
  if (name == "relu") return Activation::kRelu;
  return Status::unsupported(where + "hidden_act is '" + name +
                             "'; supported: quick_gelu, gelu, gelu_new, gelu_pytorch_tanh, relu");
}

inline Status check_heads(const TransformerConfig& t, const std::string& where) {
  if (t.width % t.heads != 0) {
    return Status::invalid_argument(where + "hidden size " + std::to_string(t.width) +
                                    " is not divisible by the number of heads " +
                                    std::to_string(t.heads));
  }
  return Status();
}

}  // namespace clipsearch::config_json
