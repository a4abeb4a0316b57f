// A small reader for the zip archives PyTorch writes (torch.save since 1.6): it lists the entries
// and hands out pointers to their bytes inside a buffer the caller owns (usually a MappedFile).
//
// Only stored (uncompressed) entries can be read; PyTorch writes nothing else, and a compressed
// or encrypted entry is refused with its name. Zip64 end records and sizes are understood. Every
// offset is checked against the buffer: the central directory, each local header, each entry's
// data; two entries whose data overlap are refused. No allocation depends on untrusted counts
// beyond the buffer's size. Pure function of its input; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "clipsearch/status.h"

namespace clipsearch {

struct ZipEntry {
  const uint8_t* data = nullptr;  // into the caller's buffer
  size_t size = 0;
};

// Parses the archive in `bytes`; `name` is used in messages. Entries are keyed by their name.
Result<std::map<std::string, ZipEntry>> zip_read_entries(const uint8_t* bytes, size_t size,
                                                         const std::string& name);

}  // namespace clipsearch
