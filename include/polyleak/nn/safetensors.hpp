#pragma once
// Import of a PyTorch nn.Sequential of Linear and ReLU layers from a .safetensors state dict.
//
// A safetensors file is: u64 little-endian header length N, N bytes of JSON header, then the data
// buffer. The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the data buffer, tensors stored row-major); "__metadata__" is ignored.

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "polyleak/core/error.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/nn/detail/bytes.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

namespace detail::safetensors {

/// One tensor of the header, checked against the data buffer.
struct Tensor {
  std::string key;
  std::size_t element_size = 0;  // 4 for F32, 8 for F64
  std::vector<std::uint64_t> shape;
  std::size_t begin = 0;  // absolute byte offset in the file
};

struct Layer {
  const Tensor* weight = nullptr;
  const Tensor* bias = nullptr;
};

inline std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

class Parser {
 public:
  Parser(const std::vector<unsigned char>& bytes, std::string file)
      : bytes_(bytes), file_(std::move(file)) {}

  [[noreturn]] void fail_at(std::size_t offset, const std::string& message) const {
    throw FormatError("import_safetensors: " + file_ + ": at byte offset " +
                      std::to_string(offset) + ": " + message);
  }

  [[noreturn]] void fail_key(const std::string& key, const std::string& message) const {
    throw FormatError("import_safetensors: " + file_ + ": key '" + key + "': " + message);
  }

  /// Parses the header and returns every tensor, checked against the data buffer.
  std::vector<Tensor> tensors() const {
    if (bytes_.size() < 8)
      fail_at(0, "file truncated: expected an 8-byte header length, the file has " +
                     std::to_string(bytes_.size()) + " bytes");
    const auto header_length = load_little_endian<std::uint64_t>(bytes_.data());
    if (header_length > bytes_.size() - 8)
      fail_at(0, "header length " + std::to_string(header_length) +
                     " runs past the end of the file (" + std::to_string(bytes_.size()) +
                     " bytes)");
    const std::size_t data_begin = 8 + std::size_t(header_length);
    const std::size_t data_size = bytes_.size() - data_begin;

    nlohmann::json header;
    try {
      header =
          nlohmann::json::parse(bytes_.begin() + 8, bytes_.begin() + std::ptrdiff_t(data_begin));
    } catch (const nlohmann::json::parse_error& error) {
      fail_at(8 + (error.byte > 0 ? error.byte - 1 : 0),
              std::string("invalid JSON header: ") + error.what());
    }
    if (!header.is_object()) fail_at(8, "the JSON header is not an object");

    std::vector<Tensor> result;
    for (const auto& [key, entry] : header.items()) {
      if (key == "__metadata__") continue;
      result.push_back(tensor(key, entry, data_begin, data_size));
    }
    return result;
  }

 private:
  static std::uint64_t unsigned_value(const nlohmann::json& value) {
    return value.is_number_unsigned() ? value.get<std::uint64_t>() : ~std::uint64_t(0);
  }

  Tensor tensor(const std::string& key, const nlohmann::json& entry, std::size_t data_begin,
                std::size_t data_size) const {
    if (!entry.is_object()) fail_key(key, "expected an object with dtype, shape and data_offsets");
    Tensor tensor;
    tensor.key = key;

    const auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string()) fail_key(key, "expected a string dtype");
    if (*dtype == "F32")
      tensor.element_size = 4;
    else if (*dtype == "F64")
      tensor.element_size = 8;
    else
      fail_key(key, "unsupported dtype " + dtype->dump() + ", expected \"F32\" or \"F64\"");

    const auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array())
      fail_key(key, "expected a shape array of non-negative integers");
    std::uint64_t elements = 1;
    for (const auto& extent : *shape) {
      const std::uint64_t value = unsigned_value(extent);
      if (!extent.is_number_integer() || extent.get<std::int64_t>() < 0 ||
          (value > 0 && elements > data_size / value))
        fail_key(key, "shape " + shape->dump() +
                          " is not a list of non-negative integers that fits the data buffer (" +
                          std::to_string(data_size) + " bytes)");
      tensor.shape.push_back(value);
      elements *= value;
    }

    const auto offsets = entry.find("data_offsets");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
        !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
      fail_key(key, "expected data_offsets [begin, end] of two non-negative integers");
    const std::uint64_t begin = (*offsets)[0].get<std::uint64_t>();
    const std::uint64_t end = (*offsets)[1].get<std::uint64_t>();
    if (begin > end || end > data_size)
      fail_key(key, "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                        "] out of range: expected 0 <= begin <= end <= " +
                        std::to_string(data_size) + ", the size of the data buffer");
    if (end - begin != elements * tensor.element_size)
      fail_key(key, "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                        "] hold " + std::to_string(end - begin) + " bytes, expected " +
                        std::to_string(elements * tensor.element_size) + " for shape " +
                        shape_text(tensor.shape) + " of " + dtype->get<std::string>());
    tensor.begin = data_begin + std::size_t(begin);
    return tensor;
  }

  const std::vector<unsigned char>& bytes_;
  std::string file_;
};

/// The layers of the state dict by module index, each with its weight and bias.
inline std::map<std::uint64_t, Layer> layers(const std::vector<Tensor>& tensors,
                                             const Parser& parser) {
  std::map<std::uint64_t, Layer> result;
  for (const Tensor& tensor : tensors) {
    const std::string& key = tensor.key;
    const std::size_t dot = key.find('.');
    std::uint64_t index = 0;
    const char* first = key.data();
    const char* last = key.data() + (dot == std::string::npos ? key.size() : dot);
    const auto [end, error] = std::from_chars(first, last, index);
    const std::string suffix = dot == std::string::npos ? "" : key.substr(dot + 1);
    if (first == last || error != std::errc() || end != last ||
        (suffix != "weight" && suffix != "bias"))
      parser.fail_key(key,
                      "expected '<index>.weight' or '<index>.bias' (the state dict of an "
                      "nn.Sequential of Linear and ReLU layers)");
    const Tensor*& slot = suffix == "weight" ? result[index].weight : result[index].bias;
    if (slot) parser.fail_key(key, "appears twice");
    slot = &tensor;
  }
  return result;
}

template <RealScalar Scalar>
Scalar element(const unsigned char* bytes, std::size_t element_size) {
  return element_size == 4 ? Scalar(load_little_endian<float>(bytes))
                           : Scalar(load_little_endian<double>(bytes));
}

}  // namespace detail::safetensors

/// Imports the state dict of a PyTorch `nn.Sequential` of `Linear` layers with `ReLU` between
/// them from a .safetensors file: keys "<i>.weight" (shape [out, in]) and "<i>.bias" ([out]),
/// F32 or F64 (converted to Scalar), ordered by the module index i (indices need not be contiguous,
/// e.g. 0, 2, 4 with ReLU modules between). The result is a ReLU Mlp whose layer l is the l-th
/// Linear module.
///
/// Throws FormatError naming the file and the key or byte offset and what was expected: truncated
/// file, header length past the end, invalid JSON, unsupported dtype, data_offsets out of range or
/// inconsistent with shape and dtype, keys of another form, a weight without bias or the reverse,
/// shapes that do not chain (each layer's inputs are the previous layer's outputs), an empty state
/// dict. Throws IoError if the file cannot be read or is not a regular file (e.g. a folder).
/// Cost: reads the whole file. Deterministic.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
Mlp<Scalar> import_safetensors(const std::filesystem::path& path) {
  namespace format = detail::safetensors;
  const std::vector<unsigned char> bytes = detail::read_file_bytes(path, "import_safetensors");
  const format::Parser parser(bytes, path.string());
  const std::vector<format::Tensor> tensors = parser.tensors();
  const std::map<std::uint64_t, format::Layer> layers = format::layers(tensors, parser);
  if (layers.empty())
    parser.fail_at(8, "empty state dict: expected at least one '<index>.weight' and its bias");

  std::vector<Index> sizes;
  const format::Tensor* previous = nullptr;
  for (const auto& [index, layer] : layers) {
    const std::string name = std::to_string(index);
    if (!layer.weight) parser.fail_key(name + ".bias", "no '" + name + ".weight' for this bias");
    if (!layer.bias) parser.fail_key(name + ".weight", "no '" + name + ".bias' for this weight");
    const auto& weight_shape = layer.weight->shape;
    if (weight_shape.size() != 2 || weight_shape[0] == 0 || weight_shape[1] == 0)
      parser.fail_key(layer.weight->key, "shape " + format::shape_text(weight_shape) +
                                             ", expected [out, in] with out, in >= 1");
    if (layer.bias->shape != std::vector<std::uint64_t>{weight_shape[0]})
      parser.fail_key(layer.bias->key, "shape " + format::shape_text(layer.bias->shape) +
                                           ", expected [" + std::to_string(weight_shape[0]) +
                                           "] to match '" + layer.weight->key + "'");
    if (previous && weight_shape[1] != previous->shape[0])
      parser.fail_key(layer.weight->key, "shape " + format::shape_text(weight_shape) + " takes " +
                                             std::to_string(weight_shape[1]) +
                                             " inputs, expected " +
                                             std::to_string(previous->shape[0]) +
                                             ", the outputs of '" + previous->key + "'");
    if (!previous) sizes.push_back(Index(weight_shape[1]));
    sizes.push_back(Index(weight_shape[0]));
    previous = layer.weight;
  }

  Mlp<Scalar> network(sizes, Activation::relu);
  Index l = 0;
  for (const auto& [index, layer] : layers) {
    Matrix<Scalar>& weights = network.weights(l);
    const std::size_t size = layer.weight->element_size;
    const unsigned char* cursor = bytes.data() + layer.weight->begin;
    for (Index i = 0; i < weights.rows(); ++i)
      for (Index j = 0; j < weights.cols(); ++j, cursor += size)
        weights(i, j) = format::element<Scalar>(cursor, size);
    cursor = bytes.data() + layer.bias->begin;
    for (Index i = 0; i < network.biases(l).size(); ++i, cursor += layer.bias->element_size)
      network.biases(l)(i) = format::element<Scalar>(cursor, layer.bias->element_size);
    ++l;
  }
  return network;
}

}  // namespace polyleak
