#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "polyleak/nn.hpp"

using namespace polyleak;
namespace fs = std::filesystem;

namespace {

/// A fresh, empty folder for one test case's files.
fs::path scratch_folder(const std::string& name) {
  const fs::path folder = fs::temp_directory_path() / ("polyleak_test_nn_" + name);
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder;
}

std::vector<unsigned char> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

template <class T>
void put(std::vector<unsigned char>& bytes, std::size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(T));  // the tests run on little-endian hosts
}

/// The message of the FormatError that `load` throws, or "" if it throws none.
std::string format_error(const std::function<void()>& load) {
  try {
    load();
  } catch (const FormatError& error) {
    return error.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const fs::path fixtures = fs::path(POLYLEAK_TEST_FIXTURES) / "safetensors";

}  // namespace

TEST_CASE_TEMPLATE("save then load gives identical networks and outputs", Scalar, float, double) {
  const fs::path folder = scratch_folder(std::string("roundtrip_") + typeid(Scalar).name());
  for (const Activation activation : {Activation::relu, Activation::leaky_relu}) {
    auto network = Mlp<Scalar>::he_initialized({4, 6, 5, 3}, 12, activation, Scalar(0.05));
    Rng rng(4);
    network.draw_normal_biases(Scalar(1), rng);
    const fs::path path = folder / "model.plk";
    save_model(network, path);
    const Mlp<Scalar> loaded = load_model<Scalar>(path);
    CHECK(loaded == network);
    const Matrix<Scalar> points = random_uniform<Scalar>(4, 10, -2, 2, rng);
    CHECK(loaded.forward_batch(points) == network.forward_batch(points));
    CHECK(fs::file_size(path) == 32 + 8 * 4 + sizeof(Scalar) * (4 * 6 + 6 + 6 * 5 + 5 + 5 * 3 + 3));
  }
  CHECK_FALSE(fs::exists(folder / "model.plk.partial"));
}

TEST_CASE("model file layout is little-endian row-major as documented") {
  const fs::path folder = scratch_folder("layout");
  Mlp<float> network({2, 1}, Activation::leaky_relu, 0.25f);
  network.weights(0) << 1.5f, -2.0f;
  network.biases(0) << 0.5f;
  save_model(network, folder / "m.plk");
  const std::vector<unsigned char> bytes = read_bytes(folder / "m.plk");
  const std::vector<unsigned char> expected_start{'P', 'L', 'K', 'M', 'L', 'P', '\r', '\n',
                                                  1,   0,   0,   0,   4,   1,   0,    0};
  REQUIRE(bytes.size() == 32 + 16 + 12);
  CHECK(std::vector<unsigned char>(bytes.begin(), bytes.begin() + 16) == expected_start);
  double slope = 0;
  std::memcpy(&slope, bytes.data() + 16, 8);
  CHECK(slope == 0.25);
  float parameters[3];
  std::memcpy(parameters, bytes.data() + 48, 12);
  CHECK(parameters[0] == 1.5f);
  CHECK(parameters[1] == -2.0f);
  CHECK(parameters[2] == 0.5f);
}

TEST_CASE("malformed model files throw FormatError naming the byte offset") {
  const fs::path folder = scratch_folder("malformed_model");
  const fs::path valid = folder / "valid.plk";
  const fs::path path = folder / "bad.plk";
  save_model(Mlp<float>::he_initialized({3, 4, 2}, 1), valid);
  const std::vector<unsigned char> good = read_bytes(valid);

  auto message = [&](const std::function<void(std::vector<unsigned char>&)>& spoil) {
    std::vector<unsigned char> bytes = good;
    spoil(bytes);
    write_bytes(path, bytes);
    return format_error([&] { load_model<float>(path); });
  };
  using Bytes = std::vector<unsigned char>;
  CHECK(contains(message([](Bytes& b) { b[0] = 'X'; }), "byte offset 0: wrong magic"));
  CHECK(contains(message([](Bytes& b) { put<std::uint32_t>(b, 8, 2); }),
                 "byte offset 8: format version 2, expected 1"));
  CHECK(contains(message([](Bytes& b) { b[12] = 3; }), "byte offset 12: scalar type code 3"));
  CHECK(contains(message([](Bytes& b) { b[13] = 7; }), "byte offset 13: activation code 7"));
  CHECK(contains(message([](Bytes& b) { b[14] = 1; }), "byte offset 14: reserved"));
  CHECK(contains(message([](Bytes& b) { put<double>(b, 16, 0.5); }),
                 "byte offset 16: negative slope"));
  CHECK(contains(message([](Bytes& b) { put<std::uint64_t>(b, 24, 1); }),
                 "byte offset 24: 1 layer sizes, expected 2..1024"));
  CHECK(contains(message([](Bytes& b) { put<std::uint64_t>(b, 24, 5000); }), "byte offset 24"));
  CHECK(contains(message([](Bytes& b) { put<std::uint64_t>(b, 40, 0); }),
                 "byte offset 40: layer size 1 is 0"));
  CHECK(contains(message([](Bytes& b) { put<std::uint64_t>(b, 40, std::uint64_t(1) << 40); }),
                 "byte offset 40: layer size 1 is 1099511627776"));
  // Absurd but admissible sizes: the parameters they need exceed the file.
  CHECK(contains(message([](Bytes& b) { put<std::uint64_t>(b, 40, (1u << 31) - 1); }),
                 "byte offset 56: file truncated"));
  CHECK(contains(message([](Bytes& b) { b.pop_back(); }), "byte offset 56: file truncated"));
  CHECK(contains(message([](Bytes& b) { b.resize(20); }), "byte offset 16: file truncated"));
  CHECK(contains(message([](Bytes& b) { b.resize(3); }), "byte offset 0: file truncated"));
  CHECK(contains(message([](Bytes& b) { b.push_back(0); }),
                 "1 unexpected bytes after the last parameter"));

  const std::string mismatch = format_error([&] { load_model<double>(valid); });
  CHECK(contains(mismatch, "byte offset 12: the file holds float32 parameters, expected float64"));
  CHECK_THROWS_AS(load_model<float>(folder / "absent.plk"), IoError);
}

TEST_CASE("loading a folder throws IoError that names it, not bad_alloc") {
  const fs::path folder = scratch_folder("folder_as_model");
  auto io_error = [](const std::function<void()>& load) {
    try {
      load();
    } catch (const IoError& error) {
      return std::string(error.what());
    }
    return std::string();
  };
  const std::string model = io_error([&] { load_model<float>(folder); });
  CHECK(contains(model, "load_model"));
  CHECK(contains(model, folder.string()));
  CHECK(contains(model, "not a regular file"));
  const std::string safetensors = io_error([&] { import_safetensors<float>(folder); });
  CHECK(contains(safetensors, "import_safetensors"));
  CHECK(contains(safetensors, "not a regular file"));
}

TEST_CASE("a failed save leaves no file behind") {
  const fs::path folder = scratch_folder("failed_save");
  const auto network = Mlp<double>::he_initialized({2, 2}, 1);
  CHECK_THROWS_AS(save_model(network, folder / "no_such_folder" / "m.plk"), IoError);
  CHECK(fs::is_empty(folder));
  // A folder in the way: the temporary file is written, the rename fails and is cleaned up.
  fs::create_directories(folder / "taken" / "occupied");
  CHECK_THROWS_AS(save_model(network, folder / "taken"), IoError);
  CHECK_FALSE(fs::exists(folder / "taken.partial"));
}

TEST_CASE_TEMPLATE("safetensors fixtures import to the known outputs", Scalar, float, double) {
  std::ifstream in(fixtures / "expected_outputs.json");
  REQUIRE(in);
  const nlohmann::json expected = nlohmann::json::parse(in);
  const std::vector<std::vector<Index>> sizes{{2, 3, 3, 2}, {3, 4, 2}};  // files in name order
  std::size_t k = 0;
  for (const auto& [file, cases] : expected.items()) {
    CAPTURE(file);
    const Mlp<Scalar> network = import_safetensors<Scalar>(fixtures / file);
    CHECK(network.layer_sizes() == sizes[k++]);
    CHECK(network.activation() == Activation::relu);
    for (std::size_t p = 0; p < cases["inputs"].size(); ++p) {
      const std::vector<double> input = cases["inputs"][p];
      const std::vector<double> output = cases["outputs"][p];
      const Vector<Scalar> x = Eigen::Map<const Vector<double>>(input.data(), Index(input.size()))
                                   .template cast<Scalar>();
      const Vector<Scalar> logits = network.forward(x);
      REQUIRE(logits.size() == Index(output.size()));
      for (Index i = 0; i < logits.size(); ++i)
        CHECK(std::abs(double(logits(i)) - output[std::size_t(i)]) <=
              ScalarTraits<Scalar>::equality_tolerance);
    }
  }
  CHECK(k == 2);
}

TEST_CASE("malformed safetensors files throw FormatError naming the key or byte offset") {
  const fs::path folder = scratch_folder("malformed_safetensors");
  const fs::path path = folder / "bad.safetensors";

  // A file with the given JSON header and `data_bytes` zero bytes of data.
  auto message_for = [&](const std::string& header, std::size_t data_bytes) {
    std::vector<unsigned char> bytes(8);
    put<std::uint64_t>(bytes, 0, header.size());
    bytes.insert(bytes.end(), header.begin(), header.end());
    bytes.resize(bytes.size() + data_bytes, 0);
    write_bytes(path, bytes);
    return format_error([&] { import_safetensors<float>(path); });
  };
  const std::string w0 = R"("0.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]})";
  const std::string b0 = R"("0.bias":{"dtype":"F32","shape":[2],"data_offsets":[24,32]})";
  CHECK(message_for("{" + w0 + "," + b0 + "}", 32).empty());

  CHECK(contains(message_for("{" + w0 + "," + b0 + "}", 31), "key '0.bias': data_offsets"));
  CHECK(contains(message_for("{" + w0 + "}", 24), "key '0.weight': no '0.bias'"));
  CHECK(contains(message_for("{" + b0 + "}", 32), "key '0.bias': no '0.weight'"));
  CHECK(contains(message_for(R"({"__metadata__":{"format":"pt"}})", 0), "empty state dict"));
  CHECK(contains(message_for("{\"0.weight\":", 0), "byte offset 20: invalid JSON"));
  CHECK(contains(message_for("[1, 2]", 0), "byte offset 8: the JSON header is not an object"));
  CHECK(contains(
      message_for(R"({"0.weight":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]}})", 12),
      "key '0.weight': unsupported dtype \"F16\""));
  CHECK(contains(
      message_for(R"({"0.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", 24),
      "key '0.weight': data_offsets [0, 20] hold 20 bytes, expected 24"));
  CHECK(contains(
      message_for(R"({"0.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}})", 24),
      "key '0.weight': data_offsets [8, 32] out of range"));
  CHECK(contains(
      message_for(R"({"0.weight":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,24]}})", 24),
      "key '0.weight': shape [2,-3]"));
  CHECK(contains(
      message_for(R"({"0.weight":{"dtype":"F32","shape":[6],"data_offsets":[0,24]},)" + b0 + "}",
                  32),
      "key '0.weight': shape [6], expected [out, in]"));
  CHECK(
      contains(message_for(R"({"fc.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4),
               "key 'fc.weight': expected '<index>.weight'"));
  const std::string w2 = R"("2.weight":{"dtype":"F32","shape":[1,3],"data_offsets":[32,44]})";
  const std::string b2 = R"("2.bias":{"dtype":"F32","shape":[1],"data_offsets":[44,48]})";
  CHECK(contains(message_for("{" + w0 + "," + b0 + "," + w2 + "," + b2 + "}", 48),
                 "key '2.weight': shape [1, 3] takes 3 inputs, expected 2, the outputs of "
                 "'0.weight'"));
  const std::string b0_wrong = R"("0.bias":{"dtype":"F32","shape":[3],"data_offsets":[24,36]})";
  CHECK(contains(message_for("{" + w0 + "," + b0_wrong + "}", 36),
                 "key '0.bias': shape [3], expected [2] to match '0.weight'"));

  // Framing errors before the header.
  write_bytes(path, {1, 2, 3});
  CHECK(contains(format_error([&] { import_safetensors<float>(path); }),
                 "byte offset 0: file truncated"));
  std::vector<unsigned char> long_header(16, ' ');
  put<std::uint64_t>(long_header, 0, 100);
  write_bytes(path, long_header);
  CHECK(contains(format_error([&] { import_safetensors<float>(path); }),
                 "header length 100 runs past the end of the file"));
  CHECK_THROWS_AS(import_safetensors<float>(folder / "absent.safetensors"), IoError);
}
