#pragma once
// Umbrella header of module core.

#include "polyleak/core/backend.hpp"
#include "polyleak/core/check.hpp"
#include "polyleak/core/error.hpp"
#include "polyleak/core/log.hpp"
#include "polyleak/core/random.hpp"
#include "polyleak/core/scalar.hpp"
