#include <doctest/doctest.h>

#include <unordered_set>

#include "polyleak/geometry.hpp"
#include "test_networks.hpp"

using namespace polyleak;

TEST_CASE("activation pattern bits, flips, strings and Hamming distance") {
  ActivationPattern pattern({3, 70, 2});
  CHECK(pattern.layer_count() == 3);
  CHECK(pattern.size() == 75);
  CHECK(pattern.words().size() == 2);
  CHECK(pattern.layer_offset(2) == 73);
  pattern.set(0, 1, true);
  pattern.flip(1, 69);  // flat bit 72: second word
  pattern.flip(2, 0);
  CHECK(pattern.test(0, 1));
  CHECK_FALSE(pattern.test(0, 0));
  CHECK(pattern.test(1, 69));
  CHECK(pattern.test_flat(72));
  CHECK(pattern.count() == 3);
  CHECK(pattern.to_string(0) == "010");
  CHECK(pattern.to_string(2) == "10");
  CHECK(pattern.to_string() == "010|" + std::string(69, '0') + "1|10");

  const ActivationPattern other = pattern.flipped(1, 5).flipped(0, 1);
  CHECK(hamming_distance(pattern, other) == 2);
  CHECK(other != pattern);
  CHECK(other.flipped(1, 5).flipped(0, 1) == pattern);
  CHECK(std::hash<ActivationPattern>{}(other.flipped(1, 5).flipped(0, 1)) ==
        std::hash<ActivationPattern>{}(pattern));

  // Same bits, different shapes: unequal, and no Hamming distance.
  ActivationPattern reshaped({2, 71, 2});
  CHECK(reshaped.words().size() == 2);
  CHECK(reshaped != ActivationPattern({3, 70, 2}));
  CHECK_THROWS_AS(hamming_distance(reshaped, pattern), InvalidArgument);
  CHECK_THROWS_AS(pattern.test(3, 0), InvalidArgument);
  CHECK_THROWS_AS(pattern.flip(0, 3), InvalidArgument);
  CHECK_THROWS_AS(ActivationPattern({2, -1}), InvalidArgument);
  CHECK(ActivationPattern().size() == 0);
}

TEST_CASE_TEMPLATE("activation patterns of a batch equal Alg. 1 per point", Scalar, float, double) {
  const auto network = test::random_network<Scalar>({3, 40, 30, 4}, 7);
  Rng rng(5);
  const Matrix<Scalar> points = random_uniform<Scalar>(3, 2100, -2, 2, rng);
  const auto patterns = activation_patterns(network, points);
  REQUIRE(patterns.size() == 2100);

  std::unordered_set<ActivationPattern> distinct;
  for (Index j = 0; j < points.cols(); j += 97) {
    // Alg. 1 literally: the output after each layer, bit = output > 0.
    Vector<Scalar> a = points.col(j);
    ActivationPattern expected = ActivationPattern::zeros_for(network);
    for (Index l = 0; l < network.hidden_layer_count(); ++l) {
      const Vector<Scalar> z = network.weights(l) * a + network.biases(l);
      for (Index i = 0; i < z.size(); ++i)
        expected.set(l, i, z(i) > 0);
      a = z.cwiseMax(Scalar(0));
    }
    CHECK(patterns[std::size_t(j)] == expected);
    CHECK(activation_pattern(network, points.col(j)) == expected);
    distinct.insert(expected);
  }
  CHECK(distinct.size() > 5);  // the network is not trivial on this box
  CHECK_THROWS_AS(activation_pattern(network, Vector<Scalar>::Zero(2)), InvalidArgument);
}

TEST_CASE("leaky ReLU pattern uses the sign of the pre-activation") {
  Mlp<double> network({1, 2, 1}, Activation::leaky_relu, 0.2);
  network.weights(0) << 1, -1;
  network.weights(1) << 1, 1;
  Vector<double> x(1);
  x << 0.5;
  CHECK(activation_pattern(network, x).to_string() == "10");
  x << 0.0;  // z = 0 is inactive
  CHECK(activation_pattern(network, x).to_string() == "00");
}
