#pragma once
// RayShooter: the exact sequence of activation-region boundaries along a ray, the thesis's
// hyperedge ray shooting by bisection on class change (Alg. 5), and the metrics of section 4.4.

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "polyleak/core/check.hpp"
#include "polyleak/core/random.hpp"
#include "polyleak/core/scalar.hpp"
#include "polyleak/geometry/activation_pattern.hpp"
#include "polyleak/geometry/batched_polytope_functions.hpp"
#include "polyleak/geometry/polytope_function.hpp"
#include "polyleak/nn/mlp.hpp"

namespace polyleak {

/// Norms of one region's polytope function `x -> A_P x + b_P` that the thesis uses as features.
template <RealScalar Scalar>
struct RegionNorms {
  Scalar frobenius_norm = 0;  ///< ||A_P||_F (the "polytope derivative" of section 4.4.2)
  Scalar spectral_norm = 0;   ///< ||A_P||_2, the largest singular value
  Scalar bias_max_norm = 0;   ///< ||b_P||_inf
};

/// One boundary crossed by a ray: the ray leaves a region through the hyperplane of hidden neuron
/// (layer, neuron) and enters the region with `pattern`.
template <RealScalar Scalar>
struct RayCrossing {
  Scalar distance = 0;        ///< Euclidean distance from the ray's start to the crossing
  Vector<Scalar> point;       ///< the crossing point
  Index layer = 0;            ///< hidden layer of the crossed neuron
  Index neuron = 0;           ///< index of the crossed neuron in its layer
  Vector<Scalar> normal;      ///< the neuron's adapted weights w*: the hyperplane's normal
  ActivationPattern pattern;  ///< pattern of the region entered
  Index predicted_class = 0;  ///< class predicted in the region entered, along the ray
  std::optional<RegionNorms<Scalar>> norms;  ///< of the region entered, if asked for
};

/// The result of RayShooter::shoot: the start region and every crossing in order.
template <RealScalar Scalar>
struct RayPath {
  ActivationPattern start_pattern;
  Index start_class = 0;
  std::vector<RayCrossing<Scalar>> crossings;
};

/// Limits and outputs of RayShooter::shoot.
template <RealScalar Scalar>
struct RayShooterOptions {
  Index max_crossings = 100;  ///< stop after this many crossings
  Scalar max_distance = std::numeric_limits<Scalar>::infinity();  ///< or beyond this distance
  bool region_norms = true;  ///< compute RegionNorms of every region entered (the costly part)
};

/// Options of the thesis's hyperedge ray shooting (Alg. 5).
template <RealScalar Scalar>
struct HyperedgeRayShootingOptions {
  Index boundary_count = 10;    ///< numBoundaries: decision boundaries to find
  Index step_count = 20;        ///< numSteps: steps per boundary (walk, then bisection)
  Scalar step_width = 1;        ///< initial step width (1 in the thesis)
  std::uint64_t seed = 0;       ///< seed of the random first direction
  bool record_visited = false;  ///< keep every point the walk evaluated
};

/// The result of Alg. 5: boundary points where the predicted class changes, and for each the
/// closest hidden neuron there and its adapted weights (the next direction's normal).
template <RealScalar Scalar>
struct HyperedgeRayShot {
  Vector<Scalar> first_direction;
  std::vector<Vector<Scalar>> boundary_points;
  std::vector<std::pair<Index, Index>> closest_neurons;
  std::vector<Vector<Scalar>> normals;
  std::vector<Vector<Scalar>> visited;  ///< every evaluated point, if record_visited
};

/// The three metrics of thesis section 4.4 along a ray.
template <RealScalar Scalar>
struct RayMetrics {
  std::vector<Scalar> boundary_distances;          ///< distance from the start to each boundary
  std::vector<Scalar> polytope_derivatives;        ///< ||A_P||_F of the region at each boundary
  std::vector<Scalar> normal_cosine_similarities;  ///< cosine of successive boundaries' normals
};

namespace detail {

/// Cosine similarity of two vectors; 0 if either is zero.
template <RealScalar Scalar>
Scalar cosine_similarity(const Vector<Scalar>& a, const Vector<Scalar>& b) {
  const Scalar norms = a.norm() * b.norm();
  return norms > 0 ? a.dot(b) / norms : Scalar(0);
}

/// Cosines of successive normals.
template <RealScalar Scalar>
std::vector<Scalar> successive_cosines(const std::vector<const Vector<Scalar>*>& normals) {
  std::vector<Scalar> cosines;
  for (std::size_t k = 1; k < normals.size(); ++k)
    cosines.push_back(cosine_similarity(*normals[k - 1], *normals[k]));
  return cosines;
}

}  // namespace detail

/// Exact ray shooting (DESIGN, "Where we go beyond", point 2): inside a region every
/// pre-activation is affine along the ray `x + t u`, `z(t) = z0 + t dz` with dz the masked chain
/// applied to u (a Jacobian-vector product), so the exit is the smallest positive root over the
/// hidden neurons moving towards their hyperplane, and the next region is found by recomputing the
/// pattern at the exit point with ties broken by the sign of dz (the side the ray moves into). No
/// region along the ray is missed, however thin. Pre-activations within
/// ScalarTraits::geometry_tolerance of zero, relative to the magnitude of their terms, count as
/// on the hyperplane; several neurons crossed at one point flip together and the crossing names the
/// first of them.
///
/// Also the thesis's hyperedge ray shooting (Alg. 5), which walks and bisects on class change, as
/// the black-box variant, and the metrics of section 4.4.
/// @tparam Scalar float or double (double is the default for geometry).
/// Thread-safe for concurrent calls (holds only a reference to the network, which must outlive
/// it). Deterministic.
template <RealScalar Scalar = double>
class RayShooter {
 public:
  using VectorType = Vector<Scalar>;

  explicit RayShooter(const Mlp<Scalar>& network) : network_(network) {
    for (Index l = 0; l < network.layer_count(); ++l)
      row_norms_.push_back(network.weights(l).cwiseAbs().rowwise().sum());
  }

  /// The boundaries crossed by the ray `start + t direction`, t > 0, in order, up to
  /// options.max_crossings or options.max_distance. Throws InvalidArgument for wrong lengths, a
  /// zero or non-finite direction, or a non-finite start.
  /// Cost per crossing: two forward passes (values and Jacobian-vector product together, and the
  /// adapted weights of the crossed neuron), plus, if asked for, the region norms by one batched
  /// polytope_norms call over all regions entered (about min(d, m) + 2 forward passes each).
  RayPath<Scalar> shoot(const Eigen::Ref<const VectorType>& start,
                        const Eigen::Ref<const VectorType>& direction,
                        const RayShooterOptions<Scalar>& options = {}) const {
    check_point(start, "start");
    check_point(direction, "direction");
    const Scalar speed = direction.norm();
    POLYLEAK_REQUIRE(speed > 0, "direction must not be zero");
    POLYLEAK_REQUIRE(options.max_crossings >= 0 && !(options.max_distance < 0),
                     "max_crossings and max_distance must be >= 0, got " +
                         std::to_string(options.max_crossings) + " and " +
                         std::to_string(options.max_distance));

    RayPath<Scalar> path;
    std::vector<VectorType> interiors;  // a point inside each region entered
    VectorType point = start;
    Scalar distance = 0;
    Pass pass = evaluate(point, direction);
    path.start_pattern = pass.pattern;
    while (true) {
      const Scalar remaining = (options.max_distance - distance) / speed;
      const bool stop =
          Index(path.crossings.size()) == options.max_crossings || !(pass.exit < remaining);
      const Scalar step = std::min(pass.exit, remaining);
      const Scalar middle = std::isfinite(step) ? step / 2 : Scalar(1);
      const Index predicted = pass.class_at(middle);
      if (path.crossings.empty()) {
        path.start_class = predicted;
      } else {
        path.crossings.back().predicted_class = predicted;
        interiors.push_back(point + middle * direction);
      }
      if (stop) break;

      RayCrossing<Scalar> crossing;
      crossing.layer = pass.exit_layer;
      crossing.neuron = pass.exit_neuron;
      crossing.normal = adapted_weights(pass, pass.exit_layer, pass.exit_neuron);
      point += pass.exit * direction;
      distance += pass.exit * speed;
      crossing.point = point;
      crossing.distance = distance;
      pass = evaluate(point, direction);
      crossing.pattern = pass.pattern;
      path.crossings.push_back(std::move(crossing));
    }
    if (options.region_norms) add_region_norms(path, interiors);
    return path;
  }

  /// The thesis's hyperedge ray shooting (Alg. 5): from `start`, walk along a random direction
  /// (coordinates uniform in (-1, 1), normalised) in steps of options.step_width until the
  /// predicted class changes, then bisect (reverse and halve the step at every change) for the rest
  /// of options.step_count steps; the last point where the class changed is the boundary point.
  /// The next direction is the adapted-weight normal of the hidden neuron closest to its
  /// hyperplane there (smallest |z|), oriented away from the start. Stops early when a walk finds
  /// no class change. Throws InvalidArgument for a wrong length or bad options.
  /// Cost: boundary_count * (step_count + 2) forward passes. Deterministic for a given seed.
  HyperedgeRayShot<Scalar> hyperedge_ray_shooting(
      const Eigen::Ref<const VectorType>& start,
      const HyperedgeRayShootingOptions<Scalar>& options = {}) const {
    check_point(start, "start");
    POLYLEAK_REQUIRE(options.boundary_count >= 0 && options.step_count > 0 &&
                         options.step_width > 0 && std::isfinite(options.step_width),
                     "need boundary_count >= 0, step_count > 0 and a finite step_width > 0");
    HyperedgeRayShot<Scalar> shot;
    Rng rng(options.seed);
    std::uniform_real_distribution<Scalar> uniform(-1, 1);
    VectorType direction(start.size());
    do {
      for (Index i = 0; i < direction.size(); ++i)
        direction(i) = uniform(rng);
    } while (!(direction.norm() > 0));
    direction.normalize();
    shot.first_direction = direction;

    VectorType point = start;
    Scalar sign = 1;
    Index last_class = predict(point);
    for (Index b = 0; b < options.boundary_count; ++b) {
      Scalar step = options.step_width;
      bool found = false;
      VectorType boundary;
      for (Index s = 0; s < options.step_count; ++s) {
        point += sign * step * direction;
        if (options.record_visited) shot.visited.push_back(point);
        const Index current = predict(point);
        if (current != last_class) {
          sign = -sign;
          found = true;
          last_class = current;
          boundary = point;
        }
        if (found) step /= 2;
      }
      if (!found) break;
      const Pass pass = evaluate(boundary, VectorType::Zero(start.size()));
      direction = adapted_weights(pass, pass.closest_layer, pass.closest_neuron);
      const Scalar length = direction.norm();
      shot.boundary_points.push_back(boundary);
      shot.closest_neurons.emplace_back(pass.closest_layer, pass.closest_neuron);
      shot.normals.push_back(direction);
      if (!(length > 0)) break;
      direction /= length;
      sign = direction.dot(point - start) >= 0 ? Scalar(1) : Scalar(-1);
    }
    return shot;
  }

  /// Section 4.4 metrics of an exact ray path: the crossings' distances, the Frobenius norms of
  /// the regions entered (requires region_norms), and cosines of successive crossings' normals.
  static RayMetrics<Scalar> metrics(const RayPath<Scalar>& path) {
    RayMetrics<Scalar> result;
    std::vector<const VectorType*> normals;
    for (const auto& crossing : path.crossings) {
      result.boundary_distances.push_back(crossing.distance);
      POLYLEAK_REQUIRE(crossing.norms.has_value(),
                       "crossings carry no region norms; shoot with region_norms = true");
      result.polytope_derivatives.push_back(crossing.norms->frobenius_norm);
      normals.push_back(&crossing.normal);
    }
    result.normal_cosine_similarities = detail::successive_cosines(normals);
    return result;
  }

  /// Section 4.4 metrics of Alg. 5's boundary points: distances from `start`, ||A_P||_F of the
  /// region at each boundary point, cosines of successive closest-neuron normals.
  RayMetrics<Scalar> metrics(const Eigen::Ref<const VectorType>& start,
                             const HyperedgeRayShot<Scalar>& shot) const {
    check_point(start, "start");
    RayMetrics<Scalar> result;
    std::vector<const VectorType*> normals;
    for (std::size_t k = 0; k < shot.boundary_points.size(); ++k) {
      const auto& point = shot.boundary_points[k];
      check_point(point, "boundary point");
      result.boundary_distances.push_back((point - start).norm());
      result.polytope_derivatives.push_back(
          PolytopeFunction<Scalar>(network_, point).matrix().norm());
      normals.push_back(&shot.normals[k]);
    }
    result.normal_cosine_similarities = detail::successive_cosines(normals);
    return result;
  }

 private:
  // One forward pass at a point with the derivative along a direction, and what follows from it.
  struct Pass {
    ActivationPattern pattern;
    std::vector<Vector<Scalar>> slopes;  // activation slopes of each hidden layer
    VectorType logits;
    VectorType logit_rates;
    Scalar exit = std::numeric_limits<Scalar>::infinity();
    Index exit_layer = -1;
    Index exit_neuron = -1;
    Index closest_layer = 0;
    Index closest_neuron = 0;

    Index class_at(Scalar t) const {
      Index best = 0;
      (logits + t * logit_rates).maxCoeff(&best);
      return best;
    }
  };

  void check_point(const Eigen::Ref<const VectorType>& x, const char* what) const {
    POLYLEAK_REQUIRE(x.size() == network_.input_dimension(),
                     std::string(what) + " has " + std::to_string(x.size()) +
                         " coordinates, network expects " +
                         std::to_string(network_.input_dimension()));
    require_finite(x, "RayShooter", what);
  }

  // Norms of every region entered, from one batched call at points inside the regions; a region
  // too thin for its interior point to have its pattern gets them from its pattern.
  void add_region_norms(RayPath<Scalar>& path, const std::vector<VectorType>& interiors) const {
    if (interiors.empty()) return;
    Matrix<Scalar> points(network_.input_dimension(), Index(interiors.size()));
    for (std::size_t k = 0; k < interiors.size(); ++k)
      points.col(Index(k)) = interiors[k];
    const auto norms = polytope_norms(network_, points);
    const auto patterns = activation_patterns(network_, points);
    for (std::size_t k = 0; k < interiors.size(); ++k) {
      auto& crossing = path.crossings[k];
      if (patterns[k] == crossing.pattern) {
        const Index j = Index(k);
        crossing.norms = RegionNorms<Scalar>{norms.frobenius_norm(j), norms.spectral_norm(j),
                                             norms.bias_max_norm(j)};
      } else {
        const PolytopeFunction<Scalar> function(network_, crossing.pattern);
        crossing.norms =
            RegionNorms<Scalar>{function.matrix().norm(), detail::spectral_norm(function.matrix()),
                                function.bias().cwiseAbs().maxCoeff()};
      }
    }
  }

  Index predict(const VectorType& x) const {
    Index best = 0;
    network_.forward(x).maxCoeff(&best);
    return best;
  }

  // Values z and rates dz of every layer at `point` along `direction`, layer by layer, so that a
  // neuron on its hyperplane takes the side the ray moves into; the exit is the smallest root of
  // the neurons moving towards their hyperplane.
  Pass evaluate(const VectorType& point, const VectorType& direction) const {
    const Scalar tolerance = ScalarTraits<Scalar>::geometry_tolerance;
    Pass pass;
    pass.pattern = ActivationPattern::zeros_for(network_);
    Matrix<Scalar> state(point.size(), 2);
    state << point, direction;
    Scalar closest = std::numeric_limits<Scalar>::infinity();
    for (Index l = 0; l < network_.layer_count(); ++l) {
      Matrix<Scalar> next = network_.weights(l) * state;
      next.col(0) += network_.biases(l);
      if (l + 1 == network_.layer_count()) {
        pass.logits = next.col(0);
        pass.logit_rates = next.col(1);
        break;
      }
      const Scalar value_scale = state.col(0).template lpNorm<Eigen::Infinity>();
      const Scalar rate_scale = state.col(1).template lpNorm<Eigen::Infinity>();
      const Index offset = pass.pattern.layer_offset(l);
      for (Index i = 0; i < next.rows(); ++i) {
        const Scalar z = next(i, 0);
        const Scalar dz = next(i, 1);
        const Scalar row = row_norms_[std::size_t(l)](i);
        const bool on_plane =
            std::abs(z) <= tolerance * (row * value_scale + std::abs(network_.biases(l)(i)));
        const bool moving = std::abs(dz) > tolerance * row * rate_scale;
        const bool active = on_plane && moving ? dz > 0 : z > 0;
        pass.pattern.set_flat(offset + i, active);
        if (std::abs(z) < closest) {
          closest = std::abs(z);
          pass.closest_layer = l;
          pass.closest_neuron = i;
        }
        if (moving && (active ? dz < 0 : dz > 0)) {
          const Scalar root = -z / dz;
          if (root < pass.exit) {
            pass.exit = std::max(Scalar(0), root);
            pass.exit_layer = l;
            pass.exit_neuron = i;
          }
        }
      }
      pass.slopes.push_back(detail::activation_slopes(pass.pattern, l, network_.negative_slope()));
      state = pass.slopes.back().asDiagonal() * next;
    }
    return pass;
  }

  // Adapted weights w*_{l,i} of the region evaluated by `pass`: row i of W_l D_{l-1} ... W_0, by a
  // vector-Jacobian product from layer l down.
  VectorType adapted_weights(const Pass& pass, Index layer, Index neuron) const {
    RowVector<Scalar> row = network_.weights(layer).row(neuron);
    for (Index l = layer - 1; l >= 0; --l) {
      row = row.cwiseProduct(pass.slopes[std::size_t(l)].transpose());
      row = row * network_.weights(l);
    }
    return row.transpose();
  }

  const Mlp<Scalar>& network_;
  std::vector<VectorType> row_norms_;
};

}  // namespace polyleak
