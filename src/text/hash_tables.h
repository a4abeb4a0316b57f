// Open-addressing hash tables for the vocabulary: token string -> id, and (left id, right id)
// -> merge rule. std::unordered_map costs one allocation per entry and a pointer chase per
// lookup; these keep everything in flat arrays, which makes loading a 49,408-token vocabulary
// and the BPE inner loop several times faster. Not thread-safe for writes; const lookups are.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clipsearch::text {

inline uint64_t hash_mix(uint64_t x) {  // splitmix64 finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline uint64_t hash_bytes(std::string_view s) {  // FNV-1a, then mixed
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return hash_mix(h);
}

// Token string -> id. The strings are copied into one arena.
class TokenIndex {
 public:
  void reserve(size_t n) {
    if (n * 2 > slots_.size()) rehash(capacity_for(n));
  }
  size_t size() const { return size_; }

  // Inserts `token`, or gives an existing token the new id.
  void set(std::string_view token, int32_t id) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(capacity_for(size_ + 1));
    uint64_t h = hash_bytes(token);
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.id < 0) {
        s = {h, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(token.size()), id};
        arena_.append(token);
        ++size_;
        return;
      }
      if (s.hash == h && key(s) == token) {
        s.id = id;
        return;
      }
    }
  }

  // The id of `token`, or -1.
  int32_t find(std::string_view token) const {
    if (slots_.empty()) return -1;
    uint64_t h = hash_bytes(token);
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.hash == h && key(s) == token) return s.id;
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0;
    uint32_t length = 0;
    int32_t id = -1;  // -1: empty
  };
  static size_t capacity_for(size_t n) {
    size_t c = 16;
    while (c < n * 2) c *= 2;
    return c;
  }
  std::string_view key(const Slot& s) const {
    return std::string_view(arena_).substr(s.offset, s.length);
  }
  void rehash(size_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    size_t mask = capacity - 1;
    for (const Slot& s : old) {
      if (s.id < 0) continue;
      size_t i = s.hash & mask;
      while (slots_[i].id >= 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  std::string arena_;
  size_t size_ = 0;
};

struct MergeRule {
  int32_t rank = 0;    // position in the merge list: lower merges first
  int32_t result = 0;  // id of the merged symbol
};

// (left id, right id) -> MergeRule.
class MergeTable {
 public:
  void reserve(size_t n) {
    if (n * 2 > slots_.size()) rehash(capacity_for(n));
  }
  size_t size() const { return size_; }

  // Inserts the rule of the pair, or replaces it.
  void set(int32_t left, int32_t right, MergeRule rule) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(capacity_for(size_ + 1));
    uint64_t k = key(left, right);
    size_t mask = slots_.size() - 1;
    for (size_t i = hash_mix(k) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.key == kEmpty) {
        s = {k, rule};
        ++size_;
        return;
      }
      if (s.key == k) {
        s.rule = rule;
        return;
      }
    }
  }

  const MergeRule* find(int32_t left, int32_t right) const {
    if (slots_.empty()) return nullptr;
    uint64_t k = key(left, right);
    size_t mask = slots_.size() - 1;
    for (size_t i = hash_mix(k) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.key == k) return &s.rule;
      if (s.key == kEmpty) return nullptr;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~0ULL;  // ids are non-negative, so no pair has this key
  struct Slot {
    uint64_t key = kEmpty;
    MergeRule rule;
  };
  static uint64_t key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }
  static size_t capacity_for(size_t n) {
    size_t c = 16;
    while (c < n * 2) c *= 2;
    return c;
  }
  void rehash(size_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    size_t mask = capacity - 1;
    for (const Slot& s : old) {
      if (s.key == kEmpty) continue;
      size_t i = hash_mix(s.key) & mask;
      while (slots_[i].key != kEmpty) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace clipsearch::text
