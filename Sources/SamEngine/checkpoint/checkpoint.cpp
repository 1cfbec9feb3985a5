#include "checkpoint/checkpoint.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_set>
#include <utility>

#include "checkpoint/pickle_machine.h"
#include "checkpoint/zip_archive.h"
#include "checkpoint/printable.h"
#include "engine_error.h"

namespace sam {
namespace {

// Nested dicts deeper than this are not state dicts (and would only serve to exhaust memory).
constexpr size_t kMaxNesting = 64;

// A legacy (pre-zip) torch.save file begins with a pickled LONG1 of this magic number.
constexpr uint8_t kLegacyMagic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

bool starts_with(const uint8_t* bytes, size_t size, const char* prefix) {
  const size_t length = std::strlen(prefix);
  return size >= length && std::memcmp(bytes, prefix, length) == 0;
}

std::string hex_prefix(const uint8_t* bytes, size_t size) {
  std::string text;
  char byte[4];
  for (size_t i = 0; i < size && i < 8; ++i) {
    std::snprintf(byte, sizeof byte, i ? " %02x" : "%02x", bytes[i]);
    text += byte;
  }
  return text;
}

// What a file that is not a zip archive looks like, for the error message.
std::string describe_foreign(const uint8_t* bytes, size_t size) {
  if (size >= 2 + sizeof kLegacyMagic && bytes[0] == 0x80 && bytes[1] <= 5 &&
      std::memcmp(bytes + 2, kLegacyMagic, sizeof kLegacyMagic) == 0)
    return "legacy torch.save format (written with _use_new_zipfile_serialization=False or torch < 1.6); "
           "re-save it with a current torch.save";
  if (size >= 2 && bytes[0] == 0x80 && bytes[1] <= 5) return "a plain Python pickle, not a torch.save zip archive";
  if (starts_with(bytes, size, "version https://git-lfs"))
    return "a Git LFS pointer, not the checkpoint itself (fetch the real file with `git lfs pull`)";
  if (starts_with(bytes, size, "<")) return "an HTML or XML document (a failed download?), not a checkpoint";
  if (starts_with(bytes, size, "\x1f\x8b")) return "gzip-compressed data; decompress it first";
  if (size >= 10) {
    uint64_t header = 0;
    for (int i = 7; i >= 0; --i) header = (header << 8) | bytes[i];
    if (bytes[8] == '{' && header < size)
      return "a safetensors file; samterm reads torch.save checkpoints (.pt/.pth)";
  }
  return "not a torch.save zip archive (it starts with bytes " + hex_prefix(bytes, size) + ")";
}

bool checked_mul(int64_t a, int64_t b, int64_t& out) { return !__builtin_mul_overflow(a, b, &out); }
bool checked_add(int64_t a, int64_t b, int64_t& out) { return !__builtin_add_overflow(a, b, &out); }

float half_to_float(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000) << 16;
  uint32_t exponent = (half >> 10) & 0x1f;
  uint32_t mantissa = half & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);  // inf / nan
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: renormalise
    exponent = 113;
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
  }
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

template <typename T>
T load(const uint8_t* at) {
  T value;
  std::memcpy(&value, at, sizeof value);  // storages in a zip need not be aligned
  return value;
}

double element(const uint8_t* at, sam_dtype dtype) {
  switch (dtype) {
    case SAM_DTYPE_FLOAT32: return load<float>(at);
    case SAM_DTYPE_FLOAT16: return half_to_float(load<uint16_t>(at));
    case SAM_DTYPE_BFLOAT16: {
      const uint32_t bits = static_cast<uint32_t>(load<uint16_t>(at)) << 16;
      float value;
      std::memcpy(&value, &bits, sizeof value);
      return value;
    }
    case SAM_DTYPE_INT64: return static_cast<double>(load<int64_t>(at));
    case SAM_DTYPE_INT32: return load<int32_t>(at);
    case SAM_DTYPE_UINT8: return *at;
    case SAM_DTYPE_BOOL: return *at != 0 ? 1.0 : 0.0;
    case SAM_DTYPE_FLOAT64: return load<double>(at);
    case SAM_DTYPE_INT16: return load<int16_t>(at);
    case SAM_DTYPE_INT8: return static_cast<int8_t>(*at);
  }
  return 0;
}

}  // namespace

size_t dtype_size(sam_dtype dtype) {
  switch (dtype) {
    case SAM_DTYPE_FLOAT32: return 4;
    case SAM_DTYPE_FLOAT16: return 2;
    case SAM_DTYPE_BFLOAT16: return 2;
    case SAM_DTYPE_INT64: return 8;
    case SAM_DTYPE_INT32: return 4;
    case SAM_DTYPE_UINT8: return 1;
    case SAM_DTYPE_BOOL: return 1;
    case SAM_DTYPE_FLOAT64: return 8;
    case SAM_DTYPE_INT16: return 2;
    case SAM_DTYPE_INT8: return 1;
  }
  return 1;
}

int64_t TensorRecord::numel() const {
  int64_t count = 1;
  for (int64_t extent : shape) count *= extent;  // validated against overflow when read
  return count;
}

// Turns the bytes of a torch.save archive into the checkpoint's tensor records.
class CheckpointParser {
 public:
  CheckpointParser(Checkpoint& checkpoint, const uint8_t* bytes, size_t size)
      : checkpoint_(checkpoint), bytes_(bytes), size_(size) {}

  void parse() {
    if (size_ == 0) fail("the file is empty");
    if (!starts_with(bytes_, size_, "PK")) fail(describe_foreign(bytes_, size_));
    ZipArchive archive(bytes_, size_, checkpoint_.name_);
    const std::string top = find_top_folder(archive);
    check_byte_order(archive, top);

    const ZipEntry& pickle_entry = archive.stored(top + "/data.pkl", "the pickled state dict");
    PickleMachine machine(pickle_entry.data, static_cast<size_t>(pickle_entry.size),
                          checkpoint_.name_ + ": " + printable(pickle_entry.name));
    const uint32_t root = machine.run();
    collect_tensors(machine, root, static_cast<size_t>(pickle_entry.size));
    resolve_storages(machine, archive, top);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw Error(SAM_ERROR_FORMAT, checkpoint_.name_ + ": " + what); }

  // torch.save puts everything under one folder named after the file it first wrote
  // ("archive" nowadays); TorchScript archives have the same layout plus code.
  std::string find_top_folder(const ZipArchive& archive) const {
    std::string top;
    bool torchscript = false;
    for (const auto& entry : archive.entries()) {
      const size_t slash = entry.name.find('/');
      if (slash == std::string::npos || slash == 0) continue;
      const std::string rest = entry.name.substr(slash + 1);
      if (rest == "constants.pkl" || rest.rfind("code/", 0) == 0) torchscript = true;
      if (rest != "data.pkl") continue;
      if (!top.empty() && top != entry.name.substr(0, slash)) fail("the archive holds more than one data.pkl");
      top = entry.name.substr(0, slash);
    }
    if (torchscript)
      fail("a TorchScript archive (torch.jit.save), not a torch.save state dict; save model.state_dict() instead");
    if (top.empty()) {
      std::string names;
      for (size_t i = 0; i < archive.entries().size() && i < 4; ++i)
        names += (i ? ", " : "") + printable(archive.entries()[i].name);
      fail("a zip archive without <folder>/data.pkl, so not written by torch.save (entries: " +
           (names.empty() ? std::string("none") : names) + ")");
    }
    return top;
  }

  void check_byte_order(const ZipArchive& archive, const std::string& top) const {
    if (!archive.find(top + "/byteorder")) return;  // torch < 1.13 wrote none; those files are little-endian
    const ZipEntry* entry = &archive.stored(top + "/byteorder", "the byte order");
    const std::string order(reinterpret_cast<const char*>(entry->data), static_cast<size_t>(entry->size));
    if (order != "little") fail("tensors are stored in '" + printable(order, 16) + "' byte order; only little-endian is supported");
  }

  // Walks the unpickled dicts depth first without recursion, in insertion order, naming each
  // tensor by its path of keys joined with dots. Values that are neither dicts nor tensors
  // (an epoch counter, a config string) are not weights and are skipped.
  void collect_tensors(const PickleMachine& machine, uint32_t root, size_t pickle_size) {
    if (machine.object(root).kind != PickleKind::Dict) fail("data.pkl holds no dict, so it is not a state dict");
    struct Frame {
      uint32_t dict;
      size_t next;
      std::string prefix;
    };
    std::vector<Frame> frames{{root, 0, ""}};
    std::vector<bool> entered(machine.object_count(), false);
    entered[root] = true;
    // Shared keys make names longer than the pickle; bound that growth.
    const size_t name_budget = 2 * pickle_size + 65536;
    size_t name_bytes = 0;
    std::unordered_set<std::string> names;
    while (!frames.empty()) {
      const auto& items = machine.items(machine.object(frames.back().dict));
      if (frames.back().next >= items.size()) {
        frames.pop_back();
        continue;
      }
      const uint32_t key = items[frames.back().next];
      const uint32_t value = items[frames.back().next + 1];
      frames.back().next += 2;
      const PickleObject& item = machine.object(value);
      if (item.kind != PickleKind::Tensor && item.kind != PickleKind::Dict) continue;

      std::string name = frames.back().prefix + key_text(machine, key);
      name_bytes += name.size();
      if (name_bytes > name_budget) fail("the state dict's names are implausibly long");
      if (item.kind == PickleKind::Dict) {
        if (entered[value]) fail("the dict at '" + printable(name) + "' appears twice; a state dict is a tree");
        if (frames.size() >= kMaxNesting) fail("dicts are nested more than " + std::to_string(kMaxNesting) + " deep");
        entered[value] = true;
        frames.push_back(Frame{value, 0, name + "."});
        continue;
      }
      if (!names.insert(name).second) fail("the tensor name '" + printable(name) + "' appears twice");
      const PickleTensor& tensor = machine.tensors()[item.ref];
      TensorRecord record;
      record.name = std::move(name);
      record.dtype = machine.storages()[tensor.storage].dtype;
      record.shape = tensor.shape;
      record.strides = tensor.strides;
      record.storage_offset = tensor.storage_offset;
      checkpoint_.tensors_.push_back(std::move(record));
      storage_of_.push_back(tensor.storage);
    }
  }

  std::string key_text(const PickleMachine& machine, uint32_t key) const {
    const PickleObject& object = machine.object(key);
    if (object.kind == PickleKind::String) return machine.string(object);
    if (object.kind == PickleKind::Int) return std::to_string(object.integer);
    fail("a state dict key is neither a string nor an integer");
  }

  // Points every record at its storage's bytes, checking that the view stays inside them.
  void resolve_storages(const PickleMachine& machine, const ZipArchive& archive, const std::string& top) {
    std::vector<const ZipEntry*> entries(machine.storages().size(), nullptr);
    for (size_t i = 0; i < checkpoint_.tensors_.size(); ++i) {
      TensorRecord& record = checkpoint_.tensors_[i];
      const uint32_t storage_index = storage_of_[i];
      const PickleStorage& storage = machine.storages()[storage_index];
      const int64_t element_size = static_cast<int64_t>(dtype_size(storage.dtype));
      int64_t storage_bytes = 0;
      if (!checked_mul(storage.numel, element_size, storage_bytes))
        fail("storage '" + printable(storage.key) + "' has an impossible size");
      if (!entries[storage_index]) {
        const ZipEntry* entry = &archive.stored(top + "/data/" + storage.key, "the storage of tensor '" + printable(record.name) + "'");
        if (entry->size < static_cast<uint64_t>(storage_bytes))
          fail("storage data/" + printable(storage.key) + " has " + std::to_string(entry->size) + " bytes but " +
               std::to_string(storage.numel) + " elements need " + std::to_string(storage_bytes));
        entries[storage_index] = entry;
      }
      record.storage = entries[storage_index]->data;
      record.storage_bytes = static_cast<size_t>(storage_bytes);
      check_view(record, storage.numel);
    }
  }

  void check_view(const TensorRecord& record, int64_t storage_numel) const {
    const std::string what = "tensor '" + printable(record.name) + "'";
    if (record.shape.size() > SAM_MAX_RANK)
      fail(what + " has " + std::to_string(record.shape.size()) + " dimensions; at most " +
           std::to_string(SAM_MAX_RANK) + " are supported");
    if (record.storage_offset < 0) fail(what + " has a negative storage offset");
    int64_t numel = 1;
    int64_t last = record.storage_offset;  // element index of the view's last element
    for (size_t d = 0; d < record.shape.size(); ++d) {
      const int64_t extent = record.shape[d];
      const int64_t stride = record.strides[d];
      if (extent < 0 || stride < 0) fail(what + " has a negative size or stride");
      int64_t reach = 0;
      if (!checked_mul(numel, extent, numel) ||
          (extent > 0 && (!checked_mul(extent - 1, stride, reach) || !checked_add(last, reach, last))))
        fail(what + " has a size that overflows");
    }
    if (numel > 0 && last >= storage_numel)
      fail(what + " reaches element " + std::to_string(last) + " of a storage of " + std::to_string(storage_numel) +
           " elements");
  }

  Checkpoint& checkpoint_;
  const uint8_t* bytes_;
  size_t size_;
  std::vector<uint32_t> storage_of_;  // per record: index of its storage in the pickle
};

std::unique_ptr<Checkpoint> Checkpoint::open(const std::string& path) {
  auto checkpoint = std::make_unique<Checkpoint>();
  checkpoint->name_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(SAM_ERROR_IO, path + ": cannot open: " + std::strerror(errno));
  struct stat info;
  if (fstat(fd, &info) != 0) {
    const int code = errno;
    ::close(fd);
    throw Error(SAM_ERROR_IO, path + ": cannot read: " + std::strerror(code));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    throw Error(SAM_ERROR_IO, path + ": not a regular file");
  }
  const auto size = static_cast<size_t>(info.st_size);
  if (size == 0) {
    ::close(fd);
    throw Error(SAM_ERROR_FORMAT, path + ": the file is empty");
  }
  // Mapped, not read: opening touches only the pickle and the zip headers, and the weights
  // are paged in once, when a model copies them.
  void* mapped = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int code = errno;
  ::close(fd);
  if (mapped == MAP_FAILED) throw Error(SAM_ERROR_IO, path + ": cannot map: " + std::strerror(code));
  checkpoint->mapping_ = std::shared_ptr<void>(mapped, [size](void* at) { munmap(at, size); });
  // Parsing touches one page per entry (its local header) all over the file: reading ahead
  // around each would pull in most of the weights. Readahead returns for the bulk copy later.
  madvise(mapped, size, MADV_RANDOM);
  CheckpointParser(*checkpoint, static_cast<const uint8_t*>(mapped), size).parse();
  madvise(mapped, size, MADV_NORMAL);
  return checkpoint;
}

std::unique_ptr<Checkpoint> Checkpoint::from_bytes(std::vector<uint8_t> bytes, const std::string& name) {
  auto checkpoint = std::make_unique<Checkpoint>();
  checkpoint->name_ = name;
  checkpoint->bytes_ = std::move(bytes);
  CheckpointParser(*checkpoint, checkpoint->bytes_.data(), checkpoint->bytes_.size()).parse();
  return checkpoint;
}

void Checkpoint::copy_values(size_t index, double* out, size_t count) const {
  if (index >= tensors_.size())
    throw Error(SAM_ERROR_ARGUMENT, name_ + ": tensor index " + std::to_string(index) + " is out of range (" +
                                        std::to_string(tensors_.size()) + " tensors)");
  const TensorRecord& record = tensors_[index];
  const auto numel = static_cast<size_t>(record.numel());
  if (count < numel)
    throw Error(SAM_ERROR_ARGUMENT, name_ + ": tensor '" + printable(record.name) + "' has " + std::to_string(numel) +
                                        " values but the buffer holds " + std::to_string(count));
  if (numel == 0) return;
  const size_t element_size = dtype_size(record.dtype);
  const size_t rank = record.shape.size();
  // An odometer over the indices in row-major order, tracking the element offset as it goes.
  // Unsigned arithmetic: stepping past a dimension's end may leave the valid range (a huge
  // stride on a dimension of size 1) before it is stepped back, which must not be UB.
  int64_t position[SAM_MAX_RANK] = {};
  uint64_t offset = static_cast<uint64_t>(record.storage_offset);
  for (size_t i = 0; i < numel; ++i) {
    out[i] = element(record.storage + offset * element_size, record.dtype);
    for (size_t d = rank; d-- > 0;) {
      const auto stride = static_cast<uint64_t>(record.strides[d]);
      offset += stride;
      if (++position[d] < record.shape[d]) break;
      offset -= stride * static_cast<uint64_t>(record.shape[d]);
      position[d] = 0;
    }
  }
}

std::vector<double> Checkpoint::values(size_t index) const {
  if (index >= tensors_.size()) copy_values(index, nullptr, 0);  // throws the range error
  std::vector<double> result(static_cast<size_t>(tensors_[index].numel()));
  copy_values(index, result.data(), result.size());
  return result;
}

}  // namespace sam
