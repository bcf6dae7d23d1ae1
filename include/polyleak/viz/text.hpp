#pragma once
// Text drawing with the public-domain stb_easy_font bitmap font (ASCII, one line height = 12
// font pixels), scaled by an integer factor.

#include <string>
#include <string_view>
#include <vector>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#endif
#include <stb_easy_font.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "polyleak/core/check.hpp"
#include "polyleak/viz/image.hpp"

namespace polyleak {

/// Where the anchor point lies along the text: at its start, middle or end.
enum class TextAlign { left, center, right };

/// How draw_text() renders a string.
struct TextStyle {
  Rgb color = colors::black;
  /// Font pixels are scale x scale image pixels; scale 2 gives about 14-pixel capitals.
  Index scale = 2;
  TextAlign align = TextAlign::left;
  /// Rotated 90 degrees counter-clockwise (reading upwards), for vertical axis labels.
  bool vertical = false;
};

namespace detail {

/// The text with every character outside printable ASCII (and newline) replaced by '?', which
/// is what the font can draw.
inline std::string printable_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c != '\n' && (c < 32 || c > 126)) c = '?';
  return out;
}

inline void require_text_scale(Index scale, const char* function) {
  if (scale < 1)
    throw_invalid_argument(function, "text scale must be at least 1, got " + std::to_string(scale));
}

}  // namespace detail

/// Width in image pixels of the widest line of `text` at the given scale (>= 1).
inline Index text_width(std::string_view text, Index scale = 2) {
  detail::require_text_scale(scale, "text_width");
  std::string printable = detail::printable_ascii(text);
  return Index(stb_easy_font_width(printable.data())) * scale;
}

/// Height in image pixels of `text` (12 font pixels per line, so including line spacing).
inline Index text_height(std::string_view text, Index scale = 2) {
  detail::require_text_scale(scale, "text_height");
  std::string printable = detail::printable_ascii(text);
  return Index(stb_easy_font_height(printable.data())) * scale;
}

/// Draws `text` ('\n' starts a new line) with its top edge at y and its anchor (start, middle or
/// end, by style.align) at x. Vertical text reads upwards: its top edge is at x and its anchor
/// at y. Clipped to the image; characters outside printable ASCII are drawn as '?'.
/// Throws InvalidArgument for a scale below 1. Cost: proportional to the drawn pixels.
inline void draw_text(Image& image, Index x, Index y, std::string_view text,
                      const TextStyle& style = {}) {
  detail::require_text_scale(style.scale, "draw_text");
  std::string printable = detail::printable_ascii(text);
  if (printable.empty()) return;

  // stb_easy_font emits axis-aligned quads of 4 vertices, 16 bytes each (x, y, z, colour).
  constexpr int vertex_bytes = 16;
  constexpr int quad_bytes = 4 * vertex_bytes;
  constexpr int quads_per_char_bound = 32;
  std::vector<char> buffer((printable.size() + 1) * quads_per_char_bound * quad_bytes);
  const int quads =
      stb_easy_font_print(0, 0, printable.data(), nullptr, buffer.data(), int(buffer.size()));

  const Index width = text_width(printable, style.scale);
  const Index shift = style.align == TextAlign::left     ? 0
                      : style.align == TextAlign::center ? width / 2
                                                         : width;
  for (int q = 0; q < quads; ++q) {
    const auto* v = reinterpret_cast<const float*>(buffer.data() + q * quad_bytes);
    // Vertices 0 and 2 are opposite corners of the quad.
    const Index fx0 = Index(v[0]), fy0 = Index(v[1]);
    const Index fx1 = Index(v[2 * 4]), fy1 = Index(v[2 * 4 + 1]);
    for (Index fy = fy0 * style.scale; fy < fy1 * style.scale; ++fy)
      for (Index fx = fx0 * style.scale; fx < fx1 * style.scale; ++fx) {
        if (style.vertical)
          image.put(x + fy, y + shift - fx - 1, style.color);
        else
          image.put(x - shift + fx, y + fy, style.color);
      }
  }
}

}  // namespace polyleak
