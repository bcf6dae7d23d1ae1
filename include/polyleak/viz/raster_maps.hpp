#pragma once
// Raster maps (Alg. 8): per-pixel predicted class, confidence, output norm, polytope-function
// norms and activation-region edges over a 2-D box or a 2-D slice of an n-D input space.

#include <algorithm>
#include <exception>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "polyleak/core/backend.hpp"
#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/geometry/activation_pattern.hpp"
#include "polyleak/geometry/batched_polytope_functions.hpp"
#include "polyleak/geometry/partition2d.hpp"
#include "polyleak/nn/mlp.hpp"
#include "polyleak/viz/viewport.hpp"

namespace polyleak {

/// The pixels of a raster: a viewport (box of slice coordinates and resolution) on a plane slice
/// `x = o + s u + t v` of the input space. Pixel (x, y) samples the input point at its centre.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
struct RasterGrid {
  PlaneSlice<Scalar> slice = PlaneSlice<Scalar>::input_plane();
  Viewport<Scalar> viewport;

  Index width() const noexcept { return viewport.width; }
  Index height() const noexcept { return viewport.height; }

  /// Input points of rows first_row .. first_row + rows - 1, row after row, x = 0 first
  /// (input dimension x (rows * width)).
  Matrix<Scalar> row_points(Index first_row, Index rows) const {
    Matrix<Scalar> points(slice.dimension(), rows * width());
    for (Index r = 0; r < rows; ++r)
      for (Index x = 0; x < width(); ++x) {
        const Point2<Scalar> st = viewport.pixel_centre(x, first_row + r);
        points.col(r * width() + x) =
            slice.origin + st.x() * slice.first_direction + st.y() * slice.second_direction;
      }
    return points;
  }

  /// Throws InvalidArgument (naming `function`) for an empty or non-finite box, a non-positive
  /// resolution, parallel or zero slice directions, or a slice of another dimension than the
  /// network's input.
  template <class Network>
  void require_valid(const Network& network, const char* function) const {
    viewport.require_valid(function);
    require_plane_slice(slice, function);
    if (slice.dimension() != network.input_dimension())
      detail::throw_invalid_argument(
          function, "slice lives in dimension " + std::to_string(slice.dimension()) +
                        ", network expects " + std::to_string(network.input_dimension()));
  }
};

/// The maps compute_raster_maps() produces.
enum class RasterMap {
  predicted_class,
  confidence,
  output_norm,
  weight_frobenius_norm,
  weight_spectral_norm,
  bias_max_norm,
  region_edges,
};

/// A short title of a map, for figures ("||A_P||_F", ...).
inline std::string_view raster_map_title(RasterMap map) {
  switch (map) {
    case RasterMap::predicted_class:
      return "decision regions";
    case RasterMap::confidence:
      return "confidence";
    case RasterMap::output_norm:
      return "output norm ||z(x)||_2";
    case RasterMap::weight_frobenius_norm:
      return "weight norm ||A_P||_F";
    case RasterMap::weight_spectral_norm:
      return "weight norm ||A_P||_2";
    case RasterMap::bias_max_norm:
      return "bias norm ||b_P||_inf";
    case RasterMap::region_edges:
      return "activation regions";
  }
  return "";
}

/// Options of compute_raster_maps().
struct RasterOptions {
  /// Also compute activation patterns: the region-edge map and the distinct-region count.
  bool regions = true;
  /// How the polytope functions are multiplied out (see PropagationMode).
  PropagationMode mode = PropagationMode::automatic;
};

/// Per-pixel maps, each height x width with entry (y, x) for pixel (x, y) (row 0 at the top,
/// i.e. at t_max).
/// @tparam Scalar float or double.
template <RealScalar Scalar>
struct RasterMaps {
  Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic> predicted_class;
  Matrix<Scalar> confidence;
  Matrix<Scalar> output_norm;
  Matrix<Scalar> weight_frobenius_norm;  ///< ||A_P||_F
  Matrix<Scalar> weight_spectral_norm;   ///< ||A_P||_2
  Matrix<Scalar> bias_max_norm;          ///< ||b_P||_inf
  /// True where the pixel's activation pattern differs from its right or lower neighbour's
  /// (empty if RasterOptions::regions is false).
  Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic> region_edges;
  /// Number of distinct activation patterns among all pixels (0 if regions were not computed).
  Index distinct_region_count = 0;

  Index width() const noexcept { return confidence.cols(); }
  Index height() const noexcept { return confidence.rows(); }

  /// The real-valued map `map`. Throws InvalidArgument for predicted_class and region_edges,
  /// which are not real-valued.
  const Matrix<Scalar>& values(RasterMap map) const {
    switch (map) {
      case RasterMap::confidence:
        return confidence;
      case RasterMap::output_norm:
        return output_norm;
      case RasterMap::weight_frobenius_norm:
        return weight_frobenius_norm;
      case RasterMap::weight_spectral_norm:
        return weight_spectral_norm;
      case RasterMap::bias_max_norm:
        return bias_max_norm;
      default:
        break;
    }
    detail::throw_invalid_argument("RasterMaps::values",
                                   std::string(raster_map_title(map)) + " is not real-valued");
  }
};

namespace detail {

/// Pixels per batch handed to the geometry functions: wide enough for efficient matrix products,
/// small enough for many batches per thread.
inline constexpr Index raster_batch_pixels = 16384;

}  // namespace detail

/// All raster maps of `network` over `grid` (Alg. 8): for every pixel the predicted class,
/// confidence, output norm, ||A_P||_F, ||A_P||_2 and ||b_P||_inf and, if options.regions, the
/// activation-region edges and the number of distinct regions, all from one batched masked pass
/// per block (polytope_norms with an ActivationPatternBatch).
///
/// Work is split into blocks of whole rows, processed in parallel with OpenMP (all threads), each
/// thread keeping its work memory between blocks; the edges between the last row of a block and
/// the first row of the next are set after all blocks, from the patterns of those two rows.
/// @tparam Scalar float or double.
/// Throws InvalidArgument for an invalid grid (see RasterGrid::require_valid). Cost: about
/// (min(d, m) + 1) forward passes per pixel; options.regions adds a bit test per hidden neuron
/// and a comparison of packed patterns per pixel. Deterministic (results do not depend on the
/// thread count).
template <RealScalar Scalar>
RasterMaps<Scalar> compute_raster_maps(const Mlp<Scalar>& network, const RasterGrid<Scalar>& grid,
                                       const RasterOptions& options = {}) {
  using PatternWords = Eigen::Matrix<ActivationPattern::Word, Eigen::Dynamic, Eigen::Dynamic>;
  grid.require_valid(network, "compute_raster_maps");
  const Index width = grid.width(), height = grid.height();
  RasterMaps<Scalar> maps;
  maps.predicted_class.resize(height, width);
  maps.confidence.resize(height, width);
  maps.output_norm.resize(height, width);
  maps.weight_frobenius_norm.resize(height, width);
  maps.weight_spectral_norm.resize(height, width);
  maps.bias_max_norm.resize(height, width);
  if (options.regions) maps.region_edges.setZero(height, width);

  const Index rows_per_block = std::max<Index>(1, detail::raster_batch_pixels / width);
  const Index blocks = (height + rows_per_block - 1) / rows_per_block;
  // Patterns of each block's first and last row, block b in columns b * width onwards.
  const Index words_per_point = Index(ActivationPattern::zeros_for(network).words().size());
  PatternWords first_rows, last_rows;
  if (options.regions) {
    first_rows.resize(words_per_point, blocks * width);
    last_rows.resize(words_per_point, blocks * width);
  }
  std::unordered_set<ActivationPattern> all_patterns;
  std::exception_ptr failure;

#pragma omp parallel
  {
    std::unordered_set<ActivationPattern> seen;
    PolytopeWorkspace<Scalar> workspace;
    PolytopeNorms<Scalar> norms;
    ActivationPatternBatch patterns;
#pragma omp for schedule(dynamic)
    for (Index block = 0; block < blocks; ++block) {
      try {
        const Index first = block * rows_per_block;
        const Index rows = std::min(rows_per_block, height - first);
        polytope_norms(network, grid.row_points(first, rows), norms, workspace,
                       options.regions ? &patterns : nullptr, options.mode);
        for (Index r = 0; r < rows; ++r)
          for (Index x = 0; x < width; ++x) {
            const Index j = r * width + x, y = first + r;
            maps.predicted_class(y, x) = norms.predicted_class[std::size_t(j)];
            maps.confidence(y, x) = norms.confidence(j);
            maps.output_norm(y, x) = norms.output_norm(j);
            maps.weight_frobenius_norm(y, x) = norms.frobenius_norm(j);
            maps.weight_spectral_norm(y, x) = norms.spectral_norm(j);
            maps.bias_max_norm(y, x) = norms.bias_max_norm(j);
          }
        if (options.regions) {
          for (Index r = 0; r < rows; ++r)
            for (Index x = 0; x < width; ++x) {
              const Index j = r * width + x;
              const bool right = x + 1 < width && !patterns.same_pattern(j, j + 1);
              const bool below = r + 1 < rows && !patterns.same_pattern(j, j + width);
              maps.region_edges(first + r, x) = right || below;
            }
          first_rows.middleCols(block * width, width) = patterns.words.leftCols(width);
          last_rows.middleCols(block * width, width) = patterns.words.rightCols(width);
          // A pixel with its left neighbour's pattern adds nothing new to the set.
          for (Index j = 0; j < rows * width; ++j)
            if (j % width == 0 || !patterns.same_pattern(j, j - 1))
              seen.insert(patterns.pattern(j));
        }
      } catch (...) {
#pragma omp critical(polyleak_raster_failure)
        if (!failure) failure = std::current_exception();
      }
    }
#pragma omp critical(polyleak_raster_merge)
    all_patterns.merge(seen);
  }
  if (failure) std::rethrow_exception(failure);

  if (options.regions)
    for (Index block = 0; block + 1 < blocks; ++block) {
      const Index y = std::min(height, (block + 1) * rows_per_block) - 1;
      for (Index x = 0; x < width; ++x)
        if (last_rows.col(block * width + x) != first_rows.col((block + 1) * width + x))
          maps.region_edges(y, x) = true;
    }
  maps.distinct_region_count = Index(all_patterns.size());
  return maps;
}

/// compute_raster_maps(network, grid, options) on the CPU, the reference of the CUDA overload
/// (taking CudaBackend, in polyleak/cuda.cuh): code templated on a Backend switches with the tag.
/// @tparam Scalar float or double.
/// Throws, costs and is deterministic as compute_raster_maps.
template <RealScalar Scalar>
RasterMaps<Scalar> compute_raster_maps(CpuBackend, const Mlp<Scalar>& network,
                                       const RasterGrid<Scalar>& grid,
                                       const RasterOptions& options = {}) {
  return compute_raster_maps(network, grid, options);
}

}  // namespace polyleak
