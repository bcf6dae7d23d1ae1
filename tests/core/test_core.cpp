#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "polyleak/core.hpp"

using namespace polyleak;

TEST_CASE("POLYLEAK_REQUIRE throws InvalidArgument naming the function") {
  auto f = [](int v) { POLYLEAK_REQUIRE(v > 0, "v is " + std::to_string(v)); };
  CHECK_NOTHROW(f(1));
  try {
    f(-3);
    FAIL("expected an exception");
  } catch (const InvalidArgument& e) {
    CHECK(std::string(e.what()).find("v is -3") != std::string::npos);
    CHECK(std::string(e.what()).find("operator()") != std::string::npos);
  }
}

TEST_CASE("require_finite rejects NaN and infinity") {
  Vector<double> v = Vector<double>::Ones(3);
  CHECK_NOTHROW(require_finite(v, "here", "v"));
  v(1) = std::nan("");
  CHECK_THROWS_AS(require_finite(v, "here", "v"), InvalidArgument);
}

TEST_CASE("random_permutation is a seeded permutation") {
  Rng a(7), b(7);
  const auto p = random_permutation(100, a);
  CHECK(p == random_permutation(100, b));
  auto sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (Index i = 0; i < 100; ++i)
    CHECK(sorted[std::size_t(i)] == i);
}

TEST_CASE("log is silent by default and reaches an installed callback") {
  log(LogLevel::info, "nobody listens");
  std::string seen;
  set_log_callback([&](LogLevel, std::string_view m) { seen = m; });
  log(LogLevel::progress, "epoch 1");
  set_log_callback({});
  log(LogLevel::info, "silent again");
  CHECK(seen == "epoch 1");
}
