#pragma once
// Loader of the Location (Bangkok Foursquare check-ins) data set of Shokri et al. 2017.

#include <filesystem>

#include "polyleak/data/dataset.hpp"
#include "polyleak/data/detail/binary_csv.hpp"

namespace polyleak {

/// Number of features and classes of the Location data set.
inline constexpr Index location_feature_count = 446;
inline constexpr Index location_class_count = 30;

/// Loads the `bangkok` file of the Location data set: comma-separated rows, no header, each a
/// class label "1".."30" (double quotes optional) then 446 binary features (0/1). Labels become
/// 0..29, class_count is 30, the data set is 446 x rows; no feature names.
/// @tparam Scalar float or double.
/// Throws IoError if the file cannot be read and ParseError (file, line, column, what was
/// expected) for an empty file, a label outside 1..30, a feature that is not 0 or 1, or a row
/// with other than 446 features. Cost O(file size); about 0.03 s of CPU time for the 4.5 MB file.
template <RealScalar Scalar>
Dataset<Scalar> load_location(const std::filesystem::path& path) {
  return detail::read_binary_csv<Scalar>(path,
                                         {.leading_label = true,
                                          .class_count = location_class_count,
                                          .feature_count = location_feature_count},
                                         "load_location");
}

}  // namespace polyleak
