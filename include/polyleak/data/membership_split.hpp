#pragma once
// Disjoint target/shadow splits for membership inference (Salem et al. 2019, adversary 1).

#include <cstdint>
#include <string>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/random.hpp"
#include "polyleak/data/dataset.hpp"

namespace polyleak {

/// Sizes of the four parts of a membership split; each must be >= 0 and their sum at most the
/// size of the data set that is split.
struct MembershipSplitSizes {
  Index target_train = 0;
  Index target_test = 0;
  Index shadow_train = 0;
  Index shadow_test = 0;
};

/// The four disjoint parts of a membership split: the target model is trained on target_train
/// (its members) and target_test holds non-members of the same distribution; the attacker trains
/// a shadow model on shadow_train and uses shadow_test as its known non-members.
/// @tparam Scalar float or double.
template <RealScalar Scalar>
struct MembershipSplit {
  Dataset<Scalar> target_train;
  Dataset<Scalar> target_test;
  Dataset<Scalar> shadow_train;
  Dataset<Scalar> shadow_test;
};

/// Splits `data` into four disjoint parts of the given sizes: the points are put in a seeded
/// random order (random_permutation with Rng(seed)) and the parts take consecutive blocks of it in
/// the order target_train, target_test, shadow_train, shadow_test. Points left over belong to no
/// part. Same seed, same data: same split (on the same standard library). Throws InvalidArgument
/// for a negative size, sizes whose sum exceeds data.size(), or an invalid data set.
/// Cost O(n + dimension * sum of sizes).
template <RealScalar Scalar>
MembershipSplit<Scalar> split_for_membership(const Dataset<Scalar>& data,
                                             const MembershipSplitSizes& sizes,
                                             std::uint64_t seed) {
  const Index parts[] = {sizes.target_train, sizes.target_test, sizes.shadow_train,
                         sizes.shadow_test};
  Index total = 0;
  for (const Index part : parts) {
    POLYLEAK_REQUIRE(part >= 0, "split size " + std::to_string(part) + ", expected >= 0");
    total += part;
  }
  POLYLEAK_REQUIRE(total <= data.size(), "split sizes sum to " + std::to_string(total) +
                                             " but the data set has only " +
                                             std::to_string(data.size()) + " points");

  Rng rng(seed);
  const std::vector<Index> order = random_permutation(data.size(), rng);
  auto next_block = [&, begin = std::size_t{0}](Index count) mutable {
    std::vector<Index> block(order.begin() + std::ptrdiff_t(begin),
                             order.begin() + std::ptrdiff_t(begin + std::size_t(count)));
    begin += std::size_t(count);
    return data.subset(block);
  };
  MembershipSplit<Scalar> split;
  split.target_train = next_block(sizes.target_train);
  split.target_test = next_block(sizes.target_test);
  split.shadow_train = next_block(sizes.shadow_train);
  split.shadow_test = next_block(sizes.shadow_test);
  return split;
}

}  // namespace polyleak
