#pragma once
// Drawing primitives on an Image: rectangles, anti-aliased lines and circles, filled polygons,
// markers. Coordinates are image coordinates in pixels (x right, y down, pixel centres at
// half-integers); everything is clipped to the image.

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Core>

#include "polyleak/core/check.hpp"
#include "polyleak/viz/image.hpp"

namespace polyleak {

/// A point in image coordinates (pixels, x right, y down).
using ImagePoint = Eigen::Vector2d;

/// Fills the pixels [x, x + width) x [y, y + height) (clipped) with `color`.
inline void fill_rectangle(Image& image, Index x, Index y, Index width, Index height, Rgb color) {
  const Index x0 = std::max<Index>(x, 0), x1 = std::min(x + width, image.width());
  const Index y0 = std::max<Index>(y, 0), y1 = std::min(y + height, image.height());
  for (Index py = y0; py < y1; ++py)
    for (Index px = x0; px < x1; ++px)
      image.put(px, py, color);
}

/// Draws the one-pixel outline of the rectangle [x, x + width) x [y, y + height).
inline void draw_rectangle(Image& image, Index x, Index y, Index width, Index height, Rgb color) {
  if (width <= 0 || height <= 0) return;
  fill_rectangle(image, x, y, width, 1, color);
  fill_rectangle(image, x, y + height - 1, width, 1, color);
  fill_rectangle(image, x, y, 1, height, color);
  fill_rectangle(image, x + width - 1, y, 1, height, color);
}

/// Draws an anti-aliased straight line from `from` to `to` with the given width in pixels
/// (> 0) and opacity. Coverage of a pixel is its centre's distance to the segment, so the ends
/// are rounded. Cost: proportional to length x width. Throws InvalidArgument for a width <= 0
/// or non-finite end points.
inline void draw_line(Image& image, const ImagePoint& from, const ImagePoint& to, Rgb color,
                      double width = 1.0, double opacity = 1.0) {
  POLYLEAK_REQUIRE(width > 0, "line width must be positive, got " + std::to_string(width));
  POLYLEAK_REQUIRE(from.allFinite() && to.allFinite(), "line end points must be finite");
  const double half = width / 2;
  const ImagePoint direction = to - from;
  const double length_squared = direction.squaredNorm();
  const auto coverage_at = [&](Index px, Index py) {
    const ImagePoint centre(double(px) + 0.5, double(py) + 0.5);
    const double t = length_squared > 0
                         ? std::clamp((centre - from).dot(direction) / length_squared, 0.0, 1.0)
                         : 0.0;
    const double distance = (centre - (from + t * direction)).norm();
    return std::clamp(half + 0.5 - distance, 0.0, 1.0);
  };

  // Walk along the major axis; at each step only a band of pixels across it can be covered.
  const bool steep = std::abs(direction.y()) > std::abs(direction.x());
  const int major = steep ? 1 : 0, minor = 1 - major;
  const ImagePoint& start = from[major] <= to[major] ? from : to;
  const ImagePoint& end = from[major] <= to[major] ? to : from;
  const double slope =
      end[major] > start[major] ? (end[minor] - start[minor]) / (end[major] - start[major]) : 0.0;
  const double band = half + 1.5;
  const double clip = double(steep ? image.height() : image.width());
  const Index first = Index(std::floor(std::max(start[major] - band, -1.0)));
  const Index last = Index(std::ceil(std::min(end[major] + band, clip + 1)));
  for (Index m = first; m <= last; ++m) {
    const double along = std::clamp(double(m) + 0.5, start[major], end[major]);
    const double centre = start[minor] + slope * (along - start[major]);
    const double reach = band * std::sqrt(1 + slope * slope);
    for (Index n = Index(std::floor(centre - reach)); n <= Index(std::ceil(centre + reach)); ++n) {
      const Index px = steep ? n : m, py = steep ? m : n;
      if (!image.contains(px, py)) continue;
      const double c = coverage_at(px, py);
      if (c > 0) image.blend(px, py, color, c * opacity);
    }
  }
}

/// Draws the segments between consecutive points; `closed` also joins the last to the first.
inline void draw_polyline(Image& image, const std::vector<ImagePoint>& points, Rgb color,
                          double width = 1.0, bool closed = false, double opacity = 1.0) {
  for (std::size_t i = 0; i + 1 < points.size(); ++i)
    draw_line(image, points[i], points[i + 1], color, width, opacity);
  if (closed && points.size() > 2)
    draw_line(image, points.back(), points.front(), color, width, opacity);
}

/// Fills a disc (`ring_width` <= 0) or draws a ring of that width, anti-aliased, centred at
/// `centre` with outer radius `radius` (>= 0).
inline void draw_circle(Image& image, const ImagePoint& centre, double radius, Rgb color,
                        double ring_width = 0.0, double opacity = 1.0) {
  POLYLEAK_REQUIRE(radius >= 0 && std::isfinite(radius),
                   "circle radius must be finite and >= 0, got " + std::to_string(radius));
  const Index x0 = Index(std::floor(centre.x() - radius - 1));
  const Index x1 = Index(std::ceil(centre.x() + radius + 1));
  const Index y0 = Index(std::floor(centre.y() - radius - 1));
  const Index y1 = Index(std::ceil(centre.y() + radius + 1));
  for (Index py = std::max<Index>(y0, 0); py <= std::min(y1, image.height() - 1); ++py)
    for (Index px = std::max<Index>(x0, 0); px <= std::min(x1, image.width() - 1); ++px) {
      const double distance = (ImagePoint(double(px) + 0.5, double(py) + 0.5) - centre).norm();
      double c = std::clamp(radius + 0.5 - distance, 0.0, 1.0);
      if (ring_width > 0)
        c = std::min(c, std::clamp(distance - (radius - ring_width) + 0.5, 0.0, 1.0));
      if (c > 0) image.blend(px, py, color, c * opacity);
    }
}

/// A marker for a training point: filled discs for members, rings for non-members.
enum class MarkerStyle { filled, hollow };

/// Draws a point marker of the given radius: a filled disc with a dark rim, or a ring.
inline void draw_marker(Image& image, const ImagePoint& centre, double radius, Rgb color,
                        MarkerStyle style) {
  if (style == MarkerStyle::filled) {
    draw_circle(image, centre, radius + 0.75, colors::black, 0.0, 0.6);
    draw_circle(image, centre, radius, color);
  } else {
    draw_circle(image, centre, radius, color, std::max(1.5, radius / 3));
  }
}

/// Fills a simple or self-intersecting polygon (even-odd rule) by scanlines at pixel centres,
/// with the given opacity. No anti-aliasing: draw the outline on top for smooth edges.
/// Cost: O(height x vertices).
inline void fill_polygon(Image& image, const std::vector<ImagePoint>& vertices, Rgb color,
                         double opacity = 1.0) {
  if (vertices.size() < 3) return;
  double top = vertices[0].y(), bottom = vertices[0].y();
  for (const auto& v : vertices) {
    POLYLEAK_REQUIRE(v.allFinite(), "polygon vertices must be finite");
    top = std::min(top, v.y());
    bottom = std::max(bottom, v.y());
  }
  std::vector<double> crossings;
  const Index y0 = std::max<Index>(Index(std::floor(top)), 0);
  const Index y1 = std::min<Index>(Index(std::ceil(bottom)), image.height() - 1);
  for (Index py = y0; py <= y1; ++py) {
    const double y = double(py) + 0.5;
    crossings.clear();
    for (std::size_t i = 0; i < vertices.size(); ++i) {
      const ImagePoint& a = vertices[i];
      const ImagePoint& b = vertices[(i + 1) % vertices.size()];
      if ((a.y() <= y) != (b.y() <= y))
        crossings.push_back(a.x() + (y - a.y()) / (b.y() - a.y()) * (b.x() - a.x()));
    }
    std::sort(crossings.begin(), crossings.end());
    for (std::size_t k = 0; k + 1 < crossings.size(); k += 2) {
      const Index x0 = std::max<Index>(Index(std::ceil(crossings[k] - 0.5)), 0);
      const Index x1 = std::min<Index>(Index(std::ceil(crossings[k + 1] - 0.5)), image.width());
      for (Index px = x0; px < x1; ++px)
        image.blend(px, py, color, opacity);
    }
  }
}

}  // namespace polyleak
