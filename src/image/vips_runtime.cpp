#include "image/vips_runtime.h"

#include <vips/vips.h>

namespace clipsearch {

Status vips_ready() {
  static std::once_flag once;
  static Status result;
  // call_once makes every other caller wait until this has finished: none of them can reach
  // libvips while it is half initialised.
  std::call_once(once, [] {
    if (vips_init("clipsearch") != 0) {
      // No other thread can be in libvips yet: the buffer holds vips_init's own message.
      result = Status::error("libvips failed to initialise: " + vips_error_message());
      return;
    }
    vips_block_untrusted_set(TRUE);
    vips_cache_set_max(0);
    vips_concurrency_set(1);
  });
  return result;
}

void VipsErrorGate::lock_shared() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !exclusive_ && exclusive_waiting_ == 0; });
  ++shared_;
}

void VipsErrorGate::unlock_shared() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (--shared_ == 0) changed_.notify_all();
}

void VipsErrorGate::lock() {
  std::unique_lock<std::mutex> lock(mutex_);
  ++exclusive_waiting_;
  changed_.wait(lock, [&] { return !exclusive_ && shared_ == 0; });
  --exclusive_waiting_;
  exclusive_ = true;
}

void VipsErrorGate::unlock() {
  std::lock_guard<std::mutex> lock(mutex_);
  exclusive_ = false;
  changed_.notify_all();
}

VipsErrorGate& vips_error_gate() {
  static VipsErrorGate gate;
  return gate;
}

std::string vips_error_message() {
  char* buf = vips_error_buffer_copy();
  std::string msg = buf ? buf : "";
  g_free(buf);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  // libheif's own message is the cause; the lines before it are libvips' reader refusing the
  // seeks libheif probes past the end of the data ("source: bad seek to N").
  const size_t heif = msg.rfind("heif: ");
  if (heif != std::string::npos && (heif == 0 || msg[heif - 1] == '\n')) msg = msg.substr(heif);
  size_t nl = msg.find('\n');
  if (nl != std::string::npos) msg = msg.substr(0, nl);
  return msg.empty() ? "unknown libvips error" : msg;
}

}  // namespace clipsearch
