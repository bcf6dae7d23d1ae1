// The CUDA module's logic on the CPU, compiled without nvcc: the host-device helpers the kernels
// call (pattern words, per-point norms, Jacobi eigenvalues, the phases of the tiled product, the
// small-network chain) and the passes that drive the kernels, run with HostExecutor, against the
// CPU reference; and the CpuBackend overloads against the plain CPU functions.

#include <doctest/doctest.h>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <cstdint>
#include <vector>

#include "comparison.hpp"
#include "host_executor.hpp"
#include "polyleak/core/backend.hpp"
#include "polyleak/cuda/detail/chain_steps.hpp"
#include "polyleak/cuda/detail/pattern_bits.hpp"
#include "polyleak/cuda/detail/point_norms.hpp"
#include "polyleak/cuda/detail/small_network_chain.hpp"
#include "polyleak/cuda/detail/tiled_product.hpp"
#include "polyleak/geometry.hpp"
#include "polyleak/viz/raster_maps.hpp"

using namespace polyleak;

namespace {

/// Norms through the backend tag only, as user code templated on a Backend would call them.
template <Backend B, RealScalar Scalar>
PolytopeNorms<Scalar> norms_through(B backend, const Mlp<Scalar>& network,
                                    const Matrix<Scalar>& points) {
  return polytope_norms(backend, network, points);
}

}  // namespace

TEST_CASE_TEMPLATE("layer_pattern_word packs the bits of ActivationPattern", Scalar, float,
                   double) {
  // Layers that start and end inside words, fill a word exactly, and are one neuron wide.
  const auto network = test::random_network<Scalar>({3, 70, 1, 64, 65, 2}, 5);
  const Matrix<Scalar> points = test::comparison_points<Scalar>(3, 40, 6);
  const auto z = network.pre_activations(points);
  const auto expected = activation_patterns(network, points);
  const Index words = Index(expected.front().words().size());
  REQUIRE(words == 4);
  for (Index j = 0; j < points.cols(); ++j) {
    std::vector<detail::PatternWord> packed(std::size_t(words), 0);
    Index offset = 0;
    for (Index l = 0; l < network.hidden_layer_count(); ++l) {
      const Matrix<Scalar>& zl = z[std::size_t(l)];
      for (Index w = 0; w < words; ++w)
        packed[std::size_t(w)] |=
            detail::layer_pattern_word(zl.col(j).data(), zl.rows(), offset, w);
      offset += zl.rows();
    }
    CHECK(packed == expected[std::size_t(j)].words());
  }
}

TEST_CASE("packed pattern words: equality and order") {
  const detail::PatternWord a[] = {1, 5}, b[] = {1, 6}, c[] = {2, 0};
  CHECK(detail::same_pattern_words(a, a, 2));
  CHECK_FALSE(detail::same_pattern_words(a, b, 2));
  CHECK(detail::same_pattern_words(a, b, 1));
  CHECK(detail::same_pattern_words(a, b, 0));
  CHECK(detail::pattern_words_less(a, b, 2));
  CHECK(detail::pattern_words_less(b, c, 2));
  CHECK_FALSE(detail::pattern_words_less(b, a, 2));
  CHECK_FALSE(detail::pattern_words_less(a, a, 2));
}

TEST_CASE_TEMPLATE("largest_symmetric_eigenvalue equals Eigen's", Scalar, float, double) {
  const Scalar tolerance = ScalarTraits<Scalar>::equality_tolerance;
  Rng rng(11);
  for (Index k = 1; k <= 12; ++k) {
    CAPTURE(k);
    const Matrix<Scalar> b = random_normal<Scalar>(k, k + 2, 0, 1, rng);
    const Matrix<Scalar> g = b * b.transpose();
    Matrix<Scalar> work = g;
    const Scalar largest = detail::largest_symmetric_eigenvalue(work.data(), k, tolerance, 32);
    const Scalar expected = Eigen::SelfAdjointEigenSolver<Matrix<Scalar>>(g, Eigen::EigenvaluesOnly)
                                .eigenvalues()
                                .maxCoeff();
    CHECK(std::abs(largest - expected) <= tolerance * expected);
  }
  // Analytic: a diagonal matrix (no rotation), a repeated eigenvalue, the zero matrix.
  Matrix<Scalar> diagonal = Vector<Scalar>::LinSpaced(5, -2, 3).asDiagonal();
  CHECK(detail::largest_symmetric_eigenvalue(diagonal.data(), 5, tolerance, 32) == 3);
  Matrix<Scalar> repeated = Matrix<Scalar>::Constant(4, 4, 1) + Matrix<Scalar>::Identity(4, 4);
  CHECK(detail::largest_symmetric_eigenvalue(repeated.data(), 4, tolerance, 32) ==
        doctest::Approx(5).epsilon(double(tolerance)));
  Matrix<Scalar> zero = Matrix<Scalar>::Zero(3, 3);
  CHECK(detail::largest_symmetric_eigenvalue(zero.data(), 3, tolerance, 32) == 0);
}

TEST_CASE_TEMPLATE("point_norms equals polytope_norms", Scalar, float, double) {
  // min(d, m) of 1, 2 (closed forms), 4 and 6 (Jacobi rotations).
  for (const std::vector<Index>& sizes :
       {std::vector<Index>{2, 16, 16, 2}, {3, 10, 1}, {5, 12, 8, 4}, {6, 9, 9}, {1, 7, 1}}) {
    CAPTURE(sizes.size());
    const auto network = test::random_network<Scalar>(sizes, 21);
    const Index d = sizes.front(), m = sizes.back(), k = std::min(d, m);
    const Matrix<Scalar> points = test::comparison_points<Scalar>(d, 50, 22);
    const auto batch = polytope_functions(network, points);
    const auto want = polytope_norms(network, points);
    PolytopeNorms<Scalar> got;
    for (auto* v : {&got.frobenius_norm, &got.spectral_norm, &got.bias_max_norm, &got.output_norm,
                    &got.confidence})
      v->resize(points.cols());
    got.predicted_class.resize(std::size_t(points.cols()));
    std::vector<Scalar> gram(std::size_t(k * k));
    const detail::PointMatrixView<Scalar> a{batch.matrices.data(), d * m, m};
    const detail::PointVectorView<Scalar> logits{batch.logits.data(), m};
    for (Index j = 0; j < points.cols(); ++j) {
      const auto norms = detail::point_norms(a, logits, points.col(j).data(), j, m, d, gram.data(),
                                             ScalarTraits<Scalar>::equality_tolerance);
      got.frobenius_norm(j) = norms.frobenius_norm;
      got.spectral_norm(j) = norms.spectral_norm;
      got.bias_max_norm(j) = norms.bias_max_norm;
      got.output_norm(j) = norms.output_norm;
      got.confidence(j) = norms.confidence;
      got.predicted_class[std::size_t(j)] = norms.predicted_class;
    }
    const std::vector<bool> none(std::size_t(points.cols()), false);
    test::check_norms(got, want, points, batch.logits, none);
    // The same logits give the same arg max, bit for bit.
    CHECK(got.predicted_class == want.predicted_class);
  }
}

TEST_CASE_TEMPLATE("tiled product phases equal a plain product, both tile shapes", Scalar, float,
                   double) {
  const double tolerance = ScalarTraits<Scalar>::equality_tolerance;
  struct Size {
    Index rows, cols, depth;
  };
  // One entry; exact tiles; one more than a tile in every direction; depth 1 and below a stage.
  const std::vector<Size> sizes = {{1, 1, 1},   {32, 128, 16}, {64, 64, 32}, {33, 129, 17},
                                   {65, 65, 1}, {100, 3, 7},   {5, 300, 40}, {70, 70, 15}};
  Rng rng(31);
  for (const Size& s : sizes) {
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    CAPTURE(s.depth);
    const Matrix<Scalar> a = random_normal<Scalar>(s.rows, s.depth, 0, 1, rng);
    const Matrix<Scalar> b = random_normal<Scalar>(s.depth, s.cols, 0, 1, rng);
    const Matrix<Scalar> expected = a * b;
    for (const bool short_tile : {false, true}) {
      Matrix<Scalar> c = Matrix<Scalar>::Constant(s.rows, s.cols, Scalar(NAN));
      Eigen::MatrixXi stores = Eigen::MatrixXi::Zero(s.rows, s.cols);
      auto store = [&](std::int64_t i, std::int64_t j, Scalar value) {
        c(i, j) = value;
        ++stores(i, j);
      };
      const detail::ColumnMajorOperand<Scalar> load_a{a.data(), s.rows}, load_b{b.data(), s.depth};
      if (short_tile)
        test::HostExecutor::tiled_product<Scalar, detail::ShortProductTile>(s.rows, s.cols, s.depth,
                                                                            load_a, load_b, store);
      else
        test::HostExecutor::tiled_product<Scalar, detail::SquareProductTile>(
            s.rows, s.cols, s.depth, load_a, load_b, store);
      CHECK((stores.array() == 1).all());
      CHECK(test::relative_difference(c, expected) <= tolerance);
    }
  }
}

TEST_CASE_TEMPLATE("small_network_chain equals PolytopeFunction at single points", Scalar, float,
                   double) {
  const double tolerance = ScalarTraits<Scalar>::equality_tolerance;
  for (const std::vector<Index>& sizes :
       {std::vector<Index>{2, 25, 25, 25, 25, 2}, {1, 1, 1}, {2, 32, 32, 32}, {2, 3}}) {
    CAPTURE(sizes.size());
    const auto network = test::random_network<Scalar>(sizes, 41, Activation::leaky_relu);
    const std::vector<Scalar> parameters = detail::packed_parameters(network);
    detail::SmallNetworkShape shape;
    for (std::size_t l = 0; l < sizes.size(); ++l)
      shape.sizes[l] = sizes[l];
    shape.layer_count = Index(sizes.size()) - 1;
    const Index d = sizes.front(), m = sizes.back();
    const Matrix<Scalar> points = test::comparison_points<Scalar>(d, 30, 42);
    const auto expected_patterns = activation_patterns(network, points);
    for (Index j = 0; j < points.cols(); ++j) {
      CAPTURE(j);
      const PolytopeFunction<Scalar> function(network, Vector<Scalar>(points.col(j)));
      Scalar result[detail::small_network_width * detail::small_network_block];
      std::vector<detail::PatternWord> words(expected_patterns.front().words().size(), ~0ull);
      detail::small_network_chain(shape, parameters.data(), network.negative_slope(),
                                  points.col(j).data(), int(d + 1), words.data(), result);
      Matrix<Scalar> a(m, d);
      Vector<Scalar> z(m);
      for (Index r = 0; r < m; ++r) {
        z(r) = result[r];
        for (Index c = 0; c < d; ++c)
          a(r, c) = result[r + (c + 1) * detail::small_network_width];
      }
      CHECK(test::relative_difference(a, function.matrix()) <= tolerance);
      CHECK(test::relative_difference(z, network.forward(points.col(j))) <= tolerance);
      CHECK(words == expected_patterns[std::size_t(j)].words());
    }
  }
}

TEST_CASE_TEMPLATE("the passes on the host executor equal the CPU reference", Scalar, float,
                   double) {
  test::HostLaunch<Scalar> launch;
  test::compare_batches_with_cpu<Scalar>(launch);
  CHECK(launch.work.executor.staged_passes > 0);
  CHECK(launch.work.executor.products > 0);
  CHECK(launch.work.executor.short_tile_products > 0);
  CHECK(launch.work.executor.short_tile_products < launch.work.executor.products);
}

TEST_CASE_TEMPLATE("the passes without the small-network path, in many chunks", Scalar, float,
                   double) {
  // A budget of 4096 scalars cuts the 1,000-point batches into chunks of a few points, which
  // covers chunk offsets of points, outputs and pattern words.
  test::HostLaunch<Scalar> launch;
  launch.work.small_network_kernel = false;
  launch.work.chunk_scalar_budget = 4096;
  test::compare_batches_with_cpu<Scalar>(launch);
  CHECK(launch.work.executor.staged_passes == 0);
}

TEST_CASE_TEMPLATE("raster passes on the host executor equal compute_raster_maps", Scalar, float,
                   double) {
  for (const bool small : {true, false}) {
    CAPTURE(small);
    test::HostLaunch<Scalar> launch;
    launch.work.small_network_kernel = small;
    // Blocks of a few rows, so that seams between blocks and the merge of distinct patterns
    // across blocks are covered.
    launch.work.chunk_scalar_budget = 20000;
    test::compare_rasters_with_cpu<Scalar>(launch);
    CHECK((launch.work.executor.staged_passes > 0) == small);
  }
}

TEST_CASE("distinct pattern counts: empty, one, all different, repeats") {
  test::HostLaunch<double> launch;
  ActivationPatternBatch batch;
  batch.words.resize(2, 0);
  CHECK(launch.distinct(batch) == 0);
  CHECK(distinct_pattern_count(CpuBackend{}, batch) == 0);
  batch.words.resize(2, 6);
  batch.words << 1, 2, 1, 3, 1, 2,  // word 0
      7, 7, 7, 7, 8, 7;             // word 1
  // Columns: (1,7) (2,7) (1,7) (3,7) (1,8) (2,7): four distinct, repeats not adjacent.
  CHECK(launch.distinct(batch) == 4);
  CHECK(distinct_pattern_count(CpuBackend{}, batch) == 4);
  ActivationPatternBatch empty_patterns;
  empty_patterns.words.resize(0, 5);
  CHECK(launch.distinct(empty_patterns) == 1);
  CHECK(distinct_pattern_count(CpuBackend{}, empty_patterns) == 1);
}

TEST_CASE_TEMPLATE("CpuBackend overloads equal the plain CPU functions", Scalar, float, double) {
  const auto network = test::random_network<Scalar>({2, 9, 9, 3}, 51);
  const Matrix<Scalar> points = test::comparison_points<Scalar>(2, 25, 52);
  const auto plain = polytope_functions(network, points, PropagationMode::backward);
  const auto tagged = polytope_functions(CpuBackend{}, network, points, PropagationMode::backward);
  CHECK(tagged.matrices == plain.matrices);
  CHECK(tagged.biases == plain.biases);
  const auto norms = norms_through(CpuBackend{}, network, points);
  CHECK(norms.frobenius_norm == polytope_norms(network, points).frobenius_norm);
  const ActivationPatternBatch packed = activation_patterns(CpuBackend{}, network, points);
  const auto patterns = activation_patterns(network, points);
  REQUIRE(packed.size() == points.cols());
  for (Index j = 0; j < points.cols(); ++j)
    CHECK(packed.pattern(j) == patterns[std::size_t(j)]);
  RasterGrid<Scalar> grid;
  grid.viewport = {{-1, 1, -1, 1}, 12, 10};
  const auto maps = compute_raster_maps(CpuBackend{}, network, grid);
  CHECK(maps.confidence == compute_raster_maps(network, grid).confidence);
  CHECK_THROWS_AS(polytope_functions(CpuBackend{}, network, Matrix<Scalar>::Zero(3, 2)),
                  InvalidArgument);
}

TEST_CASE("host passes throw InvalidArgument for wrong shapes and grids") {
  test::HostLaunch<float> launch;
  const auto network = test::random_network<float>({3, 5, 2}, 61);
  const Matrix<float> wrong = Matrix<float>::Zero(2, 4);
  CHECK_THROWS_AS(launch.functions(network, wrong, PropagationMode::automatic), InvalidArgument);
  CHECK_THROWS_AS(launch.norms(network, wrong, PropagationMode::automatic, nullptr),
                  InvalidArgument);
  CHECK_THROWS_AS(launch.patterns(network, wrong), InvalidArgument);
  RasterGrid<float> grid;  // the 2-D input plane, for a 3-D network
  grid.viewport = {{-1, 1, -1, 1}, 4, 4};
  CHECK_THROWS_AS(launch.raster(network, grid, {}), InvalidArgument);
}
