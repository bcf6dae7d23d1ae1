#pragma once
// Internal: whole-file reads, atomic writes and little-endian encoding for the binary model
// formats.

#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "polyleak/core/error.hpp"

namespace polyleak::detail {

/// The whole content of `path`. Throws IoError naming `function` and the file if it cannot be read
/// or is not a regular file (a folder opens as a stream whose size is nonsense).
inline std::vector<unsigned char> read_file_bytes(const std::filesystem::path& path,
                                                  const char* function) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw IoError(std::string(function) + ": cannot open " + path.string() + " for reading");
  std::error_code status_error;
  if (!std::filesystem::is_regular_file(path, status_error))
    throw IoError(std::string(function) + ": " + path.string() + " is not a regular file");
  const std::streamoff size = in.tellg();
  if (size < 0) throw IoError(std::string(function) + ": cannot get the size of " + path.string());
  std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size))
    throw IoError(std::string(function) + ": cannot read " + path.string());
  return bytes;
}

/// Writes `bytes` to a temporary file beside `path`, then renames it to `path`, so that a failed
/// write leaves no partial file at `path`. Throws IoError naming `function` and the file.
inline void write_file_atomically(const std::filesystem::path& path,
                                  const std::vector<unsigned char>& bytes, const char* function) {
  std::filesystem::path temporary = path;
  temporary += ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out)
      throw IoError(std::string(function) + ": cannot open " + temporary.string() + " for writing");
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw IoError(std::string(function) + ": cannot write " + temporary.string());
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw IoError(std::string(function) + ": cannot rename " + temporary.string() + " to " +
                  path.string() + ": " + error.message());
  }
}

/// Unsigned integer of the same size as T, for byte-order conversion.
template <class T>
using UnsignedOfSize = std::conditional_t<
    sizeof(T) == 1, std::uint8_t,
    std::conditional_t<sizeof(T) == 2, std::uint16_t,
                       std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;

template <class Unsigned>
Unsigned reverse_bytes(Unsigned value) {
  Unsigned reversed = 0;
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
    reversed = Unsigned((reversed << 8) | (value & 0xff));
    value = Unsigned(value >> 8);
  }
  return reversed;
}

/// The little-endian T (integer or IEEE float) stored at `bytes`.
template <class T>
T load_little_endian(const unsigned char* bytes) {
  UnsignedOfSize<T> raw;
  std::memcpy(&raw, bytes, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) raw = reverse_bytes(raw);
  T value;
  std::memcpy(&value, &raw, sizeof(T));
  return value;
}

/// Appends `value` (integer or IEEE float) to `out` in little-endian byte order.
template <class T>
void append_little_endian(std::vector<unsigned char>& out, T value) {
  UnsignedOfSize<T> raw;
  std::memcpy(&raw, &value, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) raw = reverse_bytes(raw);
  const auto* bytes = reinterpret_cast<const unsigned char*>(&raw);
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

}  // namespace polyleak::detail
