#pragma once
// Umbrella header of module data.

#include "polyleak/data/adult.hpp"
#include "polyleak/data/clusters2d.hpp"
#include "polyleak/data/dataset.hpp"
#include "polyleak/data/fashion_mnist.hpp"
#include "polyleak/data/idx.hpp"
#include "polyleak/data/location.hpp"
#include "polyleak/data/membership_split.hpp"
#include "polyleak/data/purchase.hpp"
#include "polyleak/data/svmlight.hpp"
#include "polyleak/data/texas.hpp"
