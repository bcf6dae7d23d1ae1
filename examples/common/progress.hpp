#pragma once
// Progress lines for the example programs (the library itself never prints): one line on stderr,
// redrawn in place while a stage runs.

#include <chrono>
#include <cstdio>
#include <string>

#include "polyleak/nn/training.hpp"

namespace polyleak::examples {

/// Redraws "<stage>: <text>" on stderr; finish() ends the line.
class ProgressLine {
 public:
  explicit ProgressLine(std::string stage)
      : stage_(std::move(stage)), start_(std::chrono::steady_clock::now()) {}

  void update(const std::string& text) const {
    std::fprintf(stderr, "\r%s: %s (%.1f s)   ", stage_.c_str(), text.c_str(), seconds());
    std::fflush(stderr);
  }

  void finish(const std::string& text) const {
    update(text);
    std::fprintf(stderr, "\n");
  }

  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::string stage_;
  std::chrono::steady_clock::time_point start_;
};

/// Installs on_batches and on_epoch callbacks on `options` that draw training progress on `line`.
template <RealScalar S>
void show_training_progress(TrainingOptions<S>& options, const ProgressLine& line,
                            Index every_batches = 20) {
  options.callback_every_batches = every_batches;
  options.on_batches = [&line](const Mlp<S>&, const BatchEvent& event) {
    line.update("epoch " + std::to_string(event.epoch + 1) + ", batch " +
                std::to_string(event.batch + 1) + "/" + std::to_string(event.batches_per_epoch) +
                ", loss " + std::to_string(event.loss));
  };
  options.on_epoch = [&line](const Mlp<S>&, const EpochReport& report) {
    line.update("epoch " + std::to_string(report.epoch + 1) + "/" + std::to_string(report.epochs) +
                ", loss " + std::to_string(report.loss) + ", accuracy " +
                std::to_string(report.accuracy));
  };
}

}  // namespace polyleak::examples
