// A network exported by PyTorch itself (tests/fixtures/safetensors/export_pytorch.py) imports to
// the logits PyTorch computed.

#include <doctest/doctest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "polyleak/nn.hpp"

using namespace polyleak;

TEST_CASE_TEMPLATE("a PyTorch export imports to PyTorch's logits", Scalar, float, double) {
  const std::string folder = std::string(POLYLEAK_TEST_FIXTURES) + "/safetensors/";
  const auto network = import_safetensors<Scalar>(folder + "pytorch_2_16_16_3.safetensors");
  CHECK(network.layer_sizes() == std::vector<Index>{2, 16, 16, 3});

  std::ifstream file(folder + "pytorch_expected_outputs.json");
  const auto expected = nlohmann::json::parse(file);
  const auto& inputs = expected.at("inputs");
  const auto& outputs = expected.at("outputs");
  REQUIRE(inputs.size() == outputs.size());
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    Vector<Scalar> x(2);
    x << inputs[k][0].get<Scalar>(), inputs[k][1].get<Scalar>();
    const Vector<Scalar> logits = network.forward(x);
    REQUIRE(logits.size() == 3);
    for (Index i = 0; i < 3; ++i)
      // PyTorch computed in float32: agreement to float rounding of a few products.
      CHECK(double(logits(i)) ==
            doctest::Approx(outputs[k][std::size_t(i)].get<double>()).epsilon(1e-5).scale(1.0));
  }
}
