#include "checkpoint/pickle_machine.h"

#include <cstdio>
#include <cstring>
#include <utility>

#include "checkpoint/printable.h"
#include "engine_error.h"

namespace sam {
namespace {

// Absolute ceilings on top of the per-byte bounds (each opcode makes at most one object and
// pushes at most one reference), so that even a large hostile pickle stays modest in memory.
constexpr size_t kMaxObjects = size_t{1} << 22;
constexpr size_t kMaxStack = size_t{1} << 22;
constexpr size_t kMaxMarks = size_t{1} << 20;
constexpr int kHighestProtocol = 5;

enum Opcode : uint8_t {
  MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', FLOAT = 'F', INT = 'I', BININT = 'J',
  BININT1 = 'K', LONG = 'L', BININT2 = 'M', NONE = 'N', PERSID = 'P', BINPERSID = 'Q', REDUCE = 'R',
  STRING = 'S', BINSTRING = 'T', SHORT_BINSTRING = 'U', UNICODE = 'V', BINUNICODE = 'X', APPEND = 'a',
  BUILD = 'b', GLOBAL = 'c', DICT = 'd', EMPTY_DICT = '}', APPENDS = 'e', GET = 'g', BINGET = 'h', INST = 'i',
  LONG_BINGET = 'j', LIST = 'l', EMPTY_LIST = ']', OBJ = 'o', PUT = 'p', BINPUT = 'q', LONG_BINPUT = 'r',
  SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G',
  PROTO = 0x80, NEWOBJ = 0x81, EXT1 = 0x82, EXT2 = 0x83, EXT4 = 0x84, TUPLE1 = 0x85, TUPLE2 = 0x86,
  TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a, LONG4 = 0x8b,
  BINBYTES = 'B', SHORT_BINBYTES = 'C',
  SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e, EMPTY_SET = 0x8f, ADDITEMS = 0x90,
  FROZENSET = 0x91, NEWOBJ_EX = 0x92, STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95,
  BYTEARRAY8 = 0x96, NEXT_BUFFER = 0x97, READONLY_BUFFER = 0x98,
};

uint64_t little_endian(const uint8_t* p, size_t count) {
  uint64_t value = 0;
  for (size_t i = count; i-- > 0;) value = (value << 8) | p[i];
  return value;
}

struct StorageClass {
  const char* name;
  sam_dtype dtype;
};

constexpr StorageClass kStorageClasses[] = {
    {"FloatStorage", SAM_DTYPE_FLOAT32}, {"HalfStorage", SAM_DTYPE_FLOAT16},  {"BFloat16Storage", SAM_DTYPE_BFLOAT16},
    {"LongStorage", SAM_DTYPE_INT64},    {"IntStorage", SAM_DTYPE_INT32},     {"ByteStorage", SAM_DTYPE_UINT8},
    {"BoolStorage", SAM_DTYPE_BOOL},     {"DoubleStorage", SAM_DTYPE_FLOAT64}, {"ShortStorage", SAM_DTYPE_INT16},
    {"CharStorage", SAM_DTYPE_INT8},
};

const char* kind_name(PickleKind kind) {
  switch (kind) {
    case PickleKind::None: return "None";
    case PickleKind::Bool: return "a bool";
    case PickleKind::Int: return "an int";
    case PickleKind::Float: return "a float";
    case PickleKind::String: return "a string";
    case PickleKind::Tuple: return "a tuple";
    case PickleKind::List: return "a list";
    case PickleKind::Dict: return "a dict";
    case PickleKind::Global: return "a class or function";
    case PickleKind::Storage: return "a storage";
    case PickleKind::Tensor: return "a tensor";
  }
  return "an object";
}

}  // namespace

const char* pickle_opcode_name(uint8_t opcode) {
  switch (opcode) {
    case MARK: return "MARK"; case STOP: return "STOP"; case POP: return "POP"; case POP_MARK: return "POP_MARK";
    case DUP: return "DUP"; case FLOAT: return "FLOAT"; case INT: return "INT"; case BININT: return "BININT";
    case BININT1: return "BININT1"; case LONG: return "LONG"; case BININT2: return "BININT2"; case NONE: return "NONE";
    case PERSID: return "PERSID"; case BINPERSID: return "BINPERSID"; case REDUCE: return "REDUCE";
    case STRING: return "STRING"; case BINSTRING: return "BINSTRING"; case SHORT_BINSTRING: return "SHORT_BINSTRING";
    case UNICODE: return "UNICODE"; case BINUNICODE: return "BINUNICODE"; case APPEND: return "APPEND";
    case BUILD: return "BUILD"; case GLOBAL: return "GLOBAL"; case DICT: return "DICT"; case EMPTY_DICT: return "EMPTY_DICT";
    case APPENDS: return "APPENDS"; case GET: return "GET"; case BINGET: return "BINGET"; case INST: return "INST";
    case LONG_BINGET: return "LONG_BINGET"; case LIST: return "LIST"; case EMPTY_LIST: return "EMPTY_LIST";
    case OBJ: return "OBJ"; case PUT: return "PUT"; case BINPUT: return "BINPUT"; case LONG_BINPUT: return "LONG_BINPUT";
    case SETITEM: return "SETITEM"; case TUPLE: return "TUPLE"; case EMPTY_TUPLE: return "EMPTY_TUPLE";
    case SETITEMS: return "SETITEMS"; case BINFLOAT: return "BINFLOAT"; case PROTO: return "PROTO";
    case NEWOBJ: return "NEWOBJ"; case EXT1: return "EXT1"; case EXT2: return "EXT2"; case EXT4: return "EXT4";
    case TUPLE1: return "TUPLE1"; case TUPLE2: return "TUPLE2"; case TUPLE3: return "TUPLE3";
    case NEWTRUE: return "NEWTRUE"; case NEWFALSE: return "NEWFALSE"; case LONG1: return "LONG1"; case LONG4: return "LONG4";
    case BINBYTES: return "BINBYTES"; case SHORT_BINBYTES: return "SHORT_BINBYTES";
    case SHORT_BINUNICODE: return "SHORT_BINUNICODE"; case BINUNICODE8: return "BINUNICODE8";
    case BINBYTES8: return "BINBYTES8"; case EMPTY_SET: return "EMPTY_SET"; case ADDITEMS: return "ADDITEMS";
    case FROZENSET: return "FROZENSET"; case NEWOBJ_EX: return "NEWOBJ_EX"; case STACK_GLOBAL: return "STACK_GLOBAL";
    case MEMOIZE: return "MEMOIZE"; case FRAME: return "FRAME"; case BYTEARRAY8: return "BYTEARRAY8";
    case NEXT_BUFFER: return "NEXT_BUFFER"; case READONLY_BUFFER: return "READONLY_BUFFER";
    default: return "unknown";
  }
}

PickleMachine::PickleMachine(const uint8_t* bytes, size_t size, std::string source)
    : bytes_(bytes), size_(size), source_(std::move(source)) {}

void PickleMachine::fail(const std::string& what) const { fail_at(opcode_at_, what); }

void PickleMachine::fail_at(size_t offset, const std::string& what) const {
  char code[8];
  std::snprintf(code, sizeof code, "0x%02x", opcode_);
  throw Error(SAM_ERROR_FORMAT, source_ + ": " + what + " (opcode " + pickle_opcode_name(opcode_) + " " + code +
                                    " at byte " + std::to_string(offset) + ")");
}

const uint8_t* PickleMachine::take(size_t count) {
  if (count > size_ - position_) fail("the pickle ends in the middle of an opcode's argument; the file is truncated");
  const uint8_t* at = bytes_ + position_;
  position_ += count;
  return at;
}

uint32_t PickleMachine::make(PickleKind kind, uint32_t ref, int64_t integer, double real) {
  if (objects_.size() >= kMaxObjects) fail("too many objects in the pickle");
  objects_.push_back(PickleObject{kind, ref, integer, real});
  return static_cast<uint32_t>(objects_.size() - 1);
}

uint32_t PickleMachine::make_string(std::string text) {
  strings_.push_back(std::move(text));
  return make(PickleKind::String, static_cast<uint32_t>(strings_.size() - 1));
}

uint32_t PickleMachine::make_container(PickleKind kind, std::vector<uint32_t> items) {
  containers_.push_back(std::move(items));
  return make(kind, static_cast<uint32_t>(containers_.size() - 1));
}

void PickleMachine::push(uint32_t object) {
  if (stack_.size() >= kMaxStack) fail("the pickle's stack grows too deep");
  stack_.push_back(object);
}

uint32_t PickleMachine::pop() {
  const size_t floor = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= floor) fail("the pickle pops from an empty stack");
  const uint32_t object = stack_.back();
  stack_.pop_back();
  return object;
}

uint32_t PickleMachine::top() const {
  const size_t floor = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= floor) fail("the pickle reads an empty stack");
  return stack_.back();
}

std::vector<uint32_t> PickleMachine::pop_to_mark() {
  if (marks_.empty()) fail("the pickle closes a MARK it never opened");
  const size_t mark = marks_.back();
  marks_.pop_back();
  std::vector<uint32_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
  stack_.resize(mark);
  return items;
}

void PickleMachine::put_memo(uint64_t index) {
  // The pickler numbers memo slots consecutively, so no honest index exceeds the byte count;
  // the bound keeps a hostile index from sizing the memo.
  if (index > size_) fail("memo index " + std::to_string(index) + " is out of range");
  if (index >= memo_.size()) memo_.resize(static_cast<size_t>(index) + 1, 0);
  if (memo_[index] == 0) ++memo_used_;
  memo_[index] = top() + 1;
}

void PickleMachine::get_memo(uint64_t index) {
  if (index >= memo_.size() || memo_[index] == 0) fail("memo slot " + std::to_string(index) + " is empty");
  push(memo_[index] - 1);
}

const PickleObject& PickleMachine::checked(uint32_t object, PickleKind kind, const char* what) const {
  const PickleObject& found = objects_[object];
  if (found.kind != kind)
    fail(std::string(what) + " should be " + kind_name(kind) + " but is " + kind_name(found.kind));
  return found;
}

int64_t PickleMachine::integer_of(uint32_t object, const char* what) const {
  return checked(object, PickleKind::Int, what).integer;
}

std::vector<int64_t> PickleMachine::integers_of(uint32_t object, const char* what) const {
  const PickleObject& tuple = checked(object, PickleKind::Tuple, what);
  std::vector<int64_t> values;
  for (uint32_t item : items(tuple)) values.push_back(integer_of(item, what));
  return values;
}

void PickleMachine::global(const std::string& module, const std::string& name) {
  if (module == "collections" && name == "OrderedDict")
    return push(make(PickleKind::Global, static_cast<uint32_t>(PickleGlobal::OrderedDict)));
  if (module == "torch._utils" && name == "_rebuild_tensor_v2")
    return push(make(PickleKind::Global, static_cast<uint32_t>(PickleGlobal::RebuildTensor)));
  if (module == "torch._utils" && name == "_rebuild_parameter")
    return push(make(PickleKind::Global, static_cast<uint32_t>(PickleGlobal::RebuildParameter)));
  if (module == "torch._utils" && name == "_rebuild_parameter_with_state")
    return push(make(PickleKind::Global, static_cast<uint32_t>(PickleGlobal::RebuildParameterWithState)));
  if (module == "torch" && name == "Size")
    return push(make(PickleKind::Global, static_cast<uint32_t>(PickleGlobal::TorchSize)));
  if (module == "torch") {
    for (const auto& storage : kStorageClasses)
      if (name == storage.name)
        return push(make(PickleKind::Global, static_cast<uint32_t>(PickleGlobal::StorageType), storage.dtype));
  }
  fail("refusing to load '" + printable(module + "." + name) + "': a state dict holds only tensors, dicts and plain values");
}

void PickleMachine::persistent_load() {
  const PickleObject& id = checked(pop(), PickleKind::Tuple, "a persistent id");
  const auto& fields = items(id);
  if (fields.size() != 5) fail("a persistent id should have 5 fields, not " + std::to_string(fields.size()));
  const PickleObject& tag = checked(fields[0], PickleKind::String, "a persistent id's tag");
  if (string(tag) != "storage") fail("unknown persistent id '" + printable(string(tag)) + "'");
  const PickleObject& type = checked(fields[1], PickleKind::Global, "a storage type");
  if (type.ref != static_cast<uint32_t>(PickleGlobal::StorageType)) fail("a storage type should be a torch storage class");
  const std::string& key = string(checked(fields[2], PickleKind::String, "a storage key"));
  checked(fields[3], PickleKind::String, "a storage location");
  const int64_t numel = integer_of(fields[4], "a storage size");
  if (numel < 0) fail("storage '" + printable(key) + "' has a negative size");
  const auto dtype = static_cast<sam_dtype>(type.integer);

  // torch.save names each storage once per view; every view of it must agree.
  const auto known = storage_index_.find(key);
  if (known != storage_index_.end()) {
    const PickleStorage& first = storages_[known->second];
    if (first.dtype != dtype || first.numel != numel)
      fail("storage '" + printable(key) + "' is described twice with different types or sizes");
    return push(make(PickleKind::Storage, known->second));
  }
  const auto index = static_cast<uint32_t>(storages_.size());
  storages_.push_back(PickleStorage{dtype, key, numel});
  storage_index_.emplace(key, index);
  push(make(PickleKind::Storage, index));
}

uint32_t PickleMachine::rebuild_tensor(const std::vector<uint32_t>& args) {
  // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  if (args.size() != 6 && args.size() != 7)
    fail("_rebuild_tensor_v2 takes 6 or 7 arguments, not " + std::to_string(args.size()));
  const PickleObject& storage = checked(args[0], PickleKind::Storage, "a tensor's storage");
  PickleTensor tensor;
  tensor.storage = storage.ref;
  tensor.storage_offset = integer_of(args[1], "a tensor's storage offset");
  tensor.shape = integers_of(args[2], "a tensor's size");
  tensor.strides = integers_of(args[3], "a tensor's stride");
  if (tensor.shape.size() != tensor.strides.size()) fail("a tensor's size and stride differ in length");
  tensors_.push_back(std::move(tensor));
  return make(PickleKind::Tensor, static_cast<uint32_t>(tensors_.size() - 1));
}

void PickleMachine::reduce() {
  const uint32_t args_ref = pop();
  const auto callee = static_cast<PickleGlobal>(checked(pop(), PickleKind::Global, "the callee of REDUCE").ref);
  const std::vector<uint32_t> args = items(checked(args_ref, PickleKind::Tuple, "the arguments of REDUCE"));
  switch (callee) {
    case PickleGlobal::OrderedDict:
      if (!args.empty()) fail("OrderedDict is only rebuilt from no arguments");
      return push(make_container(PickleKind::Dict, {}));
    case PickleGlobal::RebuildTensor:
      return push(rebuild_tensor(args));
    case PickleGlobal::RebuildParameter:
    case PickleGlobal::RebuildParameterWithState:
      // (data, requires_grad, backward_hooks[, state]): a parameter is its data.
      if (args.empty()) fail("_rebuild_parameter takes the tensor as its first argument");
      checked(args[0], PickleKind::Tensor, "a parameter's data");
      return push(args[0]);
    case PickleGlobal::TorchSize: {
      if (args.size() != 1) fail("torch.Size takes one argument");
      const PickleObject& dims = checked(args[0], PickleKind::Tuple, "torch.Size's argument");
      return push(make_container(PickleKind::Tuple, items(dims)));
    }
    case PickleGlobal::StorageType:
      fail("a storage class is never called in a state dict");
  }
  fail("unknown callee");
}

void PickleMachine::build() {
  pop();  // the state
  // An OrderedDict's state is its attribute dict: state_dict()'s `_metadata` (module versions),
  // which loading weights does not need.
  checked(top(), PickleKind::Dict, "the target of BUILD");
}

uint32_t PickleMachine::run() {
  while (true) {
    if (position_ >= size_)
      throw Error(SAM_ERROR_FORMAT, source_ + ": the pickle ends without STOP at byte " + std::to_string(size_) +
                                        "; the file is truncated");
    opcode_at_ = position_;
    opcode_ = bytes_[position_++];
    switch (opcode_) {
      case PROTO: {
        const uint8_t version = *take(1);
        if (version > kHighestProtocol) fail("pickle protocol " + std::to_string(version) + " is not supported");
        break;
      }
      case FRAME: {
        // Frames only announce how many bytes follow; opcodes inside are read as usual.
        const uint64_t length = little_endian(take(8), 8);
        if (length > size_ - position_) fail("a frame runs past the end of the pickle; the file is truncated");
        break;
      }
      case STOP: {
        const uint32_t root = pop();
        return root;
      }
      case MARK:
        if (marks_.size() >= kMaxMarks) fail("too many nested MARKs");
        marks_.push_back(stack_.size());
        break;
      case NONE: push(make(PickleKind::None)); break;
      case NEWTRUE: push(make(PickleKind::Bool, 0, 1)); break;
      case NEWFALSE: push(make(PickleKind::Bool, 0, 0)); break;
      case BININT: {
        const auto value = static_cast<int32_t>(static_cast<uint32_t>(little_endian(take(4), 4)));
        push(make(PickleKind::Int, 0, value));
        break;
      }
      case BININT1: push(make(PickleKind::Int, 0, *take(1))); break;
      case BININT2: push(make(PickleKind::Int, 0, static_cast<int64_t>(little_endian(take(2), 2)))); break;
      case LONG1: {
        const uint8_t count = *take(1);
        if (count > 8) fail("an integer of " + std::to_string(count) + " bytes is too large");
        uint64_t value = little_endian(take(count), count);
        if (count > 0 && count < 8 && (value >> (8 * count - 1)) != 0) value |= ~uint64_t{0} << (8 * count);  // sign
        push(make(PickleKind::Int, 0, static_cast<int64_t>(value)));
        break;
      }
      case BINFLOAT: {
        const uint8_t* p = take(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];  // big-endian
        double value;
        std::memcpy(&value, &bits, sizeof value);
        push(make(PickleKind::Float, 0, 0, value));
        break;
      }
      case SHORT_BINUNICODE:
      case SHORT_BINSTRING: {
        const uint8_t length = *take(1);
        const uint8_t* text = take(length);
        push(make_string(std::string(reinterpret_cast<const char*>(text), length)));
        break;
      }
      case BINUNICODE:
      case BINSTRING:
      case BINUNICODE8: {
        const size_t width = opcode_ == BINUNICODE8 ? 8 : 4;
        const uint64_t length = little_endian(take(width), width);
        if (opcode_ == BINSTRING && length > 0x7fffffff) fail("a string has a negative length");
        if (length > size_ - position_) fail("a string runs past the end of the pickle; the file is truncated");
        const uint8_t* text = take(static_cast<size_t>(length));
        push(make_string(std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(length))));
        break;
      }
      case GLOBAL: {
        // "module\nname\n"
        auto line = [&]() {
          const size_t start = position_;
          const void* end = std::memchr(bytes_ + start, '\n', size_ - start);
          if (!end) fail("GLOBAL's name has no end; the file is truncated");
          const size_t length = static_cast<size_t>(static_cast<const uint8_t*>(end) - (bytes_ + start));
          position_ = start + length + 1;
          return std::string(reinterpret_cast<const char*>(bytes_ + start), length);
        };
        const std::string module = line();
        const std::string name = line();
        global(module, name);
        break;
      }
      case STACK_GLOBAL: {
        const std::string name = string(checked(pop(), PickleKind::String, "STACK_GLOBAL's name"));
        const std::string module = string(checked(pop(), PickleKind::String, "STACK_GLOBAL's module"));
        global(module, name);
        break;
      }
      case EMPTY_TUPLE: push(make_container(PickleKind::Tuple, {})); break;
      case TUPLE1:
      case TUPLE2:
      case TUPLE3: {
        const size_t count = static_cast<size_t>(opcode_ - TUPLE1 + 1);
        std::vector<uint32_t> items(count);
        for (size_t i = count; i-- > 0;) items[i] = pop();
        push(make_container(PickleKind::Tuple, std::move(items)));
        break;
      }
      case TUPLE: push(make_container(PickleKind::Tuple, pop_to_mark())); break;
      case EMPTY_LIST: push(make_container(PickleKind::List, {})); break;
      case EMPTY_DICT: push(make_container(PickleKind::Dict, {})); break;
      case DICT: {
        auto items = pop_to_mark();
        if (items.size() % 2 != 0) fail("DICT has a key without a value");
        push(make_container(PickleKind::Dict, std::move(items)));
        break;
      }
      case APPEND: {
        const uint32_t value = pop();
        const PickleObject& list = checked(top(), PickleKind::List, "the target of APPEND");
        containers_[list.ref].push_back(value);
        break;
      }
      case APPENDS: {
        auto values = pop_to_mark();
        const PickleObject& list = checked(top(), PickleKind::List, "the target of APPENDS");
        auto& items = containers_[list.ref];
        items.insert(items.end(), values.begin(), values.end());
        break;
      }
      case SETITEM: {
        const uint32_t value = pop();
        const uint32_t key = pop();
        const PickleObject& dict = checked(top(), PickleKind::Dict, "the target of SETITEM");
        containers_[dict.ref].push_back(key);
        containers_[dict.ref].push_back(value);
        break;
      }
      case SETITEMS: {
        auto pairs = pop_to_mark();
        if (pairs.size() % 2 != 0) fail("SETITEMS has a key without a value");
        const PickleObject& dict = checked(top(), PickleKind::Dict, "the target of SETITEMS");
        auto& items = containers_[dict.ref];
        items.insert(items.end(), pairs.begin(), pairs.end());
        break;
      }
      case BINPUT: put_memo(*take(1)); break;
      case LONG_BINPUT: put_memo(little_endian(take(4), 4)); break;
      case MEMOIZE: put_memo(memo_used_); break;
      case BINGET: get_memo(*take(1)); break;
      case LONG_BINGET: get_memo(little_endian(take(4), 4)); break;
      case BINPERSID: persistent_load(); break;
      case REDUCE: reduce(); break;
      case BUILD: build(); break;
      default:
        fail("unsupported pickle opcode: torch.save state dicts do not use it");
    }
  }
}

}  // namespace sam
