#pragma once
// The passes behind the CUDA launchers, written once for any executor (see chain_workspace.hpp):
// the masked chain of a chunk forward and backward with tiled layer products or per point for
// small networks, and on top of it polytope functions, norms, activation patterns, the count of
// distinct patterns and raster maps. Points, parameters and results live in executor memory.

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/cuda/detail/chain_steps.hpp"
#include "polyleak/cuda/detail/chain_workspace.hpp"
#include "polyleak/cuda/detail/network_view.hpp"
#include "polyleak/cuda/detail/pattern_bits.hpp"
#include "polyleak/cuda/detail/small_network_chain.hpp"
#include "polyleak/geometry/batched_polytope_functions.hpp"
#include "polyleak/viz/raster_maps.hpp"

namespace polyleak::detail {

/// A chunk's A_P and logits after a tiled pass, as views into the chain buffers.
template <class Scalar>
struct ChunkViews {
  PointMatrixView<Scalar> a;
  PointVectorView<Scalar> logits;
};

/// Scalars per point of the tiled chain buffers: two halves of widest x (d + 1) forward; two of
/// widest x m plus the pre-activations of all layers backward.
template <RealScalar Scalar>
Index chain_scalars_per_point(const NetworkView<Scalar>& network, bool forward) {
  const Index widest = network.widest_layer();
  if (forward) return 2 * widest * (network.input_dimension() + 1);
  return 2 * widest * network.output_dimension() + network.hidden_neuron_count() +
         network.output_dimension();
}

/// Points per chunk: as many as `per_point` scalars each fit into `budget`, at least 1, at most
/// n (when n > 0).
inline Index chunk_capacity(Index budget, Index per_point, Index n) {
  return std::clamp<Index>(budget / std::max<Index>(per_point, 1), 1, std::max<Index>(n, 1));
}

/// Side of the Gram matrix of the norms, min(d, m), if the norms need one (above 2 x 2), else 0.
template <RealScalar Scalar>
Index gram_side(const NetworkView<Scalar>& network) {
  const Index k = std::min(network.input_dimension(), network.output_dimension());
  return k > 2 ? k : 0;
}

/// Grows the chain buffers for chunks of `capacity` points.
template <class Executor, RealScalar Scalar>
void reserve_chain(ChainWorkspace<Executor, Scalar>& work, const NetworkView<Scalar>& network,
                   bool forward, Index capacity) {
  const Index widest = network.widest_layer();
  if (forward) {
    work.chain.reserve(std::size_t(2 * widest * (network.input_dimension() + 1) * capacity));
  } else {
    work.chain.reserve(std::size_t(2 * widest * network.output_dimension() * capacity));
    work.pre_activations.reserve(
        std::size_t((network.hidden_neuron_count() + network.output_dimension()) * capacity));
  }
}

/// Pre-activations z_l of every layer for `count` points `x` (d x count), layer after layer in
/// work.pre_activations (z_l: rows(l) x count), the bits of the hidden layers ORed into `words`
/// (count columns, zero on entry) unless it is null. Returns the start of each layer's z.
template <class Executor, RealScalar Scalar>
std::vector<Scalar*> pre_activation_chunk(ChainWorkspace<Executor, Scalar>& work,
                                          const NetworkView<Scalar>& network, const Scalar* x,
                                          Index count, PatternWord* words) {
  auto& executor = work.executor;
  const Index layers = network.layer_count(), d = network.input_dimension();
  const Scalar slope = network.negative_slope;
  std::vector<Scalar*> z(std::size_t(layers), nullptr);
  z[0] = work.pre_activations.data();
  for (Index l = 1; l < layers; ++l)
    z[std::size_t(l)] = z[std::size_t(l) - 1] + network.rows(l - 1) * count;

  executor.template product<Scalar>(
      network.rows(0), count, d, ColumnMajorOperand<Scalar>{network.weights(0), network.rows(0)},
      ColumnMajorOperand<Scalar>{x, d},
      ForwardStore<Scalar>{z[0], network.biases(0), network.rows(0), 1, 0, 1, 0});
  for (Index l = 1; l < layers; ++l) {
    const Index in = network.columns(l), rows = network.rows(l);
    executor.template product<Scalar>(
        rows, count, in, ColumnMajorOperand<Scalar>{network.weights(l), rows},
        MaskedForwardOperand<Scalar>{z[std::size_t(l) - 1], in, 1, 0, slope},
        ForwardStore<Scalar>{z[std::size_t(l)], network.biases(l), rows, 1, 0, 1, 0});
  }
  if (words != nullptr) {
    Index offset = 0;
    for (Index l = 0; l + 1 < layers; ++l) {
      const Index rows = network.rows(l);
      const auto bits =
          pattern_bits(words, network.words_per_point(), z[std::size_t(l)], rows, rows, offset);
      executor.for_each(count * bits.word_count, bits);
      offset += rows;
    }
  }
  return z;
}

/// Forward chain of a chunk: each point carries [A_l | z_l] (d + 1 columns, A first) through
/// the tiled products, the mask of each layer applied as the next product reads its operand.
/// `words` as for pre_activation_chunk. Needs reserve_chain(work, network, true, >= count).
template <class Executor, RealScalar Scalar>
ChunkViews<Scalar> forward_chunk(ChainWorkspace<Executor, Scalar>& work,
                                 const NetworkView<Scalar>& network, const Scalar* x, Index count,
                                 PatternWord* words) {
  auto& executor = work.executor;
  const Index d = network.input_dimension(), block = d + 1, layers = network.layer_count();
  const Scalar slope = network.negative_slope;
  Scalar* current = work.chain.data();
  Scalar* next = current + network.widest_layer() * block * count;

  // Layer 0 is the same for every point: [W_0 | W_0 x_j + b_0].
  const Index rows0 = network.rows(0);
  executor.for_each(rows0 * d * count,
                    BroadcastFirstLayer<Scalar>{current, network.weights(0), rows0, d, block});
  executor.template product<Scalar>(
      rows0, count, d, ColumnMajorOperand<Scalar>{network.weights(0), rows0},
      ColumnMajorOperand<Scalar>{x, d},
      ForwardStore<Scalar>{current, network.biases(0), rows0, block, d, block, d});

  Index offset = 0;
  for (Index l = 1; l < layers; ++l) {
    const Index in = network.columns(l), rows = network.rows(l);
    if (words != nullptr) {
      const auto bits =
          pattern_bits(words, network.words_per_point(), current + d * in, in, block * in, offset);
      executor.for_each(count * bits.word_count, bits);
    }
    offset += in;
    executor.template product<Scalar>(
        rows, block * count, in, ColumnMajorOperand<Scalar>{network.weights(l), rows},
        MaskedForwardOperand<Scalar>{current, in, block, d, slope},
        ForwardStore<Scalar>{next, network.biases(l), rows, block, d, 1, 0});
    std::swap(current, next);
  }
  const Index m = network.output_dimension();
  return {PointMatrixView<Scalar>{current, block * m, m},
          PointVectorView<Scalar>{current + d * m, block * m}};
}

/// Backward chain of a chunk: the pre-activations for the masks (and `words`), then each point
/// carries the m rows of W_L D_{L-1} ... W_l D_{l-1}, stacked into one (m n) x n_l matrix per
/// layer. Needs reserve_chain(work, network, false, >= count).
template <class Executor, RealScalar Scalar>
ChunkViews<Scalar> backward_chunk(ChainWorkspace<Executor, Scalar>& work,
                                  const NetworkView<Scalar>& network, const Scalar* x, Index count,
                                  PatternWord* words) {
  auto& executor = work.executor;
  const auto z = pre_activation_chunk(work, network, x, count, words);
  const Index m = network.output_dimension(), layers = network.layer_count();
  const Scalar slope = network.negative_slope;
  Scalar* current = work.chain.data();
  Scalar* next = current + network.widest_layer() * m * count;

  const Index width = network.columns(layers - 1);
  executor.for_each(m * count * width,
                    BackwardStart<Scalar>{current, network.weights(layers - 1),
                                          layers > 1 ? z[std::size_t(layers) - 2] : nullptr, m,
                                          width, count, slope});
  for (Index l = layers - 2; l >= 0; --l) {
    const Index rows = network.rows(l), columns = network.columns(l);
    executor.template product<Scalar>(
        m * count, columns, rows, ColumnMajorOperand<Scalar>{current, m * count},
        ColumnMajorOperand<Scalar>{network.weights(l), rows},
        MaskedBackwardStore<Scalar>{next, l > 0 ? z[std::size_t(l) - 1] : nullptr, m * count,
                                    columns, m, slope});
    std::swap(current, next);
  }
  return {PointMatrixView<Scalar>{current, m, m * count},
          PointVectorView<Scalar>{z[std::size_t(layers) - 1], m}};
}

/// Whether `network` may take the small-network path carrying `block` columns per point.
template <class Executor, RealScalar Scalar>
bool uses_small_network(const ChainWorkspace<Executor, Scalar>& work,
                        const NetworkView<Scalar>& network, Index block) {
  if (!work.small_network_kernel || block > small_network_block ||
      network.layer_count() > small_network_layers)
    return false;
  for (const Index size : network.layer_sizes)
    if (size > small_network_width) return false;
  return network.parameter_count() * Index(sizeof(Scalar)) <= small_network_parameter_bytes;
}

/// The small-network body for `network` carrying `block` columns, with every input and output
/// unset (null).
template <RealScalar Scalar>
SmallNetworkPoints<Scalar> small_network_points(const NetworkView<Scalar>& network, int block) {
  SmallNetworkPoints<Scalar> body{};
  for (std::size_t l = 0; l < network.layer_sizes.size(); ++l)
    body.shape.sizes[l] = network.layer_sizes[l];
  body.shape.layer_count = network.layer_count();
  body.slope = network.negative_slope;
  body.block = block;
  body.words_per_point = network.words_per_point();
  body.tolerance = ScalarTraits<Scalar>::equality_tolerance;
  return body;
}

/// A_P, b_P and the logits of n points (d x n in executor memory) into `out`.
template <class Executor, RealScalar Scalar>
void chain_functions(ChainWorkspace<Executor, Scalar>& work, const NetworkView<Scalar>& network,
                     const Scalar* points, Index n, PropagationMode mode,
                     FunctionBuffers<Executor, Scalar>& out) {
  const Index d = network.input_dimension(), m = network.output_dimension();
  out.reserve(n, d, m);
  if (n == 0) return;
  const bool forward = network.propagates_forward(mode);
  if (forward && uses_small_network(work, network, d + 1)) {
    auto body = small_network_points(network, int(d + 1));
    body.points = points;
    body.matrices = out.matrices.data();
    body.biases = out.biases.data();
    body.logits = out.logits.data();
    work.executor.for_each_staged(n, body, network.parameters, network.parameter_count());
    return;
  }
  const Index capacity =
      chunk_capacity(work.chunk_scalar_budget, chain_scalars_per_point(network, forward), n);
  reserve_chain(work, network, forward, capacity);
  for (Index start = 0; start < n; start += capacity) {
    const Index count = std::min(capacity, n - start);
    const Scalar* x = points + start * d;
    const auto views = forward ? forward_chunk(work, network, x, count, nullptr)
                               : backward_chunk(work, network, x, count, nullptr);
    work.executor.for_each(
        m * count,
        GatherFunctions<Scalar>{views.a, views.logits, x, m, d, out.matrices.data() + start * d * m,
                                out.biases.data() + start * m, out.logits.data() + start * m});
  }
}

/// The norms of n points into `out` and, unless `words` is null, their packed patterns (n
/// columns of words_per_point words, zero on entry).
template <class Executor, RealScalar Scalar>
void chain_norms(ChainWorkspace<Executor, Scalar>& work, const NetworkView<Scalar>& network,
                 const Scalar* points, Index n, PropagationMode mode,
                 NormBuffers<Executor, Scalar>& out, PatternWord* words) {
  const Index d = network.input_dimension(), m = network.output_dimension();
  out.reserve(n);
  if (n == 0) return;
  const bool forward = network.propagates_forward(mode);
  if (forward && uses_small_network(work, network, d + 1)) {
    auto body = small_network_points(network, int(d + 1));
    body.points = points;
    body.words = words;
    body.norms = out.outputs();
    work.executor.for_each_staged(n, body, network.parameters, network.parameter_count());
    return;
  }
  const Index k = gram_side(network);
  const Index capacity = chunk_capacity(work.chunk_scalar_budget,
                                        chain_scalars_per_point(network, forward) + k * k, n);
  reserve_chain(work, network, forward, capacity);
  work.gram.reserve(std::size_t(k * k * capacity));
  const Index words_per_point = network.words_per_point();
  for (Index start = 0; start < n; start += capacity) {
    const Index count = std::min(capacity, n - start);
    const Scalar* x = points + start * d;
    PatternWord* chunk_words = words != nullptr ? words + start * words_per_point : nullptr;
    const auto views = forward ? forward_chunk(work, network, x, count, chunk_words)
                               : backward_chunk(work, network, x, count, chunk_words);
    work.executor.for_each(
        count, ChunkNorms<Scalar>{views.a, views.logits, x, m, d, work.gram.data(),
                                  ScalarTraits<Scalar>::equality_tolerance, out.outputs(), start});
  }
}

/// The packed activation patterns of n points into `words` (n columns, zero on entry).
template <class Executor, RealScalar Scalar>
void chain_patterns(ChainWorkspace<Executor, Scalar>& work, const NetworkView<Scalar>& network,
                    const Scalar* points, Index n, PatternWord* words) {
  if (n == 0 || network.words_per_point() == 0) return;
  if (uses_small_network(work, network, 1)) {
    auto body = small_network_points(network, 1);
    body.points = points;
    body.words = words;
    work.executor.for_each_staged(n, body, network.parameters, network.parameter_count());
    return;
  }
  const Index per_point = network.hidden_neuron_count() + network.output_dimension();
  const Index capacity = chunk_capacity(work.chunk_scalar_budget, per_point, n);
  work.pre_activations.reserve(std::size_t(per_point * capacity));
  const Index d = network.input_dimension(), words_per_point = network.words_per_point();
  for (Index start = 0; start < n; start += capacity) {
    const Index count = std::min(capacity, n - start);
    pre_activation_chunk(work, network, points + start * d, count, words + start * words_per_point);
  }
}

/// Adds the patterns among the `count` columns of `words` (rows of `width` columns) to the
/// `distinct` patterns already in work.distinct and returns how many distinct patterns there
/// are now (work.distinct holds them). Only the first column of each row and columns that differ
/// from their left neighbour are candidates, as in compute_raster_maps.
template <class Executor, RealScalar Scalar>
Index merge_distinct_patterns(ChainWorkspace<Executor, Scalar>& work, const PatternWord* words,
                              Index words_per_point, Index count, Index width, Index distinct) {
  auto& executor = work.executor;
  work.candidates.reserve(std::size_t(count));
  const Index candidates = executor.select(
      count, DistinctPatternCandidate{words, words_per_point, width}, work.candidates.data());
  const Index total = distinct + candidates;
  work.merged.reserve(std::size_t(total * words_per_point));
  executor.for_each(
      distinct * words_per_point,
      CopyPatternColumns{work.distinct.data(), nullptr, words_per_point, work.merged.data(), 0});
  executor.for_each(candidates * words_per_point,
                    CopyPatternColumns{words, work.candidates.data(), words_per_point,
                                       work.merged.data(), distinct});
  work.order.reserve(std::size_t(total));
  executor.for_each(total, Iota{work.order.data()});
  const Index unique = executor.sort_unique(
      work.order.data(), total, PatternColumnLess{work.merged.data(), words_per_point},
      PatternColumnEqual{work.merged.data(), words_per_point});
  work.distinct.reserve(std::size_t(unique * words_per_point));
  executor.for_each(unique * words_per_point,
                    CopyPatternColumns{work.merged.data(), work.order.data(), words_per_point,
                                       work.distinct.data(), 0});
  return unique;
}

/// All raster maps of `grid` into `out`, row block after row block. Throws InvalidArgument for
/// an invalid grid (RasterGrid::require_valid).
template <class Executor, RealScalar Scalar>
void chain_raster(ChainWorkspace<Executor, Scalar>& work, const NetworkView<Scalar>& network,
                  const RasterGrid<Scalar>& grid, const RasterOptions& options,
                  RasterBuffers<Executor, Scalar>& out) {
  grid.require_valid(network, "compute_raster_maps");
  auto& executor = work.executor;
  const Index width = grid.width(), height = grid.height();
  const Index d = network.input_dimension(), m = network.output_dimension();
  const Index words_per_point = network.words_per_point();
  out.width = width;
  out.height = height;
  out.regions = options.regions;
  out.distinct_region_count = 0;
  out.maps.reserve(width * height);
  if (options.regions) out.region_edges.reserve(std::size_t(width * height));

  std::vector<Scalar> slice(std::size_t(3 * d));
  for (Index i = 0; i < d; ++i) {
    slice[std::size_t(i)] = grid.slice.origin(i);
    slice[std::size_t(d + i)] = grid.slice.first_direction(i);
    slice[std::size_t(2 * d + i)] = grid.slice.second_direction(i);
  }
  work.slice.reserve(slice.size());
  work.slice.upload(slice.data(), slice.size());

  const bool forward = network.propagates_forward(options.mode);
  const bool small = forward && uses_small_network(work, network, d + 1);
  const Index k = gram_side(network);
  const Index per_point = chain_scalars_per_point(network, forward) + d + k * k;
  const Index rows_per_block = std::max<Index>(
      1, chunk_capacity(work.chunk_scalar_budget, per_point, width * height) / width);
  const Index capacity = rows_per_block * width;
  if (!small) {
    reserve_chain(work, network, forward, capacity);
    work.points.reserve(std::size_t(d * capacity));
    work.gram.reserve(std::size_t(k * k * capacity));
  }
  if (options.regions) {
    work.words.reserve(std::size_t(words_per_point * capacity));
    work.previous_row.reserve(std::size_t(words_per_point * width));
  }
  NormOutputs<Scalar> outputs = out.maps.outputs();
  outputs.raster_width = width;
  outputs.raster_height = height;
  const auto& box = grid.viewport.box;

  Index distinct = 0;
  for (Index first = 0; first < height; first += rows_per_block) {
    const Index rows = std::min(rows_per_block, height - first), count = rows * width;
    const RasterPixels<Scalar> pixels{work.slice.data(), d,         width,     height,   first,
                                      box.s_min,         box.s_max, box.t_min, box.t_max};
    PatternWord* words = options.regions ? work.words.data() : nullptr;
    if (small) {
      auto body = small_network_points(network, int(d + 1));
      body.pixels = pixels;
      body.words = words;
      body.norms = outputs;
      body.start = first * width;
      executor.for_each_staged(count, body, network.parameters, network.parameter_count());
    } else {
      executor.for_each(d * count, WriteRasterPoints<Scalar>{work.points.data(), pixels});
      if (words != nullptr) work.words.zero(std::size_t(count * words_per_point));
      const auto views = forward ? forward_chunk(work, network, work.points.data(), count, words)
                                 : backward_chunk(work, network, work.points.data(), count, words);
      executor.for_each(
          count,
          ChunkNorms<Scalar>{views.a, views.logits, work.points.data(), m, d, work.gram.data(),
                             ScalarTraits<Scalar>::equality_tolerance, outputs, first * width});
    }
    if (!options.regions) continue;

    std::uint8_t* edges = out.region_edges.data();
    executor.for_each(count,
                      BlockRegionEdges{words, words_per_point, width, rows, height, first, edges});
    if (first > 0)
      executor.for_each(width, SeamRegionEdges{work.previous_row.data(), words, words_per_point,
                                               height, first - 1, edges});
    executor.for_each(width * words_per_point,
                      CopyPatternColumns{words + (rows - 1) * width * words_per_point, nullptr,
                                         words_per_point, work.previous_row.data(), 0});
    distinct = merge_distinct_patterns(work, words, words_per_point, count, width, distinct);
  }
  out.distinct_region_count = options.regions ? distinct : 0;
}

/// Throws InvalidArgument naming `function` unless a batch has d rows (coordinates).
inline void require_batch_rows(const char* function, Index rows, Index d) {
  if (rows != d)
    throw_invalid_argument(function, "batch has " + std::to_string(rows) +
                                         " rows (coordinates), network expects " +
                                         std::to_string(d) + "; points are columns");
}

/// Copies a batch of host points into work.points (d x n, contiguous).
template <class Executor, RealScalar Scalar>
void upload_points(ChainWorkspace<Executor, Scalar>& work,
                   const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points) {
  const std::size_t size = std::size_t(points.size());
  work.points.reserve(size);
  if (points.outerStride() == points.rows()) {
    work.points.upload(points.data(), size);
  } else {
    const Matrix<Scalar> contiguous = points;
    work.points.upload(contiguous.data(), size);
  }
}

/// PolytopeFunctionBatch of `functions` in host memory.
template <class Executor, RealScalar Scalar>
PolytopeFunctionBatch<Scalar> to_host(const FunctionBuffers<Executor, Scalar>& functions) {
  const Index n = functions.size, d = functions.input_dimension, m = functions.output_dimension;
  PolytopeFunctionBatch<Scalar> batch;
  batch.matrices.resize(m, d * n);
  batch.biases.resize(m, n);
  batch.logits.resize(m, n);
  functions.matrices.download(batch.matrices.data(), std::size_t(batch.matrices.size()));
  functions.biases.download(batch.biases.data(), std::size_t(batch.biases.size()));
  functions.logits.download(batch.logits.data(), std::size_t(batch.logits.size()));
  return batch;
}

/// PolytopeNorms of `norms` in host memory.
template <class Executor, RealScalar Scalar>
PolytopeNorms<Scalar> to_host(const NormBuffers<Executor, Scalar>& norms) {
  const std::size_t n = std::size_t(norms.size);
  PolytopeNorms<Scalar> result;
  result.frobenius_norm.resize(norms.size);
  result.spectral_norm.resize(norms.size);
  result.bias_max_norm.resize(norms.size);
  result.output_norm.resize(norms.size);
  result.confidence.resize(norms.size);
  result.predicted_class.resize(n);
  norms.frobenius_norm.download(result.frobenius_norm.data(), n);
  norms.spectral_norm.download(result.spectral_norm.data(), n);
  norms.bias_max_norm.download(result.bias_max_norm.data(), n);
  norms.output_norm.download(result.output_norm.data(), n);
  norms.confidence.download(result.confidence.data(), n);
  norms.predicted_class.download(result.predicted_class.data(), n);
  return result;
}

/// RasterMaps of `raster` in host memory.
template <class Executor, RealScalar Scalar>
RasterMaps<Scalar> to_host(const RasterBuffers<Executor, Scalar>& raster) {
  const Index width = raster.width, height = raster.height;
  const std::size_t n = std::size_t(width * height);
  RasterMaps<Scalar> maps;
  for (auto* map : {&maps.confidence, &maps.output_norm, &maps.weight_frobenius_norm,
                    &maps.weight_spectral_norm, &maps.bias_max_norm})
    map->resize(height, width);
  maps.predicted_class.resize(height, width);
  raster.maps.confidence.download(maps.confidence.data(), n);
  raster.maps.output_norm.download(maps.output_norm.data(), n);
  raster.maps.frobenius_norm.download(maps.weight_frobenius_norm.data(), n);
  raster.maps.spectral_norm.download(maps.weight_spectral_norm.data(), n);
  raster.maps.bias_max_norm.download(maps.bias_max_norm.data(), n);
  raster.maps.predicted_class.download(maps.predicted_class.data(), n);
  if (raster.regions) {
    std::vector<std::uint8_t> edges(n);
    raster.region_edges.download(edges.data(), n);
    maps.region_edges.resize(height, width);
    for (std::size_t e = 0; e < n; ++e)
      maps.region_edges.data()[e] = edges[e] != 0;
  }
  maps.distinct_region_count = raster.distinct_region_count;
  return maps;
}

/// polytope_functions for host points through `work` (its `functions` hold the device copy).
template <class Executor, RealScalar Scalar>
PolytopeFunctionBatch<Scalar> host_polytope_functions(
    ChainWorkspace<Executor, Scalar>& work, const NetworkView<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points, PropagationMode mode) {
  require_batch_rows("polytope_functions", points.rows(), network.input_dimension());
  upload_points(work, points);
  chain_functions(work, network, work.points.data(), points.cols(), mode, work.functions);
  return to_host(work.functions);
}

/// polytope_norms (and the patterns, if `patterns` is not null) for host points through `work`.
template <class Executor, RealScalar Scalar>
PolytopeNorms<Scalar> host_polytope_norms(
    ChainWorkspace<Executor, Scalar>& work, const NetworkView<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points, PropagationMode mode,
    ActivationPatternBatch* patterns) {
  require_batch_rows("polytope_norms", points.rows(), network.input_dimension());
  const Index n = points.cols(), words_per_point = network.words_per_point();
  upload_points(work, points);
  PatternWord* words = nullptr;
  if (patterns != nullptr) {
    work.words.reserve(std::size_t(n * words_per_point));
    work.words.zero(std::size_t(n * words_per_point));
    words = work.words.data();
  }
  chain_norms(work, network, work.points.data(), n, mode, work.norms, words);
  if (patterns != nullptr) {
    patterns->zeros = network.zero_pattern();
    patterns->words.resize(words_per_point, n);
    work.words.download(patterns->words.data(), std::size_t(n * words_per_point));
  }
  return to_host(work.norms);
}

/// The packed activation patterns of host points through `work`.
template <class Executor, RealScalar Scalar>
ActivationPatternBatch host_activation_patterns(
    ChainWorkspace<Executor, Scalar>& work, const NetworkView<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points) {
  require_batch_rows("activation_patterns", points.rows(), network.input_dimension());
  const Index n = points.cols(), words_per_point = network.words_per_point();
  upload_points(work, points);
  work.words.reserve(std::size_t(n * words_per_point));
  work.words.zero(std::size_t(n * words_per_point));
  chain_patterns(work, network, work.points.data(), n, work.words.data());
  ActivationPatternBatch batch;
  batch.zeros = network.zero_pattern();
  batch.words.resize(words_per_point, n);
  work.words.download(batch.words.data(), std::size_t(n * words_per_point));
  return batch;
}

/// The number of distinct patterns of a host batch through `work`.
template <class Executor, RealScalar Scalar>
Index host_distinct_pattern_count(ChainWorkspace<Executor, Scalar>& work,
                                  const ActivationPatternBatch& patterns) {
  const Index n = patterns.size(), words_per_point = patterns.words.rows();
  if (n == 0) return 0;
  work.words.reserve(std::size_t(n * words_per_point));
  work.words.upload(patterns.words.data(), std::size_t(n * words_per_point));
  return merge_distinct_patterns(work, work.words.data(), words_per_point, n, n, 0);
}

/// compute_raster_maps through `work` (its `raster` holds the device copy).
template <class Executor, RealScalar Scalar>
RasterMaps<Scalar> host_raster_maps(ChainWorkspace<Executor, Scalar>& work,
                                    const NetworkView<Scalar>& network,
                                    const RasterGrid<Scalar>& grid, const RasterOptions& options) {
  chain_raster(work, network, grid, options, work.raster);
  return to_host(work.raster);
}

}  // namespace polyleak::detail
