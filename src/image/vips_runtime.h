// libvips as this process uses it: one initialisation, and one error buffer that every thread
// shares. Only the files src/image/vips_*.cpp call libvips (scripts/check_vips_calls.sh fails the
// build's tests otherwise); each calls vips_ready() before its first libvips call, and the CLI's
// main() calls it once at start, before any thread exists.
//
// Why no libvips call may come first: libvips initialises itself lazily on the first call that
// needs it, and a vips_init() made by a second thread meanwhile returns at once, before libvips'
// types are registered. The thumbnail encoder once called libvips without vips_ready(), and a
// server whose first thumbnail was a JPEG aborted in vips_block_untrusted_set when a PNG decode
// started at the same moment (issue 12).
//
// No libvips types here: code outside src/image can make sure libvips is up without seeing it.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>

#include "clipsearch/status.h"

namespace clipsearch {

// Initialises libvips once per process; every later call waits for that first one and returns
// its result. Untrusted loaders blocked (ImageMagick, PDF, SVG, FITS, ...: the API form of
// VIPS_BLOCK_UNTRUSTED), the operation cache off (every image is used once), libvips' own worker
// threads at 1 (parallelism comes from working on many images at once). An error when libvips
// could not start.
Status vips_ready();

// libvips keeps one error buffer for the whole process: with libvips calls running
// concurrently, the text read after a failure may be another call's, or already taken by it. So
// every libvips call runs under a shared hold of this gate and never reads the buffer; after a
// failure, the caller takes the gate exclusively (no other libvips work is running then), clears
// the buffer, runs the failing steps again and reads the buffer, which now holds its own
// messages only. Failures are rare: the price is doing one of them twice while other calls
// wait. Waiting exclusive holders go first, so a stream of calls cannot starve them.
// Meets SharedLockable and Lockable (std::shared_lock, std::lock_guard).
class VipsErrorGate {
 public:
  void lock_shared();
  void unlock_shared();
  void lock();
  void unlock();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int shared_ = 0;
  int exclusive_waiting_ = 0;
  bool exclusive_ = false;
};

// The process's one gate.
VipsErrorGate& vips_error_gate();

// The first line of libvips' error buffer (libheif's line where there is one), which is then
// cleared; "unknown libvips error" when
// the buffer is empty. Only under an exclusive hold of vips_error_gate().
std::string vips_error_message();

}  // namespace clipsearch
