#pragma once
// Umbrella header of module geometry.

#include "polyleak/geometry/activation_pattern.hpp"
#include "polyleak/geometry/polytope_function.hpp"
