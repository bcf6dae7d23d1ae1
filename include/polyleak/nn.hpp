#pragma once
// Umbrella header of module nn.

#include "polyleak/nn/backpropagation.hpp"
#include "polyleak/nn/mlp.hpp"
#include "polyleak/nn/model_file.hpp"
#include "polyleak/nn/safetensors.hpp"
#include "polyleak/nn/training.hpp"
