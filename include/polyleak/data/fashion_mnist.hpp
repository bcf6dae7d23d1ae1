#pragma once
// Loader of Fashion-MNIST (Xiao et al. 2017) from its four IDX files.

#include <filesystem>
#include <string>
#include <vector>

#include "polyleak/core/error.hpp"
#include "polyleak/data/dataset.hpp"
#include "polyleak/data/idx.hpp"

namespace polyleak {

/// Number of classes of Fashion-MNIST.
inline constexpr Index fashion_mnist_class_count = 10;

namespace detail {

/// `folder/stem.gz` if it exists, else `folder/stem`; IoError naming both if neither exists.
inline std::filesystem::path gz_or_raw(const std::filesystem::path& folder,
                                       const std::string& stem) {
  const std::filesystem::path gz = folder / (stem + ".gz");
  if (std::filesystem::exists(gz)) return gz;
  const std::filesystem::path raw = folder / stem;
  if (std::filesystem::exists(raw)) return raw;
  throw IoError("load_fashion_mnist: found neither '" + gz.string() + "' nor '" + raw.string() +
                "'");
}

template <RealScalar Scalar>
Dataset<Scalar> load_fashion_mnist_part(const std::filesystem::path& folder,
                                        const std::string& prefix) {
  const std::filesystem::path images = gz_or_raw(folder, prefix + "-images-idx3-ubyte");
  const std::filesystem::path labels = gz_or_raw(folder, prefix + "-labels-idx1-ubyte");
  Dataset<Scalar> data;
  data.features = load_idx_images<Scalar>(images);
  data.labels = load_idx_labels(labels);
  data.class_count = fashion_mnist_class_count;
  if (Index(data.labels.size()) != data.size())
    throw FormatError("load_fashion_mnist: " + labels.string() + ": byte offset 4: expected " +
                      std::to_string(data.size()) + " labels as in " + images.string() +
                      ", found " + std::to_string(data.labels.size()));
  for (std::size_t i = 0; i < data.labels.size(); ++i)
    if (data.labels[i] >= fashion_mnist_class_count)
      throw FormatError("load_fashion_mnist: " + labels.string() + ": byte offset " +
                        std::to_string(8 + i) + ": expected a label 0..9, found " +
                        std::to_string(data.labels[i]));
  return data;
}

}  // namespace detail

/// Loads Fashion-MNIST from `folder`, which holds train-images-idx3-ubyte, train-labels-idx1-ubyte,
/// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each gzip-compressed (name ending in .gz,
/// tried first) or raw. Images become 784 x n matrices with values in [0, 1] (see
/// load_idx_images); labels 0..9, class_count 10; no feature names. The published files give
/// 60,000 training and 10,000 test images.
/// @tparam Scalar float or double.
/// Throws IoError for a missing file and FormatError (file, byte offset, what was expected) for a
/// malformed one, image and label counts that differ, or a label above 9. Cost O(file sizes),
/// about 0.5 s for the published files (mostly decompression).
template <RealScalar Scalar>
TrainTestData<Scalar> load_fashion_mnist(const std::filesystem::path& folder) {
  return {detail::load_fashion_mnist_part<Scalar>(folder, "train"),
          detail::load_fashion_mnist_part<Scalar>(folder, "t10k")};
}

}  // namespace polyleak
