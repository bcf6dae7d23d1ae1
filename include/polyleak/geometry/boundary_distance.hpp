#pragma once
// boundary_distance(): the exact distance from a point to the decision boundary of a ReLU network
// in L2 or L-inf (DESIGN, "Where we go beyond", point 5), by a best-first walk over activation
// regions with a convex program per region.

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "polyleak/core/check.hpp"
#include "polyleak/core/error.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/geometry/activation_pattern.hpp"
#include "polyleak/geometry/linear_program.hpp"
#include "polyleak/geometry/polytope.hpp"
#include "polyleak/geometry/polytope_function.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// The norm in which a distance is measured.
enum class DistanceNorm { l2, linf };

/// Options of boundary_distance().
/// @tparam Scalar float or double.
template <RealScalar Scalar>
struct BoundaryDistanceOptions {
  DistanceNorm norm = DistanceNorm::l2;
  /// Regions whose in-region problem may be solved; 0 means no limit. When the budget runs out
  /// the result holds certified lower and upper bounds instead of the exact distance.
  Index region_budget = 0;
  /// Optional input domain: the boundary point is sought inside it (adds 2 d constraints per
  /// region, which makes the L2 programs much larger for large d).
  std::optional<Box<Scalar>> box;
  /// Sweeps of Hildreth's method per L2 program before the dual active-set method takes over
  /// (see detail::project_l2).
  Index max_sweeps = 200;
};

/// Result of boundary_distance(). `lower_bound <= distance == upper_bound`; the two bounds are
/// equal (and `certified` true) unless the region budget ran out first. `upper_bound` is
/// +infinity when no point of another class was found (then `boundary_point` is empty).
template <RealScalar Scalar>
struct BoundaryDistance {
  Scalar distance = std::numeric_limits<Scalar>::infinity();  ///< == upper_bound
  Scalar lower_bound = 0;
  Scalar upper_bound = std::numeric_limits<Scalar>::infinity();
  bool certified = false;
  /// The closest point found where the predicted class ties: `logits[original_class] ==
  /// logits[boundary_class]` up to rounding, both the largest.
  Vector<Scalar> boundary_point;
  Index original_class = 0;
  Index boundary_class = -1;
  /// Regions whose in-region boundary problem was solved.
  Index regions_visited = 0;
  /// Regions (or candidate patterns) whose distance from the point was computed, including empty
  /// ones; each costs one convex program.
  Index regions_evaluated = 0;
};

namespace detail {

/// Result of project_onto_polyhedron(): whether the set is non-empty, and if so the closest
/// point, its distance and the KKT residual of the L2 program (0 for L-inf).
struct Projection {
  bool feasible = false;
  double distance = 0;
  Eigen::VectorXd point;
  double kkt_residual = 0;
};

/// L-inf projection: minimise t subject to G x + h >= 0 and |x_j - x0_j| <= t (an LP with
/// d + 1 variables and K + 2 d rows).
inline Projection project_linf(const Eigen::MatrixXd& normals, const Eigen::VectorXd& offsets,
                               const Eigen::VectorXd& origin) {
  const Index d = origin.size();
  constexpr double infinity = std::numeric_limits<double>::infinity();
  LinearProgram program(d + 1);
  Eigen::VectorXd row(d + 1);
  for (Index k = 0; k < normals.rows(); ++k) {
    row << normals.row(k).transpose(), 0.0;
    program.add_constraint(row, -offsets(k), infinity);
  }
  for (Index j = 0; j < d; ++j) {
    row.setZero();
    row(j) = 1;
    row(d) = -1;
    program.add_constraint(row, -infinity, origin(j));
    row(d) = 1;
    program.add_constraint(row, origin(j), infinity);
  }
  program.set_objective(Eigen::VectorXd::Unit(d + 1, d), LpSense::minimize);
  const LpSolution solution = program.solve();
  Projection result;
  if (solution.status != LpStatus::optimal) return result;
  result.feasible = true;
  result.point = solution.values.head(d);
  result.distance = (result.point - origin).lpNorm<Eigen::Infinity>();
  return result;
}

/// KKT residual of x = x0 + U^T lambda for min ||x - x0||^2 / 2 subject to U x + e >= 0 (unit
/// rows U): the largest of the constraint violation, the negative part of lambda and the
/// complementarity |lambda_i| |r_i| with r = U x + e (stationarity holds by construction).
inline double kkt_residual(const Eigen::VectorXd& lambda, const Eigen::VectorXd& residuals) {
  double worst = std::max(0.0, -residuals.minCoeff());
  worst = std::max(worst, std::max(0.0, -lambda.minCoeff()));
  for (Index i = 0; i < lambda.size(); ++i)
    if (lambda(i) > 0) worst = std::max(worst, std::min(lambda(i), 1.0) * std::abs(residuals(i)));
  return worst;
}

/// Outcome of dual_active_set_projection().
enum class DualActiveSetStatus { optimal, empty, stalled };

/// Result of dual_active_set_projection(). `multipliers` has one entry per constraint: for
/// `optimal` the multipliers lambda >= 0 (the projection is x0 + U^T lambda), for `empty` a
/// certificate y >= 0 with U^T y = 0 up to rounding and y . e < 0 (see certifies_empty()),
/// for `stalled` nothing.
struct DualActiveSetResult {
  DualActiveSetStatus status = DualActiveSetStatus::stalled;
  Eigen::VectorXd multipliers;
  Index steps = 0;  ///< primal and dual steps taken
};

/// Replaces columns a_i and a_j of `matrix` by c a_i + s a_j and c a_j - s a_i (a plane
/// rotation, c^2 + s^2 = 1).
inline void rotate_columns(Eigen::MatrixXd& matrix, Index i, Index j, double c, double s) {
  for (Index k = 0; k < matrix.rows(); ++k) {
    const double first = matrix(k, i);
    matrix(k, i) = c * first + s * matrix(k, j);
    matrix(k, j) = c * matrix(k, j) - s * first;
  }
}

/// The projection of `origin` x0 onto {x : U x + e >= 0} (unit rows U) by the dual active-set
/// method of Goldfarb and Idnani (1983) for the identity Hessian. It starts at the
/// unconstrained minimum x = x0 with an empty active set A and keeps the KKT conditions of the
/// problem restricted to A (x = x0 + U_A^T mu, mu >= 0, U_A x + e_A = 0, rows of U_A linearly
/// independent) while the dual objective grows. Each round takes the most violated constraint p
/// and steps along it: x moves along z, the part of u_p orthogonal to the rows of U_A, while
/// the multiplier of p grows and mu falls by r (u_p = U_A^T r + z), until either p holds with
/// equality (p joins A) or a multiplier of A reaches zero (that constraint leaves A and p is
/// stepped along again). When u_p lies within `dependence` of the row space of U_A, z is taken
/// as zero and the step is a pure dual one; when in addition no multiplier falls, (1 for p, -r
/// on A) certifies that the set is empty. Ends when no constraint is violated by more than
/// `tolerance`, needs no feasible start, and degenerate vertices (more than d constraints
/// active, repeated or nearly parallel rows) only cost dual steps. U_A^T is kept as Q R (Q with
/// orthonormal columns, R upper triangular): a joining row adds a column by Gram-Schmidt with
/// reorthogonalisation, a leaving one is removed by Givens rotations. Finite in exact
/// arithmetic; capped at 4 (K + d) steps (then `stalled`). Cost O(K d + d |A|) per step.
/// Deterministic (the joining constraint is the lowest row among equally violated ones, the
/// leaving one the earliest joined among equal ratios).
inline DualActiveSetResult dual_active_set_projection(const Eigen::MatrixXd& units,
                                                      const Eigen::VectorXd& unit_offsets,
                                                      const Eigen::VectorXd& origin,
                                                      double tolerance, double dependence) {
  const Index rows = units.rows();
  const Index d = units.cols();
  DualActiveSetResult result;
  Eigen::MatrixXd q_factor(d, d);
  Eigen::MatrixXd r_factor = Eigen::MatrixXd::Zero(d, d);
  Eigen::VectorXd mu(d);
  std::vector<Index> active;
  std::vector<char> is_active(std::size_t(rows), 0);
  Eigen::VectorXd x = origin;
  Eigen::VectorXd coordinates(d);
  Eigen::VectorXd z(d);
  Eigen::VectorXd r(d);

  while (true) {
    const Eigen::VectorXd residuals = units * x + unit_offsets;
    Index p = -1;
    double most_violated = -tolerance;
    for (Index i = 0; i < rows; ++i)
      if (!is_active[std::size_t(i)] && residuals(i) < most_violated)
        most_violated = residuals(i), p = i;
    if (p < 0) {
      result.status = DualActiveSetStatus::optimal;
      result.multipliers = Eigen::VectorXd::Zero(rows);
      for (std::size_t j = 0; j < active.size(); ++j)
        result.multipliers(active[j]) = std::max(0.0, mu(Index(j)));
      return result;
    }

    const Eigen::VectorXd normal = units.row(p).transpose();
    double mu_p = 0;
    while (true) {
      if (++result.steps > 4 * (rows + d)) return result;
      const Index q = Index(active.size());

      // z = u_p minus its projection onto span(Q), by Gram-Schmidt twice (once loses
      // orthogonality when u_p is nearly in the span).
      const auto basis = q_factor.leftCols(q);
      coordinates.head(q).noalias() = basis.transpose() * normal;
      z = normal;
      z.noalias() -= basis * coordinates.head(q);
      const Eigen::VectorXd correction = basis.transpose() * z;
      z.noalias() -= basis * correction;
      coordinates.head(q) += correction;
      const double free_norm = z.norm();
      const bool dependent = q == d || free_norm <= dependence;
      r.head(q) =
          r_factor.topLeftCorner(q, q).triangularView<Eigen::Upper>().solve(coordinates.head(q));

      double partial = std::numeric_limits<double>::infinity();
      Index leaving = -1;
      for (Index j = 0; j < q; ++j)
        if (r(j) > 0 && mu(j) / r(j) < partial) partial = mu(j) / r(j), leaving = j;
      if (dependent && leaving < 0) {
        result.status = DualActiveSetStatus::empty;
        result.multipliers = Eigen::VectorXd::Zero(rows);
        result.multipliers(p) = 1;
        for (Index j = 0; j < q; ++j)
          result.multipliers(active[std::size_t(j)]) = std::max(0.0, -r(j));
        return result;
      }
      const double full =
          dependent ? std::numeric_limits<double>::infinity()
                    : std::max(0.0, -(normal.dot(x) + unit_offsets(p))) / (free_norm * free_norm);
      const double step = std::min(partial, full);
      if (!dependent) x += step * z;
      mu.head(q) -= step * r.head(q);
      mu_p += step;

      if (full <= partial) {
        q_factor.col(q) = z / free_norm;
        r_factor.col(q).head(q) = coordinates.head(q);
        r_factor(q, q) = free_norm;
        mu(q) = mu_p;
        active.push_back(p);
        is_active[std::size_t(p)] = 1;
        break;
      }

      // Drop `leaving`: shift the later columns of R left, then rotate the Hessenberg part of R
      // (and Q alongside) back to triangular.
      is_active[std::size_t(active[std::size_t(leaving)])] = 0;
      active.erase(active.begin() + leaving);
      for (Index j = leaving; j + 1 < q; ++j) {
        mu(j) = mu(j + 1);
        r_factor.col(j).head(j + 2) = r_factor.col(j + 1).head(j + 2);
      }
      r_factor.col(q - 1).setZero();
      for (Index j = leaving; j + 1 < q; ++j) {
        const double a = r_factor(j, j);
        const double b = r_factor(j + 1, j);
        const double length = std::hypot(a, b);
        if (!(length > 0)) continue;
        const double c = a / length;
        const double s = b / length;
        for (Index k = j; k + 1 < q; ++k) {
          const double upper = r_factor(j, k);
          r_factor(j, k) = c * upper + s * r_factor(j + 1, k);
          r_factor(j + 1, k) = c * r_factor(j + 1, k) - s * upper;
        }
        r_factor(j + 1, j) = 0;
        rotate_columns(q_factor, j, j + 1, c, s);
      }
    }
  }
}

/// Whether `certificate` y >= 0 proves {x : U x + e >= 0} (unit rows U) empty up to rounding:
/// y . e < 0 and ||U^T y||_2 <= dependence ||y||_2. Then the normals moved by at most
/// `dependence` each (U - y (U^T y)^T / ||y||^2, for which y is an exact Farkas certificate)
/// give an empty set. Cost O(K d).
inline bool certifies_empty(const Eigen::MatrixXd& units, const Eigen::VectorXd& unit_offsets,
                            const Eigen::VectorXd& certificate, double dependence) {
  if (certificate.size() != units.rows() || certificate.minCoeff() < 0) return false;
  return certificate.dot(unit_offsets) < 0 &&
         (units.transpose() * certificate).norm() <= dependence * certificate.norm();
}

/// Half-spaces u_i . x + e_i >= 0 with unit normals u_i (rows of `units`) and their Gram matrix
/// U U^T, kept so that programs sharing rows share its cost. `empty` marks a set with a
/// violated zero row (0 . x + e >= 0 with e < 0).
struct UnitHalfspaces {
  Eigen::MatrixXd units;
  Eigen::VectorXd offsets;
  Eigen::MatrixXd gram;
  bool empty = false;
};

/// The half-spaces G x + h >= 0 with rows scaled to unit normals; zero rows are dropped (or mark
/// the set empty). Cost O(K^2 d).
inline UnitHalfspaces unit_halfspaces(const Eigen::MatrixXd& normals,
                                      const Eigen::VectorXd& offsets) {
  UnitHalfspaces result;
  std::vector<Index> kept;
  const Eigen::VectorXd norms = normals.rowwise().norm();
  for (Index k = 0; k < normals.rows(); ++k) {
    if (norms(k) > 0)
      kept.push_back(k);
    else if (offsets(k) < 0)
      result.empty = true;
  }
  const Eigen::VectorXd kept_norms = norms(kept);
  result.units = kept_norms.cwiseInverse().asDiagonal() * normals(kept, Eigen::all);
  result.offsets = offsets(kept).cwiseQuotient(kept_norms);
  result.gram = result.units * result.units.transpose();
  return result;
}

/// `set` with the half-space g . x + h >= 0 appended, extending the Gram matrix by one row and
/// column. Cost O(K d + K^2).
inline UnitHalfspaces with_halfspace(const UnitHalfspaces& set, const Eigen::VectorXd& normal,
                                     double offset) {
  UnitHalfspaces result = set;
  const double norm = normal.norm();
  if (!(norm > 0)) {
    result.empty = result.empty || offset < 0;
    return result;
  }
  const Index rows = set.units.rows();
  result.units.conservativeResize(rows + 1, Eigen::NoChange);
  result.units.row(rows) = normal.transpose() / norm;
  result.offsets.conservativeResize(rows + 1);
  result.offsets(rows) = offset / norm;
  const Eigen::VectorXd cross = set.units * result.units.row(rows).transpose();
  result.gram.conservativeResize(rows + 1, rows + 1);
  result.gram.col(rows).head(rows) = cross;
  result.gram.row(rows).head(rows) = cross.transpose();
  result.gram(rows, rows) = 1;
  return result;
}

/// L2 projection of `origin` onto the half-spaces of `set`: the convex QP min ||x - x0||^2 / 2
/// subject to them. First Hildreth's method on the dual
/// max_{lambda >= 0} -||U^T lambda||^2 / 2 - lambda . s (s = U x0 + e, the signed distances at
/// x0): exact coordinate ascent, one constraint at a time, on the Gram matrix U U^T, for at most
/// `max_sweeps` sweeps; fast when few normals are active and they are well conditioned. When it
/// has not converged (many or nearly dependent active normals, or an empty set, on which it
/// diverges), dual_active_set_projection() solves the program from x0 in finitely many steps.
/// A projection is accepted only when its KKT residual (kkt_residual) is at most `tolerance`,
/// emptiness only with a certificate that certifies_empty() accepts (normals within
/// ScalarTraits<double>::geometry_tolerance, which also decides linear dependence); otherwise
/// SolverError. Cost: O(K^2) per sweep, O(K d + d |A|) per active-set step.
inline Projection project_l2(const UnitHalfspaces& set, const Eigen::VectorXd& origin,
                             double tolerance, Index max_sweeps) {
  Projection result;
  if (set.empty) return result;
  const Eigen::MatrixXd& units = set.units;
  const Eigen::VectorXd& unit_offsets = set.offsets;
  const Eigen::MatrixXd& gram = set.gram;
  const Eigen::VectorXd start = units * origin + unit_offsets;
  result.feasible = true;
  if (units.rows() == 0 || start.minCoeff() >= 0) {
    result.point = origin;
    return result;
  }

  const Index rows = units.rows();
  Eigen::VectorXd lambda = Eigen::VectorXd::Zero(rows);
  Eigen::VectorXd residuals = start;
  double residual = std::numeric_limits<double>::infinity();
  const auto accept = [&](const Eigen::VectorXd& multipliers) {
    const Eigen::VectorXd point = origin + units.transpose() * multipliers;
    residual = kkt_residual(multipliers, units * point + unit_offsets);
    if (residual > tolerance) return false;
    result.point = point;
    result.distance = (point - origin).norm();
    result.kkt_residual = residual;
    return true;
  };

  for (Index sweep = 1; sweep <= max_sweeps; ++sweep) {
    for (Index i = 0; i < rows; ++i) {
      const double step = std::max(-lambda(i), -residuals(i));
      if (step == 0) continue;
      lambda(i) += step;
      residuals.noalias() += step * gram.col(i);
    }
    if ((sweep % 16 == 0 || sweep == max_sweeps) &&
        kkt_residual(lambda, residuals) <= tolerance / 4 && accept(lambda))
      return result;
  }

  constexpr double dependence = ScalarTraits<double>::geometry_tolerance;
  const DualActiveSetResult dual =
      dual_active_set_projection(units, unit_offsets, origin, tolerance / 4, dependence);
  std::string outcome;
  switch (dual.status) {
    case DualActiveSetStatus::optimal:
      if (accept(dual.multipliers)) return result;
      outcome = "ended at KKT residual " + std::to_string(residual);
      break;
    case DualActiveSetStatus::empty:
      if (certifies_empty(units, unit_offsets, dual.multipliers, dependence)) return Projection{};
      outcome = "found the set empty, but its certificate does not check";
      break;
    case DualActiveSetStatus::stalled:
      outcome = "stopped after " + std::to_string(dual.steps) + " steps";
      break;
  }
  throw SolverError("project_onto_polyhedron: L2 projection onto " + std::to_string(rows) +
                    " half-spaces in " + std::to_string(units.cols()) +
                    " dimensions did not reach KKT residual " + std::to_string(tolerance) +
                    ": Hildreth's method did not converge in " + std::to_string(max_sweeps) +
                    " sweeps and the dual active-set method " + outcome);
}

/// KKT tolerance of the L2 programs: ScalarTraits<Scalar>::optimality_tolerance relative to
/// 1 + ||origin||_inf.
template <RealScalar Scalar>
double l2_tolerance(const Eigen::VectorXd& origin) {
  return double(ScalarTraits<Scalar>::optimality_tolerance) *
         (1 + origin.lpNorm<Eigen::Infinity>());
}

/// The point of {x : G x + h >= 0} closest to `origin` in `norm`, or feasible = false when the
/// set is empty. L2 answers satisfy the KKT conditions within ScalarTraits<Scalar>::
/// optimality_tolerance relative to 1 + ||origin||_inf, and L2 emptiness comes with a checked
/// certificate (detail::project_l2); SolverError otherwise. Computed in double. Deterministic.
template <RealScalar Scalar>
Projection project_onto_polyhedron(const Eigen::MatrixXd& normals, const Eigen::VectorXd& offsets,
                                   const Eigen::VectorXd& origin, DistanceNorm norm,
                                   Index max_sweeps) {
  if (norm == DistanceNorm::linf) return project_linf(normals, offsets, origin);
  return project_l2(unit_halfspaces(normals, offsets), origin, l2_tolerance<Scalar>(origin),
                    max_sweeps);
}

/// Distance from `origin` to the half-space {x : g . x + h >= 0} in `norm` (the dual norm of g
/// divides the violation): a lower bound for any subset of it.
inline double halfspace_distance(const Eigen::VectorXd& normal, double offset,
                                 const Eigen::VectorXd& origin, DistanceNorm norm) {
  const double violation = std::max(0.0, -(normal.dot(origin) + offset));
  if (violation == 0) return 0;
  const double scale = norm == DistanceNorm::l2 ? normal.norm() : normal.lpNorm<1>();
  return scale > 0 ? violation / scale : std::numeric_limits<double>::infinity();
}

/// One activation region in the walk: its pattern, H-representation and polytope function.
template <RealScalar Scalar>
struct WalkRegion {
  PolytopeFunction<Scalar> function;
  Eigen::MatrixXd normals;
  Eigen::VectorXd offsets;
  UnitHalfspaces halfspaces;  ///< the unit rows and their Gram matrix (L2 only)
};

/// A queued region: a lower bound on its distance from the point, exact once evaluated (then
/// `region` holds its data, built only when it is first taken out of the queue).
template <RealScalar Scalar>
struct WalkEntry {
  double key = 0;
  bool exact = false;
  ActivationPattern pattern;
  std::shared_ptr<const WalkRegion<Scalar>> region;
  friend bool operator>(const WalkEntry& a, const WalkEntry& b) { return a.key > b.key; }
};

}  // namespace detail

/// The exact distance from `point` to the decision boundary of `network` (the closest point
/// where the predicted class of `point` stops being the unique arg max), in L2 or L-inf.
///
/// Inside an activation region P the logits are `A_P x + b_P`, so the closest point of P where
/// class c beats the original class y is a convex program over P's H-representation plus the
/// half-space `(A_P[c] - A_P[y]) x + (b_P[c] - b_P[y]) >= 0`: an LP for L-inf (GLPK), a QP for
/// L2 (detail::project_l2, checked by its KKT conditions). The global minimum comes from a
/// best-first walk over regions, ordered by their distance from the point (a lower bound for
/// any boundary point in them): neighbours are the patterns with one bit flipped, queued with
/// the distance to the flipped neuron's opposite half-space and re-queued with their exact
/// distance when first taken out; empty ones drop out. The walk stops when the next region is
/// no closer than the best boundary point, which certifies it (generic position assumed: the
/// regions met by a ball around the point are connected through facets), or when
/// options.region_budget regions were solved, which leaves certified bounds. Classes whose
/// half-space is already farther than the best point are skipped.
/// @tparam Scalar float or double (programs are solved in double).
/// Throws InvalidArgument for a point of the wrong length, non-finite values or a bad box;
/// SolverError if a program fails. Cost per region: one PolytopeFunction, and per candidate
/// class and per neighbour one convex program (K = hidden neurons (+ 2 d with a box) rows).
/// Deterministic.
template <RealScalar Scalar>
BoundaryDistance<Scalar> boundary_distance(
    const Mlp<Scalar>& network, const std::type_identity_t<Eigen::Ref<const Vector<Scalar>>>& point,
    const BoundaryDistanceOptions<Scalar>& options = {}) {
  POLYLEAK_REQUIRE(point.size() == network.input_dimension(),
                   "point has " + std::to_string(point.size()) + " coordinates, network expects " +
                       std::to_string(network.input_dimension()));
  require_finite(point, "boundary_distance", "point");
  POLYLEAK_REQUIRE(options.region_budget >= 0 && options.max_sweeps > 0,
                   "need region_budget >= 0 and max_sweeps > 0, got " +
                       std::to_string(options.region_budget) + " and " +
                       std::to_string(options.max_sweeps));
  using Region = detail::WalkRegion<Scalar>;
  using Entry = detail::WalkEntry<Scalar>;
  const Eigen::VectorXd origin = point.template cast<double>();
  const DistanceNorm norm = options.norm;

  BoundaryDistance<Scalar> result;
  network.forward(point).maxCoeff(&result.original_class);
  const Index y = result.original_class;

  const auto make_region = [&](ActivationPattern pattern) {
    PolytopeFunction<Scalar> function(network, std::move(pattern));
    const Polytope<Scalar> polytope(function, options.box);
    Region region{std::move(function),
                  polytope.normals().template cast<double>(),
                  polytope.offsets().template cast<double>(),
                  {}};
    if (norm == DistanceNorm::l2)
      region.halfspaces = detail::unit_halfspaces(region.normals, region.offsets);
    return std::make_shared<const Region>(std::move(region));
  };
  const double tolerance = detail::l2_tolerance<Scalar>(origin);
  // The region's own set, or the region with one more half-space (g, h).
  const auto project = [&](const Region& region, const Eigen::VectorXd* normal, double offset) {
    if (norm == DistanceNorm::l2)
      return detail::project_l2(
          normal ? detail::with_halfspace(region.halfspaces, *normal, offset) : region.halfspaces,
          origin, tolerance, options.max_sweeps);
    if (!normal) return detail::project_linf(region.normals, region.offsets, origin);
    Eigen::MatrixXd normals(region.normals.rows() + 1, origin.size());
    normals << region.normals, normal->transpose();
    Eigen::VectorXd offsets(region.offsets.size() + 1);
    offsets << region.offsets, offset;
    return detail::project_linf(normals, offsets, origin);
  };

  double best = std::numeric_limits<double>::infinity();
  Eigen::VectorXd best_point;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue;
  std::unordered_set<ActivationPattern> seen;
  {
    ActivationPattern start = activation_pattern(network, point);
    seen.insert(start);
    queue.push({0.0, true, start, make_region(start)});
  }
  if (options.box) {
    const auto start = queue.top().region;
    if (!Polytope<Scalar>(start->function, options.box).contains(point))
      detail::throw_invalid_argument("boundary_distance", "point lies outside options.box");
  }

  while (!queue.empty() && queue.top().key < best) {
    if (options.region_budget > 0 && result.regions_visited >= options.region_budget) break;
    Entry entry = queue.top();
    queue.pop();
    if (!entry.exact) {
      ++result.regions_evaluated;
      entry.region = make_region(entry.pattern);
      const auto projection = project(*entry.region, nullptr, 0);
      if (!projection.feasible) continue;
      entry.key = std::max(entry.key, projection.distance);
      entry.exact = true;
      queue.push(std::move(entry));
      continue;
    }
    ++result.regions_visited;
    const Region& region = *entry.region;

    // The closest point of the region where each other class ties with or beats y.
    const Eigen::MatrixXd matrix = region.function.matrix().template cast<double>();
    const Eigen::VectorXd bias = region.function.bias().template cast<double>();
    for (Index c = 0; c < matrix.rows(); ++c) {
      if (c == y) continue;
      const Eigen::VectorXd normal = (matrix.row(c) - matrix.row(y)).transpose();
      const double offset = bias(c) - bias(y);
      if (detail::halfspace_distance(normal, offset, origin, norm) >= best) continue;
      const auto projection = project(region, &normal, offset);
      if (projection.feasible && projection.distance < best) {
        best = projection.distance;
        best_point = projection.point;
        result.boundary_class = c;
      }
    }

    // Neighbours across each neuron's hyperplane.
    const ActivationPattern& pattern = region.function.pattern();
    for (Index k = 0; k < pattern.size(); ++k) {
      ActivationPattern neighbour = pattern;
      neighbour.set_flat(k, !pattern.test_flat(k));
      if (!seen.insert(neighbour).second) continue;
      const double bound = detail::halfspace_distance(-region.normals.row(k).transpose(),
                                                      -region.offsets(k), origin, norm);
      if (bound >= best) {
        seen.erase(neighbour);  // may be reached again later with a smaller bound
        continue;
      }
      queue.push({bound, false, std::move(neighbour), nullptr});
    }
  }

  result.upper_bound = Scalar(best);
  result.distance = result.upper_bound;
  result.lower_bound = Scalar(queue.empty() ? best : std::min(best, queue.top().key));
  result.certified = queue.empty() || queue.top().key >= best;
  if (result.certified) result.lower_bound = result.upper_bound;
  if (best_point.size() > 0) result.boundary_point = best_point.template cast<Scalar>();
  return result;
}

}  // namespace polyleak
