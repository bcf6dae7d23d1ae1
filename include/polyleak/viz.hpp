#pragma once
// Umbrella header of module viz: images, drawing, colormaps, raster maps, figures, animations.

#include "polyleak/viz/colormap.hpp"
#include "polyleak/viz/draw.hpp"
#include "polyleak/viz/figure.hpp"
#include "polyleak/viz/gif_writer.hpp"
#include "polyleak/viz/image.hpp"
#include "polyleak/viz/map_images.hpp"
#include "polyleak/viz/raster_maps.hpp"
#include "polyleak/viz/roc_plot.hpp"
#include "polyleak/viz/scene.hpp"
#include "polyleak/viz/slice_drawing.hpp"
#include "polyleak/viz/text.hpp"
#include "polyleak/viz/training_animation.hpp"
#include "polyleak/viz/viewport.hpp"
