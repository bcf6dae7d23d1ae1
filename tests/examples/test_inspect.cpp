// Runs polyleak-inspect and checks that its JSON parses and matches the library, and that bad
// arguments and bad files give one line on stderr and exit code 2.

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "polyleak/geometry.hpp"
#include "polyleak/nn/model_file.hpp"
#include "polyleak/nn/safetensors.hpp"

using namespace polyleak;
using Json = nlohmann::json;

namespace {

const std::string safetensors_2d =
    std::string(POLYLEAK_TEST_FIXTURES) + "/safetensors/mlp_2_3_3_2_f64.safetensors";

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
};

std::string read_text(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Runs the program with `arguments` (already quoted for the shell).
Outcome inspect(const std::string& arguments) {
  const auto folder = std::filesystem::temp_directory_path();
  const auto out = folder / ("polyleak_inspect_" + std::to_string(::getpid()) + ".out");
  const auto err = folder / ("polyleak_inspect_" + std::to_string(::getpid()) + ".err");
  const std::string command = std::string("\"") + POLYLEAK_INSPECT_PROGRAM + "\" " + arguments +
                              " >\"" + out.string() + "\" 2>\"" + err.string() + "\"";
  const int raw = std::system(command.c_str());
  Outcome outcome;
  outcome.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  outcome.out = read_text(out);
  outcome.err = read_text(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return outcome;
}

Vector<double> json_vector(const Json& json) {
  const auto values = json.get<std::vector<double>>();
  return Eigen::Map<const Vector<double>>(values.data(), Index(values.size()));
}

Matrix<double> json_matrix(const Json& json) {
  Matrix<double> m(Index(json.size()), Index(json.at(0).size()));
  for (Index i = 0; i < m.rows(); ++i)
    m.row(i) = json_vector(json.at(std::size_t(i))).transpose();
  return m;
}

void check_pattern(const Json& json, const ActivationPattern& pattern) {
  REQUIRE(Index(json.size()) == pattern.layer_count());
  for (Index l = 0; l < pattern.layer_count(); ++l)
    CHECK(json.at(std::size_t(l)).get<std::string>() == pattern.to_string(l));
}

}  // namespace

TEST_CASE("polyleak-inspect region on a PyTorch safetensors model matches the library") {
  const auto network = import_safetensors<double>(safetensors_2d);
  const auto outcome =
      inspect("region --model \"" + safetensors_2d + "\" --point 0.3,-0.2 --box -2,2");
  REQUIRE(outcome.status == 0);
  const Json json = Json::parse(outcome.out);
  Vector<double> point(2);
  point << 0.3, -0.2;
  const PolytopeFunction<double> function(network, point);
  check_pattern(json.at("pattern"), function.pattern());
  CHECK((json_matrix(json.at("A")) - function.matrix()).norm() <= 1e-12);
  CHECK((json_vector(json.at("b")) - function.bias()).norm() <= 1e-12);
  CHECK((json_vector(json.at("logits")) - network.forward(point)).norm() <= 1e-12);
  Index predicted = 0;
  network.forward(point).maxCoeff(&predicted);
  CHECK(json.at("predicted_class").get<Index>() == predicted);

  const Polytope<double> polytope(function, Box<double>::cube(2, -2, 2));
  Index neuron_facets = 0;
  for (const auto& facet : polytope.facets())
    neuron_facets += facet.origin.kind == ConstraintKind::neuron;
  CHECK(Index(json.at("facets").size()) == neuron_facets);
  CHECK(json.at("chebyshev_radius").get<double>() ==
        doctest::Approx(polytope.chebyshev_ball().radius));
  CHECK(json.at("vertices").size() >= 3);
}

TEST_CASE("polyleak-inspect partition and ray on a native model match the library") {
  auto network = Mlp<double>::he_initialized({2, 8, 8, 3}, 4);
  network.biases(0).setConstant(0.3);
  network.biases(1).setConstant(-0.2);
  const auto path =
      std::filesystem::temp_directory_path() / ("polyleak_inspect_" + std::to_string(::getpid()));
  save_model(network, path);

  const auto partition = inspect("partition --model \"" + path.string() + "\" --box -1,1,-1,1");
  REQUIRE(partition.status == 0);
  const Json json = Json::parse(partition.out);
  const Partition2d<double> expected(network, SliceBox<double>{-1, 1, -1, 1});
  CHECK(json.at("region_count").get<Index>() == expected.region_count());
  REQUIRE(json.at("regions").size() == expected.regions().size());
  double area = 0;
  for (std::size_t r = 0; r < expected.regions().size(); ++r) {
    const auto& region = json.at("regions").at(r);
    check_pattern(region.at("pattern"), expected.regions()[r].pattern);
    CHECK((json_matrix(region.at("A")) - expected.regions()[r].slice_jacobian).norm() <= 1e-12);
    area += region.at("area").get<double>();
  }
  CHECK(area == doctest::Approx(4));
  CHECK(json.at("decision_boundary").size() == expected.decision_boundary().size());

  const auto ray = inspect("ray --model \"" + path.string() +
                           "\" --point 0.1,0.2 --direction 1,-0.5 --crossings 5");
  REQUIRE(ray.status == 0);
  const Json rays = Json::parse(ray.out);
  Vector<double> start(2), direction(2);
  start << 0.1, 0.2;
  direction << 1, -0.5;
  RayShooterOptions<double> options;
  options.max_crossings = 5;
  const auto shot = RayShooter<double>(network).shoot(start, direction, options);
  REQUIRE(rays.at("crossings").size() == shot.crossings.size());
  for (std::size_t k = 0; k < shot.crossings.size(); ++k) {
    const auto& crossing = rays.at("crossings").at(k);
    CHECK(crossing.at("distance").get<double>() == doctest::Approx(shot.crossings[k].distance));
    CHECK(crossing.at("neuron").at(0).get<Index>() == shot.crossings[k].layer);
    CHECK(crossing.at("neuron").at(1).get<Index>() == shot.crossings[k].neuron);
    check_pattern(crossing.at("pattern"), shot.crossings[k].pattern);
  }

  // A slice of the same plane gives the same partition.
  const auto sliced = inspect("partition --model \"" + path.string() +
                              "\" --slice \"0,0;1,0;0,1\" --box -1,1,-1,1");
  REQUIRE(sliced.status == 0);
  CHECK(Json::parse(sliced.out).at("region_count").get<Index>() == expected.region_count());
  std::filesystem::remove(path);
}

TEST_CASE("polyleak-inspect rejects bad arguments and bad files with exit code 2") {
  const auto garbage = std::filesystem::temp_directory_path() /
                       ("polyleak_inspect_garbage_" + std::to_string(::getpid()));
  std::ofstream(garbage) << "not a model";
  const std::string model = "--model \"" + safetensors_2d + "\"";
  for (const std::string& arguments :
       {std::string(""), std::string("frobnicate"), "region " + model,
        "region " + model + " --point 1,x", "region " + model + " --point 1,2,3",
        "region " + model + " --point 1,2 --box 2,1", "region " + model + " --point 1,nan",
        "partition " + model + " --box 0,1,0", "partition " + model + " --box 1,0,0,1",
        "partition " + model + " --box 0,1,0,1 --slice \"0,0;1,0\"",
        "ray " + model + " --point 0,0 --direction 0,0",
        "ray " + model + " --point 0,0 --direction 1,0 --crossings -1",
        "ray " + model + " --point 0,0 --direction 1,0 --max-distance -2",
        "region --model \"" + std::string(POLYLEAK_TEST_FIXTURES) +
            "/safetensors/make_fixtures.py\" --point 1,2",
        std::string("region --model no/such/file --point 1,2"),
        "region --model \"" + garbage.string() + "\" --point 1,2"}) {
    CAPTURE(arguments);
    const auto outcome = inspect(arguments);
    CHECK(outcome.status == 2);
    CHECK(outcome.out.empty());
    CHECK(!outcome.err.empty());
    CHECK(outcome.err.find('\n') == outcome.err.size() - 1);
  }
  std::filesystem::remove(garbage);

  // A point outside the box has no region within it.
  const auto outside = inspect("region " + model + " --point 5,5 --box 0,1");
  CHECK(outside.status == 2);
  CHECK(outside.out.empty());
  CHECK(outside.err.find("outside the box") != std::string::npos);
  // A box whose width overflows: the library's InvalidArgument, not regions of area null.
  const auto huge = inspect("partition " + model + " --box -1e308,1e308,-1e308,1e308");
  CHECK(huge.status == 2);
  CHECK(huge.out.empty());
  CHECK(huge.err.find("not finite") != std::string::npos);

  // A folder as the model: an IoError naming it, not std::bad_alloc.
  const std::string folder = std::filesystem::temp_directory_path().string();
  const auto outcome = inspect("region --model \"" + folder + "\" --point 1,2");
  CHECK(outcome.status == 2);
  CHECK(outcome.err.find(folder + " is not a regular file") != std::string::npos);
}
