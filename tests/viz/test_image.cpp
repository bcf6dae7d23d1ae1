// Image, PNG output, text and drawing primitives.

#include <doctest/doctest.h>

#include <filesystem>

#include <stb_image.h>

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
