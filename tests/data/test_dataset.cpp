#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "polyleak/data.hpp"

using namespace polyleak;

namespace {

// n points in 2-D whose first coordinate is their index, labels index % classes.
template <class Scalar>
Dataset<Scalar> indexed_dataset(Index n, Index classes) {
  Dataset<Scalar> data;
  data.features = Matrix<Scalar>::Zero(2, n);
  for (Index i = 0; i < n; ++i) {
    data.features(0, i) = Scalar(i);
    data.features(1, i) = Scalar(2 * i);
    data.labels.push_back(i % classes);
  }
  data.class_count = classes;
  data.feature_names = {"a", "b"};
  return data;
}

template <class Scalar>
std::vector<Index> identities(const Dataset<Scalar>& data) {
  std::vector<Index> ids;
  for (Index i = 0; i < data.size(); ++i)
    ids.push_back(Index(data.features(0, i)));
  return ids;
}

}  // namespace

TEST_CASE_TEMPLATE("Dataset: sizes, validate and subset", Scalar, float, double) {
  Dataset<Scalar> data = indexed_dataset<Scalar>(5, 3);
  CHECK(data.size() == 5);
  CHECK(data.dimension() == 2);
  CHECK_NOTHROW(data.validate());

  const Dataset<Scalar> part = data.subset({4, 0, 4});
  CHECK(part.size() == 3);
  CHECK(identities(part) == std::vector<Index>{4, 0, 4});
  CHECK(part.labels == std::vector<Index>{1, 0, 1});
  CHECK(part.features(1, 0) == Scalar(8));
  CHECK(part.class_count == 3);
  CHECK(part.feature_names == data.feature_names);
  CHECK(data.subset({}).size() == 0);

  CHECK_THROWS_AS(data.subset({5}), InvalidArgument);
  CHECK_THROWS_AS(data.subset({-1}), InvalidArgument);
  data.labels[2] = 3;
  CHECK_THROWS_WITH_AS(data.validate(), doctest::Contains("label of point 2 is 3"),
                       InvalidArgument);
  data.labels[2] = 0;
  data.labels.pop_back();
  CHECK_THROWS_AS(data.validate(), InvalidArgument);
  data.labels.push_back(0);
  data.feature_names.pop_back();
  CHECK_THROWS_AS(data.validate(), InvalidArgument);
}

TEST_CASE_TEMPLATE("split_for_membership: sizes, disjoint, deterministic, seeded", Scalar, float,
                   double) {
  const Dataset<Scalar> data = indexed_dataset<Scalar>(100, 4);
  const MembershipSplitSizes sizes{30, 20, 25, 15};
  const MembershipSplit<Scalar> split = split_for_membership(data, sizes, 11);
  CHECK(split.target_train.size() == 30);
  CHECK(split.target_test.size() == 20);
  CHECK(split.shadow_train.size() == 25);
  CHECK(split.shadow_test.size() == 15);

  std::set<Index> seen;
  for (const Dataset<Scalar>* part :
       {&split.target_train, &split.target_test, &split.shadow_train, &split.shadow_test}) {
    CHECK(part->class_count == 4);
    for (Index i = 0; i < part->size(); ++i) {
      const Index id = Index(part->features(0, i));
      CHECK(part->labels[std::size_t(i)] == id % 4);
      CHECK(part->features(1, i) == Scalar(2 * id));
      seen.insert(id);
    }
  }
  CHECK(seen.size() == 90);

  const MembershipSplit<Scalar> again = split_for_membership(data, sizes, 11);
  CHECK(identities(again.target_train) == identities(split.target_train));
  CHECK(identities(again.shadow_test) == identities(split.shadow_test));
  const MembershipSplit<Scalar> other = split_for_membership(data, sizes, 12);
  CHECK(identities(other.target_train) != identities(split.target_train));

  CHECK(split_for_membership(data, {50, 50, 0, 0}, 1).target_test.size() == 50);
  CHECK_THROWS_WITH_AS(split_for_membership(data, {50, 50, 1, 0}, 1),
                       doctest::Contains("sum to 101"), InvalidArgument);
  CHECK_THROWS_AS(split_for_membership(data, {-1, 0, 0, 0}, 1), InvalidArgument);
}

TEST_CASE_TEMPLATE("make_clusters2d: unit square, gap between classes, deterministic", Scalar,
                   float, double) {
  Clusters2dOptions options;
  options.pair_count = 6;
  options.points_per_cluster = 40;
  options.spread = 0.06;
  options.gap = 0.03;
  const Dataset<Scalar> data = make_clusters2d<Scalar>(options, 5);
  REQUIRE(data.size() == 6 * 2 * 40);
  CHECK(data.dimension() == 2);
  CHECK(data.class_count == 2);
  CHECK_NOTHROW(data.validate());
  CHECK(std::count(data.labels.begin(), data.labels.end(), 0) == 6 * 40);
  CHECK(data.features.minCoeff() >= Scalar(0));
  CHECK(data.features.maxCoeff() <= Scalar(1));

  Scalar closest = 2;
  for (Index i = 0; i < data.size(); ++i)
    for (Index j = i + 1; j < data.size(); ++j) {
      const Scalar distance = (data.features.col(i) - data.features.col(j)).norm();
      if (data.labels[std::size_t(i)] != data.labels[std::size_t(j)])
        closest = std::min(closest, distance);
      else if (i / 40 == j / 40)  // same cluster: inside one disk of radius spread
        CHECK(distance <= Scalar(2 * options.spread));
    }
  CHECK(closest >= Scalar(options.gap));
  // The pairs are placed gap apart, so the closest points of different classes come near it.
  CHECK(closest <= Scalar(options.gap + options.spread));

  const Dataset<Scalar> again = make_clusters2d<Scalar>(options, 5);
  CHECK(again.features == data.features);
  CHECK(again.labels == data.labels);
  CHECK(make_clusters2d<Scalar>(options, 6).features != data.features);
}

TEST_CASE_TEMPLATE("make_clusters2d: more classes and infeasible options", Scalar, float, double) {
  Clusters2dOptions options;
  options.pair_count = 3;
  options.points_per_cluster = 10;
  options.class_count = 3;
  options.gap = 0.05;
  const Dataset<Scalar> data = make_clusters2d<Scalar>(options, 2);
  CHECK(data.size() == 90);
  CHECK(data.class_count == 3);
  for (Index i = 0; i < data.size(); ++i)
    for (Index j = i + 1; j < data.size(); ++j)
      if (data.labels[std::size_t(i)] != data.labels[std::size_t(j)])
        CHECK((data.features.col(i) - data.features.col(j)).norm() >= Scalar(options.gap));

  Clusters2dOptions crowded;
  crowded.pair_count = 40;
  crowded.spread = 0.2;
  crowded.max_attempts = 50;
  CHECK_THROWS_WITH_AS(make_clusters2d<Scalar>(crowded, 1), doctest::Contains("could not place"),
                       InvalidArgument);
  Clusters2dOptions wide;
  wide.spread = 0.5;
  CHECK_THROWS_AS(make_clusters2d<Scalar>(wide, 1), InvalidArgument);
  Clusters2dOptions one_class;
  one_class.class_count = 1;
  CHECK_THROWS_AS(make_clusters2d<Scalar>(one_class, 1), InvalidArgument);
}
