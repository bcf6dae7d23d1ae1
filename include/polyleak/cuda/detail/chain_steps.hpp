#pragma once
// The per-thread steps of the masked chain on the GPU, as small functors that kernels call for
// one index and the CPU tests call in a loop: operands and stores of the layer products, the
// first layers, pattern bits, per-point norms, the gather of A_P and b_P, raster pixels and
// region edges, and the column copies and comparisons behind the distinct-pattern count.

#include <cstdint>

#include "polyleak/cuda/detail/host_device.hpp"
#include "polyleak/cuda/detail/pattern_bits.hpp"
#include "polyleak/cuda/detail/point_norms.hpp"

namespace polyleak::detail {

/// Entry (i, k) of a column-major matrix with leading dimension `stride`.
template <class Scalar>
struct ColumnMajorOperand {
  const Scalar* data;
  std::int64_t stride;

  POLYLEAK_HOST_DEVICE Scalar operator()(std::int64_t i, std::int64_t k) const {
    return data[i + k * stride];
  }
};

/// Operand B of a forward layer: entry (k, col) of D A, where each point owns `block`
/// consecutive columns of `data` (rows x (block n), column-major) and column `z_column` of its
/// block holds the pre-activation z that chooses the slope (1 where z > 0, `slope` elsewhere).
/// Applied to the z column itself this is the activation.
template <class Scalar>
struct MaskedForwardOperand {
  const Scalar* data;
  std::int64_t rows, block, z_column;
  Scalar slope;

  POLYLEAK_HOST_DEVICE Scalar operator()(std::int64_t k, std::int64_t col) const {
    const Scalar z = data[k + (col - col % block + z_column) * rows];
    const Scalar value = data[k + col * rows];
    return z > Scalar(0) ? value : slope * value;
  }
};

/// Store of a forward layer: product column col goes to column col * spread + shift of `out`
/// (rows rows, column-major); where that column is the z column of its block, b_i is added.
template <class Scalar>
struct ForwardStore {
  Scalar* out;
  const Scalar* bias;
  std::int64_t rows, block, z_column, spread, shift;

  POLYLEAK_HOST_DEVICE void operator()(std::int64_t i, std::int64_t col, Scalar value) const {
    const std::int64_t target = col * spread + shift;
    out[i + target * rows] = target % block == z_column ? value + bias[i] : value;
  }
};

/// Store of a backward layer: row (j m + r), column c of the stacked product, scaled by the slope
/// of neuron c of the layer below at point j (pre-activations `z`, width x n), or unscaled when
/// `z` is null (the input layer). `out` has leading dimension `stride`.
template <class Scalar>
struct MaskedBackwardStore {
  Scalar* out;
  const Scalar* z;
  std::int64_t stride, width, m;
  Scalar slope;

  POLYLEAK_HOST_DEVICE void operator()(std::int64_t row, std::int64_t c, Scalar value) const {
    if (z != nullptr && !(z[c + (row / m) * width] > Scalar(0))) value *= slope;
    out[row + c * stride] = value;
  }
};

/// Forward start, index over rows x d x n: W_0's d columns into the first d columns of every
/// point's block of `out` (rows x (block n)).
template <class Scalar>
struct BroadcastFirstLayer {
  Scalar* out;
  const Scalar* w0;
  std::int64_t rows, d, block;

  POLYLEAK_HOST_DEVICE void operator()(std::int64_t index) const {
    const std::int64_t i = index % rows, c = index / rows % d, j = index / (rows * d);
    out[i + (j * block + c) * rows] = w0[i + c * rows];
  }
};

/// Backward start, index over (m n) x width: point j's m rows of W_last (m x width) stacked at
/// rows j m .. j m + m - 1 of `out` ((m n) x width), column i scaled by the slope of neuron i of
/// the last hidden layer (pre-activations `z`, width x n; null when there is no hidden layer).
template <class Scalar>
struct BackwardStart {
  Scalar* out;
  const Scalar* w_last;
  const Scalar* z;
  std::int64_t m, width, n;
  Scalar slope;

  POLYLEAK_HOST_DEVICE void operator()(std::int64_t index) const {
    const std::int64_t row = index % (m * n), i = index / (m * n);
    const std::int64_t j = row / m, r = row % m;
    Scalar value = w_last[r + i * m];
    if (z != nullptr && !(z[i + j * width] > Scalar(0))) value *= slope;
    out[index] = value;
  }
};

/// Pattern bits of one hidden layer, index over n x word_count: ORs the bits of neurons
/// offset .. offset + rows - 1 into words first_word .. first_word + word_count - 1 of each
/// point's pattern (point j's words at words + j * words_per_point), from pre-activations
/// z(i, j) = z[j * point_stride + i]. One index per point and word, so no two write one word;
/// layers run one after another.
template <class Scalar>
struct PatternBits {
  PatternWord* words;
  std::int64_t words_per_point;
  const Scalar* z;
  std::int64_t rows, point_stride, offset, first_word, word_count;

  POLYLEAK_HOST_DEVICE void operator()(std::int64_t index) const {
    const std::int64_t j = index / word_count, word = first_word + index % word_count;
    words[j * words_per_point + word] |=
        layer_pattern_word(z + j * point_stride, rows, offset, word);
  }
};

/// PatternBits for hidden layer neurons offset .. offset + rows - 1 (rows > 0).
template <class Scalar>
POLYLEAK_HOST_DEVICE PatternBits<Scalar> pattern_bits(PatternWord* words,
                                                      std::int64_t words_per_point, const Scalar* z,
                                                      std::int64_t rows, std::int64_t point_stride,
                                                      std::int64_t offset) {
  const std::int64_t first = offset / pattern_word_bits;
  const std::int64_t last = (offset + rows - 1) / pattern_word_bits;
  return {words, words_per_point, z, rows, point_stride, offset, first, last - first + 1};
}

/// Where the norms go: one array per norm, all six non-null; point p of the whole batch
/// goes to entry p, or, for a raster (raster_width > 0), to entry y + x * raster_height of a
/// column-major height x width image with p = y * width + x.
template <class Scalar>
struct NormOutputs {
  Scalar* frobenius_norm = nullptr;
  Scalar* spectral_norm = nullptr;
  Scalar* bias_max_norm = nullptr;
  Scalar* output_norm = nullptr;
  Scalar* confidence = nullptr;
  std::int64_t* predicted_class = nullptr;
  std::int64_t raster_width = 0, raster_height = 0;

  POLYLEAK_HOST_DEVICE std::int64_t entry(std::int64_t p) const {
    return raster_width > 0 ? p / raster_width + p % raster_width * raster_height : p;
  }

  /// Writes the norms of point p.
  POLYLEAK_HOST_DEVICE void write(std::int64_t p, const PointNorms<Scalar>& norms) const {
    const std::int64_t e = entry(p);
    frobenius_norm[e] = norms.frobenius_norm;
    spectral_norm[e] = norms.spectral_norm;
    bias_max_norm[e] = norms.bias_max_norm;
    output_norm[e] = norms.output_norm;
    confidence[e] = norms.confidence;
    predicted_class[e] = norms.predicted_class;
  }
};

/// Norms of a chunk, index over its points j: point_norms of point j (chunk-local; the chunk's
/// first point is point `start` of the batch). `gram` has room for min(m, d)^2 scalars per point
/// when min(m, d) > 2.
template <class Scalar>
struct ChunkNorms {
  PointMatrixView<Scalar> a;
  PointVectorView<Scalar> logits;
  const Scalar* points;
  std::int64_t m, d;
  Scalar* gram;
  Scalar tolerance;
  NormOutputs<Scalar> out;
  std::int64_t start;

  POLYLEAK_HOST_DEVICE void operator()(std::int64_t j) const {
    const std::int64_t k = m < d ? m : d;
    out.write(start + j, point_norms(a, logits, points + j * d, j, m, d,
                                     k > 2 ? gram + j * k * k : nullptr, tolerance));
  }
};

/// Row r of point j's polytope function, read from the views: A_j(r, :) into columns
/// column d .. column d + d - 1 of `matrices` (m x (d n)), b_j(r) = z_j(r) - A_j(r, :) x (in the
/// order of the CPU path) into entry (r, column) of `biases` and z_j(r) into `logits_out`.
template <class Scalar>
POLYLEAK_HOST_DEVICE void write_function_row(const PointMatrixView<Scalar>& a,
                                             const PointVectorView<Scalar>& logits, const Scalar* x,
                                             std::int64_t j, std::int64_t r, std::int64_t m,
                                             std::int64_t d, std::int64_t column, Scalar* matrices,
                                             Scalar* biases, Scalar* logits_out) {
  const Scalar z = logits(j, r);
  Scalar bias = z;
  for (std::int64_t c = 0; c < d; ++c) {
    const Scalar entry = a(j, r, c);
    matrices[r + (column * d + c) * m] = entry;
    bias -= entry * x[c];
  }
  biases[r + column * m] = bias;
  logits_out[r + column * m] = z;
}

/// Gather of a chunk, index over (row r, point j) = (index % m, index / m): point j's A_j, b_j
/// and z_j into column j of the outputs (write_function_row; the outputs point at the chunk's
/// first column).
template <class Scalar>
struct GatherFunctions {
  PointMatrixView<Scalar> a;
  PointVectorView<Scalar> logits;
  const Scalar* points;
  std::int64_t m, d;
  Scalar* matrices;
  Scalar* biases;
  Scalar* logits_out;

  POLYLEAK_HOST_DEVICE void operator()(std::int64_t index) const {
    const std::int64_t r = index % m, j = index / m;
    write_function_row(a, logits, points + j * d, j, r, m, d, j, matrices, biases, logits_out);
  }
};

/// The input points of raster pixels: pixel p = r * width + x of a block of rows starting at
/// `first_row` samples `origin + s u + t v` at its centre, with s, t as in Viewport::pixel_centre.
/// `slice` holds origin, u and v (d coordinates each, in that order).
template <class Scalar>
struct RasterPixels {
  const Scalar* slice;
  std::int64_t d, width, height, first_row;
  Scalar s_min, s_max, t_min, t_max;

  /// Coordinate i of pixel p of the block.
  POLYLEAK_HOST_DEVICE Scalar coordinate(std::int64_t p, std::int64_t i) const {
    const std::int64_t x = p % width, y = first_row + p / width;
    const Scalar s = s_min + (Scalar(x) + Scalar(0.5)) * (s_max - s_min) / Scalar(width);
    const Scalar t = t_max - (Scalar(y) + Scalar(0.5)) * (t_max - t_min) / Scalar(height);
    return slice[i] + s * slice[d + i] + t * slice[2 * d + i];
  }
};

/// Raster points of a block, index over d x pixels: the points as columns of `points`.
template <class Scalar>
struct WriteRasterPoints {
  Scalar* points;
  RasterPixels<Scalar> pixels;

  POLYLEAK_HOST_DEVICE void operator()(std::int64_t index) const {
    points[index] = pixels.coordinate(index / pixels.d, index % pixels.d);
  }
};

/// Region edges inside a block of `rows` raster rows from `first_row`, index over its pixels
/// j = r * width + x: edge where the pattern differs from the right or lower neighbour's within
/// the block, written to entry y + x * height of `edges` (column-major height x width).
struct BlockRegionEdges {
  const PatternWord* words;
  std::int64_t words_per_point, width, rows, height, first_row;
  std::uint8_t* edges;

  POLYLEAK_HOST_DEVICE void operator()(std::int64_t j) const {
    const std::int64_t r = j / width, x = j % width;
    const PatternWord* here = words + j * words_per_point;
    const bool right =
        x + 1 < width && !same_pattern_words(here, here + words_per_point, words_per_point);
    const bool below =
        r + 1 < rows && !same_pattern_words(here, here + width * words_per_point, words_per_point);
    edges[first_row + r + x * height] = right || below;
  }
};

/// Region edges across the seam between two blocks, index over x: sets the edge of pixel
/// (x, row) where its pattern (`above`, one raster row of patterns) differs from the pattern of
/// the pixel below it (`below`, the first row of the next block).
struct SeamRegionEdges {
  const PatternWord* above;
  const PatternWord* below;
  std::int64_t words_per_point, height, row;
  std::uint8_t* edges;

  POLYLEAK_HOST_DEVICE void operator()(std::int64_t x) const {
    if (!same_pattern_words(above + x * words_per_point, below + x * words_per_point,
                            words_per_point))
      edges[row + x * height] = 1;
  }
};

/// Copy of pattern columns, index over count x words_per_point: column c of `target` (from
/// column target_offset on) gets column indices[c] of `source`, or column c where `indices` is
/// null.
struct CopyPatternColumns {
  const PatternWord* source;
  const std::int64_t* indices;
  std::int64_t words_per_point;
  PatternWord* target;
  std::int64_t target_offset;

  POLYLEAK_HOST_DEVICE void operator()(std::int64_t index) const {
    const std::int64_t c = index / words_per_point, w = index % words_per_point;
    const std::int64_t from = indices != nullptr ? indices[c] : c;
    target[(target_offset + c) * words_per_point + w] = source[from * words_per_point + w];
  }
};

/// Writes index i to entry i.
struct Iota {
  std::int64_t* out;

  POLYLEAK_HOST_DEVICE void operator()(std::int64_t i) const { out[i] = i; }
};

/// Whether pattern j of rows of `width` patterns may be new to a distinct count: the first of
/// its row, or different from its left neighbour (which the count has already seen).
struct DistinctPatternCandidate {
  const PatternWord* words;
  std::int64_t words_per_point, width;

  POLYLEAK_HOST_DEVICE bool operator()(std::int64_t j) const {
    return j % width == 0 ||
           !same_pattern_words(words + j * words_per_point, words + (j - 1) * words_per_point,
                               words_per_point);
  }
};

/// Order of pattern columns a, b of `words` (pattern_words_less).
struct PatternColumnLess {
  const PatternWord* words;
  std::int64_t words_per_point;

  POLYLEAK_HOST_DEVICE bool operator()(std::int64_t a, std::int64_t b) const {
    return pattern_words_less(words + a * words_per_point, words + b * words_per_point,
                              words_per_point);
  }
};

/// Equality of pattern columns a, b of `words`.
struct PatternColumnEqual {
  const PatternWord* words;
  std::int64_t words_per_point;

  POLYLEAK_HOST_DEVICE bool operator()(std::int64_t a, std::int64_t b) const {
    return same_pattern_words(words + a * words_per_point, words + b * words_per_point,
                              words_per_point);
  }
};

}  // namespace polyleak::detail
