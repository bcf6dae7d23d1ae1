#pragma once
// Dataset<Scalar>: labelled points, one point per column.

#include <string>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"

namespace polyleak {

/// A labelled data set: `features` is dimension() x size() (one point per column), `labels[i]` is
/// the class of column i, in 0..class_count-1. `feature_names` is empty when the names are not
/// known, otherwise it holds one name per feature row.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
struct Dataset {
  Matrix<Scalar> features;
  std::vector<Index> labels;
  Index class_count = 0;
  std::vector<std::string> feature_names;

  /// Number of points (columns of `features`).
  Index size() const noexcept { return features.cols(); }
  /// Number of features (rows of `features`).
  Index dimension() const noexcept { return features.rows(); }

  /// Throws InvalidArgument unless the labels agree with the features in number, every label is
  /// in 0..class_count-1 and feature_names is empty or holds dimension() names. Cost O(n).
  void validate() const {
    POLYLEAK_REQUIRE(Index(labels.size()) == size(), std::to_string(labels.size()) +
                                                         " labels for " + std::to_string(size()) +
                                                         " points, expected one label per point");
    POLYLEAK_REQUIRE(class_count >= 0,
                     "class_count is " + std::to_string(class_count) + ", expected >= 0");
    for (std::size_t i = 0; i < labels.size(); ++i)
      POLYLEAK_REQUIRE(labels[i] >= 0 && labels[i] < class_count,
                       "label of point " + std::to_string(i) + " is " + std::to_string(labels[i]) +
                           ", expected 0.." + std::to_string(class_count - 1));
    POLYLEAK_REQUIRE(feature_names.empty() || Index(feature_names.size()) == dimension(),
                     std::to_string(feature_names.size()) + " feature names for " +
                         std::to_string(dimension()) + " features, expected none or one each");
  }

  /// The points at `indices` (in that order; repeats allowed), with the same class count and
  /// feature names. Throws InvalidArgument for an index outside 0..size()-1 or an invalid
  /// data set (see validate()). Cost O(dimension() * indices.size()).
  Dataset subset(const std::vector<Index>& indices) const {
    validate();
    Dataset result;
    result.features.resize(dimension(), Index(indices.size()));
    result.labels.reserve(indices.size());
    for (std::size_t j = 0; j < indices.size(); ++j) {
      const Index i = indices[j];
      POLYLEAK_REQUIRE(i >= 0 && i < size(), "index " + std::to_string(i) + " at position " +
                                                 std::to_string(j) + ", expected 0.." +
                                                 std::to_string(size() - 1));
      result.features.col(Index(j)) = features.col(i);
      result.labels.push_back(labels[std::size_t(i)]);
    }
    result.class_count = class_count;
    result.feature_names = feature_names;
    return result;
  }
};

/// A data set that comes as a training and a test part (Adult, Fashion-MNIST). Both parts have
/// the same dimension, class count and feature names.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
struct TrainTestData {
  Dataset<Scalar> train;
  Dataset<Scalar> test;
};

}  // namespace polyleak
