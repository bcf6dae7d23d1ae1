#pragma once
// Writing files so that a failed write leaves nothing behind: write a temporary file next to the
// target, then rename it over the target.

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include "polyleak/core/error.hpp"

namespace polyleak::detail {

/// A unique temporary path in the folder of `target` (same file system, so rename is atomic).
inline std::filesystem::path temporary_path_for(const std::filesystem::path& target) {
  static std::atomic<unsigned long> counter{0};
  std::filesystem::path temporary = target;
  temporary += ".tmp" + std::to_string(counter.fetch_add(1));
  return temporary;
}

/// Removes `path` if it exists, ignoring errors (cleanup after a failure).
inline void remove_quietly(const std::filesystem::path& path) noexcept {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
}

/// Renames the finished temporary file onto `target`; on failure removes it and throws IoError.
inline void commit_temporary_file(const std::filesystem::path& temporary,
                                  const std::filesystem::path& target, const char* function) {
  std::error_code error;
  std::filesystem::rename(temporary, target, error);
  if (error) {
    remove_quietly(temporary);
    throw IoError(std::string(function) + ": cannot rename the finished file onto '" +
                  target.string() + "': " + error.message());
  }
}

/// Writes `size` bytes to `target` atomically. Throws IoError naming `function` and the path.
inline void write_file_atomically(const std::filesystem::path& target, const void* bytes,
                                  std::size_t size, const char* function) {
  const std::filesystem::path temporary = temporary_path_for(target);
  std::FILE* file = std::fopen(temporary.c_str(), "wb");
  if (file == nullptr)
    throw IoError(std::string(function) + ": cannot open '" + target.string() +
                  "' for writing (does the folder exist and is it writable?)");
  const bool written = std::fwrite(bytes, 1, size, file) == size;
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) {
    remove_quietly(temporary);
    throw IoError(std::string(function) + ": writing " + std::to_string(size) + " bytes to '" +
                  target.string() + "' failed (disk full?)");
  }
  commit_temporary_file(temporary, target, function);
}

}  // namespace polyleak::detail
