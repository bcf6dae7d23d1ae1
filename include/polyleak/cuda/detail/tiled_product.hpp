#pragma once
// The three phases of the tiled matrix product behind every layer of the masked chain, written
// for one thread of a thread block: stage slices of A and B in shared memory, accumulate, store.
// The kernel runs them with barriers in between; the CPU tests run the same phases for all
// threads of a block in turn, which is what the barriers guarantee.

#include <cstdint>

#include "polyleak/cuda/detail/host_device.hpp"

namespace polyleak::detail {

/// Threads of a product block, arranged as a product_thread_side x product_thread_side grid, and
/// the depth of one shared-memory stage.
inline constexpr int product_threads = 256;
inline constexpr int product_thread_side = 16;
inline constexpr int product_depth = 16;

/// The tile of C that one block computes: TileRows x TileCols, each thread a
/// (TileRows / 16) x (TileCols / 16) block of it in registers.
template <int TileRows, int TileCols>
struct ProductShape {
  static_assert(TileRows % product_thread_side == 0 && TileCols % product_thread_side == 0);
  static constexpr int rows = TileRows;
  static constexpr int cols = TileCols;
  static constexpr int rows_per_thread = TileRows / product_thread_side;
  static constexpr int cols_per_thread = TileCols / product_thread_side;
};

/// Square tiles for products with many rows; short, wide tiles for products with at most 32 rows
/// (the layers of thin networks in forward mode), which would leave most of a square tile idle.
using SquareProductTile = ProductShape<64, 64>;
using ShortProductTile = ProductShape<32, 128>;

/// Whether a product with `rows` rows uses ShortProductTile.
POLYLEAK_HOST_DEVICE constexpr bool uses_short_product_tile(std::int64_t rows) {
  return rows <= ShortProductTile::rows;
}

/// The shared memory of one block: a depth x rows slice of A and a depth x cols slice of B (one
/// column of padding, so that the transposed writes of B hit distinct banks).
template <class Scalar, class Shape>
struct ProductTiles {
  Scalar a[product_depth][Shape::rows];
  Scalar b[product_depth][Shape::cols + 1];
};

/// The registers of one thread: its block of C.
template <class Scalar, class Shape>
struct ProductAccumulator {
  Scalar sum[Shape::rows_per_thread][Shape::cols_per_thread];
};

/// Number of tiles (thread blocks) of a rows x cols product.
template <class Shape>
POLYLEAK_HOST_DEVICE constexpr std::int64_t product_tile_count(std::int64_t rows,
                                                               std::int64_t cols) {
  return ((rows + Shape::rows - 1) / Shape::rows) * ((cols + Shape::cols - 1) / Shape::cols);
}

/// First row and column of tile `tile`, tiles numbered down the rows first (a one-dimensional
/// grid, so that either dimension may exceed 65535 tiles).
template <class Shape>
POLYLEAK_HOST_DEVICE void product_tile_origin(std::int64_t tile, std::int64_t rows,
                                              std::int64_t& row0, std::int64_t& col0) {
  const std::int64_t row_tiles = (rows + Shape::rows - 1) / Shape::rows;
  row0 = tile % row_tiles * Shape::rows;
  col0 = tile / row_tiles * Shape::cols;
}

/// Phase 1, thread `thread` of the block: its share of A(row0 .., k0 .. k0 + 15) and
/// B(k0 .. k0 + 15, col0 ..) into `tiles`, entries outside the matrices as zero. Consecutive
/// threads read consecutive rows of A and consecutive depths of B, so column-major operands are
/// read in coalesced runs.
template <class Scalar, class Shape, class LoadA, class LoadB>
POLYLEAK_HOST_DEVICE void stage_product_tiles(ProductTiles<Scalar, Shape>& tiles, int thread,
                                              std::int64_t row0, std::int64_t col0, std::int64_t k0,
                                              std::int64_t rows, std::int64_t cols,
                                              std::int64_t depth, const LoadA& a, const LoadB& b) {
  for (int e = thread; e < Shape::rows * product_depth; e += product_threads) {
    const int i = e % Shape::rows, k = e / Shape::rows;
    tiles.a[k][i] = row0 + i < rows && k0 + k < depth ? a(row0 + i, k0 + k) : Scalar(0);
  }
  for (int e = thread; e < Shape::cols * product_depth; e += product_threads) {
    const int k = e % product_depth, j = e / product_depth;
    tiles.b[k][j] = k0 + k < depth && col0 + j < cols ? b(k0 + k, col0 + j) : Scalar(0);
  }
}

/// Phase 2, thread `thread`: adds the staged slices' contribution to its block of C. Thread
/// (tx, ty) = (thread % 16, thread / 16) owns rows tx + 16 r and columns ty + 16 c of the tile,
/// so the 32 threads of a warp read 16 distinct entries of A and 2 of B per step (broadcasts, no
/// bank conflicts).
template <class Scalar, class Shape>
POLYLEAK_HOST_DEVICE void accumulate_product_stage(const ProductTiles<Scalar, Shape>& tiles,
                                                   int thread,
                                                   ProductAccumulator<Scalar, Shape>& sum) {
  const int tx = thread % product_thread_side, ty = thread / product_thread_side;
  POLYLEAK_UNROLL
  for (int k = 0; k < product_depth; ++k) {
    Scalar a_values[Shape::rows_per_thread], b_values[Shape::cols_per_thread];
    POLYLEAK_UNROLL
    for (int r = 0; r < Shape::rows_per_thread; ++r)
      a_values[r] = tiles.a[k][tx + product_thread_side * r];
    POLYLEAK_UNROLL
    for (int c = 0; c < Shape::cols_per_thread; ++c)
      b_values[c] = tiles.b[k][ty + product_thread_side * c];
    POLYLEAK_UNROLL
    for (int r = 0; r < Shape::rows_per_thread; ++r)
      POLYLEAK_UNROLL
    for (int c = 0; c < Shape::cols_per_thread; ++c)
      sum.sum[r][c] += a_values[r] * b_values[c];
  }
}

/// Phase 3, thread `thread`: hands each entry of its block that lies inside the product to
/// `store(i, j, value)`. A warp stores 16 consecutive rows of two columns.
template <class Scalar, class Shape, class Store>
POLYLEAK_HOST_DEVICE void store_product_block(const ProductAccumulator<Scalar, Shape>& sum,
                                              int thread, std::int64_t row0, std::int64_t col0,
                                              std::int64_t rows, std::int64_t cols,
                                              const Store& store) {
  const int tx = thread % product_thread_side, ty = thread / product_thread_side;
  POLYLEAK_UNROLL
  for (int c = 0; c < Shape::cols_per_thread; ++c)
    POLYLEAK_UNROLL
  for (int r = 0; r < Shape::rows_per_thread; ++r) {
    const std::int64_t i = row0 + tx + product_thread_side * r;
    const std::int64_t j = col0 + ty + product_thread_side * c;
    if (i < rows && j < cols) store(i, j, sum.sum[r][c]);
  }
}

}  // namespace polyleak::detail
