// Region drawings (Partition2d -> Scene -> PNG/SVG), figures, map images, training animations.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gif_lib.h>

#include "polyleak/viz.hpp"

namespace fs = std::filesystem;
using namespace polyleak;

namespace {

fs::path scratch_folder(const std::string& name) {
  const fs::path folder = fs::temp_directory_path() / ("polyleak_viz_" + name);
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder;
}

/// One hidden neuron z = x - 0.5 splits the unit square at x = 0.5; logits (relu(z), 0.1), so
/// class 0 wins for x > 0.6: the decision boundary is the line x = 0.6.
Mlp<double> split_network() {
  Mlp<double> network({2, 1, 2});
  network.weights(0) << 1, 0;
  network.biases(0) << -0.5;
  network.weights(1) << 1, 0;
  network.biases(1) << 0, 0.1;
  return network;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("region drawing of a hand-made partition: PNG and SVG") {
  const Partition2d<double> partition(split_network(), SliceBox<double>{0, 1, 0, 1});
  REQUIRE(partition.region_count() == 2);
  RegionDrawingOptions options;
  options.fill = RegionFill::predicted_class;
  options.fill_opacity = 1.0;
  const Scene scene = region_scene(partition, 100, 50, options);
  CHECK(scene.polygons.size() == 2);
  CHECK(scene.lines.size() == partition.decision_boundary().size());
  REQUIRE_FALSE(scene.lines.empty());
  for (const auto& line : scene.lines) {  // the boundary x = 0.6 is image column 60
    CHECK(line.from.x() == doctest::Approx(60));
    CHECK(line.to.x() == doctest::Approx(60));
  }

  const Image image = render(scene);
  CHECK(image.width() == 100);
  CHECK(image.height() == 50);
  // Left region (x < 0.5) predicts class 1 everywhere; the right region is class 0 at its
  // centroid (x = 0.75).
  CHECK(image.pixel(20, 25) == class_color(1));
  CHECK(image.pixel(90, 25) == class_color(0));
  CHECK(image.pixel(60, 25) == colors::black);  // decision boundary on top

  const std::string svg = to_svg(scene);
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(count(svg, "<polygon") == 4);  // two fills, two outlines
  CHECK(count(svg, "<line") == scene.lines.size());
  CHECK(svg.find("</svg>") != std::string::npos);

  const fs::path folder = scratch_folder("svg");
  write_svg(scene, folder / "regions.svg");
  std::ifstream in(folder / "regions.svg");
  std::stringstream content;
  content << in.rdbuf();
  CHECK(content.str() == svg);
  CHECK_THROWS_AS(write_svg(scene, folder / "missing" / "regions.svg"), IoError);
  CHECK(std::distance(fs::directory_iterator(folder), fs::directory_iterator{}) == 1);

  RegionDrawingOptions values;
  values.fill = RegionFill::values;
  values.region_values = {1.0};
  CHECK_THROWS_AS(region_scene(partition, 100, 50, values), InvalidArgument);
  values.region_values = {1.0, 2.0};
  CHECK(region_scene(partition, 100, 50, values).polygons[1].fill.has_value());
  CHECK_THROWS_AS(region_scene(partition, 0, 50), InvalidArgument);
}

TEST_CASE("training points: class colours, members filled, points outside skipped") {
  Scene scene;
  scene.width = scene.height = 20;
  const Viewport<double> viewport{{0, 1, 0, 1}, 20, 20};
  Matrix<double> points(2, 3);
  points << 0.5, 2.0, 0.25, 0.5, 0.5, 0.75;
  add_training_points(scene, viewport, points, {0, 1, 1}, MarkerStyle::hollow);
  REQUIRE(scene.markers.size() == 2);
  CHECK(scene.markers[0].centre.x() == doctest::Approx(10));
  CHECK(scene.markers[1].centre.y() == doctest::Approx(5));  // t = 0.75 is near the top
  CHECK(scene.markers[1].color == class_color(1));
  CHECK(scene.markers[1].style == MarkerStyle::hollow);
  CHECK_THROWS_AS(add_training_points(scene, viewport, points, {0, 1}, MarkerStyle::filled),
                  InvalidArgument);
  // A filled marker colours its centre, a ring leaves it white.
  const Image image = render(scene);
  CHECK(image.pixel(10, 9) == colors::white);
  scene.markers[0].style = MarkerStyle::filled;
  CHECK(render(scene).pixel(10, 9) == class_color(0));
}

TEST_CASE("figures: layout, titles, colour bars, bad arguments") {
  const std::vector<Panel> panels = {{Image(30, 20, {255, 0, 0}), "a"},
                                     {Image(40, 10, {0, 0, 255}), "b"},
                                     {Image(10, 10, {0, 255, 0}), ""}};
  FigureOptions options;
  options.columns = 2;
  options.margin = 5;
  const Image figure = compose_figure(panels, options);
  const Index title = text_height("a", options.panel_title_scale);
  CHECK(figure.width() == 5 + 2 * (40 + 5));
  CHECK(figure.height() == 5 + 2 * (title + 20 + 5));
  CHECK(figure.pixel(5 + 5, 5 + title) == Rgb{255, 0, 0});  // panel 0, centred in its cell
  CHECK(figure.pixel(50, 5 + title) == Rgb{0, 0, 255});
  CHECK_THROWS_AS(compose_figure({}), InvalidArgument);
  options.columns = 0;
  CHECK_THROWS_AS(compose_figure(panels, options), InvalidArgument);

  const Image bar = with_color_bar(Image(50, 40), {0, 1});
  CHECK(bar.width() > 50);
  CHECK(bar.height() == 40);
}

TEST_CASE("map images: class colours with the decision boundary, edges, colour bar") {
  RasterGrid<double> grid;
  grid.viewport = {{0, 1, 0, 1}, 10, 4};
  const auto maps = compute_raster_maps(split_network(), grid);
  MapImageOptions options;
  const Image classes = raster_map_image(maps, RasterMap::predicted_class, options);
  CHECK(classes.width() == 10);
  CHECK(classes.pixel(5, 1) == colors::black);  // class changes between pixels 5 and 6
  CHECK(classes.pixel(2, 1) == mix(colors::white, class_color(1), options.class_tint));
  CHECK(classes.pixel(8, 1) == mix(colors::white, class_color(0), options.class_tint));
  const Image edges = raster_map_image(maps, RasterMap::region_edges, options);
  CHECK(edges.pixel(4, 0) == options.edge_color);
  CHECK_FALSE(edges.pixel(5, 0) == options.edge_color);
  const Image norm = raster_map_image(maps, RasterMap::weight_frobenius_norm);
  CHECK(norm.width() > 10);  // colour bar appended
  CHECK(norm.pixel(0, 0) == colormap_color(Colormap::viridis, 0.0));
  CHECK(norm.pixel(9, 0) == colormap_color(Colormap::viridis, 1.0));
}

TEST_CASE("training animation: one frame per k batches plus the first, labelled") {
  const fs::path path = scratch_folder("animation") / "training.gif";
  Mlp<double> network = Mlp<double>::he_initialized({2, 4, 2}, 3);
  Matrix<double> inputs(2, 32);
  std::vector<Index> labels(32);
  Rng rng(4);
  inputs = random_uniform<double>(2, 32, 0, 1, rng);
  for (Index j = 0; j < 32; ++j)
    labels[std::size_t(j)] = inputs(0, j) > 0.5;

  RasterGrid<double> grid;
  grid.viewport = {{0, 1, 0, 1}, 48, 32};
  Scene overlay;
  overlay.width = 48;
  overlay.height = 32;
  add_training_points(overlay, grid.viewport, inputs, labels, MarkerStyle::filled, 1.5);
  {
    TrainingAnimation<double> animation(
        path, 48, 32, map_renderer(grid, RasterMap::weight_frobenius_norm, {}, overlay));
    animation.add_frame(network, "before training");
    TrainingOptions<double> training;
    training.epochs = 2;
    training.batch_size = 8;  // 4 batches per epoch, 8 steps
    training.callback_every_batches = 3;
    training.on_batches = animation.on_batches();
    train(network, inputs, labels, training);
    CHECK(animation.frame_count() == 1 + 2);  // after steps 3 and 6
    animation.finish();
  }
  int error = 0;
  GifFileType* gif = DGifOpenFileName(path.c_str(), &error);
  REQUIRE(gif != nullptr);
  REQUIRE(DGifSlurp(gif) == GIF_OK);
  CHECK(gif->ImageCount == 3);
  CHECK(gif->SWidth == 48);
  CHECK(gif->SHeight == 32 + TrainingAnimation<double>::label_height);
  DGifCloseFile(gif, &error);

  // A renderer of the wrong size is refused.
  TrainingAnimation<double> wrong(path.parent_path() / "wrong.gif", 20, 20,
                                  [](const Mlp<double>&) { return Image(10, 10); });
  CHECK_THROWS_AS(wrong.add_frame(network, "x"), InvalidArgument);
}
