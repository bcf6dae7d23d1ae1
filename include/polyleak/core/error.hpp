#pragma once
// Exceptions thrown by polyleak. Every message names the function or file, the offending value and
// what was expected.

#include <cstddef>
#include <stdexcept>
#include <string>

namespace polyleak {

/// A precondition of a public function was violated (wrong shape, NaN, empty set, bad option).
class InvalidArgument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A text file could not be parsed. `line` and `column` are 1-based; 0 means "not applicable".
class ParseError : public std::runtime_error {
 public:
  ParseError(const std::string& file, std::size_t line, std::size_t column, const std::string& what)
      : std::runtime_error(file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                           what),
        file_(file),
        line_(line),
        column_(column) {}

  const std::string& file() const noexcept { return file_; }
  std::size_t line() const noexcept { return line_; }
  std::size_t column() const noexcept { return column_; }

 private:
  std::string file_;
  std::size_t line_;
  std::size_t column_;
};

/// A binary file (native model, safetensors, IDX) is malformed; the message names the byte offset
/// or the key and what was expected there.
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Reading or writing a file failed at the operating-system level.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A numerical solver (LP, QP, boosted trees) failed or returned a status the caller cannot use.
class SolverError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace polyleak
