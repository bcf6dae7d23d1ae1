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
  /// Sweeps of Hildreth's method per L2 program before the active-set method takes over (see
  /// detail::project_l2).
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

/// A point of {x : G x + h >= 0} (a vertex or any feasible point GLPK's simplex ends at), or
/// nothing when the set is empty: one LP with a zero objective.
inline std::optional<Eigen::VectorXd> feasible_point(const Eigen::MatrixXd& normals,
                                                     const Eigen::VectorXd& offsets) {
  LinearProgram program(normals.cols());
  for (Index k = 0; k < normals.rows(); ++k)
    program.add_constraint(normals.row(k).transpose(), -offsets(k),
                           std::numeric_limits<double>::infinity());
  LpSolution solution = program.solve();
  if (solution.status != LpStatus::optimal) return std::nullopt;
  return std::move(solution.values);
}

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

/// The projection of `origin` onto {x : U x + e >= 0} (unit rows U) by a primal active-set
/// method started at the feasible point `start`: the working set W of constraints held with
/// equality stays linearly independent; each step moves towards the projection of `origin` onto
/// {U_W x + e_W = 0} until the first blocking constraint (which joins W), and at that projection
/// the constraint of W with the most negative multiplier leaves W. Ends with multipliers
/// lambda >= 0 on W, i.e. at the KKT point, in finitely many steps unless degenerate (capped at
/// 4 (K + d) steps). Returns the multipliers lambda of all K constraints (zero outside W), from
/// which the projection is x0 + U^T lambda. Cost O(d |W|^2) per step (a QR factorisation of
/// U_W^T).
inline std::optional<Eigen::VectorXd> active_set_projection(const Eigen::MatrixXd& units,
                                                            const Eigen::VectorXd& unit_offsets,
                                                            const Eigen::VectorXd& origin,
                                                            Eigen::VectorXd start,
                                                            double tolerance) {
  const Index rows = units.rows();
  const Index d = units.cols();
  std::vector<Index> working;
  Eigen::VectorXd x = std::move(start);
  for (Index step = 0; step < 4 * (rows + d); ++step) {
    const Eigen::VectorXd toward = origin - x;
    Eigen::VectorXd move = toward;
    Eigen::MatrixXd basis;
    Eigen::HouseholderQR<Eigen::MatrixXd> qr;
    if (!working.empty()) {
      qr.compute(units(working, Eigen::all).transpose());
      basis = qr.householderQ() * Eigen::MatrixXd::Identity(d, Index(working.size()));
      move -= basis * (basis.transpose() * toward);
    }
    if (move.norm() <= tolerance) {
      Eigen::VectorXd lambda = Eigen::VectorXd::Zero(rows);
      if (working.empty()) return lambda;
      const Index w = Index(working.size());
      const Eigen::VectorXd multipliers =
          qr.matrixQR().topLeftCorner(w, w).triangularView<Eigen::Upper>().solve(basis.transpose() *
                                                                                 (x - origin));
      Index most_negative = 0;
      if (multipliers.minCoeff(&most_negative) >= -tolerance) {
        lambda(working) = multipliers.cwiseMax(0.0);
        return lambda;
      }
      working.erase(working.begin() + most_negative);
      continue;
    }
    double length = 1;
    Index blocking = -1;
    const Eigen::VectorXd rates = units * move;
    const Eigen::VectorXd values = units * x + unit_offsets;
    for (Index i = 0; i < rows; ++i) {
      if (rates(i) >= 0 || std::find(working.begin(), working.end(), i) != working.end()) continue;
      const double limit = std::max(0.0, values(i)) / -rates(i);
      if (limit < length) length = limit, blocking = i;
    }
    x += length * move;
    if (blocking >= 0) working.push_back(blocking);
  }
  return std::nullopt;
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
/// `max_sweeps` sweeps; fast when the active normals are well conditioned. When it has not
/// converged, an LP decides whether the set is empty and gives a feasible point from which
/// active_set_projection() finishes exactly. Either answer is accepted only when its KKT
/// residual (kkt_residual) is at most `tolerance`; otherwise SolverError. Cost: O(K^2) per
/// sweep.
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
  const auto accept = [&](const Eigen::VectorXd& multipliers) {
    const Eigen::VectorXd point = origin + units.transpose() * multipliers;
    const double residual = kkt_residual(multipliers, units * point + unit_offsets);
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
  const auto feasible = feasible_point(units, unit_offsets);
  if (!feasible) return Projection{};
  const auto multipliers =
      active_set_projection(units, unit_offsets, origin, *feasible, tolerance / 4);
  if (multipliers && accept(*multipliers)) return result;
  // TODO(#6): on Adult's 108-256-256-2 target (float) one 513-row program ended here (see
  // docs/results.md); a degenerate working set or the 4 (K + d) step cap is the suspect.
  throw SolverError("project_onto_polyhedron: L2 projection onto " + std::to_string(rows) +
                    " half-spaces did not reach KKT residual " + std::to_string(tolerance) +
                    " (Hildreth's method: " + std::to_string(max_sweeps) +
                    " sweeps, then the active-set method)");
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
/// optimality_tolerance relative to 1 + ||origin||_inf. Computed in double. Deterministic.
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
