#pragma once
// Loader of the Purchase-100 data set of Shokri et al. 2017.

#include <filesystem>

#include "polyleak/data/dataset.hpp"
#include "polyleak/data/detail/binary_csv.hpp"

namespace polyleak {

/// Number of features and classes of the Purchase-100 data set.
inline constexpr Index purchase_feature_count = 600;
inline constexpr Index purchase_class_count = 100;

/// Loads Purchase-100 (`dataset_purchase`): comma-separated rows, no header, each a class label
/// 1..100 (double quotes optional) then 600 binary features (0/1). Labels become 0..99,
/// class_count is 100, the data set is 600 x rows; no feature names.
/// @tparam Scalar float or double.
/// Throws IoError if the file cannot be read and ParseError (file, line, column, what was
/// expected) for an empty file, a label outside 1..100, a feature that is not 0 or 1, or a row
/// with other than 600 features. Cost O(file size).
template <RealScalar Scalar>
Dataset<Scalar> load_purchase(const std::filesystem::path& path) {
  return detail::read_binary_csv<Scalar>(path,
                                         {.leading_label = true,
                                          .class_count = purchase_class_count,
                                          .feature_count = purchase_feature_count},
                                         "load_purchase");
}

}  // namespace polyleak
