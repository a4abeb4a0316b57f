#include "server/address_slots.h"

namespace clipsearch::server {

bool AddressSlots::take(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t& n = held_[key];
  if (n >= per_address_) {
    if (n == 0) held_.erase(key);
    return false;
  }
  ++n;
  return true;
}

void AddressSlots::give_back(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = held_.find(key);
  if (it == held_.end()) return;
  if (--it->second == 0) held_.erase(it);
}

size_t AddressSlots::held(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = held_.find(key);
  return it == held_.end() ? 0 : it->second;
}

}  // namespace clipsearch::server
