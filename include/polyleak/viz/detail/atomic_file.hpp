#pragma once
// Files written by a third-party library (giflib) so that a failed write leaves nothing behind:
// the library writes a temporary file next to the target, which is then renamed over the target.
// Byte buffers use write_file_atomically() of nn/detail/bytes.hpp.

#include <atomic>
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

}  // namespace polyleak::detail
