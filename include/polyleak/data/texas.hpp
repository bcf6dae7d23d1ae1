#pragma once
// Loader of the Texas-100 (hospital discharge) data set of Shokri et al. 2017.

#include <filesystem>
#include <string>

#include "polyleak/data/dataset.hpp"
#include "polyleak/data/detail/binary_csv.hpp"

namespace polyleak {

/// Number of classes of the Texas-100 data set (its published `feats` file has 6169 features).
inline constexpr Index texas_class_count = 100;

/// Loads Texas-100 from its two files: `features_path` (`feats`: comma-separated binary features,
/// one row per point, no header) and `labels_path` (`labels`: one label 1..100 per line, optionally
/// in double quotes). The dimension is taken from the first row of `feats` and checked on every
/// row. Labels become 0..99, class_count is 100; no feature names.
/// @tparam Scalar float or double.
/// Throws IoError if a file cannot be read and ParseError (file, line, column, what was expected)
/// for an empty file, a feature that is not 0 or 1, a row of another dimension, a label outside
/// 1..100, more than one field on a label line, or label and feature files of different lengths
/// (reported at the first line of `labels` without a partner). Cost O(file sizes).
template <RealScalar Scalar>
Dataset<Scalar> load_texas(const std::filesystem::path& features_path,
                           const std::filesystem::path& labels_path) {
  constexpr std::string_view function = "load_texas";
  Dataset<Scalar> data = detail::read_binary_csv<Scalar>(
      features_path, {.leading_label = false, .class_count = 0, .feature_count = 0}, function);

  const std::string content = detail::read_text_file(labels_path, function);
  detail::TextLines lines(content, labels_path.string(), function);
  const std::string rows = std::to_string(data.size()) + " rows as in " + features_path.string();
  std::string_view line;
  while (lines.next(line)) {
    detail::FieldReader fields(line, detail::Separator::comma, lines);
    if (Index(data.labels.size()) == data.size())
      lines.fail(lines.line_number(), 1, "expected the end of the file after " + rows);
    data.labels.push_back(detail::parse_integer(fields.next("a class label"), 1, texas_class_count,
                                                fields, "a class label") -
                          1);
    fields.expect_end("one label per line");
  }
  if (Index(data.labels.size()) != data.size())
    lines.fail(lines.line_number() + 1, 1,
               "expected " + rows + ", found only " + std::to_string(data.labels.size()));
  data.class_count = texas_class_count;
  return data;
}

}  // namespace polyleak
