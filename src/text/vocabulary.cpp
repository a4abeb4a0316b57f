#include "text/vocabulary.h"

#include <zlib.h>

#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/errno_status.h"
#include "core/read_file.h"
#include "text/utf8.h"
#include "text/vocab_json.h"

namespace clipsearch::text {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// ref: transformers' CLIPTokenizer and open_clip's SimpleTokenizer both keep the first
// 49152 - 256 - 2 merges of the file and ignore the rest.
constexpr size_t kMaxMerges = 49152 - 256 - 2;
constexpr char kEndOfWord[] = "</w>";

// Reads a gzip file up to its first `max_lines` lines (or all of it).
Result<std::string> read_gzip(const fs::path& path, size_t max_lines) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) {
    const int err = errno;  // gzopen leaves open(2)'s errno
    return errno_status(err, path.string() + ": cannot open");
  }
  std::string data;
  char buf[1 << 16];
  int n;
  size_t lines = 0;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) {
    data.append(buf, static_cast<size_t>(n));
    for (int k = 0; k < n; ++k) lines += buf[k] == '\n';
    if (lines >= max_lines) break;
  }
  int err = 0;
  const char* msg = gzerror(f, &err);
  std::string error = (n < 0 || err < 0) ? std::string(msg ? msg : "gzip error") : "";
  if (error.empty() && data.empty()) error = "empty";
  gzclose(f);
  if (!error.empty())
    return Status::corruption(path.string() + ": not a valid gzip file (" + error + ")");
  return data;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    pos = nl + 1;
  }
  return lines;
}

std::u32string to_u32(std::string_view s) {
  std::u32string out;
  utf8_decode(s, &out);
  return out;
}

// Fills byte_ids/byte_end_ids; every byte must have both symbols.
Status index_bytes(Vocabulary* v) {
  for (int b = 0; b < 256; ++b) {
    std::string sym;
    utf8_append(byte_to_unicode(static_cast<uint8_t>(b)), &sym);
    int32_t id = v->token_to_id.find(sym);
    int32_t id_end = v->token_to_id.find(sym + kEndOfWord);
    if (id < 0 || id_end < 0) {
      return Status::corruption(v->source + ": the byte-level symbol of byte " + std::to_string(b) +
                                " (\"" + sym + "\") is missing");
    }
    v->byte_ids[b] = id;
    v->byte_end_ids[b] = id_end;
  }
  return Status();
}

// Adds merge rules from "left right" lines, in rank order.
Status add_merges(const std::vector<std::string_view>& lines, size_t first, size_t count,
                  const std::string& file, Vocabulary* v) {
  int32_t rank = 0;
  std::string merged;
  v->merges.reserve(std::min(count, lines.size()));
  for (size_t i = first; i < lines.size() && static_cast<size_t>(rank) < count; ++i) {
    std::string_view line = lines[i];
    if (line.empty()) continue;
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos || line.find(' ', sp + 1) != std::string_view::npos) {
      return Status::corruption(file + ": line " + std::to_string(i + 1) +
                                ": expected two symbols separated by one space");
    }
    std::string_view left = line.substr(0, sp), right = line.substr(sp + 1);
    merged.assign(left);
    merged.append(right);
    int32_t l = v->token_to_id.find(left), r = v->token_to_id.find(right);
    int32_t m = v->token_to_id.find(merged);
    if (l < 0 || r < 0 || m < 0) {
      return Status::corruption(file + ": line " + std::to_string(i + 1) + ": merge \"" +
                                std::string(line) + "\" uses a token missing from the vocabulary");
    }
    v->merges.set(l, r, MergeRule{rank++, m});  // a repeated pair keeps its last rank
  }
  return Status();
}

// A special token's name in special_tokens_map.json / tokenizer_config.json: a string or an
// AddedToken object with "content".
std::string token_name(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content") && j["content"].is_string()) return j["content"];
  return "";
}

Result<json> read_json(const fs::path& path) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string text, read_file(path));
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::corruption(path.string() + ": not valid JSON");
  return j;
}

Status load_special_tokens_hf(const fs::path& dir, Vocabulary* v) {
  std::string bos = "<|startoftext|>", eos = "<|endoftext|>";  // CLIPTokenizer's defaults
  std::vector<std::string> others = {"<|endoftext|>"};         // unk and pad
  for (const char* name : {"tokenizer_config.json", "special_tokens_map.json"}) {
    fs::path p = dir / name;
    if (!fs::exists(p)) continue;
    CLIPSEARCH_ASSIGN_OR_RETURN(json j, read_json(p));
    if (!j.is_object()) return Status::corruption(p.string() + ": expected a JSON object");
    if (j.contains("bos_token") && !token_name(j["bos_token"]).empty())
      bos = token_name(j["bos_token"]);
    if (j.contains("eos_token") && !token_name(j["eos_token"]).empty())
      eos = token_name(j["eos_token"]);
    for (const char* key : {"unk_token", "pad_token"}) {
      if (j.contains(key) && !token_name(j[key]).empty()) others.push_back(token_name(j[key]));
    }
  }
  auto id_of = [&](const std::string& name, const char* role) -> Result<int32_t> {
    int32_t id = v->token_to_id.find(name);
    if (id < 0) {
      return Status::corruption(v->source + ": the " + std::string(role) + " token \"" + name +
                                "\" is not in the vocabulary");
    }
    return id;
  };
  CLIPSEARCH_ASSIGN_OR_RETURN(v->start_id, id_of(bos, "start-of-text (bos)"));
  CLIPSEARCH_ASSIGN_OR_RETURN(v->end_id, id_of(eos, "end-of-text (eos)"));

  fs::path tj = dir / "tokenizer.json";
  if (fs::exists(tj)) {
    // ref: a tokenizer.json decides which tokens are matched literally, and whether in the raw
    // or the normalized text (added_tokens[].normalized).
    // Only its "added_tokens" array is parsed: the rest repeats vocab.json and merges.txt.
    CLIPSEARCH_ASSIGN_OR_RETURN(std::string text, read_file(tj));
    std::string_view array = find_json_array(text, "added_tokens");
    json j = array.empty() ? json() : json::parse(array, nullptr, /*allow_exceptions=*/false);
    if (!array.empty() && j.is_discarded()) {
      return Status::corruption(tj.string() + ": added_tokens is not valid JSON");
    }
    if (j.is_array()) {
      for (const json& t : j) {
        if (!t.is_object() || !t.contains("content") || !t["content"].is_string() ||
            !t.contains("id") || !t["id"].is_number_integer()) {
          return Status::corruption(tj.string() + ": malformed entry in added_tokens");
        }
        v->specials.push_back({to_u32(t["content"].get<std::string>()), t["id"].get<int32_t>(),
                               t.value("normalized", true)});
      }
      return Status();
    }
  }
  // ref: without tokenizer.json, transformers 4.25 converts the slow tokenizer and registers
  // bos, eos, unk and pad as special tokens matched in the normalized text.
  std::vector<std::string> names = {bos, eos};
  names.insert(names.end(), others.begin(), others.end());
  for (const std::string& name : names) {
    std::u32string content = to_u32(name);
    bool seen = false;
    for (const auto& s : v->specials) seen |= s.content == content;
    if (seen) continue;
    CLIPSEARCH_ASSIGN_OR_RETURN(int32_t id, id_of(name, "special"));
    v->specials.push_back({content, id, true});
  }
  return Status();
}

Result<Vocabulary> load_hf(const fs::path& dir) {
  Vocabulary v;
  v.layout = Vocabulary::Layout::kHuggingFace;
  fs::path vocab_path = dir / "vocab.json", merges_path = dir / "merges.txt";
  v.source = vocab_path.string();
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string text, read_file(vocab_path));
  CLIPSEARCH_ASSIGN_OR_RETURN(auto entries, parse_vocab_json(text, vocab_path.string()));
  if (entries.empty()) return Status::corruption(vocab_path.string() + ": no tokens");
  int64_t max_id = -1;
  for (const auto& e : entries) max_id = std::max(max_id, e.second);
  if (max_id >= static_cast<int64_t>(entries.size()) * 4 + 1024) {
    return Status::corruption(vocab_path.string() + ": ids go up to " + std::to_string(max_id) +
                              " for " + std::to_string(entries.size()) + " tokens");
  }
  v.id_to_token.resize(static_cast<size_t>(max_id) + 1);
  v.token_to_id.reserve(entries.size());
  for (auto& [token, id] : entries) {
    v.token_to_id.set(token, static_cast<int32_t>(id));
    v.id_to_token[static_cast<size_t>(id)] = std::move(token);
  }
  CLIPSEARCH_RETURN_IF_ERROR(index_bytes(&v));
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string merges_text, read_file(merges_path));
  std::vector<std::string_view> lines = split_lines(merges_text);
  size_t first = (!lines.empty() && lines[0].rfind("#version", 0) == 0) ? 1 : 0;
  CLIPSEARCH_RETURN_IF_ERROR(add_merges(lines, first, kMaxMerges, merges_path.string(), &v));
  CLIPSEARCH_RETURN_IF_ERROR(load_special_tokens_hf(dir, &v));
  return v;
}

Result<Vocabulary> load_open_clip(const fs::path& gz_path) {
  Vocabulary v;
  v.layout = Vocabulary::Layout::kOpenClip;
  v.source = gz_path.string();
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string text, read_gzip(gz_path, kMaxMerges + 2));
  std::vector<std::string_view> lines = split_lines(text);
  // ref: open_clip SimpleTokenizer.__init__: the 256 byte symbols, the same with "</w>", one
  // token per merge (line 1 onwards), then the special tokens.
  auto add = [&](std::string token) {
    int32_t id = static_cast<int32_t>(v.id_to_token.size());
    v.token_to_id.set(token, id);  // ref: dict(zip(vocab, ...)): a repeated token keeps its last id
    v.id_to_token.push_back(std::move(token));
  };
  std::vector<std::string> symbols;
  // bytes_to_unicode() order: the printable bytes first, then the others.
  for (int pass = 0; pass < 2; ++pass) {
    for (int b = 0; b < 256; ++b) {
      char32_t c = byte_to_unicode(static_cast<uint8_t>(b));
      if ((c == static_cast<char32_t>(b)) != (pass == 0)) continue;
      std::string sym;
      utf8_append(c, &sym);
      symbols.push_back(sym);
    }
  }
  for (const auto& s : symbols) add(s);
  for (const auto& s : symbols) add(s + kEndOfWord);
  size_t end = std::min(lines.size(), kMaxMerges + 1);
  if (lines.size() < 2) return Status::corruption(v.source + ": no merges");
  for (size_t i = 1; i < end; ++i) {
    std::string_view line = lines[i];
    size_t sp = line.find(' ');
    if (line.empty()) {  // ref: an empty line is an empty merge, and an (unusable) empty token
      add("");
      continue;
    }
    if (sp == std::string_view::npos || line.find(' ', sp + 1) != std::string_view::npos) {
      return Status::corruption(v.source + ": line " + std::to_string(i + 1) +
                                ": expected two symbols separated by one space");
    }
    std::string merged(line.substr(0, sp));
    merged += line.substr(sp + 1);
    add(merged);
  }
  add("<start_of_text>");  // ref: open_clip's SimpleTokenizer names its special tokens so
  add("<end_of_text>");
  CLIPSEARCH_RETURN_IF_ERROR(index_bytes(&v));
  CLIPSEARCH_RETURN_IF_ERROR(add_merges(lines, 1, kMaxMerges, v.source, &v));
  v.start_id = v.token_to_id.find("<start_of_text>");
  v.end_id = v.token_to_id.find("<end_of_text>");
  v.specials.push_back({to_u32("<start_of_text>"), v.start_id, true});
  v.specials.push_back({to_u32("<end_of_text>"), v.end_id, true});
  return v;
}

}  // namespace

char32_t byte_to_unicode(uint8_t b) {
  // Printable Latin-1 bytes stand for themselves; the others are moved to U+0100 onwards.
  auto printable = [](int x) {
    return (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
  };
  if (printable(b)) return b;
  char32_t n = 0;
  for (int x = 0; x < b; ++x) n += printable(x) ? 0 : 1;
  return 256 + n;
}

Result<Vocabulary> load_vocabulary(const std::string& model_dir) {
  fs::path dir(model_dir);
  std::error_code ec;
  if (fs::is_regular_file(dir, ec)) return load_open_clip(dir);
  if (!fs::is_directory(dir, ec)) return Status::not_found(model_dir + ": no such model folder");
  if (fs::exists(dir / "vocab.json")) {
    if (!fs::exists(dir / "merges.txt")) {
      return Status::not_found((dir / "merges.txt").string() + ": missing (vocab.json needs it)");
    }
    return load_hf(dir);
  }
  if (fs::exists(dir / "bpe_simple_vocab_16e6.txt.gz")) {
    return load_open_clip(dir / "bpe_simple_vocab_16e6.txt.gz");
  }
  return Status::not_found(model_dir +
                           ": no tokenizer vocabulary (vocab.json + merges.txt, or "
                           "bpe_simple_vocab_16e6.txt.gz for CLIP; vocab.txt for Chinese-CLIP; "
                           "tokenizer.json for a Hugging Face text tower)");
}

}  // namespace clipsearch::text
