#pragma once
// The masked chain of one point of a small network (every layer at most 32 wide, at most two
// inputs when A_P is wanted), all in registers: one GPU thread per point, the layer weights
// staged in shared memory. Thin 2-D networks (raster maps) take this path instead of the tiled
// layer products, whose tiles such narrow layers would leave mostly idle.

#include <cstdint>

#include "polyleak/cuda/detail/chain_steps.hpp"
#include "polyleak/cuda/detail/host_device.hpp"
#include "polyleak/cuda/detail/pattern_bits.hpp"
#include "polyleak/cuda/detail/point_norms.hpp"

namespace polyleak::detail {

/// Limits of the small-network path: layer width (input and output included), columns carried
/// per point (z and the d columns of A), affine layers, and bytes of parameters in shared memory.
inline constexpr int small_network_width = 32;
inline constexpr int small_network_block = 3;
inline constexpr int small_network_layers = 16;
inline constexpr std::int64_t small_network_parameter_bytes = 48 * 1024;

/// Layer sizes {input, hidden..., output} of a small network, by value (a kernel argument).
struct SmallNetworkShape {
  std::int64_t sizes[small_network_layers + 1] = {};
  std::int64_t layer_count = 0;
};

/// The masked chain of the point `x` through a small network whose parameters are packed as in
/// NetworkView (per layer W_l column-major, then b_l). `block` is 1 (pre-activations only) or
/// d + 1 (also A_P, d <= 2). The point enters as the columns [x | e_1 .. e_d] (so that layer 0
/// yields [W_0 x | W_0] exactly); each layer adds the bias to column 0 and, on hidden layers,
/// applies the slopes chosen by column 0 to all columns. On return `result` holds the output
/// layer's columns with leading dimension small_network_width: column 0 the logits z, columns
/// 1 .. d the columns of A_P. If `words` is not null, the point's packed activation pattern is
/// written there (every word; no zeroing needed). Sums run over k in order, the bias last.
/// Preconditions: the network fits the limits above; `result` has room for
/// small_network_width * small_network_block scalars. Cost: `block` forward passes.
template <class Scalar>
POLYLEAK_HOST_DEVICE void small_network_chain(const SmallNetworkShape& shape,
                                              const Scalar* parameters, Scalar slope,
                                              const Scalar* x, int block, PatternWord* words,
                                              Scalar* result) {
  constexpr int width = small_network_width, columns = small_network_block;
  // `result` carries the activations between layers; it is indexed by the runtime k, so it
  // lives in (cached) local memory, while the sums of a layer stay in registers.
  Scalar* act = result;
  const std::int64_t d = shape.sizes[0];
  for (std::int64_t k = 0; k < d; ++k) {
    act[k] = x[k];
    POLYLEAK_UNROLL
    for (int c = 1; c < columns; ++c)
      if (c < block) act[k + c * width] = k == c - 1 ? Scalar(1) : Scalar(0);
  }

  std::int64_t offset = 0, bit = 0;
  PatternWord word = 0;
  for (std::int64_t l = 0; l < shape.layer_count; ++l) {
    const std::int64_t in = shape.sizes[l], rows = shape.sizes[l + 1];
    const Scalar* w = parameters + offset;
    const Scalar* b = w + rows * in;
    offset += rows * (in + 1);

    Scalar sum[columns][width] = {};
    for (std::int64_t k = 0; k < in; ++k) {
      Scalar a[columns];
      POLYLEAK_UNROLL
      for (int c = 0; c < columns; ++c)
        a[c] = c < block ? act[k + c * width] : Scalar(0);
      POLYLEAK_UNROLL
      for (int i = 0; i < width; ++i)
        if (i < rows) {
          const Scalar weight = w[i + k * rows];
          POLYLEAK_UNROLL
          for (int c = 0; c < columns; ++c)
            if (c < block) sum[c][i] += weight * a[c];
        }
    }

    const bool hidden = l + 1 < shape.layer_count;
    POLYLEAK_UNROLL
    for (int i = 0; i < width; ++i)
      if (i < rows) {
        const Scalar z = sum[0][i] + b[i];
        Scalar s = 1;
        if (hidden) {
          const bool positive = z > Scalar(0);
          if (!positive) s = slope;
          if (words != nullptr) {
            word |= PatternWord{positive} << (bit % pattern_word_bits);
            if (bit % pattern_word_bits == pattern_word_bits - 1) {
              words[bit / pattern_word_bits] = word;
              word = 0;
            }
          }
          ++bit;
        }
        act[i] = s * z;  // s is 1 on the output layer and for active neurons: exact
        POLYLEAK_UNROLL
        for (int c = 1; c < columns; ++c)
          if (c < block) act[i + c * width] = s * sum[c][i];
      }
  }
  if (words != nullptr && bit % pattern_word_bits != 0) words[bit / pattern_word_bits] = word;
}

/// Everything one pass over a batch computes with the small-network path, index over the points
/// j of the batch (or of a raster block): the point (column j of `points`, or pixel j of `pixels`
/// when `points` is null), its pattern words (if `words`), its polytope function (if `matrices`;
/// columns start + j of the outputs) and its norms (if norms.frobenius_norm; entry start + j).
/// Called with the parameters staged in shared memory.
template <class Scalar>
struct SmallNetworkPoints {
  SmallNetworkShape shape;
  Scalar slope;
  int block;
  const Scalar* points;
  RasterPixels<Scalar> pixels;
  PatternWord* words;
  std::int64_t words_per_point;
  Scalar* matrices;
  Scalar* biases;
  Scalar* logits;
  NormOutputs<Scalar> norms;
  Scalar tolerance;
  std::int64_t start;

  POLYLEAK_HOST_DEVICE void operator()(std::int64_t j, const Scalar* parameters) const {
    const std::int64_t d = shape.sizes[0], m = shape.sizes[shape.layer_count];
    Scalar x[small_network_width];
    for (std::int64_t c = 0; c < d; ++c)
      x[c] = points != nullptr ? points[c + j * d] : pixels.coordinate(j, c);
    Scalar result[small_network_width * small_network_block];
    small_network_chain(shape, parameters, slope, x, block,
                        words != nullptr ? words + j * words_per_point : nullptr, result);

    const PointMatrixView<Scalar> a{result + small_network_width, 0, small_network_width};
    const PointVectorView<Scalar> z{result, 0};
    if (matrices != nullptr)
      for (std::int64_t r = 0; r < m; ++r)
        write_function_row(a, z, x, 0, r, m, d, start + j, matrices, biases, logits);
    if (norms.frobenius_norm != nullptr)
      norms.write(start + j,
                  point_norms(a, z, x, 0, m, d, static_cast<Scalar*>(nullptr), tolerance));
  }
};

}  // namespace polyleak::detail
