#pragma once
// Loader of the UCI Adult (census income) data set.

#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "polyleak/core/log.hpp"
#include "polyleak/data/dataset.hpp"
#include "polyleak/data/detail/text_reader.hpp"

namespace polyleak {

/// Training and test parts of Adult, with the same features.
template <RealScalar Scalar>
using AdultData = TrainTestData<Scalar>;

namespace detail {

/// The 14 attribute columns of Adult in file order (the label is the 15th column).
inline constexpr std::array<std::string_view, 14> adult_columns = {"age",
                                                                   "workclass",
                                                                   "fnlwgt",
                                                                   "education",
                                                                   "education_num",
                                                                   "marital_status",
                                                                   "occupation",
                                                                   "relationship",
                                                                   "race",
                                                                   "sex",
                                                                   "capital_gain",
                                                                   "capital_loss",
                                                                   "hours_per_week",
                                                                   "native_country"};
inline constexpr std::array<bool, 14> adult_column_is_numeric = {
    true, false, true, false, true, false, false, false, false, false, true, true, true, false};

/// The rows of one Adult file: per row 14 attribute fields (numbers parsed, categories as text
/// viewing the file content) and the label (0: <=50K, 1: >50K).
struct AdultRows {
  std::vector<double> numbers;               // 14 per row, 0 at categorical columns
  std::vector<std::string_view> categories;  // 14 per row, empty at numerical columns
  std::vector<Index> labels;
};

inline AdultRows read_adult_rows(std::string_view content, const std::filesystem::path& path) {
  constexpr std::string_view function = "load_adult";
  TextLines lines(content, path.string(), function);
  AdultRows rows;
  std::string_view line;
  bool first = true;
  while (lines.next(line)) {
    // UCI's comment lines: the original adult.test begins with "|1x3 Cross validator".
    if (first && line.front() == '|') continue;
    FieldReader fields(line, Separator::comma, lines);
    std::string_view field = fields.next("age");
    // A header line is recognised by a first field that is not a number.
    if (first && !field.empty() && (field[0] < '0' || field[0] > '9')) {
      first = false;
      for (std::size_t c = 1; c <= adult_columns.size(); ++c)
        fields.next("15 column names in the header line");
      fields.expect_end("15 column names in the header line");
      continue;
    }
    first = false;
    for (std::size_t c = 0; c < adult_columns.size(); ++c) {
      if (c > 0)
        field = fields.next(std::string(adult_columns[c]) + " (column " + std::to_string(c + 1) +
                            " of 15)");
      if (adult_column_is_numeric[c]) {
        rows.numbers.push_back(parse_number(field, fields, adult_columns[c]));
        rows.categories.emplace_back();
      } else {
        if (field.empty()) fields.fail("expected a category of " + std::string(adult_columns[c]));
        rows.numbers.push_back(0);
        rows.categories.push_back(field);
      }
    }
    std::string_view label = fields.next("the income label (column 15 of 15)");
    if (!label.empty() && label.back() == '.') label.remove_suffix(1);
    if (label == "<=50K")
      rows.labels.push_back(0);
    else if (label == ">50K")
      rows.labels.push_back(1);
    else
      fields.fail(
          "expected the income label <=50K or >50K (optionally with a trailing dot), "
          "found " +
          quoted(label));
    fields.expect_end("15 columns");
  }
  if (rows.labels.empty())
    lines.fail(1, 1, "expected a data row, found only header or comment lines");
  return rows;
}

}  // namespace detail

/// Loads UCI Adult from `adult.data` (training) and `adult.test` (test).
///
/// Format: 15 comma-separated columns (blanks around fields ignored, so ", " works), an optional
/// header line (recognised by a first field that is not a number), the label `<=50K` or `>50K`
/// last, with an optional trailing dot (as in adult.test); leading lines that start with `|`
/// (UCI's comments, as in adult.test) and blank lines at the end are skipped.
/// Features, in column order: each numerical column (age, fnlwgt, education_num, capital_gain,
/// capital_loss, hours_per_week) is one feature, standardised with the mean and (population)
/// standard deviation of the training part only (a constant column is only centred); each
/// categorical column is a one-hot block with one feature per category seen in the training file,
/// categories in byte order, `?` (missing) being a category of its own. Feature names are the
/// numerical column names and "column=category", e.g. "workclass=Private". A test category not
/// seen in training gets an all-zero block (reported through polyleak::log as a warning).
/// On the real files this gives 108 features (6 numerical + 102 one-hot); labels 0 (<=50K) and
/// 1 (>50K), class_count 2.
/// @tparam Scalar float or double.
/// Throws IoError if a file cannot be read and ParseError (file, line, column, what was expected)
/// for an empty file, a row of other than 15 columns, a non-numeric numerical field, an empty
/// category or an unknown label. Cost O(file sizes + rows * features).
template <RealScalar Scalar>
AdultData<Scalar> load_adult(const std::filesystem::path& train_path,
                             const std::filesystem::path& test_path) {
  constexpr std::string_view function = "load_adult";
  const std::string train_content = detail::read_text_file(train_path, function);
  const std::string test_content = detail::read_text_file(test_path, function);
  const detail::AdultRows train_rows = detail::read_adult_rows(train_content, train_path);
  const detail::AdultRows test_rows = detail::read_adult_rows(test_content, test_path);
  constexpr std::size_t columns = detail::adult_columns.size();

  // Feature layout and statistics from the training part only.
  const std::size_t train_count = train_rows.labels.size();
  std::array<Index, columns> offset{};
  std::array<double, columns> mean{}, scale{};
  std::array<std::map<std::string_view, Index>, columns> category_index;
  std::vector<std::string> names;
  for (std::size_t c = 0; c < columns; ++c) {
    offset[c] = Index(names.size());
    if (detail::adult_column_is_numeric[c]) {
      double sum = 0, sum_squares = 0;
      for (std::size_t i = 0; i < train_count; ++i)
        sum += train_rows.numbers[i * columns + c];
      mean[c] = sum / double(train_count);
      for (std::size_t i = 0; i < train_count; ++i) {
        const double deviation = train_rows.numbers[i * columns + c] - mean[c];
        sum_squares += deviation * deviation;
      }
      const double deviation = std::sqrt(sum_squares / double(train_count));
      scale[c] = deviation > 0 ? 1 / deviation : 1;
      names.emplace_back(detail::adult_columns[c]);
    } else {
      for (std::size_t i = 0; i < train_count; ++i)
        category_index[c].emplace(train_rows.categories[i * columns + c], 0);
      for (auto& [category, index] : category_index[c]) {
        index = Index(names.size()) - offset[c];
        names.push_back(std::string(detail::adult_columns[c]) + "=" + std::string(category));
      }
    }
  }

  auto encode = [&](const detail::AdultRows& rows, const std::filesystem::path& path) {
    Dataset<Scalar> data;
    const Index n = Index(rows.labels.size());
    data.features = Matrix<Scalar>::Zero(Index(names.size()), n);
    Index unseen = 0;
    for (Index i = 0; i < n; ++i) {
      for (std::size_t c = 0; c < columns; ++c) {
        const std::size_t at = std::size_t(i) * columns + c;
        if (detail::adult_column_is_numeric[c]) {
          data.features(offset[c], i) = Scalar((rows.numbers[at] - mean[c]) * scale[c]);
          continue;
        }
        const auto found = category_index[c].find(rows.categories[at]);
        if (found == category_index[c].end())
          ++unseen;
        else
          data.features(offset[c] + found->second, i) = Scalar(1);
      }
    }
    if (unseen > 0)
      log(LogLevel::warning, std::string(function) + ": " + path.string() + " has " +
                                 std::to_string(unseen) +
                                 " categorical fields with a category not in the training file; "
                                 "their one-hot blocks are all zero");
    data.labels = rows.labels;
    data.class_count = 2;
    data.feature_names = names;
    return data;
  };
  return {encode(train_rows, train_path), encode(test_rows, test_path)};
}

}  // namespace polyleak
