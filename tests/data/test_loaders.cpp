#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <zlib.h>

#include "polyleak/data.hpp"

using namespace polyleak;
namespace fs = std::filesystem;

namespace {

fs::path fixture(const std::string& name) {
  return fs::path(POLYLEAK_TEST_FIXTURES) / "data" / name;
}

// Line `line` (1-based) of fixture `name`.
std::string fixture_line(const std::string& name, std::size_t line) {
  std::ifstream stream(fixture(name));
  std::string content;
  for (std::size_t i = 0; i < line; ++i)
    std::getline(stream, content);
  return content;
}

// The 1-based column of `text` in line `line` of fixture `name` (to locate expected errors).
std::size_t column_of(const std::string& name, std::size_t line, const std::string& text) {
  const std::size_t found = fixture_line(name, line).find(text);
  REQUIRE(found != std::string::npos);
  return found + 1;
}

// Runs `load` and checks that it throws ParseError at (line, column) with `fragment` in its text.
template <class Load>
void check_parse_error(Load&& load, std::size_t line, std::size_t column,
                       const std::string& fragment) {
  try {
    load();
    FAIL("expected a ParseError");
  } catch (const ParseError& error) {
    INFO(std::string(error.what()));
    CHECK(error.line() == line);
    CHECK(error.column() == column);
    CHECK(std::string(error.what()).find(fragment) != std::string::npos);
  }
}

// The value of `data`'s feature called `name` at point `point`.
template <class Scalar>
double feature(const Dataset<Scalar>& data, const std::string& name, Index point) {
  const auto found = std::find(data.feature_names.begin(), data.feature_names.end(), name);
  REQUIRE(found != data.feature_names.end());
  return double(data.features(Index(found - data.feature_names.begin()), point));
}

// Feature j of row r in the binary fixtures is 1 exactly when (j + r) % 5 == 0.
template <class Scalar>
void check_binary_pattern(const Dataset<Scalar>& data) {
  for (Index r = 0; r < data.size(); ++r)
    for (Index j = 0; j < data.dimension(); ++j)
      REQUIRE(data.features(j, r) == Scalar((j + r) % 5 == 0 ? 1 : 0));
}

bool shared_data_present(const char* what) {
  if (fs::exists(fs::path(POLYLEAK_SHARED_DATA) / "README.md")) return true;
  MESSAGE("skipped: " << what << " (" << POLYLEAK_SHARED_DATA << " not present)");
  return false;
}

// A fresh empty folder under the system's temporary folder.
fs::path temporary_folder(const std::string& name) {
  // A random suffix keeps concurrent runs of this test (other build trees) apart.
  const fs::path folder = fs::temp_directory_path() / ("polyleak_data_test_" + name + "_" +
                                                       std::to_string(std::random_device{}()));
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder;
}

void write_file(const fs::path& path, const std::vector<unsigned char>& bytes, bool gzip) {
  if (gzip) {
    gzFile file = gzopen(path.string().c_str(), "wb");
    REQUIRE(file != nullptr);
    REQUIRE(gzwrite(file, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
    REQUIRE(gzclose(file) == Z_OK);
  } else {
    std::ofstream stream(path, std::ios::binary);
    stream.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
}

// An IDX file of unsigned bytes: magic 0x0800 + dimension count, big-endian sizes, values.
std::vector<unsigned char> idx_bytes(const std::vector<std::uint32_t>& dimensions,
                                     const std::vector<unsigned char>& values) {
  std::vector<unsigned char> bytes = {0, 0, 8, static_cast<unsigned char>(dimensions.size())};
  for (const std::uint32_t d : dimensions)
    for (const int shift : {24, 16, 8, 0})
      bytes.push_back(static_cast<unsigned char>(d >> shift));
  bytes.insert(bytes.end(), values.begin(), values.end());
  return bytes;
}

}  // namespace

TEST_CASE_TEMPLATE("load_location: known values", Scalar, float, double) {
  const Dataset<Scalar> data = load_location<Scalar>(fixture("location_valid.csv"));
  CHECK(data.size() == 3);
  CHECK(data.dimension() == 446);
  CHECK(data.class_count == 30);
  CHECK(data.labels == std::vector<Index>{0, 29, 12});
  check_binary_pattern(data);
  CHECK_NOTHROW(data.validate());
}

TEST_CASE("load_location: malformed files throw ParseError at line and column") {
  auto load = [](const char* name) { return [=] { load_location<float>(fixture(name)); }; };
  check_parse_error(load("empty.csv"), 1, 1, "found an empty file");
  check_parse_error(load("location_truncated.csv"), 2, 5 + 2 * 100,
                    "expected 446 binary features, found only 100");
  check_parse_error(load("location_wrong_columns.csv"), 3, 5 + 2 * 446 + 1,
                    "expected 446 binary features, found another field '1'");
  check_parse_error(load("location_non_numeric.csv"), 2, 5 + 2 * 10 + 1,
                    "expected a binary feature (0 or 1), found 'x'");
  check_parse_error(load("location_non_binary.csv"), 2, 5 + 2 * 445 + 1,
                    "expected a binary feature (0 or 1), found '2'");
  check_parse_error(load("location_bad_label.csv"), 1, 1,
                    "expected a class label (an integer in 1..30), found '\"31\"'");
  CHECK_THROWS_AS(load_location<float>(fixture("no_such_file.csv")), IoError);
  CHECK_THROWS_AS(load_location<float>(fixture("")), IoError);
}

TEST_CASE_TEMPLATE("load_purchase: known values and a bad label", Scalar, float, double) {
  const Dataset<Scalar> data = load_purchase<Scalar>(fixture("purchase_valid.csv"));
  CHECK(data.size() == 2);
  CHECK(data.dimension() == 600);
  CHECK(data.class_count == 100);
  CHECK(data.labels == std::vector<Index>{0, 99});
  check_binary_pattern(data);
  check_parse_error([] { load_purchase<Scalar>(fixture("purchase_bad_label.csv")); }, 2, 1,
                    "(an integer in 1..100), found '0'");
  check_parse_error([] { load_purchase<Scalar>(fixture("location_valid.csv")); }, 1, 4 + 2 * 446,
                    "expected 600 binary features, found only 446");
}

TEST_CASE_TEMPLATE("load_texas: known values and malformed files", Scalar, float, double) {
  const Dataset<Scalar> data = load_texas<Scalar>(fixture("texas_feats"), fixture("texas_labels"));
  CHECK(data.size() == 4);
  CHECK(data.dimension() == 7);
  CHECK(data.class_count == 100);
  CHECK(data.labels == std::vector<Index>{0, 99, 49, 6});
  check_binary_pattern(data);
  const Dataset<Scalar> decimal =
      load_texas<Scalar>(fixture("texas_feats_decimal"), fixture("texas_labels"));
  CHECK(decimal.features == data.features);

  check_parse_error(
      [] { load_texas<Scalar>(fixture("texas_feats_ragged"), fixture("texas_labels")); }, 3, 12,
      "expected 7 binary features (as on the first row), found only 6");
  check_parse_error(
      [] { load_texas<Scalar>(fixture("texas_feats"), fixture("texas_labels_short")); }, 4, 1,
      "expected 4 rows");
  check_parse_error([] { load_texas<Scalar>(fixture("texas_feats"), fixture("texas_labels_bad")); },
                    2, 1, "found '101'");
  check_parse_error([] { load_texas<Scalar>(fixture("texas_feats_ragged"), fixture("empty.csv")); },
                    3, 12, "found only 6");
  check_parse_error([] { load_texas<Scalar>(fixture("texas_feats"), fixture("empty.csv")); }, 1, 1,
                    "found an empty file");
  check_parse_error(
      [] { load_texas<Scalar>(fixture("texas_feats"), fixture("texas_labels_long")); }, 5, 1,
      "expected the end of the file after 4 rows");
}

TEST_CASE_TEMPLATE("load_adult: one-hot categories, training statistics, test file", Scalar, float,
                   double) {
  const AdultData<Scalar> data =
      load_adult<Scalar>(fixture("adult_train.csv"), fixture("adult_test.csv"));
  const Dataset<Scalar>& train = data.train;
  const Dataset<Scalar>& test = data.test;
  CHECK(train.size() == 3);
  CHECK(test.size() == 2);
  // 6 numerical features and 2 categories in each of the 8 categorical columns.
  CHECK(train.dimension() == 22);
  CHECK(test.dimension() == 22);
  CHECK(train.feature_names.front() == "age");
  CHECK(train.feature_names[1] == "workclass=?");
  CHECK(train.feature_names[2] == "workclass=Private");
  CHECK(test.feature_names == train.feature_names);
  CHECK(train.labels == std::vector<Index>{0, 1, 0});
  CHECK(test.labels == std::vector<Index>{1, 0});
  CHECK(train.class_count == 2);

  // Ages 30, 50, 40: mean 40, population deviation sqrt(200 / 3).
  const double age_scale = std::sqrt(200.0 / 3);
  const double tolerance = double(ScalarTraits<Scalar>::equality_tolerance);
  CHECK(feature(train, "age", 0) == doctest::Approx(-10 / age_scale).epsilon(tolerance));
  CHECK(feature(train, "age", 2) == doctest::Approx(0).epsilon(tolerance));
  CHECK(feature(test, "age", 0) == doctest::Approx(-5 / age_scale).epsilon(tolerance));
  // A constant column (capital_loss) is only centred.
  CHECK(feature(train, "capital_loss", 1) == 0);
  // Hours 40, 20, 60: mean 40, deviation sqrt(800 / 3); the test row has 40.
  CHECK(feature(train, "hours_per_week", 2) ==
        doctest::Approx(20 / std::sqrt(800.0 / 3)).epsilon(tolerance));
  CHECK(feature(test, "hours_per_week", 1) == 0);

  CHECK(feature(train, "workclass=?", 1) == 1);
  CHECK(feature(train, "workclass=Private", 1) == 0);
  CHECK(feature(train, "native_country=?", 1) == 1);
  CHECK(feature(test, "occupation=?", 1) == 1);
  CHECK(feature(test, "sex=Male", 0) == 1);
  // Categories seen only in the test file (Masters, Canada) give all-zero blocks.
  CHECK(feature(test, "education=Bachelors", 0) == 0);
  CHECK(feature(test, "education=HS-grad", 0) == 0);
  CHECK(feature(test, "native_country=?", 0) == 0);
  CHECK(feature(test, "native_country=United-States", 0) == 0);
  CHECK(feature(test, "native_country=United-States", 1) == 1);
}

TEST_CASE("load_adult: leading '|' comment lines (as in UCI's adult.test) are skipped") {
  const AdultData<float> plain =
      load_adult<float>(fixture("adult_train.csv"), fixture("adult_test.csv"));
  const AdultData<float> commented =
      load_adult<float>(fixture("adult_train.csv"), fixture("adult_test_uci_comment.csv"));
  CHECK(commented.test.labels == plain.test.labels);
  CHECK(commented.test.feature_names == plain.test.feature_names);
  CHECK(commented.test.features == plain.test.features);

  // In the training file too: the same rows give the same statistics.
  const AdultData<float> both = load_adult<float>(fixture("adult_test_uci_comment.csv"),
                                                  fixture("adult_test_uci_comment.csv"));
  const AdultData<float> neither =
      load_adult<float>(fixture("adult_test.csv"), fixture("adult_test.csv"));
  CHECK(both.train.labels == neither.train.labels);
  CHECK(both.train.features == neither.train.features);
  CHECK(both.test.features == neither.test.features);
}

TEST_CASE("load_adult: malformed files throw ParseError at line and column") {
  auto load = [](const char* train) {
    return [=] { load_adult<float>(fixture(train), fixture("adult_test.csv")); };
  };
  check_parse_error(load("adult_bad_label.csv"), 3, column_of("adult_bad_label.csv", 3, "50K"),
                    "expected the income label <=50K or >50K");
  check_parse_error(load("adult_wrong_columns.csv"), 2,
                    fixture_line("adult_wrong_columns.csv", 2).size() + 1,
                    "the income label (column 15 of 15), found the end of the line");
  check_parse_error(load("adult_non_numeric.csv"), 4, 1, "expected age, found '4O'");
  check_parse_error(load("adult_truncated.csv"), 3, 41, "expected race (column 9 of 15)");
  check_parse_error(load("empty.csv"), 1, 1, "found an empty file");
  check_parse_error([] { load_adult<float>(fixture("adult_train.csv"), fixture("empty.csv")); }, 1,
                    1, "found an empty file");
}

TEST_CASE_TEMPLATE("load_svmlight: sparse rows, label mapping, dimension", Scalar, float, double) {
  const SvmlightData<Scalar> loaded = load_svmlight<Scalar>(fixture("svmlight_valid.txt"));
  const Dataset<Scalar>& data = loaded.dataset;
  CHECK(loaded.label_values == std::vector<double>{-1, 1, 3});
  CHECK(data.labels == std::vector<Index>{1, 0, 2});
  CHECK(data.class_count == 3);
  Matrix<Scalar> expected = Matrix<Scalar>::Zero(4, 3);
  expected(0, 0) = Scalar(0.5);
  expected(2, 0) = 2;
  expected(1, 1) = Scalar(-1.5);
  expected(0, 2) = 1;
  expected(3, 2) = Scalar(0.25);
  CHECK(data.features == expected);

  const SvmlightData<Scalar> wide = load_svmlight<Scalar>(fixture("svmlight_valid.txt"), 6);
  CHECK(wide.dataset.dimension() == 6);
  CHECK(wide.dataset.features.topRows(4) == expected);
  CHECK(wide.dataset.features.bottomRows(2).isZero());

  check_parse_error([] { load_svmlight<Scalar>(fixture("svmlight_valid.txt"), 3); }, 4, 7,
                    "expected a feature index (an integer in 1..3), found '4'");
  check_parse_error([] { load_svmlight<Scalar>(fixture("svmlight_not_increasing.txt")); }, 2, 7,
                    "expected a feature index above the previous one (3), found '2:1'");
  check_parse_error([] { load_svmlight<Scalar>(fixture("svmlight_no_colon.txt")); }, 2, 7,
                    "expected index:value, found '4'");
  check_parse_error([] { load_svmlight<Scalar>(fixture("svmlight_zero_index.txt")); }, 1, 3,
                    "expected a feature index (an integer >= 1), found '0'");
  check_parse_error([] { load_svmlight<Scalar>(fixture("location_valid.csv")); }, 1, 1,
                    "expected a numeric label");
  check_parse_error([] { load_svmlight<Scalar>(fixture("empty.csv")); }, 1, 1, "empty file");
  CHECK_THROWS_AS(load_svmlight<Scalar>(fixture("svmlight_valid.txt"), -1), InvalidArgument);
}

TEST_CASE_TEMPLATE("IDX files, gzip and raw, and load_fashion_mnist on a tiny folder", Scalar,
                   float, double) {
  const fs::path folder = temporary_folder(sizeof(Scalar) == 4 ? "idx_float" : "idx_double");
  std::vector<unsigned char> pixels;
  for (unsigned char v = 0; v < 12; ++v)
    pixels.push_back(static_cast<unsigned char>(v * 23));
  const auto images = idx_bytes({2, 2, 3}, pixels);
  write_file(folder / "train-images-idx3-ubyte.gz", images, true);
  write_file(folder / "train-labels-idx1-ubyte.gz", idx_bytes({2}, {9, 4}), true);
  write_file(folder / "t10k-images-idx3-ubyte", images, false);
  write_file(folder / "t10k-labels-idx1-ubyte", idx_bytes({2}, {0, 1}), false);

  const Matrix<Scalar> gz = load_idx_images<Scalar>(folder / "train-images-idx3-ubyte.gz");
  const Matrix<Scalar> raw = load_idx_images<Scalar>(folder / "t10k-images-idx3-ubyte");
  REQUIRE(gz.rows() == 6);
  REQUIRE(gz.cols() == 2);
  CHECK(gz == raw);
  for (Index i = 0; i < 12; ++i)
    CHECK(gz(i % 6, i / 6) == Scalar(i * 23) / Scalar(255));
  CHECK(load_idx_labels(folder / "train-labels-idx1-ubyte.gz") == std::vector<Index>{9, 4});

  const TrainTestData<Scalar> data = load_fashion_mnist<Scalar>(folder);
  CHECK(data.train.features == gz);
  CHECK(data.train.labels == std::vector<Index>{9, 4});
  CHECK(data.test.labels == std::vector<Index>{0, 1});
  CHECK(data.test.class_count == 10);
  fs::remove_all(folder);
}

TEST_CASE("IDX: malformed files throw FormatError naming the byte offset") {
  const fs::path folder = temporary_folder("idx_malformed");
  auto check_format_error = [](auto&& load, const std::string& fragment) {
    try {
      load();
      FAIL("expected a FormatError");
    } catch (const FormatError& error) {
      INFO(std::string(error.what()));
      CHECK(std::string(error.what()).find(fragment) != std::string::npos);
    }
  };
  const std::vector<unsigned char> pixels(12, 7);
  std::vector<unsigned char> wrong_magic = idx_bytes({2, 2, 3}, pixels);
  wrong_magic[3] = 1;
  write_file(folder / "magic", wrong_magic, true);
  check_format_error([&] { load_idx_images<float>(folder / "magic"); },
                     "byte offset 0: expected the magic number 2051");
  std::vector<unsigned char> truncated = idx_bytes({2, 2, 3}, pixels);
  truncated.resize(truncated.size() - 5);
  write_file(folder / "truncated", truncated, false);
  check_format_error([&] { load_idx_images<float>(folder / "truncated"); },
                     "byte offset 23: expected 2 x 2 x 3 bytes of data after the header, the file "
                     "is truncated after 7");
  std::vector<unsigned char> trailing = idx_bytes({2}, {1, 2, 3});
  write_file(folder / "trailing.gz", trailing, true);
  check_format_error([&] { load_idx_labels(folder / "trailing.gz"); },
                     "byte offset 10: expected the end of the file, found 1 more bytes");
  write_file(folder / "short", {0, 0, 8, 3, 0, 0}, false);
  check_format_error([&] { load_idx_images<float>(folder / "short"); },
                     "byte offset 6: expected a header of 16 bytes");
  write_file(folder / "huge", idx_bytes({4000000000u, 4000000000u, 4000000000u}, pixels), false);
  check_format_error([&] { load_idx_images<float>(folder / "huge"); }, "is truncated after 12");

  // A gzip stream cut in half.
  write_file(folder / "whole.gz", idx_bytes({2, 2, 3}, std::vector<unsigned char>(4000, 3)), true);
  std::ifstream whole(folder / "whole.gz", std::ios::binary);
  std::vector<unsigned char> compressed((std::istreambuf_iterator<char>(whole)), {});
  compressed.resize(compressed.size() / 2);
  write_file(folder / "cut.gz", compressed, false);
  CHECK_THROWS_AS(load_idx_images<float>(folder / "cut.gz"), FormatError);

  // Fashion-MNIST: label counts and label range.
  write_file(folder / "train-images-idx3-ubyte", idx_bytes({2, 2, 3}, pixels), false);
  write_file(folder / "train-labels-idx1-ubyte", idx_bytes({3}, {1, 2, 3}), false);
  check_format_error([&] { load_fashion_mnist<float>(folder); }, "expected 2 labels");
  write_file(folder / "train-labels-idx1-ubyte", idx_bytes({2}, {1, 10}), false);
  check_format_error([&] { load_fashion_mnist<float>(folder); },
                     "byte offset 9: expected a label 0..9, found 10");
  write_file(folder / "train-labels-idx1-ubyte", idx_bytes({2}, {1, 2}), false);
  CHECK_THROWS_WITH_AS(load_fashion_mnist<float>(folder), doctest::Contains("t10k-images"),
                       IoError);
  CHECK_THROWS_AS(load_idx_labels(folder / "absent"), IoError);
  CHECK_THROWS_AS(load_idx_labels(folder), IoError);
  fs::remove_all(folder);
}

TEST_CASE("shared data: Location and Adult load with the README's counts") {
  if (!shared_data_present("Location and Adult")) return;
  const fs::path shared(POLYLEAK_SHARED_DATA);
  const Dataset<float> location = load_location<float>(shared / "location" / "bangkok");
  CHECK(location.size() == 5010);
  CHECK(location.dimension() == 446);
  CHECK(location.class_count == 30);
  std::vector<Index> per_class(30, 0);
  for (const Index label : location.labels)
    ++per_class[std::size_t(label)];
  CHECK(*std::min_element(per_class.begin(), per_class.end()) == 97);
  CHECK(*std::max_element(per_class.begin(), per_class.end()) == 308);

  const AdultData<float> adult =
      load_adult<float>(shared / "adult" / "adult.data", shared / "adult" / "adult.test");
  CHECK(adult.train.size() == 32561);
  CHECK(adult.test.size() == 16281);
  CHECK(adult.train.dimension() == 108);
  CHECK(adult.train.class_count == 2);
  CHECK(std::count(adult.train.labels.begin(), adult.train.labels.end(), 1) == 7841);
  CHECK(std::count(adult.test.labels.begin(), adult.test.labels.end(), 1) == 3846);
  // Standardised with training statistics: the training mean of age is 0.
  CHECK(std::abs(adult.train.features.row(0).mean()) < ScalarTraits<float>::equality_tolerance);
}

TEST_CASE("installed Fashion-MNIST: 60,000 and 10,000 images of 784 pixels in [0, 1]") {
  // Where Debian's package dataset-fashion-mnist installs the files.
  const fs::path folder = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(folder)) {
    MESSAGE("skipped: Fashion-MNIST (" << folder << " not present)");
    return;
  }
  const TrainTestData<float> data = load_fashion_mnist<float>(folder);
  CHECK(data.train.size() == 60000);
  CHECK(data.test.size() == 10000);
  CHECK(data.train.dimension() == 784);
  CHECK(data.test.dimension() == 784);
  CHECK(data.train.features.minCoeff() == 0);
  CHECK(data.train.features.maxCoeff() == 1);
  for (const Dataset<float>* part : {&data.train, &data.test}) {
    std::vector<Index> per_class(10, 0);
    for (const Index label : part->labels)
      ++per_class[std::size_t(label)];
    CHECK(per_class == std::vector<Index>(10, part->size() / 10));
  }
}
