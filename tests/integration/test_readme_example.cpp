// The usage example of README.md, compiled and checked (keep the two in step).

#include <doctest/doctest.h>

// README example begins
#include <polyleak/data.hpp>
#include <polyleak/geometry.hpp>
#include <polyleak/nn.hpp>

using namespace polyleak;

// Train the thesis's 2-25-25-25-25-2 network on Clusters2D, then look inside it.
void readme_example(Index& regions, Index& crossings, double& jacobian_norm) {
  const auto data = make_clusters2d<double>(Clusters2dOptions{}, /*seed=*/1);
  auto network = Mlp<double>::he_initialized({2, 25, 25, 25, 25, 2}, /*seed=*/1);
  TrainingOptions<double> options;
  options.epochs = 200;
  options.seed = 1;
  train(network, data.features, data.labels, options);

  // Every activation region of the unit square, exactly: polygon, pattern, affine map.
  const Partition2d<double> partition(network, SliceBox<double>{0, 1, 0, 1});
  regions = partition.region_count();

  // The polytope function x -> A_P x + b_P of the region around a point.
  const Vector<double> x = data.features.col(0);
  const PolytopeFunction<double> f(network, x);
  jacobian_norm = f.matrix().norm();

  // The exact sequence of region boundaries along a ray.
  const RayShooter<double> shooter(network);
  const auto path = shooter.shoot(x, Vector<double>::Unit(2, 0));
  crossings = Index(path.crossings.size());
}
// README example ends

TEST_CASE("the README example runs and finds regions, crossings and a polytope function") {
  Index regions = 0, crossings = 0;
  double jacobian_norm = 0;
  readme_example(regions, crossings, jacobian_norm);
  CHECK(regions > 100);
  CHECK(crossings > 0);
  CHECK(jacobian_norm > 0);
}
