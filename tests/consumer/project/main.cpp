// Uses polyleak from outside: a network's forward pass on a dataset's points.
#include <iostream>

#include <polyleak/data.hpp>
#include <polyleak/nn.hpp>

int main() {
  polyleak::Dataset<float> data;
  data.features = polyleak::Matrix<float>::Ones(3, 4);
  data.labels = {0, 1, 0, 1};
  data.class_count = 2;
  auto network = polyleak::Mlp<float>::he_initialized({3, 5, 2}, 1);
  const auto logits = network.forward_batch(data.features);
  if (logits.rows() != 2 || logits.cols() != data.size()) return 1;
  std::cout << "consumer ok: " << logits.cols() << " points\n";
  return 0;
}
