#pragma once
// Umbrella header of module geometry.

#include "polyleak/geometry/activation_pattern.hpp"
#include "polyleak/geometry/batched_polytope_functions.hpp"
#include "polyleak/geometry/boundary_distance.hpp"
#include "polyleak/geometry/boundary_search.hpp"
#include "polyleak/geometry/linear_program.hpp"
#include "polyleak/geometry/partition2d.hpp"
#include "polyleak/geometry/polytope.hpp"
#include "polyleak/geometry/polytope_function.hpp"
#include "polyleak/geometry/ray_shooter.hpp"
