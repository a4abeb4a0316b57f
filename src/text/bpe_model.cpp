#include "text/bpe_model.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <queue>

#include "text/utf8.h"

namespace clipsearch::text {

using nlohmann::json;

Result<BpeModel> BpeModel::load(const std::vector<JsonMember>& model, const std::string& path) {
  auto corrupt = [&](const std::string& key, const std::string& msg) {
    return Status::corruption(path + ": model." + key + ": " + msg);
  };
  auto unsupported = [&](const std::string& key, const std::string& msg) {
    return Status::unsupported(path + ": model." + key + ": " + msg);
  };
  BpeModel m;
  std::string_view vocab_text, merges_text;
  std::string unk_token;
  bool has_unk = false;
  for (const JsonMember& member : model) {
    const std::string& key = member.key;
    if (key == "vocab") {
      vocab_text = member.value;
      continue;
    }
    if (key == "merges") {
      merges_text = member.value;
      continue;
    }
    const json v = json::parse(member.value, nullptr, /*allow_exceptions=*/false);
    if (v.is_discarded()) return corrupt(key, "not valid JSON");
    if (key == "type") {
      if (v != "BPE") return unsupported(key, v.dump() + " is not \"BPE\"");
    } else if (key == "dropout" || key == "continuing_subword_prefix" ||
               key == "end_of_word_suffix") {
      if (!v.is_null()) return unsupported(key, v.dump() + " is not supported (only null)");
    } else if (key == "unk_token") {
      if (!v.is_null() && !v.is_string()) return corrupt(key, "must be a string or null");
      has_unk = v.is_string();
      if (has_unk) unk_token = v.get<std::string>();
    } else if (key == "fuse_unk" || key == "byte_fallback" || key == "ignore_merges") {
      if (!v.is_boolean()) return corrupt(key, "must be true or false");
      bool* flag = key == "fuse_unk"        ? &m.fuse_unk_
                   : key == "byte_fallback" ? &m.byte_fallback_
                                            : &m.ignore_merges_;
      *flag = v.get<bool>();
    } else {
      return unsupported(key, "unknown key (not reproduced)");
    }
  }
  if (vocab_text.empty()) return corrupt("vocab", "missing");
  if (merges_text.empty()) return corrupt("merges", "missing");

  CLIPSEARCH_ASSIGN_OR_RETURN(auto vocab, parse_vocab_json(vocab_text, path + ": model.vocab"));
  m.size_ = vocab.size();
  m.token_to_id_.reserve(vocab.size());
  std::vector<bool> seen(vocab.size(), false);
  for (const auto& [token, id] : vocab) {
    // tokenizers allows gaps and repeats; real files have neither, and the vocabulary size (and
    // so the ids of added tokens) would be ambiguous with them.
    if (id >= static_cast<int64_t>(vocab.size()) || seen[static_cast<size_t>(id)]) {
      return corrupt("vocab", "id " + std::to_string(id) + " of \"" + token +
                                  "\" is repeated or outside 0.." +
                                  std::to_string(vocab.size() - 1));
    }
    seen[static_cast<size_t>(id)] = true;
    m.token_to_id_.set(token, static_cast<int32_t>(id));
  }
  if (has_unk) {
    m.unk_id_ = m.token_to_id_.find(unk_token);
    if (m.unk_id_ < 0)
      return corrupt("unk_token", "\"" + unk_token + "\" is not in the vocabulary");
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);  // ref: format!("<{:#04X}>", b)
    m.byte_ids_[static_cast<size_t>(b)] = m.token_to_id_.find(name);
  }

  // ref: BpeBuilder::build: rank = position in the list; a later repeat of a pair replaces it.
  std::string joined;
  Status st = for_each_merge(
      merges_text, path, [&](size_t index, std::string_view a, std::string_view b) -> Status {
        const int32_t left = m.token_to_id_.find(a), right = m.token_to_id_.find(b);
        joined.assign(a);
        joined.append(b);
        const int32_t result = m.token_to_id_.find(joined);
        if (left < 0 || right < 0 || result < 0) {
          return corrupt("merges", "entry " + std::to_string(index) + " (\"" + std::string(a) +
                                       "\", \"" + std::string(b) + "\"): \"" +
                                       (left < 0    ? std::string(a)
                                        : right < 0 ? std::string(b)
                                                    : joined) +
                                       "\" is not in the vocabulary");
        }
        if (index == 0) m.merges_.reserve(merges_text.size() / 16);
        m.merges_.set(left, right, {static_cast<int32_t>(index), result});
        return Status();
      });
  if (!st.ok()) return st;
  return m;
}

// ref: tokenizers BPE::merge_word: characters, byte fallback, unknown tokens.
void BpeModel::tokenize(std::string_view word, std::vector<int32_t>* ids) {
  if (ignore_merges_) {
    const int32_t whole = token_to_id_.find(word);
    if (whole >= 0) {
      ids->push_back(whole);
      return;
    }
  }
  symbols_.clear();
  auto add = [&](int32_t id, uint32_t len) {
    const auto n = static_cast<int32_t>(symbols_.size());
    symbols_.push_back({id, n - 1, -1, len});
    if (n > 0) symbols_[static_cast<size_t>(n - 1)].next = n;
  };
  int32_t pending_unk_len = -1;  // an unknown token not yet added, and its length
  for (size_t i = 0; i < word.size();) {
    const size_t len =
        std::min(utf8_sequence_length(static_cast<unsigned char>(word[i])), word.size() - i);
    const std::string_view c = word.substr(i, len);
    i += len;
    const int32_t id = token_to_id_.find(c);
    if (id >= 0) {
      if (pending_unk_len >= 0) add(unk_id_, static_cast<uint32_t>(pending_unk_len));
      pending_unk_len = -1;
      add(id, static_cast<uint32_t>(len));
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (unsigned char b : c) all &= byte_ids_[b] >= 0;
      if (all) {
        // As the reference does, a pending unknown token stays pending (it lands after these).
        for (unsigned char b : c) add(byte_ids_[b], 1);
        continue;
      }
    }
    if (unk_id_ < 0) continue;
    if (pending_unk_len >= 0 && fuse_unk_) {
      pending_unk_len += static_cast<int32_t>(len);
    } else {
      if (pending_unk_len >= 0) add(unk_id_, static_cast<uint32_t>(pending_unk_len));
      pending_unk_len = static_cast<int32_t>(len);
    }
  }
  if (pending_unk_len >= 0) add(unk_id_, static_cast<uint32_t>(pending_unk_len));
  merge_all();
  for (const Symbol& s : symbols_) {
    if (s.len != 0) ids->push_back(s.id);
  }
}

// ref: tokenizers models/bpe/word.rs Word::merge_all (without dropout).
void BpeModel::merge_all() {
  struct Candidate {
    int32_t rank, pos, result;
    // std::priority_queue pops the largest: the lowest rank, then the leftmost, is "largest".
    bool operator<(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate> queue;
  for (size_t i = 0; i + 1 < symbols_.size(); ++i) {
    if (const MergeRule* r = merges_.find(symbols_[i].id, symbols_[i + 1].id)) {
      queue.push({r->rank, static_cast<int32_t>(i), r->result});
    }
  }
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& cur = symbols_[static_cast<size_t>(top.pos)];
    if (cur.len == 0 || cur.next < 0) continue;
    const Symbol right = symbols_[static_cast<size_t>(cur.next)];
    // An expired entry: the pair here no longer merges into the same token.
    const MergeRule* now = merges_.find(cur.id, right.id);
    if (now == nullptr || now->result != top.result) continue;
    symbols_[static_cast<size_t>(cur.next)].len = 0;
    cur.id = top.result;
    cur.len += right.len;
    cur.next = right.next;
    if (right.next >= 0) symbols_[static_cast<size_t>(right.next)].prev = top.pos;
    if (cur.prev >= 0) {
      if (const MergeRule* r = merges_.find(symbols_[static_cast<size_t>(cur.prev)].id, cur.id)) {
        queue.push({r->rank, cur.prev, r->result});
      }
    }
    if (cur.next >= 0) {
      if (const MergeRule* r = merges_.find(cur.id, symbols_[static_cast<size_t>(cur.next)].id)) {
        queue.push({r->rank, top.pos, r->result});
      }
    }
  }
}

}  // namespace clipsearch::text
