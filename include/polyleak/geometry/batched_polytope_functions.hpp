#pragma once
// Polytope functions A_P, b_P of many points at once, as a masked chain of matrix products.

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Eigenvalues>

#include "polyleak/core/backend.hpp"
#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/geometry/activation_pattern.hpp"
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

/// Where a chunk pass writes activation-pattern bits: the word column of the chunk's first point
/// (columns of words_per_point words, as in ActivationPatternBatch), or nowhere if `words` is
/// null. The columns must be zero on entry.
struct PatternBitSink {
  ActivationPattern::Word* words = nullptr;
  Index words_per_point = 0;

  /// Sets bits offset .. offset + z.size() - 1 of point j where the pre-activations `z` are
  /// positive, one word at a time (a bit-wise read-modify-write would stall on the store).
  template <class Column>
  void set_layer(Index j, Index offset, const Column& z) const noexcept {
    using Word = ActivationPattern::Word;
    constexpr Index bits = ActivationPattern::word_bits;
    Word* point_words = words + j * words_per_point;
    Word word = 0;
    for (Index i = 0; i < z.size(); ++i) {
      const Index k = offset + i;
      word |= Word{z(i) > typename Column::Scalar(0)} << (k % bits);
      if (k % bits == bits - 1 || i + 1 == z.size()) {
        point_words[k / bits] |= word;
        word = 0;
      }
    }
  }
};

/// Work memory of one chunk pass, kept between chunks and calls: it only grows, so a repeated pass
/// neither allocates nor zero-fills.
template <RealScalar Scalar>
struct ChunkWorkspace {
  PolytopeFunctionBatch<Scalar> chunk;
  Vector<Scalar> buffer;
  Matrix<Scalar> slopes;

  /// Two ping-pong halves of `half` scalars each.
  Scalar* reserve(Index half) {
    if (buffer.size() < 2 * half) buffer.resize(2 * half);
    return buffer.data();
  }
};

/// Column `column` of every point's block of `block` columns in a matrix of `rows` rows and
/// `block * n` columns: a strided rows x n view.
template <class Pointer>
auto block_column(Pointer data, Index rows, Index n, Index block, Index column) {
  using Scalar = std::remove_const_t<std::remove_pointer_t<Pointer>>;
  using Plain = std::conditional_t<std::is_const_v<std::remove_pointer_t<Pointer>>,
                                   const Matrix<Scalar>, Matrix<Scalar>>;
  return Eigen::Map<Plain, 0, Eigen::OuterStride<>>(data + column * rows, rows, n,
                                                    Eigen::OuterStride<>(block * rows));
}

/// Forward propagation of one chunk: each point carries [A_l | z_l] (d + 1 columns). The mask
/// of every hidden layer is read off z_l, so `bits` receives the activation patterns for free.
template <RealScalar Scalar>
void forward_chunk(const Mlp<Scalar>& network, const Eigen::Ref<const Matrix<Scalar>>& points,
                   ChunkWorkspace<Scalar>& work, const PatternBitSink& bits) {
  using MatrixMap = Eigen::Map<Matrix<Scalar>>;
  const Index d = points.rows();
  const Index n = points.cols();
  const Index block = d + 1;
  const Index width = widest_layer(network) * block * n;
  Scalar* current_data = work.reserve(width);
  Scalar* next_data = current_data + width;

  // Layer 0 is the same for every point: [W_0 | W_0 x_j + b_0].
  const Matrix<Scalar>& w0 = network.weights(0);
  for (Index c = 0; c < d; ++c)
    block_column(current_data, w0.rows(), n, block, c).colwise() = w0.col(c);
  {
    auto z0 = block_column(current_data, w0.rows(), n, block, d);
    z0.noalias() = w0 * points;
    z0.colwise() += network.biases(0);
  }

  const Scalar slope = network.negative_slope();
  Index pattern_offset = 0;
  for (Index l = 1; l < network.layer_count(); ++l) {
    const Index rows = network.weights(l).cols();
    // a_{l-1} = D z_{l-1} and D A_{l-1}: scale each point's block rows by its slopes.
    const auto z = block_column(current_data, rows, n, block, d);
    work.slopes =
        (z.array() > Scalar(0)).select(Scalar(1), Matrix<Scalar>::Constant(rows, n, slope));
    if (bits.words != nullptr)
      for (Index j = 0; j < n; ++j)
        bits.set_layer(j, pattern_offset, z.col(j));
    pattern_offset += rows;
    for (Index c = 0; c < block; ++c)
      block_column(current_data, rows, n, block, c).array() *= work.slopes.array();

    const MatrixMap current(current_data, rows, block * n);
    MatrixMap next(next_data, network.weights(l).rows(), block * n);
    next.noalias() = network.weights(l) * current;
    block_column(next_data, next.rows(), n, block, d).colwise() += network.biases(l);
    std::swap(current_data, next_data);
  }

  const Index m = network.output_dimension();
  PolytopeFunctionBatch<Scalar>& out = work.chunk;
  out.matrices.resize(m, d * n);
  for (Index c = 0; c < d; ++c)
    block_column(out.matrices.data(), m, n, d, c) =
        block_column(static_cast<const Scalar*>(current_data), m, n, block, c);
  out.logits = block_column(static_cast<const Scalar*>(current_data), m, n, block, d);
}

/// Backward propagation of one chunk: one forward pass for the masks, then each point carries
/// the m rows of W_L D_{L-1} ... W_l D_{l-1}, stacked into one (m n) x n_l matrix. `bits`
/// receives the activation patterns of that forward pass.
template <RealScalar Scalar>
void backward_chunk(const Mlp<Scalar>& network, const Eigen::Ref<const Matrix<Scalar>>& points,
                    ChunkWorkspace<Scalar>& work, const PatternBitSink& bits) {
  using MatrixMap = Eigen::Map<Matrix<Scalar>>;
  const Index n = points.cols();
  const Index m = network.output_dimension();
  const Index layers = network.layer_count();
  const auto z = network.pre_activations(points);
  if (bits.words != nullptr) {
    Index pattern_offset = 0;
    for (Index l = 0; l + 1 < layers; ++l) {
      const auto& zl = z[std::size_t(l)];
      for (Index j = 0; j < n; ++j)
        bits.set_layer(j, pattern_offset, zl.col(j));
      pattern_offset += zl.rows();
    }
  }
  const Index width = widest_layer(network) * m * n;
  Scalar* current_data = work.reserve(width);
  Scalar* next_data = current_data + width;
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
  PolytopeFunctionBatch<Scalar>& out = work.chunk;
  out.matrices.resize(m, d * n);
  for (Index j = 0; j < n; ++j)
    out.matrices.middleCols(j * d, d) = current.middleRows(j * m, m);
  out.logits = z.back();
}

/// Calls `visit(start, chunk)` for consecutive chunks of the batch, `chunk` holding the
/// polytope functions of points start .. start + chunk.size() - 1. If `patterns` is not null, it
/// is resized to the batch and receives every point's activation pattern from the same pass.
template <RealScalar Scalar, class Visitor>
void for_each_polytope_function_chunk(const Mlp<Scalar>& network,
                                      const Eigen::Ref<const Matrix<Scalar>>& points,
                                      PropagationMode mode, ChunkWorkspace<Scalar>& work,
                                      ActivationPatternBatch* patterns, Visitor&& visit) {
  POLYLEAK_REQUIRE(points.rows() == network.input_dimension(),
                   "batch has " + std::to_string(points.rows()) +
                       " rows (coordinates), network expects " +
                       std::to_string(network.input_dimension()) + "; points are columns");
  PatternBitSink bits;
  if (patterns != nullptr) {
    patterns->zeros = ActivationPattern::zeros_for(network);
    bits.words_per_point = Index(patterns->zeros.words().size());
    patterns->words.setZero(bits.words_per_point, points.cols());
  }
  const bool forward = resolved_propagation_mode(network, mode) == PropagationMode::forward;
  const Index per_point = widest_layer(network) *
                          (forward ? network.input_dimension() + 1 : network.output_dimension());
  const Index chunk_points = std::max(minimum_chunk_points, chunk_scalar_budget / per_point);
  for (Index start = 0; start < points.cols(); start += chunk_points) {
    const Index count = std::min(chunk_points, points.cols() - start);
    const auto chunk_points_view = points.middleCols(start, count);
    if (patterns != nullptr) bits.words = patterns->words.col(start).data();
    if (forward)
      forward_chunk<Scalar>(network, chunk_points_view, work, bits);
    else
      backward_chunk<Scalar>(network, chunk_points_view, work, bits);
    // b_P = z_L(x) - A_P x, one input coordinate at a time over the whole chunk.
    PolytopeFunctionBatch<Scalar>& chunk = work.chunk;
    const Index d = points.rows();
    const Index m = chunk.logits.rows();
    chunk.biases = chunk.logits;
    for (Index c = 0; c < d; ++c)
      chunk.biases.array() -=
          block_column(static_cast<const Scalar*>(chunk.matrices.data()), m, count, d, c)
              .array()
              .rowwise() *
          chunk_points_view.row(c).array();
    visit(start, static_cast<const PolytopeFunctionBatch<Scalar>&>(chunk));
  }
}

/// Largest singular value of `a`, from the largest eigenvalue of the smaller Gram matrix (closed
/// form, without allocation, for 1 x 1 and 2 x 2 Gram matrices).
template <class Derived>
typename Derived::Scalar spectral_norm(const Eigen::MatrixBase<Derived>& a) {
  using Scalar = typename Derived::Scalar;
  const bool by_rows = a.rows() <= a.cols();
  const Index size = by_rows ? a.rows() : a.cols();
  // Entry (i, j) of the smaller Gram matrix.
  auto gram = [&](Index i, Index j) {
    return by_rows ? a.row(i).dot(a.row(j)) : a.col(i).dot(a.col(j));
  };
  Scalar largest = 0;
  if (size == 1) {
    largest = gram(0, 0);
  } else if (size == 2) {
    const Scalar g00 = gram(0, 0), g11 = gram(1, 1);
    largest = (g00 + g11) / 2 + std::hypot((g00 - g11) / 2, gram(0, 1));
  } else if (size > 2) {
    const Matrix<Scalar> full =
        by_rows ? Matrix<Scalar>(a * a.transpose()) : Matrix<Scalar>(a.transpose() * a);
    largest = Eigen::SelfAdjointEigenSolver<Matrix<Scalar>>(full, Eigen::EigenvaluesOnly)
                  .eigenvalues()
                  .maxCoeff();
  }
  return std::sqrt(std::max(largest, Scalar(0)));
}

}  // namespace detail

/// Work memory of polytope_norms and polytope_functions kept between calls: a caller that
/// repeats them on batches of similar size (one per raster block, say) then neither allocates
/// nor zero-fills chunk buffers after the first call. Its contents are internal. Not for
/// concurrent use: one workspace per thread.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
struct PolytopeWorkspace {
  detail::ChunkWorkspace<Scalar> chunks;  ///< internal
};

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
  detail::ChunkWorkspace<Scalar> work;
  detail::for_each_polytope_function_chunk(
      network, points, mode, work, nullptr,
      [&](Index start, const PolytopeFunctionBatch<Scalar>& chunk) {
        batch.matrices.middleCols(start * d, chunk.matrices.cols()) = chunk.matrices;
        batch.biases.middleCols(start, chunk.size()) = chunk.biases;
        batch.logits.middleCols(start, chunk.size()) = chunk.logits;
      });
  return batch;
}

/// The polytope-function norms of every point of a batch, written into `norms` (resized to the
/// batch), and, if `patterns` is not null, every point's activation pattern from the same masked
/// pass (equal to activation_patterns(network, points) up to rounding of pre-activations within
/// a few ulps of 0). Chunk buffers come from `workspace` and stay there for the next call; when
/// `norms` and `patterns` already have the batch's size, a repeated call does not allocate
/// besides the Gram matrices of networks with min(d, m) > 2.
/// @tparam Scalar float or double.
/// Throws InvalidArgument for a wrong row count. Cost: that of polytope_functions plus one Gram
/// matrix and its eigenvalues (size min(d, m)) per point; the patterns add one bit test per hidden
/// neuron and point. Deterministic.
template <RealScalar Scalar>
void polytope_norms(const Mlp<Scalar>& network,
                    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points,
                    PolytopeNorms<Scalar>& norms, PolytopeWorkspace<Scalar>& workspace,
                    ActivationPatternBatch* patterns = nullptr,
                    PropagationMode mode = PropagationMode::automatic) {
  const Index n = points.cols();
  norms.frobenius_norm.resize(n);
  norms.spectral_norm.resize(n);
  norms.bias_max_norm.resize(n);
  norms.output_norm.resize(n);
  norms.confidence.resize(n);
  norms.predicted_class.resize(std::size_t(n));
  detail::for_each_polytope_function_chunk(
      network, points, mode, workspace.chunks, patterns,
      [&](Index start, const PolytopeFunctionBatch<Scalar>& chunk) {
        const Index count = chunk.size();
        norms.confidence.segment(start, count) = confidence(chunk.logits);
        norms.output_norm.segment(start, count) = chunk.logits.colwise().norm().transpose();
        norms.bias_max_norm.segment(start, count) =
            chunk.biases.cwiseAbs().colwise().maxCoeff().transpose();
        for (Index j = 0; j < count; ++j) {
          const auto a = chunk.matrix(j);
          const Index k = start + j;
          norms.frobenius_norm(k) = a.norm();
          norms.spectral_norm(k) = detail::spectral_norm(a);
          chunk.logits.col(j).maxCoeff(&norms.predicted_class[std::size_t(k)]);
        }
      });
}

/// The polytope-function norms of every point of a batch, computed chunk by chunk without
/// keeping all matrices A_P (memory O(chunk) besides the result). Suited to raster maps and
/// attack features; repeated callers keep a PolytopeWorkspace with the overload above.
/// @tparam Scalar float or double.
/// Throws InvalidArgument for a wrong row count. Cost: that of polytope_functions plus one Gram
/// matrix and its eigenvalues (size min(d, m)) per point. Deterministic.
template <RealScalar Scalar>
PolytopeNorms<Scalar> polytope_norms(
    const Mlp<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points,
    PropagationMode mode = PropagationMode::automatic) {
  PolytopeNorms<Scalar> norms;
  PolytopeWorkspace<Scalar> workspace;
  polytope_norms(network, points, norms, workspace, nullptr, mode);
  return norms;
}

/// polytope_functions(network, points, mode) on the CPU, the reference of the CUDA overload
/// (taking CudaBackend, in polyleak/cuda.cuh): code templated on a Backend switches with the tag.
/// @tparam Scalar float or double.
/// Throws, costs and is deterministic as polytope_functions.
template <RealScalar Scalar>
PolytopeFunctionBatch<Scalar> polytope_functions(
    CpuBackend, const Mlp<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points,
    PropagationMode mode = PropagationMode::automatic) {
  return polytope_functions(network, points, mode);
}

/// polytope_norms(network, points, mode) on the CPU, the reference of the CUDA overload (taking
/// CudaBackend, in polyleak/cuda.cuh).
/// @tparam Scalar float or double.
/// Throws, costs and is deterministic as polytope_norms.
template <RealScalar Scalar>
PolytopeNorms<Scalar> polytope_norms(
    CpuBackend, const Mlp<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points,
    PropagationMode mode = PropagationMode::automatic) {
  return polytope_norms(network, points, mode);
}

}  // namespace polyleak
