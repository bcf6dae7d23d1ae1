#pragma once
// Loader of the svmlight / libsvm sparse text format into a dense Dataset.

#include <algorithm>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/data/dataset.hpp"
#include "polyleak/data/detail/text_reader.hpp"

namespace polyleak {

/// A data set read from an svmlight file and the label values of its classes: class k stands for
/// the file's label label_values[k] (label values ascending).
template <RealScalar Scalar>
struct SvmlightData {
  Dataset<Scalar> dataset;
  std::vector<double> label_values;
};

/// Loads an svmlight / libsvm file into a dense Dataset (dimension x rows).
///
/// Format: one point per line, `label index:value index:value ...`, fields separated by blanks or
/// tabs, indices 1-based and strictly increasing, features not listed are 0; anything after `#`
/// is a comment and lines holding only a comment are skipped (blank lines too, except that a blank
/// line before more data is an error as in every polyleak text loader). Labels are numbers (e.g.
/// `+1`, `-1`, `3`); the distinct label values in ascending order become classes 0..k-1, returned
/// in label_values. Feature j (0-based row) holds index j + 1.
/// `dimension`: 0 takes the largest index in the file; otherwise the data set has this many
/// features and a larger index is an error. Dense storage costs dimension * rows * sizeof(Scalar)
/// bytes, so pass a dimension or select features for large vocabularies. No feature names.
/// @tparam Scalar float or double.
/// Throws InvalidArgument for a negative dimension, IoError if the file cannot be read and
/// ParseError (file, line, column, what was expected) for an empty file, a non-numeric label or
/// value, an `index:value` pair without colon, an index < 1, above `dimension`, or not above the
/// previous one, and `qid:` fields (not supported). Cost O(file size + dimension * rows).
template <RealScalar Scalar>
SvmlightData<Scalar> load_svmlight(const std::filesystem::path& path, Index dimension = 0) {
  constexpr std::string_view function = "load_svmlight";
  POLYLEAK_REQUIRE(dimension >= 0,
                   "dimension is " + std::to_string(dimension) + ", expected >= 0 (0: from file)");
  const std::string content = detail::read_text_file(path, function);
  detail::TextLines lines(content, path.string(), function);

  struct Entry {
    Index row, feature;
    Scalar value;
  };
  std::vector<Entry> entries;
  std::vector<double> labels;
  const Index index_limit = dimension > 0 ? dimension : std::numeric_limits<Index>::max();
  Index largest_index = 0;
  std::string_view line;
  while (lines.next(line)) {
    line = line.substr(0, line.find('#'));
    detail::FieldReader fields(line, detail::Separator::whitespace, lines);
    if (fields.at_end()) continue;
    labels.push_back(detail::parse_number(fields.next("a label"), fields, "a numeric label"));
    const Index row = Index(labels.size()) - 1;
    Index previous = 0;
    while (!fields.at_end()) {
      const std::string_view pair = fields.next("");
      const std::size_t colon = pair.find(':');
      if (colon == std::string_view::npos)
        fields.fail("expected index:value, found " + detail::quoted(pair));
      if (pair.substr(0, colon) == "qid")
        fields.fail("expected index:value, found a qid field (not supported)");
      const Index index =
          detail::parse_integer(pair.substr(0, colon), 1, index_limit, fields, "a feature index");
      if (index <= previous)
        fields.fail("expected a feature index above the previous one (" + std::to_string(previous) +
                    "), found " + detail::quoted(pair));
      const double value =
          detail::parse_number(pair.substr(colon + 1), fields, "a numeric feature value");
      entries.push_back({row, index - 1, Scalar(value)});
      previous = index;
      largest_index = std::max(largest_index, index);
    }
  }
  if (labels.empty()) lines.fail(1, 1, "expected a data row, found only comments");

  SvmlightData<Scalar> result;
  result.label_values = labels;
  std::sort(result.label_values.begin(), result.label_values.end());
  result.label_values.erase(std::unique(result.label_values.begin(), result.label_values.end()),
                            result.label_values.end());
  Dataset<Scalar>& data = result.dataset;
  data.features =
      Matrix<Scalar>::Zero(dimension > 0 ? dimension : largest_index, Index(labels.size()));
  for (const Entry& entry : entries)
    data.features(entry.feature, entry.row) = entry.value;
  data.labels.reserve(labels.size());
  for (const double label : labels)
    data.labels.push_back(
        Index(std::lower_bound(result.label_values.begin(), result.label_values.end(), label) -
              result.label_values.begin()));
  data.class_count = Index(result.label_values.size());
  return result;
}

}  // namespace polyleak
