#pragma once
// The library never prints. Long computations report through a log callback that is silent by
// default; example programs install one that draws a progress line.

#include <functional>
#include <mutex>
#include <string_view>
#include <utility>

namespace polyleak {

enum class LogLevel { debug, info, progress, warning };

using LogCallback = std::function<void(LogLevel, std::string_view)>;

namespace detail {
inline std::mutex& log_mutex() {
  static std::mutex mutex;
  return mutex;
}
inline LogCallback& log_callback() {
  static LogCallback callback;
  return callback;
}
}  // namespace detail

/// Installs `callback` for all later log messages (thread-safe); an empty callback silences them.
inline void set_log_callback(LogCallback callback) {
  std::lock_guard lock(detail::log_mutex());
  detail::log_callback() = std::move(callback);
}

/// Sends one message to the installed callback, if any.
inline void log(LogLevel level, std::string_view message) {
  std::lock_guard lock(detail::log_mutex());
  if (detail::log_callback()) detail::log_callback()(level, message);
}

}  // namespace polyleak
