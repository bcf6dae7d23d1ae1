#pragma once
// The one tokenizer of polyleak's text loaders: a file held in memory, split into numbered lines
// and each line into fields, with ParseError (file, line, column, what was expected) on bad input.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

#include "polyleak/core/error.hpp"
#include "polyleak/core/scalar.hpp"

namespace polyleak::detail {

/// The whole content of `path`. Throws IoError naming `function` and the path if the file cannot
/// be opened or read.
inline std::string read_text_file(const std::filesystem::path& path, std::string_view function) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream)
    throw IoError(std::string(function) + ": cannot open '" + path.string() + "' for reading");
  std::string content;
  std::error_code size_error;
  const std::uintmax_t size = std::filesystem::file_size(path, size_error);
  if (!size_error) content.reserve(std::size_t(size));
  char buffer[1 << 16];
  while (stream.read(buffer, sizeof buffer) || stream.gcount() > 0)
    content.append(buffer, std::size_t(stream.gcount()));
  if (stream.bad())
    throw IoError(std::string(function) + ": reading '" + path.string() + "' failed");
  return content;
}

/// Shortens `text` for an error message and quotes it.
inline std::string quoted(std::string_view text) {
  constexpr std::size_t shown = 24;
  if (text.size() <= shown) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, shown)) + "...'";
}

/// The lines of a text held in memory, numbered from 1. A '\r' before '\n' is dropped. Blank lines
/// at the end of the text are skipped; a blank line followed by more text is a ParseError, as is a
/// text without any non-blank line.
class TextLines {
 public:
  /// `file` names the source in errors, `function` the loader.
  TextLines(std::string_view text, std::string file, std::string_view function)
      : text_(text), file_(std::move(file)), function_(function) {}

  /// Moves to the next line and stores it in `line`; false at the end of the data. Throws
  /// ParseError for an empty text.
  bool next(std::string_view& line) {
    if (position_ >= text_.size() || only_blank_lines_from(position_)) {
      if (line_number_ == 0) fail(1, 1, "expected a data row, found an empty file");
      return false;
    }
    const std::size_t end = std::min(text_.find('\n', position_), text_.size());
    line = text_.substr(position_, end - position_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    position_ = end + 1;
    ++line_number_;
    if (line.find_first_not_of(" \t") == std::string_view::npos)
      fail(line_number_, 1, "expected a data row, found a blank line before more data");
    return true;
  }

  /// 1-based number of the line last returned by next().
  std::size_t line_number() const noexcept { return line_number_; }
  /// An upper bound on the number of lines, for reserving memory.
  std::size_t line_count_bound() const {
    return std::size_t(std::count(text_.begin(), text_.end(), '\n')) + 1;
  }
  const std::string& file() const noexcept { return file_; }

  /// Throws ParseError "<function>: <message>" at the given line and column.
  [[noreturn]] void fail(std::size_t line, std::size_t column, std::string_view message) const {
    throw ParseError(file_, line, column, std::string(function_) + ": " + std::string(message));
  }

 private:
  bool only_blank_lines_from(std::size_t position) const {
    return text_.find_first_not_of(" \t\r\n", position) == std::string_view::npos;
  }

  std::string_view text_;
  std::string file_;
  std::string_view function_;
  std::size_t position_ = 0;
  std::size_t line_number_ = 0;
};

/// How a line is split into fields.
enum class Separator {
  comma,       ///< fields between commas; blanks around a field are not part of it
  whitespace,  ///< fields between runs of blanks and tabs
};

/// The fields of one line, read left to right; errors point at the 1-based column where the
/// offending field starts.
class FieldReader {
 public:
  FieldReader(std::string_view line, Separator separator, const TextLines& lines)
      : line_(line), separator_(separator), lines_(lines) {
    if (separator_ == Separator::whitespace) skip_blanks();
  }

  /// True when no field is left.
  bool at_end() const noexcept { return position_ > line_.size() || exhausted_; }

  /// The next field; throws ParseError "expected <expected>, found the end of the line" if none
  /// is left.
  std::string_view next(std::string_view expected) {
    if (at_end())
      fail_at(line_.size() + 1,
              "expected " + std::string(expected) + ", found the end of the line");
    ++fields_read_;
    if (separator_ == Separator::whitespace) {
      const std::size_t end = std::min(line_.find_first_of(" \t", position_), line_.size());
      column_ = position_ + 1;
      std::string_view field = line_.substr(position_, end - position_);
      position_ = end;
      skip_blanks();
      return field;
    }
    std::size_t end = line_.find(',', position_);
    if (end == std::string_view::npos) {
      end = line_.size();
      exhausted_ = true;
    }
    std::size_t begin = position_;
    while (begin < end && (line_[begin] == ' ' || line_[begin] == '\t'))
      ++begin;
    std::size_t stop = end;
    while (stop > begin && (line_[stop - 1] == ' ' || line_[stop - 1] == '\t'))
      --stop;
    column_ = begin + 1;
    position_ = end + 1;
    return line_.substr(begin, stop - begin);
  }

  /// Throws ParseError "expected <expected>, found more fields" unless no field is left.
  void expect_end(std::string_view expected) {
    if (at_end()) return;
    const std::string_view extra = next("");
    fail("expected " + std::string(expected) + ", found another field " + quoted(extra));
  }

  /// Number of fields returned so far.
  std::size_t fields_read() const noexcept { return fields_read_; }

  /// Throws ParseError with `message` at the end of the line (one column past its last character).
  [[noreturn]] void fail_at_end(std::string_view message) const {
    fail_at(line_.size() + 1, message);
  }

  /// Throws ParseError with `message` at the start of the field last returned.
  [[noreturn]] void fail(std::string_view message) const { fail_at(column_, message); }

 private:
  [[noreturn]] void fail_at(std::size_t column, std::string_view message) const {
    lines_.fail(lines_.line_number(), column, message);
  }
  void skip_blanks() {
    while (position_ < line_.size() && (line_[position_] == ' ' || line_[position_] == '\t'))
      ++position_;
    exhausted_ = position_ >= line_.size();
  }

  std::string_view line_;
  Separator separator_;
  const TextLines& lines_;
  std::size_t position_ = 0;
  std::size_t column_ = 1;
  std::size_t fields_read_ = 0;
  bool exhausted_ = false;
};

/// `field` as a finite number (an optional leading '+' is accepted); otherwise ParseError
/// "expected <what>, found '<field>'" at the field.
inline double parse_number(std::string_view field, const FieldReader& fields,
                           std::string_view what) {
  std::string_view digits = field;
  if (digits.size() > 1 && digits.front() == '+' && digits[1] != '-') digits.remove_prefix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || !std::isfinite(value))
    fields.fail("expected " + std::string(what) + ", found " + quoted(field));
  return value;
}

/// `field` as an integer in [low, high] (optionally in double quotes); otherwise ParseError. A
/// `high` of the largest Index means no upper bound.
inline Index parse_integer(std::string_view field, Index low, Index high, const FieldReader& fields,
                           std::string_view what) {
  std::string_view digits = field;
  if (digits.size() >= 2 && digits.front() == '"' && digits.back() == '"')
    digits = digits.substr(1, digits.size() - 2);
  if (digits.size() > 1 && digits.front() == '+') digits.remove_prefix(1);
  Index value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || value < low || value > high)
    fields.fail("expected " + std::string(what) + " (an integer " +
                (high == std::numeric_limits<Index>::max()
                     ? ">= " + std::to_string(low)
                     : "in " + std::to_string(low) + ".." + std::to_string(high)) +
                "), found " + quoted(field));
  return value;
}

/// `field` as a binary feature: 0 or 1 (written in any number format, e.g. "1.0").
template <RealScalar Scalar>
Scalar parse_binary(std::string_view field, const FieldReader& fields) {
  if (field.size() == 1 && (field[0] == '0' || field[0] == '1')) return Scalar(field[0] - '0');
  const double value = parse_number(field, fields, "a binary feature (0 or 1)");
  if (value != 0 && value != 1)
    fields.fail("expected a binary feature (0 or 1), found " + quoted(field));
  return Scalar(value);
}

}  // namespace polyleak::detail
