// A read-only view of a zip archive held in memory, as torch.save writes them: every entry
// stored (uncompressed), with zip64 records. Entries point into the caller's bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace sam {

struct ZipEntry {
  std::string name;
  const uint8_t* data = nullptr;  // the entry's bytes as stored, inside the archive
  uint64_t size = 0;              // stored size
  uint16_t method = 0;            // 0: stored; anything else is compressed
  bool encrypted = false;
};

class ZipArchive {
 public:
  // Parses the central directory of `bytes` (which must outlive the archive). Throws
  // sam::Error(SAM_ERROR_FORMAT) naming `source` when the bytes are not a readable zip or
  // when any offset or size points outside them.
  ZipArchive(const uint8_t* bytes, size_t size, const std::string& source);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  // nullptr when no entry has that name.
  const ZipEntry* find(const std::string& name) const;
  // The entry called `name`, whose bytes are to be used as they are: throws SAM_ERROR_FORMAT
  // when it is missing (naming `purpose`), compressed or encrypted.
  const ZipEntry& stored(const std::string& name, const std::string& purpose) const;

  // True when the bytes begin with a zip local-file header ("PK\3\4").
  static bool looks_like_zip(const uint8_t* bytes, size_t size);

 private:
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, size_t> index_;  // name -> first entry with it
  std::string source_;
};

}  // namespace sam
