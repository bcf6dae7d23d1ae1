#pragma once
// Readers of IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or raw.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <zlib.h>

#include "polyleak/core/error.hpp"
#include "polyleak/core/scalar.hpp"

namespace polyleak {

namespace detail {

/// The content of `path`, gunzipped if it is gzip-compressed (zlib reads other files as they are).
/// Throws IoError if the file cannot be opened or read and FormatError (with the byte offset in the
/// decompressed stream) if the compressed data is corrupt.
inline std::vector<unsigned char> read_maybe_gzipped(const std::filesystem::path& path,
                                                     std::string_view function) {
  gzFile file = gzopen(path.string().c_str(), "rb");
  if (file == nullptr)
    throw IoError(std::string(function) + ": cannot open '" + path.string() + "' for reading");
  std::vector<unsigned char> content;
  constexpr std::size_t chunk = std::size_t(1) << 20;
  for (;;) {
    const std::size_t used = content.size();
    content.resize(used + chunk);
    const int read = gzread(file, content.data() + used, unsigned(chunk));
    if (read < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      if (code == Z_ERRNO)
        throw IoError(std::string(function) + ": reading '" + path.string() +
                      "' failed: " + message);
      throw FormatError(std::string(function) + ": " + path.string() + ": byte offset " +
                        std::to_string(used) + ": expected valid gzip data, zlib says: " + message);
    }
    content.resize(used + std::size_t(read));
    if (read == 0) break;
  }
  gzclose(file);
  return content;
}

/// An IDX array of unsigned bytes: its dimensions and its values in row-major order.
struct IdxArray {
  std::vector<Index> dimensions;
  std::vector<unsigned char> values;
};

/// Reads an IDX file of unsigned bytes (type code 0x08) with `dimension_count` dimensions.
/// Throws FormatError naming the byte offset for a wrong magic number, a short header, truncated
/// data or trailing bytes.
inline IdxArray read_idx(const std::filesystem::path& path, std::size_t dimension_count,
                         std::string_view function) {
  const std::vector<unsigned char> bytes = read_maybe_gzipped(path, function);
  auto fail = [&](std::size_t offset, const std::string& message) {
    throw FormatError(std::string(function) + ": " + path.string() + ": byte offset " +
                      std::to_string(offset) + ": " + message);
  };
  const std::size_t header = 4 + 4 * dimension_count;
  if (bytes.size() < header)
    fail(bytes.size(), "expected a header of " + std::to_string(header) +
                           " bytes, the file ends after " + std::to_string(bytes.size()));
  const std::uint32_t magic = 0x0800u + std::uint32_t(dimension_count);
  const std::uint32_t found = std::uint32_t(bytes[0]) << 24 | std::uint32_t(bytes[1]) << 16 |
                              std::uint32_t(bytes[2]) << 8 | std::uint32_t(bytes[3]);
  if (found != magic)
    fail(0, "expected the magic number " + std::to_string(magic) + " (unsigned bytes, " +
                std::to_string(dimension_count) + " dimensions), found " + std::to_string(found));
  IdxArray array;
  std::size_t size = 1;
  std::string shape;
  for (std::size_t k = 0; k < dimension_count; ++k) {
    const unsigned char* p = bytes.data() + 4 + 4 * k;
    const std::uint32_t extent = std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 |
                                 std::uint32_t(p[2]) << 8 | std::uint32_t(p[3]);
    array.dimensions.push_back(Index(extent));
    shape += (k == 0 ? "" : " x ") + std::to_string(extent);
    // A product larger than the file is reported as truncation before it could overflow.
    size = extent != 0 && size > bytes.size() / extent ? bytes.size() + 1 : size * extent;
  }
  if (bytes.size() < header + size)
    fail(bytes.size(), "expected " + shape + " bytes of data after the header, the file is " +
                           "truncated after " + std::to_string(bytes.size() - header));
  if (bytes.size() > header + size)
    fail(header + size, "expected the end of the file, found " +
                            std::to_string(bytes.size() - header - size) + " more bytes");
  array.values.assign(bytes.begin() + std::ptrdiff_t(header), bytes.end());
  return array;
}

}  // namespace detail

/// Loads an IDX image file (magic 0x00000803: n images of rows x columns unsigned bytes), gzip or
/// raw, as a (rows * columns) x n matrix (one image per column, pixels in row-major order) with
/// values scaled to [0, 1] (byte / 255).
/// @tparam Scalar float or double.
/// Throws IoError if the file cannot be opened or read and FormatError (byte offset in the
/// decompressed stream, what was expected) for corrupt gzip data, a wrong magic number, a short
/// header, truncated pixel data or trailing bytes. Cost O(file size).
template <RealScalar Scalar>
Matrix<Scalar> load_idx_images(const std::filesystem::path& path) {
  const detail::IdxArray array = detail::read_idx(path, 3, "load_idx_images");
  const Index pixels = array.dimensions[1] * array.dimensions[2];
  const Eigen::Map<const Eigen::Matrix<unsigned char, Eigen::Dynamic, Eigen::Dynamic>> bytes(
      array.values.data(), pixels, array.dimensions[0]);
  return bytes.cast<Scalar>() / Scalar(255);
}

/// Loads an IDX label file (magic 0x00000801: n unsigned bytes), gzip or raw.
/// Throws IoError and FormatError as load_idx_images. Cost O(file size).
inline std::vector<Index> load_idx_labels(const std::filesystem::path& path) {
  const detail::IdxArray array = detail::read_idx(path, 1, "load_idx_labels");
  return {array.values.begin(), array.values.end()};
}

}  // namespace polyleak
