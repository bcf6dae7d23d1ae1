#pragma once
// Precondition checks that stay on in release builds and throw InvalidArgument.

#include <cmath>
#include <string>

#include "polyleak/core/error.hpp"

namespace polyleak::detail {

[[noreturn]] inline void throw_invalid_argument(const char* function, const std::string& message) {
  throw InvalidArgument(std::string(function) + ": " + message);
}

}  // namespace polyleak::detail

/// Throws polyleak::InvalidArgument("<function>: <message>") unless `condition` holds. The message
/// expression is evaluated only on failure.
#define POLYLEAK_REQUIRE(condition, message)                           \
  do {                                                                 \
    if (!(condition)) [[unlikely]]                                     \
      ::polyleak::detail::throw_invalid_argument(__func__, (message)); \
  } while (0)

namespace polyleak {

/// Throws InvalidArgument naming `what` and `where` if any coefficient of `values` is NaN or
/// infinite. `values` is any Eigen expression.
template <class Derived>
void require_finite(const Derived& values, const char* where, const std::string& what) {
  if (!values.allFinite()) [[unlikely]]
    detail::throw_invalid_argument(where, what + " contains NaN or infinite values");
}

}  // namespace polyleak
