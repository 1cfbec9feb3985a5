#include "checkpoint/zip_archive.h"

#include <algorithm>
#include <cstring>

#include "checkpoint/printable.h"
#include "engine_error.h"

namespace sam {
namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr size_t kEndSize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EndSize = 56;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr uint16_t kZip64ExtraId = 0x0001;

uint16_t read16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t read32(const uint8_t* p) { return static_cast<uint32_t>(read16(p)) | (static_cast<uint32_t>(read16(p + 2)) << 16); }
uint64_t read64(const uint8_t* p) { return static_cast<uint64_t>(read32(p)) | (static_cast<uint64_t>(read32(p + 4)) << 32); }

// Range checks in 64-bit arithmetic that cannot wrap: offset + length <= size.
bool fits(uint64_t offset, uint64_t length, uint64_t size) { return offset <= size && length <= size - offset; }

class Reader {
 public:
  Reader(const uint8_t* bytes, size_t size, const std::string& source) : bytes_(bytes), size_(size), source_(source) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(SAM_ERROR_FORMAT, source_ + ": " + what);
  }

  // The end-of-central-directory record: searched backwards over the longest possible comment.
  size_t find_end_record() const {
    if (size_ < kEndSize) fail("truncated or not a zip archive (only " + std::to_string(size_) + " bytes)");
    const size_t lowest = size_ - kEndSize > 0xffff ? size_ - kEndSize - 0xffff : 0;
    for (size_t at = size_ - kEndSize + 1; at-- > lowest;) {
      if (read32(bytes_ + at) != kEndSignature) continue;
      if (at + kEndSize + read16(bytes_ + at + 20) <= size_) return at;
    }
    fail(ZipArchive::looks_like_zip(bytes_, size_)
             ? "the zip archive is truncated (no end-of-central-directory record at its end)"
             : "truncated or not a zip archive (no end-of-central-directory record at its end)");
  }

  struct Directory {
    uint64_t offset;
    uint64_t size;
    uint64_t count;
  };

  Directory directory(size_t end_at) const {
    const uint8_t* end = bytes_ + end_at;
    Directory dir{read32(end + 16), read32(end + 12), read16(end + 10)};
    if (read16(end + 4) != 0 || read16(end + 6) != 0) fail("multi-disk zip archives are not supported");
    // torch.save always writes zip64 records; older writers only when a field overflows.
    if (end_at >= kZip64LocatorSize && read32(end - kZip64LocatorSize) == kZip64LocatorSignature) {
      const uint8_t* locator = end - kZip64LocatorSize;
      const uint64_t record_at = read64(locator + 8);
      if (!fits(record_at, kZip64EndSize, end_at - kZip64LocatorSize))
        fail("zip64 end record offset " + std::to_string(record_at) + " lies outside the file");
      const uint8_t* record = bytes_ + record_at;
      if (read32(record) != kZip64EndSignature) fail("zip64 end record has a bad signature");
      dir = Directory{read64(record + 48), read64(record + 40), read64(record + 32)};
    } else if (dir.offset == 0xffffffffu || dir.size == 0xffffffffu || dir.count == 0xffff) {
      fail("zip64 archive without a zip64 end-of-central-directory locator");
    }
    if (!fits(dir.offset, dir.size, end_at))
      fail("central directory (offset " + std::to_string(dir.offset) + ", " + std::to_string(dir.size) +
           " bytes) lies outside the file (" + std::to_string(size_) + " bytes); the file is probably truncated");
    if (dir.count > dir.size / kCentralHeaderSize)
      fail("central directory claims " + std::to_string(dir.count) + " entries in " + std::to_string(dir.size) + " bytes");
    return dir;
  }

  // One central-directory header at `at`; returns the offset of the next one.
  uint64_t read_entry(uint64_t at, uint64_t directory_end, ZipEntry& entry) const {
    if (!fits(at, kCentralHeaderSize, directory_end)) fail("central directory entry runs past the directory");
    const uint8_t* header = bytes_ + at;
    if (read32(header) != kCentralHeaderSignature) fail("central directory entry has a bad signature");
    const uint16_t flags = read16(header + 8);
    const uint16_t method = read16(header + 10);
    uint64_t compressed = read32(header + 20);
    uint64_t uncompressed = read32(header + 24);
    const uint16_t name_length = read16(header + 28);
    const uint16_t extra_length = read16(header + 30);
    const uint16_t comment_length = read16(header + 32);
    uint64_t local_at = read32(header + 42);
    const uint64_t variable = uint64_t{name_length} + extra_length + comment_length;
    if (!fits(at + kCentralHeaderSize, variable, directory_end)) fail("central directory entry runs past the directory");
    entry.name.assign(reinterpret_cast<const char*>(header + kCentralHeaderSize), name_length);

    parse_zip64_extra(header + kCentralHeaderSize + name_length, extra_length, uncompressed, compressed, local_at, entry.name);

    entry.encrypted = (flags & 0x1) != 0;
    entry.method = method;
    if (method == 0 && compressed != uncompressed)
      fail("entry '" + printable(entry.name) + "' is stored but its compressed and uncompressed sizes differ");

    if (!fits(local_at, kLocalHeaderSize, size_))
      fail("entry '" + printable(entry.name) + "' has a local header outside the file");
    const uint8_t* local = bytes_ + local_at;
    if (read32(local) != kLocalHeaderSignature) fail("entry '" + printable(entry.name) + "' has a bad local header signature");
    const uint64_t data_at = local_at + kLocalHeaderSize + read16(local + 26) + read16(local + 28);
    if (!fits(data_at, compressed, size_))
      fail("entry '" + printable(entry.name) + "' (" + std::to_string(compressed) + " bytes at offset " + std::to_string(data_at) +
           ") runs past the end of the file (" + std::to_string(size_) + " bytes); the file is probably truncated");
    entry.data = bytes_ + data_at;
    entry.size = compressed;
    return at + kCentralHeaderSize + variable;
  }

 private:
  // Fields saturated at 0xffffffff live in the zip64 extra field, in a fixed order.
  void parse_zip64_extra(const uint8_t* extra, uint16_t length, uint64_t& uncompressed, uint64_t& compressed,
                         uint64_t& local_at, const std::string& name) const {
    const bool need_any = uncompressed == 0xffffffffu || compressed == 0xffffffffu || local_at == 0xffffffffu;
    size_t at = 0;
    while (at + 4 <= length) {
      const uint16_t id = read16(extra + at);
      const uint16_t size = read16(extra + at + 2);
      if (at + 4 + size > length) fail("entry '" + printable(name) + "' has a malformed extra field");
      if (id == kZip64ExtraId) {
        const uint8_t* field = extra + at + 4;
        size_t used = 0;
        auto take = [&](uint64_t& value) {
          if (value != 0xffffffffu) return;
          if (used + 8 > size) fail("entry '" + printable(name) + "' has a short zip64 extra field");
          value = read64(field + used);
          used += 8;
        };
        take(uncompressed);
        take(compressed);
        take(local_at);
        return;
      }
      at += 4 + size;
    }
    if (need_any) fail("entry '" + printable(name) + "' needs a zip64 extra field but has none");
  }

  const uint8_t* bytes_;
  size_t size_;
  const std::string& source_;
};

}  // namespace

bool ZipArchive::looks_like_zip(const uint8_t* bytes, size_t size) {
  return size >= 4 && read32(bytes) == kLocalHeaderSignature;
}

ZipArchive::ZipArchive(const uint8_t* bytes, size_t size, const std::string& source) : source_(source) {
  Reader reader(bytes, size, source);
  const size_t end_at = reader.find_end_record();
  const auto dir = reader.directory(end_at);
  const uint64_t directory_end = dir.offset + dir.size;
  entries_.resize(static_cast<size_t>(dir.count));
  uint64_t at = dir.offset;
  for (size_t i = 0; i < entries_.size(); ++i) {
    at = reader.read_entry(at, directory_end, entries_[i]);
    index_.emplace(entries_[i].name, i);
  }
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto found = index_.find(name);
  return found == index_.end() ? nullptr : &entries_[found->second];
}

const ZipEntry& ZipArchive::stored(const std::string& name, const std::string& purpose) const {
  const ZipEntry* entry = find(name);
  if (!entry) throw Error(SAM_ERROR_FORMAT, source_ + ": the archive lacks " + printable(name) + " (" + purpose + ")");
  if (entry->encrypted) throw Error(SAM_ERROR_FORMAT, source_ + ": entry '" + name + "' is encrypted");
  if (entry->method != 0)
    throw Error(SAM_ERROR_FORMAT, source_ + ": entry '" + name + "' is compressed (zip method " +
                                      std::to_string(entry->method) + "); torch.save stores entries uncompressed");
  return *entry;
}

}  // namespace sam
