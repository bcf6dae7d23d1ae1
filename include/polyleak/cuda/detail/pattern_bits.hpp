#pragma once
// Packed activation-pattern words, one 64-bit word at a time, shared by kernels and host: the
// bits a layer contributes to a word, and equality and order of two packed patterns.

#include <cstdint>

#include "polyleak/cuda/detail/host_device.hpp"

namespace polyleak::detail {

/// One word of a packed pattern, as ActivationPattern::Word.
using PatternWord = std::uint64_t;
inline constexpr std::int64_t pattern_word_bits = 64;

/// The bits that hidden-layer neurons offset .. offset + rows - 1 contribute to word `word` of a
/// pattern in the layout of ActivationPattern (flat bit k in word k / 64 at position k % 64):
/// bit k is set iff z[k - offset] > 0. `z` holds the layer's pre-activations of one point.
/// Returns 0 for a word the layer does not touch. Cost O(64).
template <class Scalar>
POLYLEAK_HOST_DEVICE PatternWord layer_pattern_word(const Scalar* z, std::int64_t rows,
                                                    std::int64_t offset, std::int64_t word) {
  const std::int64_t begin = word * pattern_word_bits;
  const std::int64_t first = begin > offset ? begin : offset;
  const std::int64_t end =
      begin + pattern_word_bits < offset + rows ? begin + pattern_word_bits : offset + rows;
  PatternWord bits = 0;
  for (std::int64_t k = first; k < end; ++k)
    if (z[k - offset] > Scalar(0)) bits |= PatternWord{1} << (k - begin);
  return bits;
}

/// Whether the packed patterns `a` and `b` (`words` words each) are equal. Cost O(words).
POLYLEAK_HOST_DEVICE inline bool same_pattern_words(const PatternWord* a, const PatternWord* b,
                                                    std::int64_t words) {
  for (std::int64_t w = 0; w < words; ++w)
    if (a[w] != b[w]) return false;
  return true;
}

/// Whether packed pattern `a` comes before `b` in the order of their words (word 0 first), a
/// strict weak order in which equal patterns are equivalent. Cost O(words).
POLYLEAK_HOST_DEVICE inline bool pattern_words_less(const PatternWord* a, const PatternWord* b,
                                                    std::int64_t words) {
  for (std::int64_t w = 0; w < words; ++w)
    if (a[w] != b[w]) return a[w] < b[w];
  return false;
}

}  // namespace polyleak::detail
