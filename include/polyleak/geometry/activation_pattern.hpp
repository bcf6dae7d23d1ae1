#pragma once
// ActivationPattern: one bit per hidden neuron of a network, bit = (pre-activation > 0) (Alg. 1).

#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "polyleak/core/backend.hpp"
#include "polyleak/core/check.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// The activation pattern of a point: bit (l, i) is 1 iff hidden neuron i of hidden layer l has a
/// positive pre-activation `z_{l,i}(x) > 0` (for leaky ReLU as well). Two points share an
/// activation region P iff they have equal patterns.
///
/// Storage: the bits of all hidden layers, layer after layer, packed into 64-bit words (bit k of
/// the flat index lives in word k / 64 at position k % 64); a shared, immutable table of layer
/// offsets gives the per-layer view. Copies share that table, so a pattern costs one word vector.
/// Equality, hashing and Hamming distance work word by word. Patterns of different layer shapes
/// are unequal; the Hamming distance requires equal shapes. Not thread-safe for concurrent
/// mutation; concurrent reads are safe.
class ActivationPattern {
 public:
  using Word = std::uint64_t;
  static constexpr Index word_bits = 64;

  /// An empty pattern (no hidden layers).
  ActivationPattern() : offsets_(empty_offsets()) {}

  /// All-zero pattern for hidden layers of the given widths. Throws InvalidArgument for a
  /// negative width.
  explicit ActivationPattern(const std::vector<Index>& layer_widths) {
    auto offsets = std::make_shared<std::vector<Index>>(1, Index{0});
    for (std::size_t l = 0; l < layer_widths.size(); ++l) {
      POLYLEAK_REQUIRE(layer_widths[l] >= 0, "layer " + std::to_string(l) + " has width " +
                                                 std::to_string(layer_widths[l]) +
                                                 ", expected a width >= 0");
      offsets->push_back(offsets->back() + layer_widths[l]);
    }
    offsets_ = std::move(offsets);
    words_.assign(std::size_t((size() + word_bits - 1) / word_bits), Word{0});
  }

  /// All-zero pattern shaped like the hidden layers of `network`.
  template <RealScalar Scalar>
  static ActivationPattern zeros_for(const Mlp<Scalar>& network) {
    const auto& sizes = network.layer_sizes();
    return ActivationPattern(std::vector<Index>(sizes.begin() + 1, sizes.end() - 1));
  }

  /// Number of hidden layers.
  Index layer_count() const noexcept { return Index(offsets_->size()) - 1; }
  /// Number of neurons of hidden layer `layer`.
  Index layer_width(Index layer) const {
    check_layer(layer);
    return (*offsets_)[std::size_t(layer) + 1] - (*offsets_)[std::size_t(layer)];
  }
  /// Flat index of neuron (layer, 0).
  Index layer_offset(Index layer) const {
    check_layer(layer);
    return (*offsets_)[std::size_t(layer)];
  }
  /// The widths of all hidden layers.
  std::vector<Index> layer_widths() const {
    std::vector<Index> widths;
    for (Index l = 0; l < layer_count(); ++l)
      widths.push_back(layer_width(l));
    return widths;
  }
  /// Total number of bits (hidden neurons).
  Index size() const noexcept { return offsets_->back(); }

  /// Bit of neuron `neuron` of hidden layer `layer`. Throws InvalidArgument when out of range.
  bool test(Index layer, Index neuron) const { return test_flat(flat_index(layer, neuron)); }
  /// Bit with flat index `k` (layers concatenated). Unchecked.
  bool test_flat(Index k) const noexcept {
    return (words_[std::size_t(k / word_bits)] >> (k % word_bits)) & Word{1};
  }
  /// Sets bit (layer, neuron) to `value`.
  void set(Index layer, Index neuron, bool value) { set_flat(flat_index(layer, neuron), value); }
  /// Sets the bit with flat index `k`. Unchecked.
  void set_flat(Index k, bool value) noexcept {
    const Word mask = Word{1} << (k % word_bits);
    Word& word = words_[std::size_t(k / word_bits)];
    word = value ? (word | mask) : (word & ~mask);
  }
  /// Flips bit (layer, neuron): the pattern of the neighbouring region across that neuron's
  /// hyperplane.
  void flip(Index layer, Index neuron) {
    const Index k = flat_index(layer, neuron);
    words_[std::size_t(k / word_bits)] ^= Word{1} << (k % word_bits);
  }
  /// A copy with bit (layer, neuron) flipped.
  ActivationPattern flipped(Index layer, Index neuron) const {
    ActivationPattern copy = *this;
    copy.flip(layer, neuron);
    return copy;
  }

  /// Number of active neurons (set bits).
  Index count() const noexcept {
    Index n = 0;
    for (Word w : words_)
      n += std::popcount(w);
    return n;
  }

  /// Bits of one hidden layer as a string of '0' and '1', neuron 0 first.
  std::string to_string(Index layer) const {
    std::string bits(std::size_t(layer_width(layer)), '0');
    const Index offset = layer_offset(layer);
    for (std::size_t i = 0; i < bits.size(); ++i)
      if (test_flat(offset + Index(i))) bits[i] = '1';
    return bits;
  }
  /// Bits of all hidden layers, layers separated by '|'.
  std::string to_string() const {
    std::string text;
    for (Index l = 0; l < layer_count(); ++l) {
      if (l > 0) text += '|';
      text += to_string(l);
    }
    return text;
  }

  /// The packed words (padding bits above size() are zero).
  const std::vector<Word>& words() const noexcept { return words_; }

  /// Hash of the bits (not of the shape), for unordered containers.
  std::size_t hash() const noexcept {
    // splitmix64 finaliser over the words, chained.
    std::uint64_t h = std::uint64_t(size());
    for (Word w : words_) {
      h = (h ^ w) + 0x9e3779b97f4a7c15ull;
      h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
      h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
      h ^= h >> 31;
    }
    return std::size_t(h);
  }

  friend bool operator==(const ActivationPattern& a, const ActivationPattern& b) {
    return a.words_ == b.words_ && (a.offsets_ == b.offsets_ || *a.offsets_ == *b.offsets_);
  }

  /// Number of neurons whose bits differ. Throws InvalidArgument for different layer shapes.
  friend Index hamming_distance(const ActivationPattern& a, const ActivationPattern& b) {
    POLYLEAK_REQUIRE(a.offsets_ == b.offsets_ || *a.offsets_ == *b.offsets_,
                     "patterns have different layer shapes (" + std::to_string(a.size()) + " and " +
                         std::to_string(b.size()) + " bits)");
    Index n = 0;
    for (std::size_t k = 0; k < a.words_.size(); ++k)
      n += std::popcount(a.words_[k] ^ b.words_[k]);
    return n;
  }

 private:
  static const std::shared_ptr<const std::vector<Index>>& empty_offsets() {
    static const auto offsets = std::make_shared<const std::vector<Index>>(1, Index{0});
    return offsets;
  }

  void check_layer(Index layer) const {
    POLYLEAK_REQUIRE(layer >= 0 && layer < layer_count(), "hidden layer " + std::to_string(layer) +
                                                              " out of range [0, " +
                                                              std::to_string(layer_count()) + ")");
  }
  Index flat_index(Index layer, Index neuron) const {
    POLYLEAK_REQUIRE(neuron >= 0 && neuron < layer_width(layer),
                     "neuron " + std::to_string(neuron) + " out of range [0, " +
                         std::to_string(layer_width(layer)) + ") of hidden layer " +
                         std::to_string(layer));
    return layer_offset(layer) + neuron;
  }

  std::shared_ptr<const std::vector<Index>> offsets_;
  std::vector<Word> words_;
};

namespace detail {

/// Chunk of points processed at once by batched geometry passes: keeps the per-layer matrices
/// of a chunk in cache without making the matrix products narrow.
inline constexpr Index geometry_chunk_points = 1024;

/// Sets the bits of hidden layer `layer` of `pattern` from the pre-activation column `z`.
template <class Derived>
void set_layer_bits(ActivationPattern& pattern, Index layer, const Eigen::MatrixBase<Derived>& z) {
  const Index offset = pattern.layer_offset(layer);
  for (Index i = 0; i < z.size(); ++i)
    pattern.set_flat(offset + i, z(i) > typename Derived::Scalar(0));
}

}  // namespace detail

/// The activation patterns of a batch packed into words: column j holds the words of point j's
/// pattern in the layout of ActivationPattern::words(), so two points share an activation region
/// iff their columns are equal. Comparing columns needs no allocation, which makes this the form
/// for per-pixel region tests; pattern() unpacks one point's pattern. Filled by
/// polytope_norms(network, points, norms, workspace, patterns) from its masked pass.
struct ActivationPatternBatch {
  /// words_per_point x n, padding bits above the pattern size zero.
  Eigen::Matrix<ActivationPattern::Word, Eigen::Dynamic, Eigen::Dynamic> words;
  /// The all-zero pattern of the network's hidden-layer shape (shared by unpacked patterns).
  ActivationPattern zeros;

  Index size() const noexcept { return words.cols(); }

  /// Whether points i and j have the same pattern. Unchecked indices; cost O(words_per_point).
  bool same_pattern(Index i, Index j) const { return words.col(i) == words.col(j); }

  /// The pattern of point j, sharing the layer-offset table of `zeros`. Throws InvalidArgument
  /// for j outside [0, size()). Cost O(pattern bits).
  ActivationPattern pattern(Index j) const {
    POLYLEAK_REQUIRE(j >= 0 && j < size(), "ActivationPatternBatch::pattern: point " +
                                               std::to_string(j) + " out of range [0, " +
                                               std::to_string(size()) + ")");
    ActivationPattern result = zeros;
    for (Index k = 0; k < result.size(); ++k)
      result.set_flat(
          k, (words(k / ActivationPattern::word_bits, j) >> (k % ActivationPattern::word_bits)) &
                 ActivationPattern::Word{1});
    return result;
  }
};

/// Activation patterns of a batch (input_dimension() x n, one point per column), Alg. 1 for all
/// points at once: one matrix product per layer, in chunks of detail::geometry_chunk_points
/// points. All returned patterns share one layer-offset table.
/// @tparam Scalar float or double.
/// Throws InvalidArgument for a wrong row count. Cost: one forward pass. Deterministic.
template <RealScalar Scalar>
std::vector<ActivationPattern> activation_patterns(
    const Mlp<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points) {
  const ActivationPattern zeros = ActivationPattern::zeros_for(network);
  std::vector<ActivationPattern> patterns(std::size_t(points.cols()), zeros);
  for (Index start = 0; start < points.cols(); start += detail::geometry_chunk_points) {
    const Index count = std::min(detail::geometry_chunk_points, points.cols() - start);
    const auto z = network.pre_activations(points.middleCols(start, count));
    for (Index l = 0; l < network.hidden_layer_count(); ++l)
      for (Index j = 0; j < count; ++j)
        detail::set_layer_bits(patterns[std::size_t(start + j)], l, z[std::size_t(l)].col(j));
  }
  return patterns;
}

/// The activation patterns of a batch packed into an ActivationPatternBatch, on the CPU: the
/// patterns of activation_patterns(network, points), packed. The CUDA overload (taking
/// CudaBackend, in polyleak/cuda.cuh) returns the same batch, so code templated on a Backend
/// switches with the tag.
/// @tparam Scalar float or double.
/// Throws InvalidArgument for a wrong row count. Cost: one forward pass and O(n) words.
/// Deterministic.
template <RealScalar Scalar>
ActivationPatternBatch activation_patterns(
    CpuBackend, const Mlp<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Matrix<Scalar>>>& points) {
  const std::vector<ActivationPattern> patterns = activation_patterns(network, points);
  ActivationPatternBatch batch;
  batch.zeros = ActivationPattern::zeros_for(network);
  batch.words.resize(Index(batch.zeros.words().size()), points.cols());
  for (Index j = 0; j < points.cols(); ++j)
    for (Index w = 0; w < batch.words.rows(); ++w)
      batch.words(w, j) = patterns[std::size_t(j)].words()[std::size_t(w)];
  return batch;
}

/// The number of distinct activation patterns (activation regions) among the points of a batch,
/// on the CPU, by sorting the packed columns.
/// Cost O(n log n) column comparisons of O(words per point) each. Deterministic.
inline Index distinct_pattern_count(CpuBackend, const ActivationPatternBatch& patterns) {
  const auto& words = patterns.words;
  std::vector<Index> order(std::size_t(patterns.size()));
  std::iota(order.begin(), order.end(), Index{0});
  auto less = [&words](Index a, Index b) {
    for (Index w = 0; w < words.rows(); ++w)
      if (words(w, a) != words(w, b)) return words(w, a) < words(w, b);
    return false;
  };
  std::sort(order.begin(), order.end(), less);
  Index count = 0;
  for (std::size_t k = 0; k < order.size(); ++k)
    count += k == 0 || less(order[k - 1], order[k]);
  return count;
}

/// Activation pattern of one point (Alg. 1). Throws InvalidArgument for a wrong length.
/// @tparam Scalar float or double. Cost: one forward pass.
template <RealScalar Scalar>
ActivationPattern activation_pattern(
    const Mlp<Scalar>& network,
    const std::type_identity_t<Eigen::Ref<const Vector<Scalar>>>& point) {
  POLYLEAK_REQUIRE(point.size() == network.input_dimension(),
                   "point has " + std::to_string(point.size()) + " coordinates, network expects " +
                       std::to_string(network.input_dimension()));
  return activation_patterns<Scalar>(network, Matrix<Scalar>(point)).front();
}

}  // namespace polyleak

/// Hashes an ActivationPattern by its bits, so it can key unordered containers.
template <>
struct std::hash<polyleak::ActivationPattern> {
  std::size_t operator()(const polyleak::ActivationPattern& pattern) const noexcept {
    return pattern.hash();
  }
};
