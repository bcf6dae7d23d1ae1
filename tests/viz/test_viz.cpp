// Tests of module viz: images, text, drawing, PNG and GIF output, colormaps, raster maps
// (Alg. 8), region drawings, figures and training animations. One program, to keep the build
// short.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gif_lib.h>
#include <stb_image.h>

#include "polyleak/geometry.hpp"
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

Index count_pixels(const Image& image, Rgb color) {
  Index n = 0;
  for (Index y = 0; y < image.height(); ++y)
    for (Index x = 0; x < image.width(); ++x)
      n += image.pixel(x, y) == color;
  return n;
}

Image gradient_frame(Index width, Index height, Index shift) {
  Image image(width, height);
  for (Index y = 0; y < height; ++y)
    for (Index x = 0; x < width; ++x)
      image.put(x, y, colormap_color(Colormap::viridis, double((x + shift) % width) / width));
  return image;
}

/// A random network with biases, so that the regions are not all cones through the origin.
template <class Scalar>
Mlp<Scalar> random_network(std::vector<Index> sizes, std::uint64_t seed) {
  auto network = Mlp<Scalar>::he_initialized(std::move(sizes), seed);
  Rng rng(seed + 1);
  network.draw_normal_biases(Scalar(0.5), rng);
  return network;
}

/// The input point of pixel (x, y), computed the obvious way.
template <class Scalar>
Vector<Scalar> pixel_point(const RasterGrid<Scalar>& grid, Index x, Index y) {
  const auto& box = grid.viewport.box;
  const Scalar s = box.s_min + (box.s_max - box.s_min) * (Scalar(x) + Scalar(0.5)) / grid.width();
  const Scalar t = box.t_max - (box.t_max - box.t_min) * (Scalar(y) + Scalar(0.5)) / grid.height();
  return grid.slice.point(s, t);
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

TEST_CASE("PNG round trip keeps size and pixels") {
  Image image(37, 21, colors::white);
  image.set_pixel(0, 0, {255, 0, 0});
  image.set_pixel(36, 20, {0, 0, 255});
  image.set_pixel(5, 7, {1, 2, 3});
  const fs::path path = scratch_folder("png") / "round_trip.png";
  write_png(image, path);

  int width = 0, height = 0, channels = 0;
  unsigned char* pixels = stbi_load(path.c_str(), &width, &height, &channels, 3);
  REQUIRE(pixels != nullptr);
  CHECK(width == 37);
  CHECK(height == 21);
  Image decoded(width, height);
  std::copy(pixels, pixels + width * height * 3, decoded.data());
  stbi_image_free(pixels);
  CHECK(decoded == image);
  CHECK(fs::directory_iterator(path.parent_path())->path() == path);  // no temporary left
}

TEST_CASE("a failed PNG write throws IoError and leaves no file") {
  const fs::path folder = scratch_folder("png_fail");
  const fs::path path = folder / "missing" / "image.png";
  CHECK_THROWS_AS(write_png(Image(4, 4), path), IoError);
  CHECK_FALSE(fs::exists(path));
  CHECK(fs::is_empty(folder));
  CHECK_THROWS_AS(write_png(Image(0, 3), folder / "empty.png"), InvalidArgument);
}

TEST_CASE("pixel access outside the image throws, drawing clips") {
  Image image(3, 2);
  CHECK_THROWS_AS(image.pixel(3, 0), InvalidArgument);
  CHECK_THROWS_AS(image.set_pixel(0, -1, colors::black), InvalidArgument);
  CHECK_THROWS_AS(Image(-1, 2), InvalidArgument);
  fill_rectangle(image, -5, -5, 100, 100, colors::black);
  CHECK(count_pixels(image, colors::black) == 6);
}

TEST_CASE("text: width, height and drawn pixels") {
  CHECK(text_width("", 2) == 0);
  CHECK(text_width("0", 1) == 6);  // digits advance 6 font pixels
  CHECK(text_width("00", 3) == 36);
  CHECK(text_height("a\nb", 1) == 24);
  CHECK_THROWS_AS(text_width("x", 0), InvalidArgument);

  Image image(60, 30);
  draw_text(image, 2, 2, "Hi", {colors::black, 2});
  const Index drawn = count_pixels(image, colors::black);
  CHECK(drawn > 20);
  // Every drawn pixel lies in the text box.
  for (Index y = 0; y < image.height(); ++y)
    for (Index x = 0; x < image.width(); ++x)
      if (image.pixel(x, y) == colors::black) {
        CHECK(x >= 2);
        CHECK(x < 2 + text_width("Hi", 2));
        CHECK(y >= 2);
        CHECK(y < 2 + text_height("Hi", 2));
      }

  // Vertical text has the same number of pixels, rotated.
  Image rotated(30, 60);
  draw_text(rotated, 2, 58, "Hi", {colors::black, 2, TextAlign::left, true});
  CHECK(count_pixels(rotated, colors::black) == drawn);

  // Non-ASCII bytes are drawn as '?', not read out of the font table.
  Image other(60, 30), question(60, 30);
  draw_text(other, 0, 0, "\xc3\xa9");
  draw_text(question, 0, 0, "??");
  CHECK(other == question);
}

TEST_CASE("anti-aliased lines and circles") {
  // A horizontal line of width 1 along pixel centres covers exactly one row fully.
  Image image(20, 5);
  draw_line(image, {2.5, 2.5}, {17.5, 2.5}, colors::black, 1.0);
  for (Index x = 2; x <= 17; ++x)
    CHECK(image.pixel(x, 2) == colors::black);
  CHECK(count_pixels(image, colors::black) == 16);
  CHECK(image.pixel(10, 1) == colors::white);
  CHECK_THROWS_AS(draw_line(image, {0, 0}, {1, 1}, colors::black, 0.0), InvalidArgument);

  // A diagonal line darkens pixels near it and no pixel far from it.
  Image diagonal(20, 20);
  draw_line(diagonal, {0, 0}, {20, 20}, colors::black, 2.0);
  for (Index y = 0; y < 20; ++y)
    for (Index x = 0; x < 20; ++x) {
      const bool near = std::abs(x - y) <= 0;
      const bool far = std::abs(x - y) >= 3;
      if (near) CHECK(diagonal.pixel(x, y) == colors::black);
      if (far) CHECK(diagonal.pixel(x, y) == colors::white);
    }

  // A filled disc of radius 5 covers about pi r^2 pixels.
  Image disc(20, 20);
  draw_circle(disc, {10, 10}, 5, colors::black);
  Index touched = 0;
  for (Index y = 0; y < 20; ++y)
    for (Index x = 0; x < 20; ++x)
      touched += !(disc.pixel(x, y) == colors::white);
  CHECK(touched >= 78);
  CHECK(touched <= 100);
}

TEST_CASE("polygon fill covers the pixel centres inside") {
  Image image(10, 10);
  fill_polygon(image, {{2, 2}, {8, 2}, {8, 6}, {2, 6}}, colors::black);
  CHECK(count_pixels(image, colors::black) == 24);
  CHECK(image.pixel(2, 2) == colors::black);
  CHECK(image.pixel(7, 5) == colors::black);
  CHECK(image.pixel(8, 5) == colors::white);
}

TEST_CASE("an animated GIF decodes with the right size, frame count and delays") {
  const fs::path path = scratch_folder("gif") / "animation.gif";
  {
    GifWriter writer(path, 33, 17, {7, true, true});
    for (Index k = 0; k < 5; ++k)
      writer.add_frame(gradient_frame(33, 17, 3 * k));
    writer.add_frame(Image(33, 17, colors::black), 50);
    CHECK(writer.frame_count() == 6);
    CHECK_FALSE(fs::exists(path));  // nothing at the target before finish()
    writer.finish();
  }
  REQUIRE(fs::exists(path));
  CHECK(std::distance(fs::directory_iterator(path.parent_path()), fs::directory_iterator{}) == 1);

  int error = 0;
  GifFileType* gif = DGifOpenFileName(path.c_str(), &error);
  REQUIRE(gif != nullptr);
  REQUIRE(DGifSlurp(gif) == GIF_OK);
  CHECK(gif->SWidth == 33);
  CHECK(gif->SHeight == 17);
  CHECK(gif->ImageCount == 6);
  GraphicsControlBlock control{};
  REQUIRE(DGifSavedExtensionToGCB(gif, 0, &control) == GIF_OK);
  CHECK(control.DelayTime == 7);
  REQUIRE(DGifSavedExtensionToGCB(gif, 5, &control) == GIF_OK);
  CHECK(control.DelayTime == 50);
  // The last frame is black everywhere: palette entry 0 is black.
  const SavedImage& last = gif->SavedImages[5];
  const GifColorType black = gif->SColorMap->Colors[last.RasterBits[0]];
  CHECK(int(black.Red) + black.Green + black.Blue == 0);
  for (int i = 0; i < 33 * 17; ++i)
    CHECK(last.RasterBits[i] == last.RasterBits[0]);
  DGifCloseFile(gif, &error);
}

TEST_CASE("palette colours survive GIF quantisation exactly, greys dither between greys") {
  for (int r = 0; r < 6; ++r)
    for (int g = 0; g < 7; ++g) {
      const Rgb c{detail::GifPalette::level_value(r, 6), detail::GifPalette::level_value(g, 7),
                  detail::GifPalette::level_value(5 - r, 6)};
      const auto palette = detail::GifPalette::colors();
      for (const double offset : {-0.48, 0.0, 0.48}) {
        const auto& q = palette[detail::GifPalette::quantize(c, offset)];
        CHECK(Rgb{q.Red, q.Green, q.Blue} == c);
      }
    }
  const auto palette = detail::GifPalette::colors();
  const auto grey_of = [&](double offset) {
    const auto& q = palette[detail::GifPalette::quantize({120, 120, 120}, offset)];
    CHECK(q.Red == q.Green);
    return int(q.Red);
  };
  CHECK(grey_of(-0.48) == 96);
  CHECK(grey_of(0.48) == 150);
}

TEST_CASE("GIF errors: bad sizes, missing folder, no frames, abandoned writer") {
  const fs::path folder = scratch_folder("gif_fail");
  CHECK_THROWS_AS(GifWriter(folder / "a.gif", 0, 5), InvalidArgument);
  CHECK_THROWS_AS(GifWriter(folder / "a.gif", 5, 5, {-1}), InvalidArgument);
  CHECK_THROWS_AS(GifWriter(folder / "missing" / "a.gif", 5, 5), IoError);
  {
    GifWriter writer(folder / "b.gif", 5, 5);
    CHECK_THROWS_AS(writer.add_frame(Image(5, 4)), InvalidArgument);
    CHECK_THROWS_AS(writer.finish(), InvalidArgument);
  }
  {
    GifWriter writer(folder / "c.gif", 5, 5);
    writer.add_frame(Image(5, 5));
  }  // abandoned without finish()
  CHECK(fs::is_empty(folder));
}

TEST_CASE("colormaps: ends, monotone lightness, NaN, classes") {
  CHECK(colormap_color(Colormap::greys, 0.0) == colors::black);
  CHECK(colormap_color(Colormap::greys, 1.0) == colors::white);
  CHECK(colormap_color(Colormap::viridis, std::nan("")) == missing_value_color);
  // Viridis-like: dark violet at 0, yellow at 1, OKLab lightness strictly increasing.
  const Rgb low = colormap_color(Colormap::viridis, 0.0);
  const Rgb high = colormap_color(Colormap::viridis, 1.0);
  CHECK(low.b > low.g);
  CHECK(high.r > 200);
  CHECK(high.g > 200);
  CHECK(high.b < 100);
  double previous = -1;
  double smallest_step = 1, largest_step = 0;
  for (int k = 0; k <= 32; ++k) {
    const double lightness = detail::srgb_to_oklab(colormap_color(Colormap::viridis, k / 32.0))[0];
    if (k > 0) {
      smallest_step = std::min(smallest_step, lightness - previous);
      largest_step = std::max(largest_step, lightness - previous);
    }
    previous = lightness;
  }
  CHECK(smallest_step > 0);
  CHECK(largest_step < 2 * smallest_step);  // equal steps look about equally large
  CHECK_FALSE(class_color(0) == class_color(1));
  CHECK(class_color(10) == class_color(0));
  CHECK_THROWS_AS(class_color(-1), InvalidArgument);
}

TEST_CASE("value ranges: linear, logarithmic, degenerate, empty") {
  Eigen::MatrixXd values(2, 2);
  values << -1, 4, std::nan(""), 1;
  const ValueRange linear = value_range(values);
  CHECK(linear.low == -1);
  CHECK(linear.high == 4);
  CHECK(linear.normalize(1.5) == doctest::Approx(0.5));
  CHECK(std::isnan(linear.normalize(std::nan(""))));
  const ValueRange log = value_range(values, ValueScale::logarithmic);
  CHECK(log.low == 1);
  CHECK(log.normalize(2) == doctest::Approx(0.5));
  CHECK(log.value_at(0.5) == doctest::Approx(2));
  CHECK(std::isnan(log.normalize(-3)));
  CHECK(ValueRange{2, 2}.normalize(2) == 0.5);
  Eigen::MatrixXd none(1, 1);
  none << -2;
  CHECK_THROWS_AS(value_range(none, ValueScale::logarithmic), InvalidArgument);

  const Image image = colorize(values, linear);
  CHECK(image.width() == 2);
  CHECK(image.pixel(1, 0) == colormap_color(Colormap::viridis, 1.0));
  CHECK(image.pixel(0, 1) == missing_value_color);
  Image bar(80, 120);
  CHECK(draw_color_bar(bar, 5, 10, 12, 100, linear) > 12);
  CHECK(bar.pixel(10, 11) == colormap_color(Colormap::viridis, 1.0 - 1.0 / 99));
}

TEST_CASE_TEMPLATE("raster values equal per-point polytope functions", Scalar, float, double) {
  const auto network = random_network<Scalar>({3, 8, 7, 3}, 11);
  RasterGrid<Scalar> grid;
  grid.slice.origin = Vector<Scalar>::Constant(3, Scalar(0.1));
  grid.slice.first_direction = Vector<Scalar>::Unit(3, 0) + Vector<Scalar>::Unit(3, 2);
  grid.slice.second_direction = Vector<Scalar>::Unit(3, 1);
  grid.viewport = {{-1, 2, -0.5, 1.5}, 13, 9};
  const auto maps = compute_raster_maps(network, grid);
  REQUIRE(maps.width() == 13);
  REQUIRE(maps.height() == 9);

  const Scalar tolerance = 10 * ScalarTraits<Scalar>::equality_tolerance;
  for (Index y = 0; y < grid.height(); ++y)
    for (Index x = 0; x < grid.width(); ++x) {
      const Vector<Scalar> point = pixel_point(grid, x, y);
      const PolytopeFunction<Scalar> function(network, point);
      const Vector<Scalar> logits = network.forward(point);
      Index predicted = 0;
      logits.maxCoeff(&predicted);
      const Scalar scale = 1 + function.matrix().norm() + function.bias().norm();
      CHECK(maps.predicted_class(y, x) == predicted);
      CHECK(std::abs(maps.output_norm(y, x) - logits.norm()) <= tolerance * scale);
      CHECK(std::abs(maps.confidence(y, x) - confidence(Matrix<Scalar>(logits))(0)) <= tolerance);
      CHECK(std::abs(maps.weight_frobenius_norm(y, x) - function.matrix().norm()) <=
            tolerance * scale);
      const Scalar spectral =
          Eigen::JacobiSVD<Matrix<Scalar>>(function.matrix()).singularValues()(0);
      CHECK(std::abs(maps.weight_spectral_norm(y, x) - spectral) <= tolerance * scale);
      CHECK(std::abs(maps.bias_max_norm(y, x) - function.bias().cwiseAbs().maxCoeff()) <=
            tolerance * scale);
    }
  CHECK(maps.values(RasterMap::bias_max_norm) == maps.bias_max_norm);
  CHECK_THROWS_AS(maps.values(RasterMap::predicted_class), InvalidArgument);
}

TEST_CASE_TEMPLATE("edge map and region count match brute force", Scalar, float, double) {
  const auto network = random_network<Scalar>({2, 6, 6, 2}, 5);
  RasterGrid<Scalar> grid;
  // 16384 / 23 = 712 rows per block: a tall grid gives three blocks, so block seams are tested.
  grid.viewport = {{-2, 2, -2, 2}, 23, 1600};
  const auto maps = compute_raster_maps(network, grid);

  std::vector<std::vector<ActivationPattern>> patterns(std::size_t(grid.height()));
  std::set<std::string> distinct;
  for (Index y = 0; y < grid.height(); ++y)
    for (Index x = 0; x < grid.width(); ++x) {
      patterns[std::size_t(y)].push_back(activation_pattern(network, pixel_point(grid, x, y)));
      distinct.insert(patterns[std::size_t(y)].back().to_string());
    }
  Index edges = 0;
  for (Index y = 0; y < grid.height(); ++y)
    for (Index x = 0; x < grid.width(); ++x) {
      const auto& p = patterns[std::size_t(y)][std::size_t(x)];
      const bool differs =
          (x + 1 < grid.width() && p != patterns[std::size_t(y)][std::size_t(x + 1)]) ||
          (y + 1 < grid.height() && p != patterns[std::size_t(y + 1)][std::size_t(x)]);
      CHECK(maps.region_edges(y, x) == differs);
      edges += differs;
    }
  CHECK(edges > 0);  // the test can fail: the box does cross several regions
  CHECK(maps.distinct_region_count == Index(distinct.size()));
  CHECK(maps.distinct_region_count > 3);

  const auto without = compute_raster_maps(network, grid, {false});
  CHECK(without.region_edges.size() == 0);
  CHECK(without.distinct_region_count == 0);
  CHECK(without.weight_frobenius_norm == maps.weight_frobenius_norm);
  CHECK_THROWS_AS(raster_map_image(without, RasterMap::region_edges), InvalidArgument);
}

TEST_CASE("a network with one hidden neuron: regions and edges by hand") {
  const Mlp<double> network = split_network();
  RasterGrid<double> grid;
  grid.viewport = {{0, 1, 0, 1}, 10, 4};
  const auto maps = compute_raster_maps(network, grid);
  CHECK(maps.distinct_region_count == 2);
  for (Index y = 0; y < 4; ++y)
    for (Index x = 0; x < 10; ++x) {
      CHECK(maps.region_edges(y, x) == (x == 4));
      CHECK(maps.weight_frobenius_norm(y, x) == (x >= 5 ? 1.0 : 0.0));
      CHECK(maps.bias_max_norm(y, x) == doctest::Approx(x >= 5 ? 0.5 : 0.1));
      // Class 0 wins where x - 0.5 > 0.1.
      CHECK(maps.predicted_class(y, x) == (x >= 6 ? 0 : 1));
    }
}

TEST_CASE("bad raster arguments throw InvalidArgument") {
  const auto network = random_network<double>({3, 4, 2}, 3);
  RasterGrid<double> grid;
  grid.slice.origin = Vector<double>::Zero(3);
  grid.slice.first_direction = Vector<double>::Unit(3, 0);
  grid.slice.second_direction = Vector<double>::Unit(3, 1);
  grid.viewport = {{0, 1, 0, 1}, 8, 8};
  CHECK_NOTHROW(compute_raster_maps(network, grid));

  auto empty_box = grid;
  empty_box.viewport.box.s_max = 0;
  CHECK_THROWS_AS(compute_raster_maps(network, empty_box), InvalidArgument);
  auto nan_box = grid;
  nan_box.viewport.box.t_min = std::nan("");
  CHECK_THROWS_AS(compute_raster_maps(network, nan_box), InvalidArgument);
  auto zero_resolution = grid;
  zero_resolution.viewport.height = 0;
  CHECK_THROWS_AS(compute_raster_maps(network, zero_resolution), InvalidArgument);
  auto parallel = grid;
  parallel.slice.second_direction = -2.5 * grid.slice.first_direction;
  CHECK_THROWS_AS(compute_raster_maps(network, parallel), InvalidArgument);
  auto zero_direction = grid;
  zero_direction.slice.first_direction.setZero();
  CHECK_THROWS_AS(compute_raster_maps(network, zero_direction), InvalidArgument);
  RasterGrid<double> plane;  // the 2-D input plane on a 3-D network
  plane.viewport = grid.viewport;
  CHECK_THROWS_AS(compute_raster_maps(network, plane), InvalidArgument);
  try {
    compute_raster_maps(network, parallel);
  } catch (const InvalidArgument& error) {
    CHECK(std::string(error.what()).find("parallel") != std::string::npos);
  }
}

TEST_CASE("slice coordinates invert the slice map") {
  PlaneSlice<double> slice{Vector<double>::Constant(4, 1.0), Vector<double>::Unit(4, 0) * 2,
                           Vector<double>::Unit(4, 1) + Vector<double>::Unit(4, 3)};
  Matrix<double> points(4, 2);
  points.col(0) = slice.point(0.25, -1.5);
  points.col(1) = slice.point(3, 2);
  const Matrix<double> st = slice_coordinates(slice, points);
  CHECK(st(0, 0) == doctest::Approx(0.25));
  CHECK(st(1, 0) == doctest::Approx(-1.5));
  CHECK(st(0, 1) == doctest::Approx(3));
  CHECK(st(1, 1) == doctest::Approx(2));
  const Viewport<double> viewport{{0, 4, -2, 2}, 40, 20};
  const ImagePoint p = viewport.to_image(viewport.pixel_centre(7, 3));
  CHECK(p.x() == doctest::Approx(7.5));
  CHECK(p.y() == doctest::Approx(3.5));
}

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
