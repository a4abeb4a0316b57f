// AddressSlots: how many slots each client address holds, against a cap per address. A direct
// connection holds one for as long as it is open; a request forwarded by a trusted proxy holds
// one, under the client X-Forwarded-For names, from its head to its answer (a proxy opens an
// upstream connection per request in flight, so that is the same count seen through the proxy).
// Keys are address_cap_key()s. Thread-safe; an address's entry is dropped when it holds nothing,
// so the table is as large as the set of addresses holding slots now.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace clipsearch::server {

class AddressSlots {
 public:
  explicit AddressSlots(size_t per_address) : per_address_(per_address) {}

  // Takes a slot for `key`; false (nothing taken) when it already holds the cap.
  bool take(const std::string& key);
  void give_back(const std::string& key);
  size_t held(const std::string& key) const;
  size_t per_address() const { return per_address_; }

 private:
  const size_t per_address_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, size_t> held_;
};

}  // namespace clipsearch::server
