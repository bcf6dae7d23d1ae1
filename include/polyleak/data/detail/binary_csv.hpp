#pragma once
// Shared reader of comma-separated rows of binary features (Location, Purchase-100, Texas-100).

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "polyleak/core/scalar.hpp"
#include "polyleak/data/dataset.hpp"
#include "polyleak/data/detail/text_reader.hpp"

namespace polyleak::detail {

/// Layout of a binary-feature CSV file.
struct BinaryCsvLayout {
  /// Whether each row starts with a class label in 1..class_count (optionally in double quotes),
  /// stored as 0..class_count-1.
  bool leading_label = true;
  Index class_count = 0;
  /// Number of features per row; 0: taken from the first row and checked on every other row.
  Index feature_count = 0;
};

/// Reads `path` with the given layout into a Dataset (labels empty and class_count 0 without a
/// leading label). Throws IoError or ParseError naming `function`.
template <RealScalar Scalar>
Dataset<Scalar> read_binary_csv(const std::filesystem::path& path, const BinaryCsvLayout& layout,
                                std::string_view function) {
  const std::string content = read_text_file(path, function);
  TextLines lines(content, path.string(), function);
  Index feature_count = layout.feature_count;
  std::vector<Scalar> values;
  Dataset<Scalar> data;
  std::string_view line;
  Index rows = 0;
  auto expected_features = [&](Index count) {
    return std::to_string(count) + " binary features" +
           (layout.feature_count == 0 ? " (as on the first row)" : "");
  };
  while (lines.next(line)) {
    FieldReader fields(line, Separator::comma, lines);
    if (layout.leading_label)
      data.labels.push_back(parse_integer(fields.next("a class label"), 1, layout.class_count,
                                          fields, "a class label") -
                            1);
    if (feature_count == 0) {
      while (!fields.at_end())
        values.push_back(parse_binary<Scalar>(fields.next(""), fields));
      feature_count = Index(values.size());
      values.reserve(std::size_t(feature_count) * lines.line_count_bound());
    } else {
      for (Index j = 0; j < feature_count; ++j) {
        if (fields.at_end())
          fields.fail_at_end("expected " + expected_features(feature_count) + ", found only " +
                             std::to_string(j));
        values.push_back(parse_binary<Scalar>(fields.next(""), fields));
      }
      fields.expect_end(expected_features(feature_count));
    }
    ++rows;
  }
  if (feature_count == 0) lines.fail(1, 1, "expected at least one feature, found none");
  data.features = Eigen::Map<const Matrix<Scalar>>(values.data(), feature_count, rows);
  data.class_count = layout.leading_label ? layout.class_count : 0;
  return data;
}

}  // namespace polyleak::detail
