#pragma once
// Polytope: the H-representation of an activation region, its facets (by LP), Chebyshev ball
// and, in 2-D, its exact vertex polygon.

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/geometry/activation_pattern.hpp"
#include "polyleak/geometry/detail/convex_polygon.hpp"
#include "polyleak/geometry/linear_program.hpp"
#include "polyleak/geometry/polytope_function.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// An axis-aligned box {x : lower <= x <= upper} (per coordinate).
template <RealScalar Scalar>
struct Box {
  Vector<Scalar> lower;
  Vector<Scalar> upper;

  /// The cube [low, high]^dimension.
  static Box cube(Index dimension, Scalar low, Scalar high) {
    return {Vector<Scalar>::Constant(dimension, low), Vector<Scalar>::Constant(dimension, high)};
  }
  Index dimension() const noexcept { return lower.size(); }
};

/// What a constraint of a Polytope's H-representation comes from.
enum class ConstraintKind { neuron, box_lower, box_upper };

/// Origin of a constraint: hidden neuron (layer, index), or the lower / upper box side of
/// coordinate `index` (then layer is -1).
struct ConstraintOrigin {
  ConstraintKind kind = ConstraintKind::neuron;
  Index layer = -1;
  Index index = 0;
  friend bool operator==(const ConstraintOrigin&, const ConstraintOrigin&) = default;
};

/// The largest ball inside a polytope. `radius` is +infinity for an unbounded polytope (then
/// `centre` is a point at distance at least 1 from every constraint), <= 0 for one without
/// interior, and -infinity for an empty one (then `centre` is empty).
template <RealScalar Scalar>
struct ChebyshevBall {
  Vector<Scalar> centre;
  Scalar radius = 0;
};

/// A facet of a polytope: constraint `constraint` (whose origin is `origin`) bounds P on a set
/// of dimension d - 1. `point` lies in the facet's relative interior: it is the centre of the
/// largest (d - 1)-ball inside the facet, whose radius is `radius` (+infinity for an unbounded
/// facet, then `point` is at distance at least 1 from the other constraints).
template <RealScalar Scalar>
struct Facet {
  Index constraint = 0;
  ConstraintOrigin origin;
  Vector<Scalar> point;
  Scalar radius = 0;
};

/// The exact polygon of a bounded 2-D polytope: counter-clockwise vertices (2 x k, one per
/// column); edge k runs from vertex k to vertex k + 1 (cyclically) and lies on the constraint
/// `edge_constraints[k]`.
template <RealScalar Scalar>
struct Polygon {
  Matrix<Scalar> vertices;
  std::vector<Index> edge_constraints;
};

/// The activation region P of a pattern as an H-representation: rows
/// `normals().row(k) . x + offsets()(k) >= 0`, one per hidden neuron (l, i) with
/// `sign * (w*_{l,i} . x + b*_{l,i}) >= 0`, sign = +1 for active and -1 for inactive neurons, in
/// pattern order, followed (optionally) by the box: `x_k - lower_k >= 0`, `upper_k - x_k >= 0`
/// for each coordinate k. The pattern's region is where the network's pattern equals it, up to
/// the boundary (the closure of the region).
///
/// LP-based queries (facets, Chebyshev ball) solve in double precision with GLPK on rows
/// scaled to unit normals, so their results are distances in input units.
/// @tparam Scalar float or double (double is the default for geometry). Deterministic.
template <RealScalar Scalar>
class Polytope {
 public:
  using MatrixType = Matrix<Scalar>;
  using VectorType = Vector<Scalar>;

  /// The region of `function`'s pattern, intersected with `box` if given. Throws
  /// InvalidArgument if the box has the wrong dimension, is empty or is not finite.
  explicit Polytope(const PolytopeFunction<Scalar>& function,
                    const std::optional<Box<Scalar>>& box = std::nullopt)
      : pattern_(function.pattern()) {
    const Index d = function.input_dimension();
    Index rows = function.pattern().size();
    if (box) {
      POLYLEAK_REQUIRE(box->lower.size() == d && box->upper.size() == d,
                       "box has dimension " + std::to_string(box->lower.size()) + "/" +
                           std::to_string(box->upper.size()) + ", expected " + std::to_string(d));
      require_finite(box->lower, "Polytope", "box lower corner");
      require_finite(box->upper, "Polytope", "box upper corner");
      POLYLEAK_REQUIRE((box->lower.array() <= box->upper.array()).all(),
                       "box lower corner exceeds its upper corner");
      rows += 2 * d;
    }
    normals_.resize(rows, d);
    offsets_.resize(rows);
    Index k = 0;
    for (Index l = 0; l < function.hidden_layer_count(); ++l)
      for (Index i = 0; i < function.adapted_weights(l).rows(); ++i, ++k) {
        const Scalar sign = pattern_.test_flat(k) ? Scalar(1) : Scalar(-1);
        normals_.row(k) = sign * function.adapted_weights(l).row(i);
        offsets_(k) = sign * function.adapted_biases(l)(i);
        origins_.push_back({ConstraintKind::neuron, l, i});
      }
    if (box) {
      box_ = box;
      for (Index c = 0; c < d; ++c) {
        normals_.row(k).setZero();
        normals_(k, c) = 1;
        offsets_(k++) = -box->lower(c);
        origins_.push_back({ConstraintKind::box_lower, -1, c});
        normals_.row(k).setZero();
        normals_(k, c) = -1;
        offsets_(k++) = box->upper(c);
        origins_.push_back({ConstraintKind::box_upper, -1, c});
      }
    }
  }

  /// The region with activation pattern `pattern` (optionally within `box`).
  Polytope(const Mlp<Scalar>& network, const ActivationPattern& pattern,
           const std::optional<Box<Scalar>>& box = std::nullopt)
      : Polytope(PolytopeFunction<Scalar>(network, pattern), box) {}

  /// The region containing `point` (optionally within `box`).
  Polytope(const Mlp<Scalar>& network,
           const std::type_identity_t<Eigen::Ref<const VectorType>>& point,
           const std::optional<Box<Scalar>>& box = std::nullopt)
      : Polytope(PolytopeFunction<Scalar>(network, point), box) {}

  Index dimension() const noexcept { return normals_.cols(); }
  Index constraint_count() const noexcept { return normals_.rows(); }
  const ActivationPattern& pattern() const noexcept { return pattern_; }
  const std::optional<Box<Scalar>>& box() const noexcept { return box_; }
  /// Constraint normals a_k, one row per constraint.
  const MatrixType& normals() const noexcept { return normals_; }
  /// Constraint offsets c_k: the constraint is a_k . x + c_k >= 0.
  const VectorType& offsets() const noexcept { return offsets_; }
  const std::vector<ConstraintOrigin>& origins() const noexcept { return origins_; }

  /// Whether every constraint holds at x up to rounding: a_k . x + c_k >= -tolerance *
  /// (sum_j |a_kj x_j| + |c_k|), the scale of the rounding error of the left side. Throws
  /// InvalidArgument for a wrong length. Cost O(K d).
  bool contains(const Eigen::Ref<const VectorType>& x,
                Scalar tolerance = ScalarTraits<Scalar>::geometry_tolerance) const {
    POLYLEAK_REQUIRE(x.size() == dimension(), "point has " + std::to_string(x.size()) +
                                                  " coordinates, expected " +
                                                  std::to_string(dimension()));
    const VectorType values = normals_ * x + offsets_;
    const VectorType scale = normals_.cwiseAbs() * x.cwiseAbs() + offsets_.cwiseAbs();
    return (values.array() >= -tolerance * scale.array()).all();
  }

  /// The Chebyshev ball: maximise r subject to a_k . x + c_k >= r ||a_k|| for all k (one LP
  /// with d + 1 variables and K rows; rows with a_k = 0 are checked directly). Throws
  /// SolverError if GLPK fails.
  ChebyshevBall<Scalar> chebyshev_ball() const {
    ChebyshevBall<Scalar> ball;
    if (has_violated_zero_row()) {
      ball.radius = -std::numeric_limits<Scalar>::infinity();
      return ball;
    }
    InscribedBallProgram program(*this);
    const auto [centre, radius] = program.solve();
    ball.centre = centre.template cast<Scalar>();
    ball.radius = Scalar(radius);
    return ball;
  }

  /// The facets of P: constraint k is a facet iff its hyperplane meets P in a set with a
  /// (d - 1)-dimensional interior, decided by one LP per constraint: maximise t subject to a_k . x
  /// + c_k = 0 and a_j . x + c_j >= t ||a_j|| for all j != k; facet iff t > max(geometry_tolerance,
  /// lp_feasibility_tolerance). Of several identical constraints only the first is reported.
  /// Meaningful for a full-dimensional P (a positive Chebyshev radius); a P without interior has no
  /// facets. Unlike a plain redundancy test, the maximiser is the facet's own Chebyshev centre: a
  /// point in its relative interior (Alg. 4's "point on the hyperedge within the constraints").
  /// Throws SolverError if GLPK fails. Cost: K LPs with d + 1 variables and K + 1 rows.
  std::vector<Facet<Scalar>> facets() const {
    std::vector<Facet<Scalar>> result;
    if (has_violated_zero_row()) return result;
    const Scalar threshold =
        std::max(ScalarTraits<Scalar>::geometry_tolerance, Scalar(lp_feasibility_tolerance));
    InscribedBallProgram program(*this);
    const Eigen::MatrixXd gram = program.unit_normals * program.unit_normals.transpose();
    const auto duplicates = duplicate_groups(gram, program.unit_offsets);
    for (Index k = 0; k < constraint_count(); ++k) {
      if (program.norms(k) == 0 || duplicates[std::size_t(k)] != k) continue;
      const auto [point, radius] = program.solve_on_hyperplane(k, duplicates, gram.col(k));
      if (!(radius > threshold)) continue;
      result.push_back(
          {k, origins_[std::size_t(k)], point.template cast<Scalar>(), Scalar(radius)});
    }
    return result;
  }

  /// The exact polygon of P in 2-D: the box polygon clipped by every neuron's half-plane (with
  /// detail::clip_convex_polygon, the clipping helper shared with Partition2d). Vertices closer
  /// than geometry_tolerance (relative) to a line count as on it. Empty (0 vertices) when P has
  /// no interior. Throws InvalidArgument unless dimension() == 2 and a box was given. Cost
  /// O(K^2) at worst.
  Polygon<Scalar> polygon() const {
    POLYLEAK_REQUIRE(dimension() == 2 && box_.has_value(),
                     "polygon needs a 2-D polytope with a box, got dimension " +
                         std::to_string(dimension()) + (box_ ? "" : " without a box"));
    const Index neurons = pattern_.size();
    // Box constraints follow the neurons: x >= lo, x <= hi, y >= lo, y <= hi.
    const Index side_constraint[4] = {neurons + 2, neurons + 1, neurons + 3, neurons + 0};
    auto polygon =
        detail::box_polygon<Scalar>(box_->lower(0), box_->upper(0), box_->lower(1), box_->upper(1),
                                    [&](Index side) { return side_constraint[side]; });
    for (Index k = 0; k < neurons && polygon.size() > 0; ++k) {
      const detail::Point2<Scalar> normal(normals_(k, 0), normals_(k, 1));
      detail::clip_convex_polygon(polygon, normal, offsets_(k), k,
                                  ScalarTraits<Scalar>::geometry_tolerance);
    }
    Polygon<Scalar> result;
    result.vertices.resize(2, polygon.size());
    for (Index v = 0; v < polygon.size(); ++v)
      result.vertices.col(v) = polygon.vertices[std::size_t(v)];
    result.edge_constraints = polygon.edge_labels;
    return result;
  }

 private:
  /// The LP of Chebyshev balls in double: variables (x, t), rows u_k . x - t >= -e_k with unit
  /// normals u_k = a_k / ||a_k||, e_k = c_k / ||a_k||, plus one spare row for hyperplane
  /// constraints. Zero rows are left free.
  struct InscribedBallProgram {
    Eigen::MatrixXd unit_normals;
    Eigen::VectorXd unit_offsets;
    Eigen::VectorXd norms;
    LinearProgram program;
    Index spare_row = 0;

    explicit InscribedBallProgram(const Polytope& polytope)
        : unit_normals(polytope.normals_.template cast<double>()),
          unit_offsets(polytope.offsets_.template cast<double>()),
          norms(unit_normals.rowwise().norm()),
          program(polytope.dimension() + 1) {
      const Index d = polytope.dimension();
      Eigen::VectorXd row(d + 1);
      for (Index k = 0; k < unit_normals.rows(); ++k) {
        if (norms(k) > 0) {
          unit_normals.row(k) /= norms(k);
          unit_offsets(k) /= norms(k);
        }
        row << unit_normals.row(k).transpose(), -1.0;
        if (norms(k) > 0)
          program.add_constraint(row, -unit_offsets(k), kInfinity);
        else
          program.add_constraint(Eigen::VectorXd::Zero(d + 1), -kInfinity, kInfinity);
      }
      spare_row = program.add_constraint(Eigen::VectorXd::Zero(d + 1), -kInfinity, kInfinity);
      program.set_objective(Eigen::VectorXd::Unit(d + 1, d), LpSense::maximize);
    }

    /// Maximises t; caps t at 1 to find a centre when t is unbounded (then radius +inf).
    std::pair<Eigen::VectorXd, double> solve() {
      const Index d = unit_normals.cols();
      LpSolution solution = program.solve();
      double radius = 0;
      if (solution.status == LpStatus::unbounded) {
        program.set_variable_bounds(d, -kInfinity, 1.0);
        program.reset_basis();
        solution = program.solve();
        program.set_variable_bounds(d, -kInfinity, kInfinity);
        radius = kInfinity;
      } else {
        radius = solution.objective;
      }
      if (solution.status != LpStatus::optimal)
        throw SolverError("Polytope: inscribed-ball LP is infeasible although t is free");
      return {solution.values.head(d), radius};
    }

    /// The largest (d-1)-ball of the facet of constraint k: the spare row becomes the equality
    /// u_k . x = -e_k, k and its duplicates are released, and t is measured within the
    /// hyperplane: row j's distance scale is the length of u_j projected onto it,
    /// sqrt(1 - (u_j . u_k)^2) (`cosines` holds u_j . u_k).
    std::pair<Eigen::VectorXd, double> solve_on_hyperplane(
        Index k, const std::vector<Index>& groups,
        const Eigen::Ref<const Eigen::VectorXd>& cosines) {
      const Index d = unit_normals.cols();
      Eigen::VectorXd row(d + 1);
      row << unit_normals.row(k).transpose(), 0.0;
      program.set_constraint_coefficients(spare_row, row);
      program.set_constraint_bounds(spare_row, -unit_offsets(k), -unit_offsets(k));
      Eigen::VectorXd column = Eigen::VectorXd::Zero(program.constraint_count());
      for (Index j = 0; j < cosines.size(); ++j)
        if (norms(j) > 0) column(j) = -std::sqrt(std::max(0.0, 1 - cosines(j) * cosines(j)));
      program.set_variable_coefficients(d, column);
      set_group_free(k, groups, true);
      // A cold start per facet: warm starts after replacing the t column gave wrong statuses
      // (unbounded, then infeasible with t capped) with GLPK 5.0 in our tests.
      program.reset_basis();
      std::pair<Eigen::VectorXd, double> result;
      try {
        result = solve_or_empty();
      } catch (...) {
        set_group_free(k, groups, false);
        throw;
      }
      set_group_free(k, groups, false);
      return result;
    }

   private:
    static constexpr double kInfinity = std::numeric_limits<double>::infinity();

    std::pair<Eigen::VectorXd, double> solve_or_empty() {
      const Index d = unit_normals.cols();
      LpSolution solution = program.solve();
      if (solution.status == LpStatus::infeasible) return {Eigen::VectorXd(), -kInfinity};
      if (solution.status == LpStatus::optimal)
        return {solution.values.head(d), solution.objective};
      return solve();
    }

    void set_group_free(Index k, const std::vector<Index>& groups, bool free) {
      for (Index j = 0; j < Index(groups.size()); ++j)
        if (groups[std::size_t(j)] == k && norms(j) > 0)
          program.set_constraint_bounds(j, free ? -kInfinity : -unit_offsets(j), kInfinity);
    }
  };

  /// For each constraint, the first constraint identical to it (unit normal and offset equal
  /// within lp_feasibility_tolerance), found through the Gram matrix of the unit normals.
  static std::vector<Index> duplicate_groups(const Eigen::MatrixXd& gram,
                                             const Eigen::VectorXd& unit_offsets) {
    const Index rows = gram.rows();
    std::vector<Index> first(static_cast<std::size_t>(rows));
    for (Index k = 0; k < rows; ++k) {
      first[std::size_t(k)] = k;
      for (Index j = 0; j < k; ++j)
        if (gram(k, j) >= 1 - lp_feasibility_tolerance &&
            std::abs(unit_offsets(k) - unit_offsets(j)) <= lp_feasibility_tolerance) {
          first[std::size_t(k)] = first[std::size_t(j)];
          break;
        }
    }
    return first;
  }

  bool has_violated_zero_row() const {
    for (Index k = 0; k < constraint_count(); ++k)
      if (normals_.row(k).isZero(0) && offsets_(k) < 0) return true;
    return false;
  }

  ActivationPattern pattern_;
  std::optional<Box<Scalar>> box_;
  MatrixType normals_;
  VectorType offsets_;
  std::vector<ConstraintOrigin> origins_;
};

}  // namespace polyleak
