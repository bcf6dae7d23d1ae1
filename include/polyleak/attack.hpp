#pragma once
// Umbrella header of module attack.

#include "polyleak/attack/activation_polytope_attack.hpp"
#include "polyleak/attack/attack_features.hpp"
#include "polyleak/attack/attack_model.hpp"
#include "polyleak/attack/boosted_trees.hpp"
#include "polyleak/attack/boundary_distance_attack.hpp"
#include "polyleak/attack/confidence_attack.hpp"
#include "polyleak/attack/gap_attack.hpp"
#include "polyleak/attack/label_only_attack.hpp"
#include "polyleak/attack/lira_attack.hpp"
#include "polyleak/attack/membership_attack.hpp"
#include "polyleak/attack/membership_models.hpp"
#include "polyleak/attack/metrics.hpp"
#include "polyleak/attack/ml_leaks_attack.hpp"
#include "polyleak/attack/shadow_data.hpp"
