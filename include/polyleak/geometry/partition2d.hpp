#pragma once
// Partition2d: the exact partition of a 2-D box, or of a 2-D slice of an n-D input space, into the
// activation regions of a network, with region adjacency and decision-boundary segments.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/geometry/activation_pattern.hpp"
#include "polyleak/geometry/detail/convex_polygon.hpp"
#include "polyleak/geometry/polytope_function.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// A point of the plane (slice coordinates (s, t), or the input itself for 2-D networks).
template <RealScalar Scalar>
using Point2 = detail::Point2<Scalar>;

/// The affine plane `x = origin + s * first_direction + t * second_direction` of an input space.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
struct PlaneSlice {
  Vector<Scalar> origin;
  Vector<Scalar> first_direction;
  Vector<Scalar> second_direction;

  /// The input plane of a 2-D network itself: origin 0, directions e1 and e2.
  static PlaneSlice input_plane() {
    return {Vector<Scalar>::Zero(2), Vector<Scalar>::Unit(2, 0), Vector<Scalar>::Unit(2, 1)};
  }
  /// Input dimension of the plane's points.
  Index dimension() const noexcept { return origin.size(); }
  /// The input point with slice coordinates (s, t).
  Vector<Scalar> point(Scalar s, Scalar t) const {
    return origin + s * first_direction + t * second_direction;
  }
};

/// The box [s_min, s_max] x [t_min, t_max] of slice coordinates.
template <RealScalar Scalar>
struct SliceBox {
  Scalar s_min = 0;
  Scalar s_max = 1;
  Scalar t_min = 0;
  Scalar t_max = 1;

  Scalar area() const noexcept { return (s_max - s_min) * (t_max - t_min); }

  /// Throws InvalidArgument (naming `function`) unless the corners are finite with min < max and
  /// the width, height and area are finite too (corners such as -1e308, 1e308 overflow them).
  void require_valid(const char* function) const {
    auto box_text = [this] {
      auto text = [](Scalar value) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%g", double(value));
        return std::string(buffer);
      };
      return "box [" + text(s_min) + ", " + text(s_max) + "] x [" + text(t_min) + ", " +
             text(t_max) + "]";
    };
    if (!(std::isfinite(s_min) && std::isfinite(s_max) && std::isfinite(t_min) &&
          std::isfinite(t_max) && s_min < s_max && t_min < t_max))
      detail::throw_invalid_argument(function,
                                     box_text() + " must be finite and non-empty (min < max)");
    if (!std::isfinite(area()))
      detail::throw_invalid_argument(
          function, box_text() + " is too large: its width, height or area is not finite");
  }
};

/// One activation region of a Partition2d, restricted to the box.
template <RealScalar Scalar>
struct PartitionRegion {
  /// Vertices of the region's convex polygon, counter-clockwise, in slice coordinates.
  std::vector<Point2<Scalar>> vertices;
  /// For edge k (vertex k to vertex k+1): the flat index of the hidden neuron whose hyperplane
  /// it lies on (ActivationPattern::layer_offset(layer) + neuron), or -1 for a side of the box.
  std::vector<Index> edge_neurons;
  ActivationPattern pattern;
  /// The polytope function in slice coordinates: logits = slice_jacobian * (s, t) + slice_bias,
  /// i.e. `A_P [u v]` and `A_P o + b_P`. The polytope function on the whole input space is
  /// `PolytopeFunction(network, pattern)`.
  Matrix<Scalar> slice_jacobian;
  Vector<Scalar> slice_bias;
  Scalar area = 0;
};

/// Two regions that share an edge of positive length on the hyperplane of hidden neuron
/// (layer, neuron); `from`, `to` is the shared edge as seen from `first_region` (< second_region).
template <RealScalar Scalar>
struct RegionAdjacency {
  Index first_region = 0;
  Index second_region = 0;
  Index layer = 0;
  Index neuron = 0;
  Point2<Scalar> from;
  Point2<Scalar> to;
};

/// A piece of the decision boundary: a segment where the predicted class changes between
/// `first_class` < `second_class`, inside (or on an edge of) region `region`.
template <RealScalar Scalar>
struct DecisionBoundarySegment {
  Point2<Scalar> from;
  Point2<Scalar> to;
  Index region = 0;
  Index first_class = 0;
  Index second_class = 0;
};

/// The exact partition of a box of a plane slice into activation regions (DESIGN, "Where we go
/// beyond", point 3).
///
/// Built layer by layer: every piece carries the affine map of the current layer's
/// pre-activations in slice coordinates; each neuron's adapted line splits the pieces it crosses
/// (convex polygon clipping), then the layer's mask gives the next layer's map. Vertex values
/// within ScalarTraits::geometry_tolerance of zero, relative to the magnitude of their terms, are
/// snapped onto the line, and a split that would leave a piece smaller than
/// ScalarTraits::sliver_area_tolerance times the box area is not made, so lines through vertices,
/// parallel or coincident lines, dead neurons and zero rows give a valid partition: the regions'
/// areas sum to the box area.
///
/// Adjacency comes from flipping the bit of the neuron an edge lies on and looking the pattern up;
/// where that fails (degenerate positions, where neighbours differ in several bits) the edge is
/// matched geometrically against all other edges.
/// @tparam Scalar float or double (double is the default for geometry).
/// Cost: O(regions * (hidden width * polygon size + width^2)) for the partition, plus
/// O(regions * classes^2) for the decision boundary. Deterministic.
template <RealScalar Scalar = double>
class Partition2d {
 public:
  /// Partition of `box` in the plane `slice` of the input space of `network`. Throws
  /// InvalidArgument when the slice's vectors do not match the input dimension or are not finite,
  /// or when the box is empty or not finite (corners, width, height or area).
  Partition2d(const Mlp<Scalar>& network, PlaneSlice<Scalar> slice, const SliceBox<Scalar>& box)
      : slice_(std::move(slice)), box_(box) {
    const Index n = network.input_dimension();
    POLYLEAK_REQUIRE(slice_.origin.size() == n && slice_.first_direction.size() == n &&
                         slice_.second_direction.size() == n,
                     "slice vectors have " + std::to_string(slice_.origin.size()) + ", " +
                         std::to_string(slice_.first_direction.size()) + " and " +
                         std::to_string(slice_.second_direction.size()) +
                         " coordinates, network expects " + std::to_string(n));
    require_finite(slice_.origin, "Partition2d", "slice origin");
    require_finite(slice_.first_direction, "Partition2d", "slice first direction");
    require_finite(slice_.second_direction, "Partition2d", "slice second direction");
    box.require_valid("Partition2d");
    build(network);
    build_adjacency();
    build_decision_boundary();
  }

  /// Partition of `box` = [x0, x1] x [y0, y1] of the input plane of a 2-D network.
  Partition2d(const Mlp<Scalar>& network, const SliceBox<Scalar>& box)
      : Partition2d(network, checked_input_plane(network), box) {}

  const std::vector<PartitionRegion<Scalar>>& regions() const noexcept { return regions_; }
  Index region_count() const noexcept { return Index(regions_.size()); }
  const std::vector<RegionAdjacency<Scalar>>& adjacency() const noexcept { return adjacency_; }
  const std::vector<DecisionBoundarySegment<Scalar>>& decision_boundary() const noexcept {
    return decision_boundary_;
  }
  const PlaneSlice<Scalar>& slice() const noexcept { return slice_; }
  const SliceBox<Scalar>& box() const noexcept { return box_; }

  /// Index of the region with this pattern, or -1 if no region of the box has it.
  Index find(const ActivationPattern& pattern) const {
    const auto it = index_.find(pattern);
    return it == index_.end() ? Index{-1} : it->second;
  }

  /// (layer, neuron) of a flat hidden-neuron index as stored in PartitionRegion::edge_neurons.
  std::pair<Index, Index> neuron_of(Index flat) const {
    POLYLEAK_REQUIRE(flat >= 0 && flat < zeros_.size(),
                     "flat neuron index " + std::to_string(flat) + " out of range [0, " +
                         std::to_string(zeros_.size()) + ")");
    Index layer = 0;
    while (flat >= zeros_.layer_offset(layer) + zeros_.layer_width(layer))
      ++layer;
    return {layer, flat - zeros_.layer_offset(layer)};
  }

 private:
  using Polygon = detail::ConvexPolygon<Scalar>;
  using Traits = ScalarTraits<Scalar>;

  struct Piece {
    Polygon polygon;
    ActivationPattern pattern;
    Index map = 0;  // index into the current layer's maps
  };

  static PlaneSlice<Scalar> checked_input_plane(const Mlp<Scalar>& network) {
    POLYLEAK_REQUIRE(network.input_dimension() == 2,
                     "a partition without a slice needs a 2-D network, got input dimension " +
                         std::to_string(network.input_dimension()));
    return PlaneSlice<Scalar>::input_plane();
  }

  // Splits `piece` by the neurons first..width-1 of the current layer, whose lines are the rows of
  // `map` (columns: s, t, constant); finished pieces go to `out`.
  void split_layer(Piece piece, Index first, const Matrix<Scalar>& map, Index offset,
                   std::vector<Piece>& out) {
    std::vector<Scalar> values;
    for (Index i = first; i < map.rows(); ++i) {
      const Point2<Scalar> normal(map(i, 0), map(i, 1));
      const auto [positive, negative] = detail::snapped_line_values(
          piece.polygon, normal, map(i, 2), Traits::geometry_tolerance, values);
      if (positive == 0 || negative == 0) {
        piece.pattern.set_flat(offset + i, positive > 0);
        continue;
      }
      Piece other{Polygon{}, piece.pattern, piece.map};
      Polygon kept;
      detail::split_convex_polygon(piece.polygon, values, offset + i, kept, other.polygon);
      const Scalar kept_area = detail::signed_area(kept.vertices);
      const Scalar other_area = detail::signed_area(other.polygon.vertices);
      if (std::min(kept_area, other_area) <= sliver_area_) {
        piece.pattern.set_flat(offset + i, kept_area >= other_area);
        continue;
      }
      piece.polygon = std::move(kept);
      piece.pattern.set_flat(offset + i, true);
      other.pattern.set_flat(offset + i, false);
      split_layer(std::move(other), i + 1, map, offset, out);
    }
    out.push_back(std::move(piece));
  }

  void build(const Mlp<Scalar>& network) {
    zeros_ = ActivationPattern::zeros_for(network);
    sliver_area_ = Traits::sliver_area_tolerance * box_.area();

    // Maps of layer 0's pre-activations in slice coordinates: W_0 [u v o] + [0 0 b_0].
    Matrix<Scalar> basis(network.input_dimension(), 3);
    basis << slice_.first_direction, slice_.second_direction, slice_.origin;
    std::vector<Matrix<Scalar>> maps(1, network.weights(0) * basis);
    maps[0].col(2) += network.biases(0);

    std::vector<Piece> pieces;
    pieces.push_back(Piece{detail::box_polygon(box_.s_min, box_.s_max, box_.t_min, box_.t_max,
                                               [](Index) { return detail::unlabelled_edge; }),
                           zeros_, 0});
    const Scalar slope = network.negative_slope();
    for (Index l = 0; l < network.hidden_layer_count(); ++l) {
      std::vector<Piece> split;
      for (auto& piece : pieces) {
        const Index map = piece.map;
        split_layer(std::move(piece), 0, maps[std::size_t(map)], zeros_.layer_offset(l), split);
      }

      // The mask of layer l turns each piece's map into the next layer's map.
      std::vector<Matrix<Scalar>> next(split.size());
      for (std::size_t k = 0; k < split.size(); ++k) {
        const Matrix<Scalar> masked =
            detail::activation_slopes(split[k].pattern, l, slope).asDiagonal() *
            maps[std::size_t(split[k].map)];
        next[k].noalias() = network.weights(l + 1) * masked;
        next[k].col(2) += network.biases(l + 1);
        split[k].map = Index(k);
      }
      maps = std::move(next);
      pieces = std::move(split);
    }

    regions_.reserve(pieces.size());
    for (auto& piece : pieces) {
      PartitionRegion<Scalar> region;
      region.vertices = std::move(piece.polygon.vertices);
      region.edge_neurons = std::move(piece.polygon.edge_labels);
      region.pattern = std::move(piece.pattern);
      const auto& map = maps[std::size_t(piece.map)];
      region.slice_jacobian = map.leftCols(2);
      region.slice_bias = map.col(2);
      region.area = detail::signed_area(region.vertices);
      index_.emplace(region.pattern, Index(regions_.size()));
      regions_.push_back(std::move(region));
    }
  }

  void add_adjacency(Index a, Index b, Index flat, const Point2<Scalar>& from,
                     const Point2<Scalar>& to, std::set<std::tuple<Index, Index, Index>>& seen) {
    const Index first = std::min(a, b);
    const Index second = std::max(a, b);
    if (!seen.emplace(first, second, flat).second) return;
    const auto [layer, neuron] = neuron_of(flat);
    // Keep the edge oriented as seen from the first region.
    adjacency_.push_back(a == first
                             ? RegionAdjacency<Scalar>{first, second, layer, neuron, from, to}
                             : RegionAdjacency<Scalar>{first, second, layer, neuron, to, from});
  }

  // Regions other than `r` with an edge on the segment from-to, overlapping it with positive
  // length from the other side; the overlap is reported.
  void match_edge_geometrically(Index r, Index flat, const Point2<Scalar>& from,
                                const Point2<Scalar>& to,
                                std::set<std::tuple<Index, Index, Index>>& seen) {
    const Point2<Scalar> direction = to - from;
    const Scalar length = direction.norm();
    if (!(length > 0)) return;
    const Point2<Scalar> unit = direction / length;
    const Scalar scale = std::max({from.cwiseAbs().maxCoeff(), to.cwiseAbs().maxCoeff(), length});
    const Scalar tolerance = std::sqrt(Traits::geometry_tolerance) * scale;
    for (Index q = 0; q < region_count(); ++q) {
      if (q == r) continue;
      const auto& other = regions_[std::size_t(q)];
      for (std::size_t k = 0; k < other.vertices.size(); ++k) {
        const Point2<Scalar>& p0 = other.vertices[k];
        const Point2<Scalar>& p1 = other.vertices[(k + 1) % other.vertices.size()];
        const auto off_line = [&](const Point2<Scalar>& p) {
          const Point2<Scalar> d = p - from;
          return std::abs(unit.x() * d.y() - unit.y() * d.x());
        };
        if (off_line(p0) > tolerance || off_line(p1) > tolerance) continue;
        // Opposite orientation: the two regions lie on opposite sides of the common line.
        const Scalar a = unit.dot(p1 - from);
        const Scalar b = unit.dot(p0 - from);
        if (!(a < b)) continue;
        const Scalar lo = std::max(Scalar(0), a);
        const Scalar hi = std::min(length, b);
        if (hi - lo <= tolerance) continue;
        add_adjacency(r, q, flat, from + lo * unit, from + hi * unit, seen);
      }
    }
  }

  void build_adjacency() {
    std::set<std::tuple<Index, Index, Index>> seen;
    for (Index r = 0; r < region_count(); ++r) {
      const auto& region = regions_[std::size_t(r)];
      const std::size_t n = region.vertices.size();
      for (std::size_t k = 0; k < n; ++k) {
        const Index flat = region.edge_neurons[k];
        if (flat < 0) continue;
        const auto& from = region.vertices[k];
        const auto& to = region.vertices[(k + 1) % n];
        ActivationPattern flipped = region.pattern;
        flipped.set_flat(flat, !flipped.test_flat(flat));
        const Index neighbour = find(flipped);
        if (neighbour >= 0)
          add_adjacency(r, neighbour, flat, from, to, seen);
        else
          match_edge_geometrically(r, flat, from, to, seen);
      }
    }
  }

  // Segments inside region r where the arg max of its affine logits changes: the argmax cells
  // come from clipping the polygon with the pairwise difference half-planes.
  void add_boundary_inside(Index r) {
    const auto& region = regions_[std::size_t(r)];
    const Index classes = region.slice_bias.size();
    Index common = -1;
    for (const auto& v : region.vertices) {
      Index best = 0;
      (region.slice_jacobian * v + region.slice_bias).maxCoeff(&best);
      if (common == -1) common = best;
      if (best != common) common = -2;
    }
    // Affine differences that favour one class at every vertex favour it on the whole polygon.
    if (common >= 0) return;
    for (Index c = 0; c < classes; ++c) {
      Polygon cell{region.vertices, std::vector<Index>(region.vertices.size(), -1)};
      bool empty = false;
      for (Index j = 0; j < classes && !empty; ++j) {
        if (j == c) continue;
        const Point2<Scalar> normal =
            (region.slice_jacobian.row(c) - region.slice_jacobian.row(j)).transpose();
        empty =
            !detail::clip_convex_polygon(cell, normal, region.slice_bias(c) - region.slice_bias(j),
                                         j, Traits::geometry_tolerance);
      }
      if (empty) continue;
      for (std::size_t k = 0; k < cell.vertices.size(); ++k) {
        const Index j = cell.edge_labels[k];
        if (j > c)
          decision_boundary_.push_back(
              {cell.vertices[k], cell.vertices[(k + 1) % cell.vertices.size()], r, c, j});
      }
    }
  }

  // Predicted class next to an edge on which classes c and j tie: the one that wins inside region
  // r.
  Index winner_beside_edge(Index r, Index c, Index j) const {
    const auto& region = regions_[std::size_t(r)];
    const Point2<Scalar> inside = detail::centroid(region.vertices);
    const Scalar difference =
        (region.slice_jacobian.row(c) - region.slice_jacobian.row(j)).dot(inside) +
        region.slice_bias(c) - region.slice_bias(j);
    return difference >= 0 ? c : j;
  }

  void build_decision_boundary() {
    for (Index r = 0; r < region_count(); ++r)
      add_boundary_inside(r);

    // Where the class boundary runs along a region edge, the class changes across the edge.
    for (const auto& adjacency : adjacency_) {
      const auto& region = regions_[std::size_t(adjacency.first_region)];
      if (region.slice_bias.size() < 2) continue;
      const Vector<Scalar> middle =
          region.slice_jacobian * (adjacency.from + adjacency.to) / 2 + region.slice_bias;
      Index c = 0;
      middle.maxCoeff(&c);
      Vector<Scalar> others = middle;
      others(c) = -std::numeric_limits<Scalar>::infinity();
      Index j = 0;
      others.maxCoeff(&j);
      bool tied = true;
      for (const auto* p : {&adjacency.from, &adjacency.to}) {
        const Vector<Scalar> logits = region.slice_jacobian * *p + region.slice_bias;
        const Scalar scale =
            (region.slice_jacobian.row(c).cwiseAbs() + region.slice_jacobian.row(j).cwiseAbs())
                .dot(p->cwiseAbs()) +
            std::abs(region.slice_bias(c)) + std::abs(region.slice_bias(j));
        tied = tied && std::abs(logits(c) - logits(j)) <= Traits::geometry_tolerance * scale;
      }
      if (!tied) continue;
      const Index a = winner_beside_edge(adjacency.first_region, c, j);
      const Index b = winner_beside_edge(adjacency.second_region, c, j);
      if (a != b)
        decision_boundary_.push_back(
            {adjacency.from, adjacency.to, adjacency.first_region, std::min(c, j), std::max(c, j)});
    }
  }

  PlaneSlice<Scalar> slice_;
  SliceBox<Scalar> box_;
  ActivationPattern zeros_;
  Scalar sliver_area_ = 0;
  std::vector<PartitionRegion<Scalar>> regions_;
  std::unordered_map<ActivationPattern, Index> index_;
  std::vector<RegionAdjacency<Scalar>> adjacency_;
  std::vector<DecisionBoundarySegment<Scalar>> decision_boundary_;
};

}  // namespace polyleak
