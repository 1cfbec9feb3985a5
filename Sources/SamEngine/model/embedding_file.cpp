#include "model/embedding_file.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "engine_error.h"

namespace sam {
namespace {

constexpr char kMagic[8] = {'S', 'A', 'M', 'E', 'M', 'B', 'E', 'D'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxStringLength = 4096;
constexpr uint32_t kMaxTensors = 16;
constexpr uint32_t kMaxRank = 8;

bool host_is_little_endian() {
  const uint16_t probe = 1;
  uint8_t first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

class Writer {
 public:
  void bytes(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    out_.insert(out_.end(), p, p + size);
  }
  template <typename T>
  void integer(T value) {
    for (size_t i = 0; i < sizeof(T); ++i) out_.push_back(static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i)));
  }
  void string(const std::string& s) {
    integer<uint32_t>(static_cast<uint32_t>(s.size()));
    bytes(s.data(), s.size());
  }
  void floats(const float* values, size_t count) {
    if (host_is_little_endian()) {
      bytes(values, count * sizeof(float));
      return;
    }
    for (size_t i = 0; i < count; ++i) {
      uint32_t bits;
      std::memcpy(&bits, &values[i], 4);
      integer<uint32_t>(bits);
    }
  }
  const std::vector<uint8_t>& data() const { return out_; }

 private:
  std::vector<uint8_t> out_;
};

class Reader {
 public:
  Reader(const std::vector<uint8_t>& data, const std::string& path) : data_(data), path_(path) {}

  [[noreturn]] void fail(const std::string& why) const {
    throw Error(SAM_ERROR_FORMAT, path_ + ": not a usable embedding file: " + why);
  }
  void need(size_t size, const char* what) const {
    if (data_.size() - offset_ < size) fail(std::string("truncated ") + what);
  }
  template <typename T>
  T integer(const char* what) {
    need(sizeof(T), what);
    uint64_t value = 0;
    for (size_t i = 0; i < sizeof(T); ++i) value |= static_cast<uint64_t>(data_[offset_ + i]) << (8 * i);
    offset_ += sizeof(T);
    return static_cast<T>(value);
  }
  std::string string(const char* what) {
    const uint32_t length = integer<uint32_t>(what);
    if (length > kMaxStringLength) fail(std::string(what) + " is too long");
    need(length, what);
    std::string s(reinterpret_cast<const char*>(data_.data() + offset_), length);
    offset_ += length;
    return s;
  }
  void floats(float* out, size_t count) {
    need(count * sizeof(float), "tensor data");
    if (host_is_little_endian()) {
      std::memcpy(out, data_.data() + offset_, count * sizeof(float));
      offset_ += count * sizeof(float);
      return;
    }
    for (size_t i = 0; i < count; ++i) {
      const uint32_t bits = integer<uint32_t>("tensor data");
      std::memcpy(&out[i], &bits, 4);
    }
  }
  bool magic() {
    if (data_.size() < sizeof(kMagic) || std::memcmp(data_.data(), kMagic, sizeof(kMagic)) != 0) return false;
    offset_ = sizeof(kMagic);
    return true;
  }
  size_t remaining() const { return data_.size() - offset_; }

 private:
  const std::vector<uint8_t>& data_;
  const std::string& path_;
  size_t offset_ = 0;
};

std::string shape_text(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

}  // namespace

void write_embedding_file(const std::string& path, const EmbeddingFile& embedding) {
  Writer writer;
  writer.bytes(kMagic, sizeof(kMagic));
  writer.integer<uint32_t>(kVersion);
  writer.string(embedding.model_name);
  writer.string(embedding.image_key);
  writer.integer<int32_t>(embedding.width);
  writer.integer<int32_t>(embedding.height);
  writer.integer<uint32_t>(static_cast<uint32_t>(embedding.tensors.size()));
  std::vector<at::Tensor> contiguous;
  for (const at::Tensor& tensor : embedding.tensors) {
    contiguous.push_back(tensor.to(at::kCPU, at::kFloat).contiguous());
    writer.integer<uint32_t>(static_cast<uint32_t>(tensor.dim()));
    for (int64_t size : tensor.sizes()) writer.integer<int64_t>(size);
  }
  for (const at::Tensor& tensor : contiguous) writer.floats(tensor.data_ptr<float>(), tensor.numel());

  // Per process: two samterms caching the same frame must not write into one temporary file.
  const std::string temporary = path + ".part" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(SAM_ERROR_IO, path + ": cannot write the embedding file");
    out.write(reinterpret_cast<const char*>(writer.data().data()), static_cast<std::streamsize>(writer.data().size()));
    out.close();
    if (!out) {
      std::remove(temporary.c_str());
      throw Error(SAM_ERROR_IO, path + ": writing the embedding file failed");
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw Error(SAM_ERROR_IO, path + ": cannot move the embedding file into place");
  }
}

std::vector<std::vector<int64_t>> image_feature_shapes(int64_t channels, int64_t side, bool high_res) {
  std::vector<std::vector<int64_t>> shapes = {{1, channels, side, side}};
  if (high_res) {
    shapes.push_back({1, channels / 8, 4 * side, 4 * side});
    shapes.push_back({1, channels / 4, 2 * side, 2 * side});
  }
  return shapes;
}

EmbeddingFile read_embedding_file(const std::string& path, const std::string& expected_model,
                                  const std::string& expected_key,
                                  const std::vector<std::vector<int64_t>>& expected_shapes) {
  // The largest file the expected shapes allow; anything bigger is not ours.
  size_t expected_floats = 0;
  for (const auto& shape : expected_shapes) {
    size_t count = 1;
    for (int64_t size : shape) count *= static_cast<size_t>(size);
    expected_floats += count;
  }
  const size_t max_size = 64 + 2 * kMaxStringLength + expected_shapes.size() * (4 + 8 * kMaxRank) +
                          expected_floats * sizeof(float);

  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(SAM_ERROR_IO, path + ": cannot open the embedding file");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw Error(SAM_ERROR_IO, path + ": cannot read the embedding file");
  if (static_cast<size_t>(size) > max_size) {
    throw Error(SAM_ERROR_FORMAT, path + ": not a usable embedding file: " + std::to_string(size) +
                                      " bytes is larger than an embedding of " + expected_model);
  }
  std::vector<uint8_t> data(static_cast<size_t>(size));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(data.data()), size);
  if (!in) throw Error(SAM_ERROR_IO, path + ": cannot read the embedding file");

  Reader reader(data, path);
  if (!reader.magic()) reader.fail("it does not start with SAMEMBED");
  const uint32_t version = reader.integer<uint32_t>("version");
  if (version != kVersion) reader.fail("version " + std::to_string(version) + " (this engine reads version 1)");

  EmbeddingFile file;
  file.model_name = reader.string("model name");
  if (file.model_name != expected_model) {
    throw Error(SAM_ERROR_FORMAT,
                path + ": the embedding was made by " + file.model_name + ", not by " + expected_model);
  }
  file.image_key = reader.string("image key");
  if (file.image_key != expected_key) {
    throw Error(SAM_ERROR_FORMAT, path + ": the embedding belongs to another image (key '" + file.image_key +
                                      "', expected '" + expected_key + "')");
  }
  file.width = reader.integer<int32_t>("width");
  file.height = reader.integer<int32_t>("height");
  if (file.width <= 0 || file.height <= 0) reader.fail("image size is not positive");

  const uint32_t count = reader.integer<uint32_t>("tensor count");
  if (count > kMaxTensors || count != expected_shapes.size()) {
    reader.fail(std::to_string(count) + " tensors, expected " + std::to_string(expected_shapes.size()));
  }
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t rank = reader.integer<uint32_t>("tensor rank");
    if (rank > kMaxRank) reader.fail("tensor rank " + std::to_string(rank));
    std::vector<int64_t> shape;
    for (uint32_t d = 0; d < rank; ++d) shape.push_back(reader.integer<int64_t>("tensor shape"));
    if (shape != expected_shapes[i]) {
      reader.fail("tensor " + std::to_string(i) + " has shape " + shape_text(shape) + ", expected " +
                  shape_text(expected_shapes[i]));
    }
  }
  for (uint32_t i = 0; i < count; ++i) {
    at::Tensor tensor = at::empty(expected_shapes[i], at::kFloat);
    reader.floats(tensor.data_ptr<float>(), static_cast<size_t>(tensor.numel()));
    file.tensors.push_back(tensor);
  }
  if (reader.remaining() != 0) reader.fail(std::to_string(reader.remaining()) + " unexpected bytes at the end");
  return file;
}

}  // namespace sam
