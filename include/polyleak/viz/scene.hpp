#pragma once
// Scene: a list of vector shapes (polygons, lines, markers, text) in image coordinates, rendered
// either onto an Image (PNG) or as SVG text, so both outputs show the same drawing.

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/nn/detail/bytes.hpp"
#include "polyleak/viz/draw.hpp"
#include "polyleak/viz/image.hpp"
#include "polyleak/viz/text.hpp"

namespace polyleak {

/// A polygon with an optional fill and an optional outline.
struct ScenePolygon {
  std::vector<ImagePoint> vertices;
  std::optional<Rgb> fill;
  double fill_opacity = 1.0;
  Rgb outline = colors::black;
  /// Outline width in pixels; 0 draws no outline.
  double outline_width = 1.0;
};

/// A straight line segment.
struct SceneLine {
  ImagePoint from;
  ImagePoint to;
  Rgb color = colors::black;
  double width = 1.0;
};

/// A point marker (a training point): filled disc or ring.
struct SceneMarker {
  ImagePoint centre;
  double radius = 3.0;
  Rgb color = colors::black;
  MarkerStyle style = MarkerStyle::filled;
};

/// A piece of text anchored at `position` (see draw_text()).
struct SceneText {
  ImagePoint position;
  std::string text;
  TextStyle style;
};

/// A vector drawing of width x height pixels. Shapes are drawn in this order: polygon fills,
/// polygon outlines, lines, markers, text; within a kind, in insertion order.
struct Scene {
  Index width = 0;
  Index height = 0;
  std::optional<Rgb> background = colors::white;
  std::vector<ScenePolygon> polygons;
  std::vector<SceneLine> lines;
  std::vector<SceneMarker> markers;
  std::vector<SceneText> texts;
};

/// Draws `scene` onto `image` with the scene's origin at pixel (x, y) (the background, if any,
/// first). Cost: proportional to the drawn area. Deterministic.
inline void render(const Scene& scene, Image& image, Index x = 0, Index y = 0) {
  const ImagePoint shift{double(x), double(y)};
  if (scene.background) fill_rectangle(image, x, y, scene.width, scene.height, *scene.background);
  for (const auto& polygon : scene.polygons) {
    if (!polygon.fill) continue;
    std::vector<ImagePoint> vertices = polygon.vertices;
    for (auto& v : vertices)
      v += shift;
    fill_polygon(image, vertices, *polygon.fill, polygon.fill_opacity);
  }
  for (const auto& polygon : scene.polygons) {
    if (polygon.outline_width <= 0) continue;
    std::vector<ImagePoint> vertices = polygon.vertices;
    for (auto& v : vertices)
      v += shift;
    draw_polyline(image, vertices, polygon.outline, polygon.outline_width, true);
  }
  for (const auto& line : scene.lines)
    draw_line(image, line.from + shift, line.to + shift, line.color, line.width);
  for (const auto& marker : scene.markers)
    draw_marker(image, marker.centre + shift, marker.radius, marker.color, marker.style);
  for (const auto& text : scene.texts)
    draw_text(image, x + Index(std::lround(text.position.x())),
              y + Index(std::lround(text.position.y())), text.text, text.style);
}

/// `scene` rendered on a new image of its size. Throws InvalidArgument for a negative size.
inline Image render(const Scene& scene) {
  Image image(scene.width, scene.height, scene.background.value_or(colors::white));
  render(scene, image);
  return image;
}

namespace detail {

inline std::string svg_color(Rgb c) {
  char text[8];
  std::snprintf(text, sizeof text, "#%02x%02x%02x", c.r, c.g, c.b);
  return text;
}

inline std::string svg_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", value);
  return text;
}

inline std::string svg_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

}  // namespace detail

/// The scene as a standalone SVG 1.1 document (same drawing order as render()). Text uses a
/// sans-serif font of about the bitmap font's size. Cost: linear in the number of shapes.
inline std::string to_svg(const Scene& scene) {
  using detail::svg_color;
  using detail::svg_number;
  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" +
         std::to_string(scene.width) + "\" height=\"" + std::to_string(scene.height) +
         "\" viewBox=\"0 0 " + std::to_string(scene.width) + " " + std::to_string(scene.height) +
         "\">\n";
  if (scene.background)
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"" + svg_color(*scene.background) + "\"/>\n";
  const auto points = [](const std::vector<ImagePoint>& vertices) {
    std::string out;
    for (const auto& v : vertices)
      out += svg_number(v.x()) + "," + svg_number(v.y()) + " ";
    return out;
  };
  for (const auto& p : scene.polygons)
    if (p.fill)
      svg += "<polygon points=\"" + points(p.vertices) + "\" fill=\"" + svg_color(*p.fill) +
             "\" fill-opacity=\"" + svg_number(p.fill_opacity) + "\" stroke=\"none\"/>\n";
  for (const auto& p : scene.polygons)
    if (p.outline_width > 0)
      svg += "<polygon points=\"" + points(p.vertices) + "\" fill=\"none\" stroke=\"" +
             svg_color(p.outline) + "\" stroke-width=\"" + svg_number(p.outline_width) +
             "\" stroke-linejoin=\"round\"/>\n";
  for (const auto& l : scene.lines)
    svg += "<line x1=\"" + svg_number(l.from.x()) + "\" y1=\"" + svg_number(l.from.y()) +
           "\" x2=\"" + svg_number(l.to.x()) + "\" y2=\"" + svg_number(l.to.y()) + "\" stroke=\"" +
           svg_color(l.color) + "\" stroke-width=\"" + svg_number(l.width) +
           "\" stroke-linecap=\"round\"/>\n";
  for (const auto& m : scene.markers) {
    const std::string circle = "<circle cx=\"" + svg_number(m.centre.x()) + "\" cy=\"" +
                               svg_number(m.centre.y()) + "\" r=\"";
    if (m.style == MarkerStyle::filled)
      svg += circle + svg_number(m.radius) + "\" fill=\"" + svg_color(m.color) +
             "\" stroke=\"#000000\" stroke-opacity=\"0.6\" stroke-width=\"0.75\"/>\n";
    else
      svg += circle + svg_number(m.radius - 0.75) + "\" fill=\"none\" stroke=\"" +
             svg_color(m.color) + "\" stroke-width=\"1.5\"/>\n";
  }
  for (const auto& t : scene.texts) {
    // The bitmap font's capitals are 7 font pixels high; this sans-serif size matches them.
    constexpr double font_size_per_scale = 9.0;
    const char* anchor = t.style.align == TextAlign::left     ? "start"
                         : t.style.align == TextAlign::center ? "middle"
                                                              : "end";
    const double size = font_size_per_scale * double(t.style.scale);
    const std::string position = svg_number(t.position.x()) + "," + svg_number(t.position.y());
    svg += "<text transform=\"translate(" + position + ")" +
           (t.style.vertical ? std::string(" rotate(-90)") : std::string()) +
           "\" dominant-baseline=\"hanging\" font-family=\"sans-serif\" font-size=\"" +
           svg_number(size) + "\" text-anchor=\"" + anchor + "\" fill=\"" +
           svg_color(t.style.color) + "\">" + detail::svg_escape(t.text) + "</text>\n";
  }
  svg += "</svg>\n";
  return svg;
}

/// Writes to_svg(scene) to `path` atomically (temporary file, then rename). Throws IoError
/// naming the path if it cannot be written.
inline void write_svg(const Scene& scene, const std::filesystem::path& path) {
  const std::string svg = to_svg(scene);
  detail::write_file_atomically(path, std::vector<unsigned char>(svg.begin(), svg.end()),
                                "write_svg");
}

}  // namespace polyleak
