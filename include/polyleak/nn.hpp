#pragma once
// Umbrella header of module nn.

#include "polyleak/nn/mlp.hpp"
