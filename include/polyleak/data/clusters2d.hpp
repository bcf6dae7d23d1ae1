#pragma once
// Clusters2D (thesis section 4.2): a seeded synthetic 2-D data set of clusters in the unit square.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/random.hpp"
#include "polyleak/data/dataset.hpp"

namespace polyleak {

/// Options of make_clusters2d. Every cluster is the disk of radius `spread` around its centre.
///
/// The data set has `pair_count` groups of `class_count` clusters, one cluster per class (with the
/// default of two classes a group is the thesis's pair). Gap: any two points of different classes
/// are at Euclidean distance >= `gap`. The generator ensures it by keeping the centres of any two
/// clusters of different classes at least `2 * spread + gap` apart; inside a group every cluster
/// after the first is placed at exactly that distance from an earlier cluster of the group, so
/// neighbouring clusters of a group are separated by a gap of exactly `gap` between their disks.
/// Clusters of the same class may overlap.
struct Clusters2dOptions {
  /// Number of groups (pairs for two classes); >= 1.
  Index pair_count = 8;
  /// Points drawn in each cluster; >= 1.
  Index points_per_cluster = 64;
  /// Radius of each cluster's disk; in [0, 0.5).
  double spread = 0.05;
  /// Smallest distance between points of different classes; >= 0.
  double gap = 0.02;
  /// Number of classes, i.e. clusters per group; >= 2.
  Index class_count = 2;
  /// Attempts at placing one group before giving up; >= 1.
  Index max_attempts = 10000;
};

namespace detail {
/// The gap is kept with this many units in the last place of Scalar to spare, so that it still
/// holds after the coordinates are rounded to Scalar and distances are computed in Scalar.
inline constexpr double clusters2d_gap_margin_ulps = 16;
}  // namespace detail

/// A Clusters2D data set: pair_count * class_count * points_per_cluster points in [0, 1]^2.
///
/// Per group: the first centre is uniform in [spread, 1 - spread]^2; each further centre is at
/// distance 2 * spread + gap from a uniformly chosen earlier centre of the group in a uniform
/// direction. A group is redrawn whole if a centre leaves [spread, 1 - spread]^2 or comes closer
/// than 2 * spread + gap to a centre of another class (of any group). Points are uniform in their
/// cluster's disk. Cluster c of a group has label c; points are ordered group by group, cluster by
/// cluster. Feature names are "x" and "y".
/// @tparam Scalar float or double.
/// Throws InvalidArgument for options outside their ranges, or if a group cannot be placed in
/// max_attempts attempts (lower pair_count, spread or gap). Cost O(pair_count^2 * class_count^2 *
/// attempts + points). Deterministic: same options and seed, same data (same standard library).
template <RealScalar Scalar>
Dataset<Scalar> make_clusters2d(const Clusters2dOptions& options, std::uint64_t seed) {
  POLYLEAK_REQUIRE(options.pair_count >= 1,
                   "pair_count is " + std::to_string(options.pair_count) + ", expected >= 1");
  POLYLEAK_REQUIRE(
      options.points_per_cluster >= 1,
      "points_per_cluster is " + std::to_string(options.points_per_cluster) + ", expected >= 1");
  POLYLEAK_REQUIRE(options.class_count >= 2,
                   "class_count is " + std::to_string(options.class_count) + ", expected >= 2");
  POLYLEAK_REQUIRE(options.spread >= 0 && options.spread < 0.5,
                   "spread is " + std::to_string(options.spread) + ", expected in [0, 0.5)");
  POLYLEAK_REQUIRE(options.gap >= 0 && std::isfinite(options.gap),
                   "gap is " + std::to_string(options.gap) + ", expected a finite value >= 0");
  POLYLEAK_REQUIRE(options.max_attempts >= 1,
                   "max_attempts is " + std::to_string(options.max_attempts) + ", expected >= 1");

  const double radius = options.spread;
  const double separation =
      2 * radius + options.gap +
      detail::clusters2d_gap_margin_ulps * double(std::numeric_limits<Scalar>::epsilon());
  const Index k = options.class_count;
  Rng rng(seed);
  std::uniform_real_distribution<double> centre_coordinate(radius, 1 - radius);
  std::uniform_real_distribution<double> unit(0, 1);

  // Centres of all placed clusters; cluster i has class i % k.
  std::vector<double> cx, cy;
  auto acceptable = [&](double x, double y, Index cls) {
    if (x < radius || x > 1 - radius || y < radius || y > 1 - radius) return false;
    for (std::size_t i = 0; i < cx.size(); ++i)
      if (Index(i) % k != cls && std::hypot(x - cx[i], y - cy[i]) < separation) return false;
    return true;
  };
  for (Index group = 0; group < options.pair_count; ++group) {
    const std::size_t first = cx.size();
    bool placed = false;
    for (Index attempt = 0; attempt < options.max_attempts && !placed; ++attempt) {
      cx.resize(first);
      cy.resize(first);
      placed = true;
      for (Index c = 0; c < k && placed; ++c) {
        double x = centre_coordinate(rng), y = centre_coordinate(rng);
        if (c > 0) {
          std::uniform_int_distribution<Index> earlier(0, c - 1);
          const std::size_t anchor = first + std::size_t(earlier(rng));
          const double angle = 2 * std::numbers::pi * unit(rng);
          x = cx[anchor] + separation * std::cos(angle);
          y = cy[anchor] + separation * std::sin(angle);
        }
        placed = acceptable(x, y, c);
        cx.push_back(x);
        cy.push_back(y);
      }
    }
    POLYLEAK_REQUIRE(placed, "could not place group " + std::to_string(group) + " of " +
                                 std::to_string(options.pair_count) + " in " +
                                 std::to_string(options.max_attempts) +
                                 " attempts; expected fewer pairs, a smaller spread or gap");
  }

  Dataset<Scalar> data;
  const Index n = Index(cx.size()) * options.points_per_cluster;
  data.features.resize(2, n);
  data.labels.reserve(std::size_t(n));
  data.class_count = k;
  data.feature_names = {"x", "y"};
  Index column = 0;
  for (std::size_t cluster = 0; cluster < cx.size(); ++cluster) {
    for (Index p = 0; p < options.points_per_cluster; ++p, ++column) {
      const double rho = radius * std::sqrt(unit(rng));
      const double angle = 2 * std::numbers::pi * unit(rng);
      data.features(0, column) = Scalar(std::clamp(cx[cluster] + rho * std::cos(angle), 0.0, 1.0));
      data.features(1, column) = Scalar(std::clamp(cy[cluster] + rho * std::sin(angle), 0.0, 1.0));
      data.labels.push_back(Index(cluster) % k);
    }
  }
  return data;
}

}  // namespace polyleak
