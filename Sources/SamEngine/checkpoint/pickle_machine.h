// A pickle virtual machine for the opcodes torch.save emits when it writes a state dict
// (protocol 2; protocols up to 5 are accepted while the opcodes stay in that subset).
// It builds plain data — dicts, tuples, lists, numbers, strings — plus tensor and storage
// descriptions. Only a whitelist of globals can be named, none is ever called as code, and
// every structure it grows is bounded by the size of the input.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "include/sam_engine.h"

namespace sam {

enum class PickleKind : uint8_t {
  None,
  Bool,
  Int,
  Float,
  String,
  Tuple,
  List,
  Dict,     // dict or collections.OrderedDict; items keep insertion order
  Global,   // a whitelisted callable or class
  Storage,  // a persistent storage reference ('storage', type, key, location, numel)
  Tensor,   // the result of torch._utils._rebuild_tensor_v2 / _rebuild_parameter
};

enum class PickleGlobal : uint8_t {
  OrderedDict,
  RebuildTensor,
  RebuildParameter,
  RebuildParameterWithState,
  TorchSize,
  StorageType,  // torch.FloatStorage and friends; the dtype is kept with the object
};

struct PickleObject {
  PickleKind kind = PickleKind::None;
  uint32_t ref = 0;   // String: index into strings(); Tuple/List/Dict: into containers();
                      // Storage: into storages(); Tensor: into tensors(); Global: PickleGlobal
  int64_t integer = 0;  // Bool, Int; Global StorageType: its sam_dtype
  double real = 0;      // Float
};

struct PickleStorage {
  sam_dtype dtype;
  std::string key;  // the archive entry is <top>/data/<key>
  int64_t numel;    // elements of `dtype`
};

struct PickleTensor {
  uint32_t storage;  // index into storages()
  int64_t storage_offset;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
};

class PickleMachine {
 public:
  // `source` names the pickle in error messages (e.g. "model.pt: archive/data.pkl").
  PickleMachine(const uint8_t* bytes, size_t size, std::string source);

  // Runs to STOP and returns the index of the unpickled root object. Throws
  // sam::Error(SAM_ERROR_FORMAT) naming the opcode and its byte offset on anything else.
  uint32_t run();

  const PickleObject& object(uint32_t index) const { return objects_[index]; }
  const std::string& string(const PickleObject& object) const { return strings_[object.ref]; }
  // Tuple and list elements; dict keys and values interleaved (k0, v0, k1, v1, ...).
  const std::vector<uint32_t>& items(const PickleObject& object) const { return containers_[object.ref]; }
  const std::vector<PickleStorage>& storages() const { return storages_; }
  const std::vector<PickleTensor>& tensors() const { return tensors_; }
  size_t object_count() const { return objects_.size(); }

 private:
  [[noreturn]] void fail(const std::string& what) const;
  [[noreturn]] void fail_at(size_t offset, const std::string& what) const;
  const uint8_t* take(size_t count);
  uint32_t make(PickleKind kind, uint32_t ref = 0, int64_t integer = 0, double real = 0);
  uint32_t make_string(std::string text);
  uint32_t make_container(PickleKind kind, std::vector<uint32_t> items);
  void push(uint32_t object);
  uint32_t pop();
  uint32_t top() const;
  std::vector<uint32_t> pop_to_mark();
  void put_memo(uint64_t index);
  void get_memo(uint64_t index);
  void global(const std::string& module, const std::string& name);
  void reduce();
  void build();
  void persistent_load();
  uint32_t rebuild_tensor(const std::vector<uint32_t>& args);
  int64_t integer_of(uint32_t object, const char* what) const;
  std::vector<int64_t> integers_of(uint32_t object, const char* what) const;
  const PickleObject& checked(uint32_t object, PickleKind kind, const char* what) const;

  const uint8_t* bytes_;
  size_t size_;
  std::string source_;
  size_t position_ = 0;
  size_t opcode_at_ = 0;  // offset of the opcode being executed, for messages
  uint8_t opcode_ = 0;

  std::vector<PickleObject> objects_;
  std::vector<std::string> strings_;
  std::vector<std::vector<uint32_t>> containers_;
  std::vector<PickleStorage> storages_;
  std::vector<PickleTensor> tensors_;
  std::vector<uint32_t> stack_;
  std::vector<size_t> marks_;
  std::vector<uint32_t> memo_;  // memo slot -> object + 1 (0: empty)
  size_t memo_used_ = 0;        // filled slots, for MEMOIZE's implicit index
  std::unordered_map<std::string, uint32_t> storage_index_;  // key -> index in storages_
};

// The name pickletools gives an opcode byte ("GLOBAL", "BINPUT", ...), or "unknown".
const char* pickle_opcode_name(uint8_t opcode);

}  // namespace sam
