// Animated GIF output and colormaps.

#include <doctest/doctest.h>

#include <filesystem>

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

Image gradient_frame(Index width, Index height, Index shift) {
  Image image(width, height);
  for (Index y = 0; y < height; ++y)
    for (Index x = 0; x < width; ++x)
      image.put(x, y, colormap_color(Colormap::viridis, double((x + shift) % width) / width));
  return image;
}

}  // namespace

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
