// polyleak-visualize: trains a 2-25-25-25-25-2 network on Clusters2D (or loads one) and writes
// pictures of what it learned: the exact activation regions (thesis Fig. 7: overview and zoomed
// views, PNG and SVG), four raster maps (Fig. 8: decision regions, output norm, weight norm, bias
// norm) and an animation of the weight norm over training (Fig. 9, GIF).
//
// Exit codes: 0 success, 2 bad arguments, 1 any other failure.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "polyleak/data.hpp"
#include "polyleak/nn.hpp"
#include "polyleak/viz.hpp"

namespace fs = std::filesystem;
using namespace polyleak;
using Scalar = double;

namespace {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Settings {
  fs::path out = "visualize";
  fs::path model;
  std::uint64_t seed = 1;
  Index pairs = 8;
  Index epochs = 150;
  Index resolution = 400;
  Index frame_every = 0;
  Index animation_size = 240;
};

/// Members (training points, filled markers) and non-members (hollow) of one Clusters2D draw.
struct Points {
  Dataset<Scalar> members;
  Dataset<Scalar> non_members;
};

Points make_points(const Settings& settings) {
  Clusters2dOptions options;
  options.pair_count = settings.pairs;
  const Dataset<Scalar> data = make_clusters2d<Scalar>(options, settings.seed);
  Rng rng(settings.seed);
  const std::vector<Index> order = random_permutation(data.size(), rng);
  const auto half = order.begin() + std::ptrdiff_t(order.size() / 2);
  return {data.subset({order.begin(), half}), data.subset({half, order.end()})};
}

/// A native model file, or a safetensors file (by extension); float files are widened.
Mlp<Scalar> load_network(const fs::path& path) {
  if (!fs::is_regular_file(path)) throw UsageError("model file " + path.string() + " not found");
  Mlp<float> narrow({1, 1});
  if (path.extension() == ".safetensors") {
    narrow = import_safetensors<float>(path);
  } else {
    try {
      return load_model<Scalar>(path);
    } catch (const FormatError&) {
      narrow = load_model<float>(path);  // rethrows if it is not a float file either
    }
  }
  Mlp<Scalar> network(narrow.layer_sizes(), narrow.activation(), narrow.negative_slope());
  for (Index l = 0; l < narrow.layer_count(); ++l) {
    network.weights(l) = narrow.weights(l).cast<Scalar>();
    network.biases(l) = narrow.biases(l).cast<Scalar>();
  }
  return network;
}

/// Training points (filled) and held-out points (hollow) of `points` inside `viewport`.
Scene point_overlay(const Viewport<Scalar>& viewport, const Points& points, double radius) {
  Scene scene;
  scene.width = viewport.width;
  scene.height = viewport.height;
  scene.background.reset();
  add_training_points(scene, viewport, points.non_members.features, points.non_members.labels,
                      MarkerStyle::hollow, radius);
  add_training_points(scene, viewport, points.members.features, points.members.labels,
                      MarkerStyle::filled, radius);
  return scene;
}

/// The middle of the closest pair of training points of different classes: a spot on the
/// decision boundary between two clusters, for the zoomed views.
Point2<Scalar> closest_gap(const Dataset<Scalar>& data) {
  double best = std::numeric_limits<double>::infinity();
  Point2<Scalar> middle(0.5, 0.5);
  for (Index i = 0; i < data.size(); ++i)
    for (Index j = i + 1; j < data.size(); ++j) {
      if (data.labels[std::size_t(i)] == data.labels[std::size_t(j)]) continue;
      const double distance = (data.features.col(i) - data.features.col(j)).norm();
      if (distance < best) {
        best = distance;
        middle = (data.features.col(i) + data.features.col(j)) / 2;
      }
    }
  return middle;
}

SliceBox<Scalar> box_around(const Point2<Scalar>& centre, Scalar half_width) {
  return {centre.x() - half_width, centre.x() + half_width, centre.y() - half_width,
          centre.y() + half_width};
}

void report(const fs::path& path) {
  std::cout << path.string() << '\n';
}

/// Fig. 7: exact region drawings of the unit square and three zoomed views.
void write_region_figure(const Mlp<Scalar>& network, const Points& points,
                         const Settings& settings) {
  const Point2<Scalar> gap = closest_gap(points.members);
  const std::vector<std::pair<std::string, SliceBox<Scalar>>> views = {
      {"overview", {0, 1, 0, 1}},
      {"zoom between two clusters", box_around(gap, 0.08)},
      {"closer zoom", box_around(gap, 0.02)},
      {"top left corner", {0, 0.2, 0.8, 1}}};
  const Index size = settings.resolution;
  std::vector<Panel> panels;
  for (std::size_t k = 0; k < views.size(); ++k) {
    const auto& [title, box] = views[k];
    const Partition2d<Scalar> partition(network, box);
    const Viewport<Scalar> viewport{box, size, size};
    RegionDrawingOptions options;
    options.fill = RegionFill::predicted_class;
    options.fill_opacity = 0.3;
    Scene scene = region_scene(partition, size, size, options);
    const Scene overlay = point_overlay(viewport, points, k == 0 ? 2.5 : 4.0);
    scene.markers = overlay.markers;
    if (k == 0)  // outline the zoomed boxes on the overview
      for (std::size_t z = 1; z < views.size(); ++z) {
        const auto& b = views[z].second;
        ScenePolygon frame;
        frame.vertices = {
            viewport.to_image({b.s_min, b.t_min}), viewport.to_image({b.s_max, b.t_min}),
            viewport.to_image({b.s_max, b.t_max}), viewport.to_image({b.s_min, b.t_max})};
        frame.outline = {30, 60, 220};
        frame.outline_width = 2;
        scene.polygons.push_back(frame);
      }
    const fs::path svg = settings.out / ("regions_" + std::to_string(k) + ".svg");
    write_svg(scene, svg);
    report(svg);
    panels.push_back(
        {render(scene), title + " (" + std::to_string(partition.region_count()) + " regions)"});
  }
  const fs::path png = settings.out / "regions.png";
  write_png(compose_figure(panels, {2, 12, 2, 3, "Activation regions"}), png);
  report(png);
}

/// Fig. 8: decision regions, output norm, weight norm and bias norm as raster maps.
void write_map_figure(const Mlp<Scalar>& network, const Points& points, const Settings& settings) {
  RasterGrid<Scalar> grid;
  grid.viewport = {{0, 1, 0, 1}, settings.resolution, settings.resolution};
  const auto maps = compute_raster_maps(network, grid);
  const Scene overlay = point_overlay(grid.viewport, points, 2.5);
  std::vector<Panel> panels;
  for (const RasterMap map : {RasterMap::predicted_class, RasterMap::output_norm,
                              RasterMap::weight_frobenius_norm, RasterMap::bias_max_norm}) {
    Image image = raster_map_image(maps, map);
    if (map == RasterMap::predicted_class) {
      Image padded(image.width() + 80, image.height());  // same width as panels with a bar
      padded.blit(image, 0, 0);
      image = padded;
    }
    panels.push_back({with_overlay(image, overlay), std::string(raster_map_title(map))});
  }
  const fs::path png = settings.out / "maps.png";
  write_png(compose_figure(panels, {2, 12, 2, 3,
                                    "Raster maps, " + std::to_string(maps.distinct_region_count) +
                                        " regions seen"}),
            png);
  report(png);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Pictures of what a ReLU network learned on Clusters2D (thesis Fig. 7-9)",
               "polyleak-visualize"};
  Settings settings;
  app.add_option("--out", settings.out, "Output folder (created if missing)");
  app.add_option("--model", settings.model,
                 "Load a 2-D network (native file, or .safetensors) instead of training one; "
                 "no animation then");
  app.add_option("--seed", settings.seed, "Seed of the data and the training");
  app.add_option("--pairs", settings.pairs, "Cluster pairs of the Clusters2D data")
      ->check(CLI::Range(1, 64));
  app.add_option("--epochs", settings.epochs, "Training epochs")->check(CLI::Range(1, 100000));
  app.add_option("--resolution", settings.resolution, "Pixels per side of each view and map")
      ->check(CLI::Range(16, 4096));
  app.add_option("--animation-size", settings.animation_size, "Pixels per side of the animation")
      ->check(CLI::Range(16, 2048));
  app.add_option("--frame-every", settings.frame_every,
                 "Animation frame every this many batches (default: about 100 frames)")
      ->check(CLI::Range(0, 1000000));
  CLI11_PARSE(app, argc, argv);

  try {
    const auto start = std::chrono::steady_clock::now();
    fs::create_directories(settings.out);
    const Points points = make_points(settings);

    Mlp<Scalar> network({2, 1});
    if (!settings.model.empty()) {
      network = load_network(settings.model);
      if (network.input_dimension() != 2)
        throw UsageError("the model has input dimension " +
                         std::to_string(network.input_dimension()) + ", expected 2");
    } else {
      network = Mlp<Scalar>::he_initialized({2, 25, 25, 25, 25, 2}, settings.seed);
      TrainingOptions<Scalar> training;
      training.epochs = settings.epochs;
      training.batch_size = 32;
      training.optimizer = AdamOptions<Scalar>{0.002};
      training.seed = settings.seed;
      const Index batches =
          (points.members.size() + training.batch_size - 1) / training.batch_size * training.epochs;
      training.callback_every_batches =
          settings.frame_every > 0 ? settings.frame_every : std::max<Index>(1, batches / 100);

      RasterGrid<Scalar> grid;
      const Index size = settings.animation_size;
      grid.viewport = {{0, 1, 0, 1}, size, size};
      const fs::path gif = settings.out / "training.gif";
      TrainingAnimation<Scalar> animation(gif, size, size,
                                          map_renderer(grid, RasterMap::weight_frobenius_norm, {},
                                                       point_overlay(grid.viewport, points, 2.0)),
                                          {8, true, true});
      animation.add_frame(network, "before training");
      training.on_batches = animation.on_batches();
      training.on_epoch = [](const Mlp<Scalar>&, const EpochReport& epoch) {
        std::fprintf(stderr, "\rtraining: epoch %ld/%ld  loss %.4f  accuracy %.3f   ",
                     long(epoch.epoch + 1), long(epoch.epochs), epoch.loss, epoch.accuracy);
      };
      train(network, points.members.features, points.members.labels, training);
      std::fprintf(stderr, "\n");
      animation.finish();
      report(gif);
      std::fprintf(stderr, "accuracy: members %.3f, non-members %.3f; %ld animation frames\n",
                   accuracy(network, points.members.features, points.members.labels),
                   accuracy(network, points.non_members.features, points.non_members.labels),
                   long(animation.frame_count()));
    }

    write_region_figure(network, points, settings);
    write_map_figure(network, points, settings);
    std::fprintf(stderr, "done in %.1f s\n",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return 0;
  } catch (const UsageError& error) {
    std::cerr << "polyleak-visualize: " << error.what() << '\n';
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "polyleak-visualize: " << error.what() << '\n';
    return 1;
  }
}
