#pragma once
// LinearProgram: a small RAII wrapper over GLPK's primal simplex.

#include <glpk.h>

#include <climits>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "polyleak/core/check.hpp"
#include "polyleak/core/error.hpp"
#include "polyleak/core/scalar.hpp"

namespace polyleak {

/// Outcome of LinearProgram::solve.
enum class LpStatus { optimal, infeasible, unbounded };

/// Direction of optimisation.
enum class LpSense { minimize, maximize };

/// Result of LinearProgram::solve: `values` and `objective` are meaningful only when `status` is
/// optimal.
struct LpSolution {
  LpStatus status = LpStatus::infeasible;
  double objective = 0;
  Eigen::VectorXd values;
};

/// GLPK's default primal feasibility tolerance (glp_smcp::tol_bnd): decisions taken from LP
/// results (a slack is positive, a facet has an interior) must not rely on smaller margins.
inline constexpr double lp_feasibility_tolerance = 1e-7;

/// A linear program `optimise c . x subject to lower_i <= a_i . x <= upper_i, l_j <= x_j <= u_j`
/// solved by GLPK's primal simplex (presolve off, scaling on, terminal output off).
///
/// Bounds may be -/+infinity (no bound). Every input is validated before GLPK sees it, because
/// GLPK aborts the process on invalid input; violations throw InvalidArgument. Between solves
/// the simplex basis is kept, so a sequence of small modifications (objective, bounds, one row)
/// re-solves warm. Not copyable; movable (a moved-from object may only be destroyed or assigned
/// to). One object must not be used by two threads at once;
/// distinct objects may be used concurrently. Deterministic.
class LinearProgram {
 public:
  /// A problem with `variable_count` free variables, no constraints and a zero objective to be
  /// minimised. Throws InvalidArgument for a count outside [1, INT_MAX).
  explicit LinearProgram(Index variable_count) {
    POLYLEAK_REQUIRE(
        variable_count >= 1 && variable_count < INT_MAX,
        "variable count " + std::to_string(variable_count) + " out of range [1, INT_MAX)");
    glp_term_out(GLP_OFF);  // per thread in GLPK's environment; cheap to repeat
    problem_ = glp_create_prob();
    glp_add_cols(problem_, int(variable_count));
    for (int j = 1; j <= int(variable_count); ++j)
      glp_set_col_bnds(problem_, j, GLP_FR, 0, 0);
  }
  LinearProgram(const LinearProgram&) = delete;
  LinearProgram& operator=(const LinearProgram&) = delete;
  LinearProgram(LinearProgram&& other) noexcept
      : problem_(std::exchange(other.problem_, nullptr)), basis_valid_(other.basis_valid_) {}
  LinearProgram& operator=(LinearProgram&& other) noexcept {
    std::swap(problem_, other.problem_);
    std::swap(basis_valid_, other.basis_valid_);
    return *this;
  }
  ~LinearProgram() {
    if (problem_ != nullptr) glp_delete_prob(problem_);
  }

  Index variable_count() const { return glp_get_num_cols(problem_); }
  Index constraint_count() const { return glp_get_num_rows(problem_); }

  /// Sets lower <= x_j <= upper. Throws InvalidArgument for a bad index, NaN or lower > upper.
  void set_variable_bounds(Index j, double lower, double upper) {
    POLYLEAK_REQUIRE(j >= 0 && j < variable_count(), "variable " + std::to_string(j) +
                                                         " out of range [0, " +
                                                         std::to_string(variable_count()) + ")");
    const auto [type, low, high] = bound_type(lower, upper, "set_variable_bounds");
    glp_set_col_bnds(problem_, int(j) + 1, type, low, high);
  }

  /// Appends the constraint lower <= coefficients . x <= upper and returns its index. Zero
  /// coefficients are not stored. Throws InvalidArgument for a wrong length, a non-finite
  /// coefficient, NaN bounds or lower > upper.
  Index add_constraint(const Eigen::Ref<const Eigen::VectorXd>& coefficients, double lower,
                       double upper) {
    const auto bounds = bound_type(lower, upper, "add_constraint");
    check_coefficients(coefficients, "add_constraint");
    const int row = glp_add_rows(problem_, 1);
    store_row(row, coefficients);
    glp_set_row_bnds(problem_, row, std::get<0>(bounds), std::get<1>(bounds), std::get<2>(bounds));
    basis_valid_ = false;
    return row - 1;
  }

  /// Replaces the coefficients of constraint i (bounds unchanged).
  void set_constraint_coefficients(Index i, const Eigen::Ref<const Eigen::VectorXd>& coefficients) {
    check_row(i, "set_constraint_coefficients");
    check_coefficients(coefficients, "set_constraint_coefficients");
    store_row(int(i) + 1, coefficients);
  }

  /// Replaces the coefficients of variable j in all constraints (one entry per constraint).
  void set_variable_coefficients(Index j, const Eigen::Ref<const Eigen::VectorXd>& coefficients) {
    POLYLEAK_REQUIRE(j >= 0 && j < variable_count(), "variable " + std::to_string(j) +
                                                         " out of range [0, " +
                                                         std::to_string(variable_count()) + ")");
    POLYLEAK_REQUIRE(coefficients.size() == constraint_count(),
                     std::to_string(coefficients.size()) + " coefficients, expected " +
                         std::to_string(constraint_count()));
    require_finite(coefficients, "set_variable_coefficients", "coefficients");
    const int column = int(j) + 1;
    store_sparse(coefficients);
    glp_set_mat_col(problem_, column, int(indices_.size()) - 1, indices_.data(), values_.data());
  }

  /// Makes the next solve start from a fresh advanced basis (rescaling the problem first).
  void reset_basis() noexcept { basis_valid_ = false; }

  /// Sets lower <= a_i . x <= upper; both infinite removes the constraint's effect.
  void set_constraint_bounds(Index i, double lower, double upper) {
    check_row(i, "set_constraint_bounds");
    const auto [type, low, high] = bound_type(lower, upper, "set_constraint_bounds");
    glp_set_row_bnds(problem_, int(i) + 1, type, low, high);
  }

  /// Sets the objective `coefficients . x` and its direction.
  void set_objective(const Eigen::Ref<const Eigen::VectorXd>& coefficients, LpSense sense) {
    check_coefficients(coefficients, "set_objective");
    for (int j = 1; j <= int(coefficients.size()); ++j)
      glp_set_obj_coef(problem_, j, coefficients(j - 1));
    glp_set_obj_dir(problem_, sense == LpSense::minimize ? GLP_MIN : GLP_MAX);
  }

  /// Solves from the current basis (a fresh advanced basis after rows were added, or when GLPK
  /// reports the kept basis invalid or singular); when the floating-point simplex fails on an
  /// ill-conditioned problem, retries with GLPK's exact rational simplex. Throws SolverError naming
  /// GLPK's return code when the simplex fails or ends without a usable status.
  LpSolution solve() {
    glp_smcp parameters;
    glp_init_smcp(&parameters);
    parameters.msg_lev = GLP_MSG_OFF;
    parameters.presolve = GLP_OFF;
    if (!basis_valid_) {
      glp_scale_prob(problem_, GLP_SF_AUTO);
      glp_adv_basis(problem_, 0);
    }
    int code = glp_simplex(problem_, &parameters);
    if (code == GLP_EBADB || code == GLP_ESING || code == GLP_ECOND) {
      glp_std_basis(problem_);
      code = glp_simplex(problem_, &parameters);
    }
    if (code == GLP_EFAIL || code == GLP_ESING || code == GLP_ECOND) {
      // Ill-conditioned in floating point: GLPK's exact (rational) simplex from the standard
      // basis, slow but immune to conditioning.
      glp_std_basis(problem_);
      code = glp_exact(problem_, &parameters);
    }
    if (code != 0) {
      basis_valid_ = false;
      throw SolverError("LinearProgram::solve: glp_simplex returned " + return_code_text(code));
    }
    basis_valid_ = true;

    LpSolution solution;
    const int status = glp_get_status(problem_);
    if (status == GLP_OPT) {
      solution.status = LpStatus::optimal;
      solution.objective = glp_get_obj_val(problem_);
      solution.values.resize(variable_count());
      for (int j = 1; j <= int(variable_count()); ++j)
        solution.values(j - 1) = glp_get_col_prim(problem_, j);
    } else if (status == GLP_NOFEAS || glp_get_prim_stat(problem_) == GLP_NOFEAS) {
      solution.status = LpStatus::infeasible;
    } else if (status == GLP_UNBND || glp_get_dual_stat(problem_) == GLP_NOFEAS) {
      solution.status = LpStatus::unbounded;
    } else {
      throw SolverError("LinearProgram::solve: GLPK ended with solution status " +
                        std::to_string(status) + " (expected optimal, infeasible or unbounded)");
    }
    return solution;
  }

 private:
  static std::string return_code_text(int code) {
    switch (code) {
      case GLP_EBADB:
        return "GLP_EBADB (invalid basis)";
      case GLP_ESING:
        return "GLP_ESING (singular basis matrix)";
      case GLP_ECOND:
        return "GLP_ECOND (ill-conditioned basis matrix)";
      case GLP_EBOUND:
        return "GLP_EBOUND (invalid bounds)";
      case GLP_EFAIL:
        return "GLP_EFAIL (numerical failure)";
      case GLP_EOBJLL:
        return "GLP_EOBJLL (objective lower limit reached)";
      case GLP_EOBJUL:
        return "GLP_EOBJUL (objective upper limit reached)";
      case GLP_EITLIM:
        return "GLP_EITLIM (iteration limit exceeded)";
      case GLP_ETMLIM:
        return "GLP_ETMLIM (time limit exceeded)";
      default:
        return "code " + std::to_string(code);
    }
  }

  static std::tuple<int, double, double> bound_type(double lower, double upper, const char* where) {
    if (std::isnan(lower) || std::isnan(upper) || lower > upper || lower == INFINITY ||
        upper == -INFINITY)
      detail::throw_invalid_argument(where, "bounds [" + std::to_string(lower) + ", " +
                                                std::to_string(upper) +
                                                "] are not an interval (expected lower <= "
                                                "upper, lower < inf, upper > -inf, no NaN)");
    const bool has_lower = std::isfinite(lower);
    const bool has_upper = std::isfinite(upper);
    if (has_lower && has_upper) return {lower == upper ? GLP_FX : GLP_DB, lower, upper};
    if (has_lower) return {GLP_LO, lower, 0.0};
    if (has_upper) return {GLP_UP, 0.0, upper};
    return {GLP_FR, 0.0, 0.0};
  }

  void check_coefficients(const Eigen::Ref<const Eigen::VectorXd>& coefficients,
                          const char* where) const {
    if (coefficients.size() != variable_count())
      detail::throw_invalid_argument(where, std::to_string(coefficients.size()) +
                                                " coefficients, expected " +
                                                std::to_string(variable_count()));
    require_finite(coefficients, where, "coefficients");
  }

  void check_row(Index i, const char* where) const {
    if (i < 0 || i >= constraint_count())
      detail::throw_invalid_argument(where, "constraint " + std::to_string(i) +
                                                " out of range [0, " +
                                                std::to_string(constraint_count()) + ")");
  }

  /// Fills indices_ and values_ with the nonzero entries, 1-based as GLPK wants (element 0 is
  /// unused).
  void store_sparse(const Eigen::Ref<const Eigen::VectorXd>& coefficients) {
    indices_.assign(1, 0);
    values_.assign(1, 0.0);
    for (Index j = 0; j < coefficients.size(); ++j)
      if (coefficients(j) != 0) {
        indices_.push_back(int(j) + 1);
        values_.push_back(coefficients(j));
      }
  }

  void store_row(int row, const Eigen::Ref<const Eigen::VectorXd>& coefficients) {
    store_sparse(coefficients);
    glp_set_mat_row(problem_, row, int(indices_.size()) - 1, indices_.data(), values_.data());
  }

  glp_prob* problem_ = nullptr;
  bool basis_valid_ = false;
  std::vector<int> indices_;
  std::vector<double> values_;
};

}  // namespace polyleak
