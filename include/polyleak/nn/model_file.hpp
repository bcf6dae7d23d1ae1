#pragma once
// The native binary model file of polyleak: save_model() and load_model<Scalar>().
//
// Layout (all integers and floats little-endian; docs/nn.md has the same table):
//   offset  size  field
//   0       8     magic "PLKMLP\r\n"
//   8       4     u32 format version (1)
//   12      1     u8 scalar type: 4 = float32, 8 = float64 (its size in bytes)
//   13      1     u8 activation: 0 = ReLU, 1 = leaky ReLU
//   14      2     u16 reserved, 0
//   16      8     f64 negative slope (0 for ReLU)
//   24      8     u64 k, the number of layer sizes (input, hidden..., output), 2 <= k <= 1024
//   32      8k    u64 layer sizes, each 1 <= size < 2^31
//   32+8k   ...   for each layer l: weights (sizes[l+1] x sizes[l], row by row), then biases
//                 (sizes[l+1]), as scalars of the stored type; the file ends there.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "polyleak/core/error.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/nn/detail/bytes.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

namespace detail::model_file {

inline constexpr std::array<unsigned char, 8> magic{'P', 'L', 'K', 'M', 'L', 'P', '\r', '\n'};
inline constexpr std::uint32_t version = 1;
inline constexpr std::uint64_t max_layer_sizes = 1024;
inline constexpr std::uint64_t max_layer_size = (std::uint64_t(1) << 31) - 1;
inline constexpr std::size_t header_size = 32;

inline const char* scalar_name(std::uint64_t bytes) {
  return bytes == 4 ? "float32" : "float64";
}

/// Checked reads from a file's bytes; errors name the file, the byte offset and what was expected.
class Reader {
 public:
  Reader(const std::vector<unsigned char>& bytes, std::string file)
      : bytes_(bytes), file_(std::move(file)) {}

  [[noreturn]] void fail(std::size_t offset, const std::string& message) const {
    throw FormatError("load_model: " + file_ + ": at byte offset " + std::to_string(offset) + ": " +
                      message);
  }

  void require(std::size_t offset, std::uint64_t count, const std::string& what) const {
    if (offset > bytes_.size() || count > bytes_.size() - offset)
      fail(offset, "file truncated: expected " + what + " (" + std::to_string(count) +
                       " bytes), the file has " + std::to_string(bytes_.size()) + " bytes");
  }

  template <class T>
  T read(std::size_t offset, const std::string& what) const {
    require(offset, sizeof(T), what);
    return load_little_endian<T>(bytes_.data() + offset);
  }

  std::size_t size() const noexcept { return bytes_.size(); }
  const unsigned char* data() const noexcept { return bytes_.data(); }

 private:
  const std::vector<unsigned char>& bytes_;
  std::string file_;
};

}  // namespace detail::model_file

/// Saves `network` in polyleak's native binary format (layout above). The bytes go to a temporary
/// file beside `path` that is then renamed to `path`, so a failed save leaves no partial file.
/// Throws IoError if the file cannot be written. Cost: one copy of the parameters in memory.
/// Deterministic: the same network gives the same bytes on every machine.
/// @tparam Scalar float or double; stored as float32 or float64.
template <RealScalar Scalar>
void save_model(const Mlp<Scalar>& network, const std::filesystem::path& path) {
  namespace format = detail::model_file;
  std::vector<unsigned char> bytes(format::magic.begin(), format::magic.end());
  detail::append_little_endian(bytes, format::version);
  detail::append_little_endian(bytes, std::uint8_t(sizeof(Scalar)));
  detail::append_little_endian(bytes,
                               std::uint8_t(network.activation() == Activation::relu ? 0 : 1));
  detail::append_little_endian(bytes, std::uint16_t(0));
  detail::append_little_endian(bytes, double(network.negative_slope()));
  detail::append_little_endian(bytes, std::uint64_t(network.layer_sizes().size()));
  for (const Index size : network.layer_sizes())
    detail::append_little_endian(bytes, std::uint64_t(size));
  for (Index l = 0; l < network.layer_count(); ++l) {
    const Matrix<Scalar>& weights = network.weights(l);
    for (Index i = 0; i < weights.rows(); ++i)
      for (Index j = 0; j < weights.cols(); ++j)
        detail::append_little_endian(bytes, weights(i, j));
    for (Index i = 0; i < network.biases(l).size(); ++i)
      detail::append_little_endian(bytes, network.biases(l)(i));
  }
  detail::write_file_atomically(path, bytes, "save_model");
}

/// Loads a network saved by save_model(). Checks everything and throws FormatError naming the
/// file, the byte offset and what was expected: wrong magic, unknown version, a scalar type other
/// than Scalar (load_model<float> reads only float32 files; no silent conversion), unknown
/// activation, nonzero reserved bytes, a slope outside [0, 1), layer counts or sizes out of range,
/// a truncated file or trailing bytes. Throws IoError if the file cannot be read or is not a
/// regular file (e.g. a folder).
/// Cost: reads the whole file. Deterministic.
/// @tparam Scalar float or double, the scalar type the file must hold.
template <RealScalar Scalar>
Mlp<Scalar> load_model(const std::filesystem::path& path) {
  namespace format = detail::model_file;
  const std::vector<unsigned char> bytes = detail::read_file_bytes(path, "load_model");
  const format::Reader reader(bytes, path.string());

  reader.require(0, format::magic.size(), "the magic \"PLKMLP\\r\\n\"");
  if (!std::equal(format::magic.begin(), format::magic.end(), bytes.begin()))
    reader.fail(0, "wrong magic: expected \"PLKMLP\\r\\n\" (not a polyleak model file)");
  const auto version = reader.read<std::uint32_t>(8, "the format version");
  if (version != format::version)
    reader.fail(8, "format version " + std::to_string(version) + ", expected " +
                       std::to_string(format::version));
  const auto scalar_bytes = reader.read<std::uint8_t>(12, "the scalar type");
  if (scalar_bytes != 4 && scalar_bytes != 8)
    reader.fail(12, "scalar type code " + std::to_string(scalar_bytes) +
                        ", expected 4 (float32) or 8 (float64)");
  if (scalar_bytes != sizeof(Scalar))
    reader.fail(12, std::string("the file holds ") + format::scalar_name(scalar_bytes) +
                        " parameters, expected " + format::scalar_name(sizeof(Scalar)) +
                        " (load it with load_model<" + (scalar_bytes == 4 ? "float" : "double") +
                        ">)");
  const auto activation_code = reader.read<std::uint8_t>(13, "the activation");
  if (activation_code > 1)
    reader.fail(13, "activation code " + std::to_string(activation_code) +
                        ", expected 0 (ReLU) or 1 (leaky ReLU)");
  if (reader.read<std::uint16_t>(14, "reserved bytes") != 0)
    reader.fail(14, "reserved bytes are not 0");
  const auto slope = reader.read<double>(16, "the negative slope");
  if (!(slope >= 0 && slope < 1) || (activation_code == 0 && slope != 0))
    reader.fail(16, "negative slope " + std::to_string(slope) + ", expected " +
                        (activation_code == 0 ? "0 for ReLU" : "a value in [0, 1)"));
  const auto size_count = reader.read<std::uint64_t>(24, "the number of layer sizes");
  if (size_count < 2 || size_count > format::max_layer_sizes)
    reader.fail(24, std::to_string(size_count) + " layer sizes, expected 2.." +
                        std::to_string(format::max_layer_sizes));

  std::vector<Index> sizes;
  std::uint64_t parameter_count = 0;
  for (std::uint64_t k = 0; k < size_count; ++k) {
    const std::size_t offset = format::header_size + 8 * k;
    const auto size = reader.read<std::uint64_t>(offset, "layer size " + std::to_string(k));
    if (size < 1 || size > format::max_layer_size)
      reader.fail(offset, "layer size " + std::to_string(k) + " is " + std::to_string(size) +
                              ", expected 1.." + std::to_string(format::max_layer_size));
    if (k > 0) parameter_count += (std::uint64_t(sizes.back()) + 1) * size;
    sizes.push_back(Index(size));
    // Each term is below 2^62 and the sum so far below the file size: no overflow.
    if (parameter_count > reader.size() / sizeof(Scalar))
      reader.fail(format::header_size + 8 * size_count,
                  "file truncated: layer sizes 0.." + std::to_string(k) + " need " +
                      std::to_string(parameter_count) + " parameters of " +
                      format::scalar_name(sizeof(Scalar)) + ", the file has " +
                      std::to_string(reader.size()) + " bytes");
  }

  const std::size_t offset = format::header_size + 8 * size_count;
  const std::uint64_t parameter_bytes = parameter_count * sizeof(Scalar);
  reader.require(
      offset, parameter_bytes,
      std::to_string(parameter_count) + " parameters of " + format::scalar_name(sizeof(Scalar)));
  if (reader.size() - offset != parameter_bytes)
    reader.fail(offset + parameter_bytes,
                std::to_string(reader.size() - offset - parameter_bytes) +
                    " unexpected bytes after the last parameter, expected the end of the file");

  Mlp<Scalar> network(sizes, activation_code == 0 ? Activation::relu : Activation::leaky_relu,
                      activation_code == 0 ? Scalar(0.01) : Scalar(slope));
  const unsigned char* cursor = reader.data() + offset;
  auto next = [&cursor] {
    const Scalar value = detail::load_little_endian<Scalar>(cursor);
    cursor += sizeof(Scalar);
    return value;
  };
  for (Index l = 0; l < network.layer_count(); ++l) {
    Matrix<Scalar>& weights = network.weights(l);
    for (Index i = 0; i < weights.rows(); ++i)
      for (Index j = 0; j < weights.cols(); ++j)
        weights(i, j) = next();
    for (Index i = 0; i < network.biases(l).size(); ++i)
      network.biases(l)(i) = next();
  }
  return network;
}

}  // namespace polyleak
