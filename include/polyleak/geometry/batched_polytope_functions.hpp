#pragma once
// Polytope functions A_P, b_P of many points at once, as a masked chain of matrix products.

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Eigenvalues>

#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// Direction in which the masked chain `A_P = W_L D_{L-1} W_{L-1} ... D_0 W_0` is multiplied out
/// for a batch. Forward carries d + 1 columns per point from the input side (the extra column is
/// the pre-activation itself, so the forward pass comes for free); backward carries m rows per
/// point from the output side after one forward pass for the masks. Automatic picks forward when
/// d <= m, backward otherwise: the cost is about (min(d, m) + 1) forward passes.
enum class PropagationMode { automatic, forward, backward };

/// The mode `polytope_functions` uses for `network` when asked for `mode`.
template <RealScalar Scalar>
PropagationMode resolved_propagation_mode(const Mlp<Scalar>& network, PropagationMode mode) {
  if (mode != PropagationMode::automatic) return mode;
  return network.input_dimension() <= network.output_dimension() ? PropagationMode::forward
                                                                 : PropagationMode::backward;
}

/// Polytope functions of a batch of n points: for point j, the logits are A_j x + b_j inside its
/// activation region. Point j's A_j (m x d) is the column block j of `matrices`.
template <RealScalar Scalar>
struct PolytopeFunctionBatch {
  /// All A_j side by side: m x (d n), A_j = matrices.middleCols(j d, d).
  Matrix<Scalar> matrices;
  /// b_j as column j (m x n).
  Matrix<Scalar> biases;
  /// The network's logits at point j as column j (m x n).
  Matrix<Scalar> logits;

  Index size() const noexcept { return biases.cols(); }
  Index input_dimension() const noexcept { return size() > 0 ? matrices.cols() / size() : 0; }
  Index output_dimension() const noexcept { return biases.rows(); }
  /// A_j of point j (a view into `matrices`).
  auto matrix(Index j) const {
    return matrices.middleCols(j * input_dimension(), input_dimension());
  }
};

/// The norms of the polytope functions that the thesis uses as attack features, one entry per
/// point of a batch.
template <RealScalar Scalar>
struct PolytopeNorms {
  Vector<Scalar> frobenius_norm;       ///< ||A_P||_F
  Vector<Scalar> spectral_norm;        ///< ||A_P||_2, the largest singular value
  Vector<Scalar> bias_max_norm;        ///< ||b_P||_inf
  Vector<Scalar> output_norm;          ///< ||z_L(x)||_2, the Euclidean norm of the logits
  Vector<Scalar> confidence;           ///< largest softmax probability of the logits
  std::vector<Index> predicted_class;  ///< arg max of the logits

  Index size() const noexcept { return frobenius_norm.size(); }
};

namespace detail {

/// Scalars kept in one chunk's widest intermediate matrix; a chunk holds at least
/// minimum_chunk_points points so that small networks still get wide matrix products.
inline constexpr Index chunk_scalar_budget = Index{1} << 18;
inline constexpr Index minimum_chunk_points = 8;

template <RealScalar Scalar>
Index widest_layer(const Mlp<Scalar>& network) {
  return *std::max_element(network.layer_sizes().begin(), network.layer_sizes().end());
}

/// Forward propagation of one chunk: each point carries [A_l | z_l] (d + 1 columns).
template <RealScalar Scalar>
void forward_chunk(const Mlp<Scalar>& network, const Eigen::Ref<const Matrix<Scalar>>& points,
                   PolytopeFunctionBatch<Scalar>& out, std::vector<Scalar>& buffer) {
  using MatrixMap = Eigen::Map<Matrix<Scalar>>;
  const Index d = points.rows();
  const Index n = points.cols();
  const Index block = d + 1;
  const Index width = widest_layer(network) * block * n;
  buffer.resize(std::size_t(2 * width));
  Scalar* current_data = buffer.data();
  Scalar* next_data = buffer.data() + width;

  // Layer 0 is the same for every point: [W_0 | W_0 x_j + b_0].
  const Matrix<Scalar>& w0 = network.weights(0);
  {
    MatrixMap first(current_data, w0.rows(), block * n);
    for (Index j = 0; j < n; ++j) {
      first.middleCols(j * block, d) = w0;
      first.col(j * block + d).noalias() = w0 * points.col(j);
      first.col(j * block + d) += network.biases(0);
    }
  }

  const Scalar slope = network.negative_slope();
  for (Index l = 1; l < network.layer_count(); ++l) {
    MatrixMap current(current_data, network.weights(l).cols(), block * n);
    // a_{l-1} = D z_{l-1} and D A_{l-1}: scale each point's block rows by its slopes.
    for (Index j = 0; j < n; ++j) {
      auto columns = current.middleCols(j * block, block);
      for (Index i = 0; i < columns.rows(); ++i)
        if (!(columns(i, d) > Scalar(0))) columns.row(i) *= slope;
    }
    MatrixMap next(next_data, network.weights(l).rows(), block * n);
    next.noalias() = network.weights(l) * current;
    for (Index j = 0; j < n; ++j)
      next.col(j * block + d) += network.biases(l);
    std::swap(current_data, next_data);
  }

  const Index m = network.output_dimension();
  const MatrixMap current(current_data, m, block * n);
  out.matrices.resize(m, d * n);
  out.logits.resize(m, n);
  for (Index j = 0; j < n; ++j) {
    out.matrices.middleCols(j * d, d) = current.middleCols(j * block, d);
    out.logits.col(j) = current.col(j * block + d);
  }
}

/// Backward propagation of one chunk: one forward pass for the masks, then each point carries
/// the m rows of W_L D_{L-1} ... W_l D_{l-1}, stacked into one (m n) x n_l matrix.
template <RealScalar Scalar>
void backward_chunk(const Mlp<Scalar>& network, const Eigen::Ref<const Matrix<Scalar>>& points,
                    PolytopeFunctionBatch<Scalar>& out, std::vector<Scalar>& buffer) {
  using MatrixMap = Eigen::Map<Matrix<Scalar>>;
  const Index n = points.cols();
  const Index m = network.output_dimension();
  const Index layers = network.layer_count();
  const auto z = network.pre_activations(points);
  const Index width = widest_layer(network) * m * n;
  buffer.resize(std::size_t(2 * width));
  Scalar* current_data = buffer.data();
  Scalar* next_data = buffer.data() + width;
  const Scalar slope = network.negative_slope();
  // Scales column i of point j's row block by D_{layer}(i) of point j.
  auto mask = [&](MatrixMap& stacked, Index layer) {
    const auto& zl = z[std::size_t(layer)];
    for (Index i = 0; i < stacked.cols(); ++i)
      for (Index j = 0; j < n; ++j)
        if (!(zl(i, j) > Scalar(0))) stacked.col(i).segment(j * m, m) *= slope;
  };

  const Matrix<Scalar>& last = network.weights(layers - 1);
  {
    MatrixMap first(current_data, m * n, last.cols());
    for (Index j = 0; j < n; ++j)
      first.middleRows(j * m, m) = last;
    if (layers > 1) mask(first, layers - 2);
  }
  for (Index l = layers - 2; l >= 0; --l) {
    const MatrixMap current(current_data, m * n, network.weights(l).rows());
    MatrixMap next(next_data, m * n, network.weights(l).cols());
    next.noalias() = current * network.weights(l);
    if (l > 0) mask(next, l - 1);
    std::swap(current_data, next_data);
  }

  const Index d = points.rows();
  const MatrixMap current(current_data, m * n, d);
  out.matrices.resize(m, d * n);
  for (Index j = 0; j < n; ++j)
    out.matrices.middleCols(j * d, d) = current.middleRows(j * m, m);
  out.logits = z.back();
}

/// Calls `visit(start, chunk)` for consecutive chunks of the batch, `chunk` holding the
/// polytope functions of points start .. start + chunk.size() - 1.
template <RealScalar Scalar, class Visitor>
void for_each_polytope_function_chunk(const Mlp<Scalar>& network,
                                      const Eigen::Ref<const Matrix<Scalar>>& points,
                                      PropagationMode mode, Visitor&& visit) {
  POLYLEAK_REQUIRE(points.rows() == network.input_dimension(),
                   "batch has " + std::to_string(points.rows()) +
                       " rows (coordinates), network expects " +
                       std::to_string(network.input_dimension()) + "; points are columns");
  const bool forward = resolved_propagation_mode(network, mode) == PropagationMode::forward;
  const Index per_point = widest_layer(network) *
                          (forward ? network.input_dimension() + 1 : network.output_dimension());
  const Index chunk_points = std::max(minimum_chunk_points, chunk_scalar_budget / per_point);
  PolytopeFunctionBatch<Scalar> chunk;
  std::vector<Scalar> buffer;
  for (Index start = 0; start < points.cols(); start += chunk_points) {
    const Index count = std::min(chunk_points, points.cols() - start);
    const auto chunk_points_view = points.middleCols(start, count);
    if (forward)
      forward_chunk<Scalar>(network, chunk_points_view, chunk, buffer);
    else
      backward_chunk<Scalar>(network, chunk_points_view, chunk, buffer);
    // b_P = z_L(x) - A_P x.
    const Index d = points.rows();
    chunk.biases = chunk.logits;
    for (Index j = 0; j < count; ++j)
      chunk.biases.col(j).noalias() -=
          chunk.matrices.middleCols(j * d, d) * chunk_points_view.col(j);
    visit(start, static_cast<const PolytopeFunctionBatch<Scalar>&>(chunk));
  }
}

/// Largest singular value of `a`, from the largest eigenvalue of the smaller Gram matrix (closed
/// form for 1 x 1 and 2 x 2 Gram matrices).
template <class Derived>
typename Derived::Scalar spectral_norm(const Eigen::MatrixBase<Derived>& a) {
  using Scalar = typename Derived::Scalar;
  const Matrix<Scalar> gram =
      a.rows() <= a.cols() ? Matrix<Scalar>(a * a.transpose()) : Matrix<Scalar>(a.transpose() * a);
  Scalar largest = 0;
  if (gram.rows() == 1) {
    largest = gram(0, 0);
  } else if (gram.rows() == 2) {
    const Scalar half_trace = (gram(0, 0) + gram(1, 1)) / 2;
    const Scalar half_gap = (gram(0, 0) - gram(1, 1)) / 2;
    largest = half_trace + std::hypot(half_gap, gram(0, 1));
  } else if (gram.rows() > 2) {
    largest = Eigen::SelfAdjointEigenSolver<Matrix<Scalar>>(gram, Eigen::EigenvaluesOnly)
                  .eigenvalues()
                  .maxCoeff();
  }
  return std::sqrt(std::max(largest, Scalar(0)));
}

}  // namespace detail

/// A_P and b_P of the activation region of every point of a batch (input_dimension() x n, one
/// point per column), computed as a masked chain of matrix products in chunks: each layer is one
/// matrix product for the whole chunk. Equal (up to rounding) to PolytopeFunction at each point.
/// @tparam Scalar float or double.
/// Throws InvalidArgument for a wrong row count. Cost: about (min(d, m) + 1) forward passes in
/// automatic mode, (d + 1) forward, (m + 1) backward; memory O(m d n) for the result.
/// Deterministic for a fixed Eigen build and thread count.
template <RealScalar Scalar>
PolytopeFunctionBatch<Scalar> polytope_functions(
    const Mlp<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points,
    PropagationMode mode = PropagationMode::automatic) {
  const Index d = network.input_dimension();
  const Index m = network.output_dimension();
  PolytopeFunctionBatch<Scalar> batch;
  batch.matrices.resize(m, d * points.cols());
  batch.biases.resize(m, points.cols());
  batch.logits.resize(m, points.cols());
  detail::for_each_polytope_function_chunk(
      network, points, mode, [&](Index start, const PolytopeFunctionBatch<Scalar>& chunk) {
        batch.matrices.middleCols(start * d, chunk.matrices.cols()) = chunk.matrices;
        batch.biases.middleCols(start, chunk.size()) = chunk.biases;
        batch.logits.middleCols(start, chunk.size()) = chunk.logits;
      });
  return batch;
}

/// The polytope-function norms of every point of a batch, computed chunk by chunk without
/// keeping all matrices A_P (memory O(chunk) besides the result). Suited to raster maps and
/// attack features.
/// @tparam Scalar float or double.
/// Throws InvalidArgument for a wrong row count. Cost: that of polytope_functions plus one Gram
/// matrix and its eigenvalues (size min(d, m)) per point. Deterministic.
template <RealScalar Scalar>
PolytopeNorms<Scalar> polytope_norms(
    const Mlp<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points,
    PropagationMode mode = PropagationMode::automatic) {
  const Index n = points.cols();
  PolytopeNorms<Scalar> norms;
  norms.frobenius_norm.resize(n);
  norms.spectral_norm.resize(n);
  norms.bias_max_norm.resize(n);
  norms.output_norm.resize(n);
  norms.confidence.resize(n);
  norms.predicted_class.resize(std::size_t(n));
  detail::for_each_polytope_function_chunk(
      network, points, mode, [&](Index start, const PolytopeFunctionBatch<Scalar>& chunk) {
        const Vector<Scalar> chunk_confidence = confidence(chunk.logits);
        for (Index j = 0; j < chunk.size(); ++j) {
          const auto a = chunk.matrix(j);
          const Index k = start + j;
          norms.frobenius_norm(k) = a.norm();
          norms.spectral_norm(k) = detail::spectral_norm(a);
          norms.bias_max_norm(k) = chunk.biases.col(j).cwiseAbs().maxCoeff();
          norms.output_norm(k) = chunk.logits.col(j).norm();
          norms.confidence(k) = chunk_confidence(j);
          chunk.logits.col(j).maxCoeff(&norms.predicted_class[std::size_t(k)]);
        }
      });
  return norms;
}

}  // namespace polyleak
