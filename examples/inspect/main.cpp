// polyleak-inspect: prints, as JSON on stdout, the activation region of a point, the exact
// partition of a 2-D box or plane slice, the region boundaries along a ray, or the exact distance
// to the decision boundary, for a network read from polyleak's native format or a PyTorch
// safetensors state dict.
//
// Bad arguments and bad files: one line on stderr and exit code 2.

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "polyleak/geometry.hpp"
#include "polyleak/nn/model_file.hpp"
#include "polyleak/nn/safetensors.hpp"

namespace {

using polyleak::Index;
using Json = nlohmann::json;
using Vector = polyleak::Vector<double>;
using Matrix = polyleak::Matrix<double>;

/// An error in the command line (as opposed to one in a file), reported like the others.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Numbers separated by `separator`, all finite; `option` names the option in messages.
std::vector<double> parse_numbers(const std::string& text, const std::string& option,
                                  char separator = ',') {
  std::vector<double> numbers;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, separator)) {
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(item.c_str(), &end);
    while (end && (*end == ' ' || *end == '\t'))
      ++end;
    if (item.empty() || end == item.c_str() || *end != '\0' || errno == ERANGE ||
        !std::isfinite(value))
      throw UsageError(option + ": \"" + item + "\" is not a finite number (in \"" + text + "\")");
    numbers.push_back(value);
  }
  if (numbers.empty() || (!text.empty() && text.back() == separator))
    throw UsageError(option + ": expected numbers separated by '" + std::string(1, separator) +
                     "', got \"" + text + "\"");
  return numbers;
}

Vector parse_vector(const std::string& text, const std::string& option, Index dimension) {
  const auto numbers = parse_numbers(text, option);
  if (Index(numbers.size()) != dimension)
    throw UsageError(option + " has " + std::to_string(numbers.size()) +
                     " coordinates, the network expects " + std::to_string(dimension));
  return Eigen::Map<const Vector>(numbers.data(), dimension);
}

polyleak::Mlp<double> widen(const polyleak::Mlp<float>& narrow) {
  polyleak::Mlp<double> network(narrow.layer_sizes(), narrow.activation(),
                                double(narrow.negative_slope()));
  for (Index l = 0; l < narrow.layer_count(); ++l) {
    network.weights(l) = narrow.weights(l).cast<double>();
    network.biases(l) = narrow.biases(l).cast<double>();
  }
  return network;
}

// A native model file (recognised by its magic, float64 or float32) or a safetensors state dict.
polyleak::Mlp<double> read_network(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw polyleak::IoError(path + ": cannot open the model file");
  std::string magic(8, '\0');
  file.read(magic.data(), 8);
  if (magic != std::string("PLKMLP\r\n", 8)) return polyleak::import_safetensors<double>(path);
  try {
    return polyleak::load_model<double>(path);
  } catch (const polyleak::FormatError&) {
    // A float32 model file: load it as such (the float64 error stands if that fails too).
    try {
      return widen(polyleak::load_model<float>(path));
    } catch (const polyleak::FormatError&) {
    }
    throw;
  }
}

Json to_json(const Vector& v) {
  return Json(std::vector<double>(v.data(), v.data() + v.size()));
}

Json to_json(const Matrix& m) {
  Json rows = Json::array();
  for (Index i = 0; i < m.rows(); ++i)
    rows.push_back(to_json(Vector(m.row(i).transpose())));
  return rows;
}

Json pattern_json(const polyleak::ActivationPattern& pattern) {
  Json layers = Json::array();
  for (Index l = 0; l < pattern.layer_count(); ++l)
    layers.push_back(pattern.to_string(l));
  return layers;
}

Json points_json(const std::vector<polyleak::Point2<double>>& points) {
  Json result = Json::array();
  for (const auto& p : points)
    result.push_back({p.x(), p.y()});
  return result;
}

Index arg_max(const Vector& v) {
  Index best = 0;
  v.maxCoeff(&best);
  return best;
}

Json region_command(const polyleak::Mlp<double>& network, const std::string& point_text,
                    const std::string& box_text) {
  const Vector point = parse_vector(point_text, "--point", network.input_dimension());
  std::optional<polyleak::Box<double>> box;
  if (!box_text.empty()) {
    const auto bounds = parse_numbers(box_text, "--box");
    if (bounds.size() != 2 || !(bounds[0] < bounds[1]))
      throw UsageError("--box for region expects lo,hi with lo < hi, got \"" + box_text + "\"");
    box = polyleak::Box<double>::cube(network.input_dimension(), bounds[0], bounds[1]);
  }

  const polyleak::PolytopeFunction<double> function(network, point);
  const polyleak::Polytope<double> polytope(function, box);
  // Outside the box the region within it is empty: no ball, facets or vertices to report.
  if (box && !polytope.contains(point))
    throw UsageError("--point \"" + point_text + "\" lies outside the box --box \"" + box_text +
                     "\" (the cube [lo, hi]^" + std::to_string(network.input_dimension()) + ")");
  const Vector logits = network.forward(point);
  Json result{{"pattern", pattern_json(function.pattern())},
              {"A", to_json(function.matrix())},
              {"b", to_json(function.bias())},
              {"logits", to_json(logits)},
              {"predicted_class", arg_max(logits)}};
  Json facets = Json::array();
  for (const auto& facet : polytope.facets())
    if (facet.origin.kind == polyleak::ConstraintKind::neuron)
      facets.push_back({facet.origin.layer, facet.origin.index});
  result["facets"] = facets;
  if (box) {
    const auto ball = polytope.chebyshev_ball();
    result["chebyshev_centre"] = to_json(ball.centre);
    result["chebyshev_radius"] = ball.radius;
    if (network.input_dimension() == 2) {
      const auto polygon = polytope.polygon();
      Json vertices = Json::array();
      for (Index k = 0; k < polygon.vertices.cols(); ++k)
        vertices.push_back({polygon.vertices(0, k), polygon.vertices(1, k)});
      result["vertices"] = vertices;
    }
  }
  return result;
}

Json partition_command(const polyleak::Mlp<double>& network, const std::string& box_text,
                       const std::string& slice_text) {
  const auto bounds = parse_numbers(box_text, "--box");
  if (bounds.size() != 4)
    throw UsageError("--box for partition expects x0,x1,y0,y1 (or s0,s1,t0,t1), got \"" + box_text +
                     "\"");
  const polyleak::SliceBox<double> box{bounds[0], bounds[1], bounds[2], bounds[3]};
  polyleak::PlaneSlice<double> slice;
  if (slice_text.empty()) {
    if (network.input_dimension() != 2)
      throw UsageError("the network has input dimension " +
                       std::to_string(network.input_dimension()) +
                       "; partition needs --slice \"o;u;v\" unless it is 2");
    slice = polyleak::PlaneSlice<double>::input_plane();
  } else {
    std::vector<std::string> parts;
    std::stringstream stream(slice_text);
    std::string part;
    while (std::getline(stream, part, ';'))
      parts.push_back(part);
    if (parts.size() != 3)
      throw UsageError("--slice expects three vectors \"o;u;v\", got \"" + slice_text + "\"");
    const Index d = network.input_dimension();
    slice = {parse_vector(parts[0], "--slice origin", d),
             parse_vector(parts[1], "--slice first direction", d),
             parse_vector(parts[2], "--slice second direction", d)};
  }

  const polyleak::Partition2d<double> partition(network, slice, box);
  Json regions = Json::array();
  for (const auto& region : partition.regions())
    regions.push_back({{"pattern", pattern_json(region.pattern)},
                       {"vertices", points_json(region.vertices)},
                       {"area", region.area},
                       {"A", to_json(region.slice_jacobian)},
                       {"b", to_json(region.slice_bias)}});
  Json adjacency = Json::array();
  for (const auto& a : partition.adjacency())
    adjacency.push_back({{"regions", {a.first_region, a.second_region}},
                         {"neuron", {a.layer, a.neuron}},
                         {"edge", points_json({a.from, a.to})}});
  Json boundary = Json::array();
  for (const auto& segment : partition.decision_boundary())
    boundary.push_back({{"segment", points_json({segment.from, segment.to})},
                        {"region", segment.region},
                        {"classes", {segment.first_class, segment.second_class}}});
  return {{"coordinates", slice_text.empty() ? "input" : "slice"},
          {"region_count", partition.region_count()},
          {"regions", regions},
          {"adjacency", adjacency},
          {"decision_boundary", boundary}};
}

Json ray_command(const polyleak::Mlp<double>& network, const std::string& point_text,
                 const std::string& direction_text, Index crossings, double max_distance) {
  const Index d = network.input_dimension();
  const Vector point = parse_vector(point_text, "--point", d);
  const Vector direction = parse_vector(direction_text, "--direction", d);
  if (!(direction.norm() > 0)) throw UsageError("--direction must not be zero");
  if (crossings < 0) throw UsageError("--crossings must be >= 0, got " + std::to_string(crossings));
  if (!(max_distance >= 0))
    throw UsageError("--max-distance must be >= 0, got " + std::to_string(max_distance));
  polyleak::RayShooterOptions<double> options;
  options.max_crossings = crossings;
  options.max_distance = max_distance;
  const polyleak::RayShooter<double> shooter(network);
  const auto path = shooter.shoot(point, direction, options);
  Json list = Json::array();
  for (const auto& c : path.crossings)
    list.push_back({{"distance", c.distance},
                    {"point", to_json(c.point)},
                    {"neuron", {c.layer, c.neuron}},
                    {"normal", to_json(c.normal)},
                    {"pattern", pattern_json(c.pattern)},
                    {"predicted_class", c.predicted_class},
                    {"frobenius_norm", c.norms->frobenius_norm},
                    {"spectral_norm", c.norms->spectral_norm},
                    {"bias_max_norm", c.norms->bias_max_norm}});
  return {{"start_pattern", pattern_json(path.start_pattern)},
          {"start_class", path.start_class},
          {"crossings", list}};
}

Json boundary_command(const polyleak::Mlp<double>& network, const std::string& point_text,
                      const std::string& norm, Index budget) {
  const Vector point = parse_vector(point_text, "--point", network.input_dimension());
  if (norm != "l2" && norm != "linf")
    throw UsageError("--norm expects l2 or linf, got \"" + norm + "\"");
  if (budget < 0) throw UsageError("--budget must be >= 0, got " + std::to_string(budget));
  polyleak::BoundaryDistanceOptions<double> options;
  options.norm = norm == "l2" ? polyleak::DistanceNorm::l2 : polyleak::DistanceNorm::linf;
  options.region_budget = budget;
  const auto result = polyleak::boundary_distance(network, point, options);
  const auto bound = [](double value) {
    return std::isfinite(value) ? Json(value) : Json(nullptr);  // JSON has no infinity
  };
  return {{"norm", norm},
          {"distance", bound(result.distance)},
          {"lower_bound", bound(result.lower_bound)},
          {"upper_bound", bound(result.upper_bound)},
          {"certified", result.certified},
          {"boundary_point",
           result.boundary_point.size() > 0 ? to_json(result.boundary_point) : Json(nullptr)},
          {"original_class", result.original_class},
          {"boundary_class", result.boundary_class},
          {"regions_visited", result.regions_visited},
          {"regions_evaluated", result.regions_evaluated}};
}

int run(int argc, char** argv) {
  CLI::App app{
      "polyleak-inspect: activation regions, partitions and rays of a ReLU network, "
      "as JSON on stdout"};
  app.require_subcommand(1);
  std::string model;
  std::string point;
  std::string box;
  std::string slice;
  std::string direction;
  Index crossings = 100;
  double max_distance = std::numeric_limits<double>::infinity();
  std::string norm = "l2";
  Index budget = 0;

  auto* region = app.add_subcommand("region", "the activation region of a point");
  region->add_option("--model", model, "native model file or PyTorch .safetensors")->required();
  region->add_option("--point", point, "x1,...,xd")->required();
  region->add_option("--box", box, "lo,hi: intersect with the cube [lo, hi]^d");

  auto* partition = app.add_subcommand("partition", "the exact partition of a 2-D box");
  partition->add_option("--model", model, "native model file or PyTorch .safetensors")->required();
  partition->add_option("--box", box, "x0,x1,y0,y1 (slice coordinates with --slice)")->required();
  partition->add_option("--slice", slice, "\"o;u;v\": the plane o + s u + t v");

  auto* ray = app.add_subcommand("ray", "the region boundaries along a ray");
  ray->add_option("--model", model, "native model file or PyTorch .safetensors")->required();
  ray->add_option("--point", point, "start x1,...,xd")->required();
  ray->add_option("--direction", direction, "u1,...,ud")->required();
  ray->add_option("--crossings", crossings, "at most this many crossings (default 100)");
  ray->add_option("--max-distance", max_distance, "stop beyond this distance (default: none)");

  auto* boundary = app.add_subcommand("boundary", "the exact distance to the decision boundary");
  boundary->add_option("--model", model, "native model file or PyTorch .safetensors")->required();
  boundary->add_option("--point", point, "x1,...,xd")->required();
  boundary->add_option("--norm", norm, "l2 or linf (default l2)");
  boundary->add_option("--budget", budget, "regions to solve at most; 0: no limit (default)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    for (char& c : message)
      if (c == '\n') c = ' ';
    std::cerr << "polyleak-inspect: " << message << " (run with --help for usage)\n";
    return 2;
  }

  const auto network = read_network(model);
  Json result;
  if (region->parsed())
    result = region_command(network, point, box);
  else if (partition->parsed())
    result = partition_command(network, box, slice);
  else if (boundary->parsed())
    result = boundary_command(network, point, norm, budget);
  else
    result = ray_command(network, point, direction, crossings, max_distance);
  std::cout << result.dump(1) << '\n';
  return std::cout.good() ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::string message = e.what();
    for (char& c : message)
      if (c == '\n') c = ' ';
    std::cerr << "polyleak-inspect: error: " << message << '\n';
  } catch (...) {
    std::cerr << "polyleak-inspect: error: unknown exception\n";
  }
  return 2;
}
