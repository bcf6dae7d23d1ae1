// polyleak-membership-inference: trains a target and a shadow model on disjoint parts of one data
// set, runs the chosen membership-inference attacks and writes report.csv, report.md and roc.png.
//
// Exit codes: 0 success, 2 bad arguments (unknown data set or attack, missing data), 1 any
// other failure.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "polyleak/attack.hpp"
#include "polyleak/data.hpp"
#include "polyleak/viz/roc_plot.hpp"

namespace fs = std::filesystem;
using namespace polyleak;
using Scalar = float;

namespace {

/// A bad command line: reported with exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Experiment {
  Dataset<Scalar> data;
  MembershipSetup<Scalar> setup;
  std::string description;
};

const std::vector<std::string> dataset_names = {"fashion-mnist", "location", "adult",
                                                "purchase",      "texas",    "clusters2d"};
const std::vector<std::string> attack_names = {"gap",
                                               "confidence-threshold",
                                               "loss-threshold",
                                               "ml-leaks-mlp",
                                               "ml-leaks-boosted-trees",
                                               "ml-leaks-label-mlp",
                                               "ml-leaks-label-boosted-trees",
                                               "lira-online",
                                               "lira-offline"};
/// The geometry and label-only attacks (boundary_distance_attack.hpp, label_only_attack.hpp,
/// activation_polytope_attack.hpp): selectable with --attacks, not run by default (each costs
/// many queries per point).
const std::vector<std::string> boundary_attack_names = {
    "gradient-boundary-confidence",
    "gradient-boundary-output-norm",
    "gradient-boundary-jacobian-norm",
    "gradient-boundary-bias-norm",
    "exact-boundary",
    "noise-robustness",
    "hop-skip-jump",
    "polytope-mlp",
    "polytope-boosted-trees",
    "ml-leaks-polytope-mlp",
    "ml-leaks-polytope-boosted-trees",
    "polytope-hyperedge-mlp",
    "polytope-hyperedge-boosted-trees",
    "ml-leaks-polytope-hyperedge-mlp",
    "ml-leaks-polytope-hyperedge-boosted-trees"};

/// Rays of the activation-polytope attacks (--polytope-rays, --polytope-crossings).
struct PolytopeRays {
  Index rays = 4;
  Index crossings = 8;
};

fs::path default_data_dir(const std::string& dataset) {
  if (dataset == "fashion-mnist") return POLYLEAK_DEFAULT_FASHION_MNIST;
  return fs::path(POLYLEAK_DEFAULT_SHARED_DATA) / dataset;
}

void require_file(const fs::path& path) {
  if (!fs::is_regular_file(path))
    throw UsageError("data file " + path.string() +
                     " does not exist (check --data-dir: the folder of the data set's files)");
}

TrainingOptions<Scalar> adam(Index epochs, Index batch_size, double learning_rate) {
  TrainingOptions<Scalar> training;
  training.epochs = epochs;
  training.batch_size = batch_size;
  training.optimizer = AdamOptions<Scalar>{.learning_rate = Scalar(learning_rate)};
  return training;
}

/// The published setups (Salem et al.; Choquette-Choo et al.), documented in docs/attack.md.
Experiment load_experiment(const std::string& dataset, const fs::path& folder, bool quick,
                           Index epochs, const std::vector<Index>& hidden, std::uint64_t seed) {
  Experiment e;
  if (dataset == "location") {
    require_file(folder / "bangkok");
    e.data = load_location<Scalar>(folder / "bangkok");
    e.setup.sizes = {1600, 1600, 905, 905};
    e.setup.hidden_sizes = {128};
    e.setup.training = adam(100, 64, 1e-3);
  } else if (dataset == "adult") {
    require_file(folder / "adult.data");
    require_file(folder / "adult.test");
    auto parts = load_adult<Scalar>(folder / "adult.data", folder / "adult.test");
    e.data = concatenate(parts.train, parts.test);
    e.setup.sizes = {10000, 10000, 10000, 10000};
    e.setup.hidden_sizes = {256, 256};
    e.setup.training = adam(60, 64, 1e-3);
  } else if (dataset == "fashion-mnist") {
    auto parts = load_fashion_mnist<Scalar>(folder);
    e.data = concatenate(parts.train, parts.test);
    e.setup.sizes = {5000, 5000, 5000, 5000};
    e.setup.hidden_sizes = {256};
    e.setup.training = adam(40, 64, 1e-3);
  } else if (dataset == "purchase") {
    require_file(folder / "dataset_purchase");
    e.data = load_purchase<Scalar>(folder / "dataset_purchase");
    e.setup.sizes = {10000, 10000, 10000, 10000};
    e.setup.hidden_sizes = {1024, 512, 256, 128};
    e.setup.training = adam(50, 128, 1e-3);
  } else if (dataset == "texas") {
    require_file(folder / "feats");
    require_file(folder / "labels");
    e.data = load_texas<Scalar>(folder / "feats", folder / "labels");
    e.setup.sizes = {10000, 10000, 10000, 10000};
    e.setup.hidden_sizes = {1024, 512, 256, 128};
    e.setup.training = adam(50, 128, 1e-3);
  } else if (dataset == "clusters2d") {
    e.data = make_clusters2d<Scalar>(Clusters2dOptions{}, seed);
    e.setup.sizes = {256, 256, 256, 256};
    e.setup.hidden_sizes = {25, 25, 25, 25};
    e.setup.training = adam(200, 32, 1e-2);
  } else {
    throw UsageError("unknown data set '" + dataset + "'");
  }
  if (epochs > 0) e.setup.training.epochs = epochs;
  if (!hidden.empty()) e.setup.hidden_sizes = hidden;
  if (quick) {
    // Small and fast, for the smoke test: a quarter of the points, few epochs.
    for (Index* size : {&e.setup.sizes.target_train, &e.setup.sizes.target_test,
                        &e.setup.sizes.shadow_train, &e.setup.sizes.shadow_test})
      *size = std::max<Index>(*size / 4, 16);
    e.setup.training.epochs = std::max<Index>(e.setup.training.epochs / 4, 1);
  }
  std::ostringstream text;
  text << dataset << ": " << e.data.size() << " points, " << e.data.dimension() << " features, "
       << e.data.class_count << " classes; network " << e.data.dimension();
  for (const Index h : e.setup.hidden_sizes)
    text << "-" << h;
  text << "-" << e.data.class_count << " ReLU; split target " << e.setup.sizes.target_train
       << " in / " << e.setup.sizes.target_test << " out, shadow " << e.setup.sizes.shadow_train
       << " in / " << e.setup.sizes.shadow_test << " out; Adam, " << e.setup.training.epochs
       << " epochs, batch " << e.setup.training.batch_size;
  e.description = text.str();
  return e;
}

/// The attack called `name` (one of attack_names or boundary_attack_names). The polytope names
/// come first: "ml-leaks-polytope-..." must not be read as an ML-Leaks variant.
std::unique_ptr<MembershipAttack<Scalar>> build_attack(const std::string& name, const Experiment& e,
                                                       Index lira_models, const PolytopeRays& rays,
                                                       std::uint64_t seed) {
  if (name.find("polytope-") != std::string::npos) {
    ActivationPolytopeOptions<Scalar> options;
    options.with_ml_leaks = name.starts_with("ml-leaks-");
    if (name.find("-hyperedge-") != std::string::npos)
      options.shooting = PolytopeRayShooting::hyperedge;
    if (name.ends_with("-boosted-trees"))
      options.attack_model.kind = AttackModelKind::boosted_trees;
    options.ray_count = rays.rays;
    options.crossing_count = rays.crossings;
    options.seed = seed;
    options.attack_model.seed = seed;
    return std::make_unique<ActivationPolytopeAttack<Scalar>>(options);
  }
  if (name == "gap") return std::make_unique<GapAttack<Scalar>>();
  if (name == "confidence-threshold") return std::make_unique<ConfidenceThresholdAttack<Scalar>>();
  if (name == "loss-threshold")
    return std::make_unique<ConfidenceThresholdAttack<Scalar>>(ConfidenceScore::true_class);
  if (name.starts_with("ml-leaks-")) {
    MlLeaksOptions<Scalar> options;
    options.attack_model.seed = seed;
    options.with_true_class = name.starts_with("ml-leaks-label-");
    if (name.ends_with("-boosted-trees"))
      options.attack_model.kind = AttackModelKind::boosted_trees;
    return std::make_unique<MlLeaksAttack<Scalar>>(options);
  }
  if (name == "lira-online" || name == "lira-offline") {
    LiraOptions<Scalar> options;
    options.online = name == "lira-online";
    options.shadow_model_count = lira_models;
    // Carlini et al.: per-point variances once there are enough models to estimate them.
    options.fixed_variance = lira_models < 64;
    options.training = e.setup.training;
    options.seed = seed + 100;
    return std::make_unique<LiraAttack<Scalar>>(options);
  }
  for (const BoundaryLoss loss : {BoundaryLoss::confidence, BoundaryLoss::output_norm,
                                  BoundaryLoss::jacobian_norm, BoundaryLoss::bias_norm})
    if (name == "gradient-boundary-" + to_string(loss)) {
      BoundarySearchOptions<Scalar> options;
      options.loss = loss;
      return std::make_unique<GradientBoundaryAttack<Scalar>>(options);
    }
  if (name == "exact-boundary") return std::make_unique<ExactBoundaryAttack<Scalar>>();
  if (name == "noise-robustness") {
    NoiseRobustnessOptions options;
    options.seed = seed;
    return std::make_unique<NoiseRobustnessAttack<Scalar>>(options);
  }
  if (name == "hop-skip-jump") {
    HopSkipJumpOptions options;
    options.seed = seed;
    return std::make_unique<HopSkipJumpAttack<Scalar>>(options);
  }
  throw UsageError("unknown attack '" + name + "'");
}

/// build_attack(), checked: the attack built must report the name asked for.
std::unique_ptr<MembershipAttack<Scalar>> make_attack(const std::string& name, const Experiment& e,
                                                      Index lira_models, const PolytopeRays& rays,
                                                      std::uint64_t seed) {
  auto attack = build_attack(name, e, lira_models, rays, seed);
  if (attack->name() != name)
    throw std::logic_error("attack '" + name + "' was built as '" + attack->name() + "'");
  return attack;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');)
    if (!item.empty()) items.push_back(item);
  return items;
}

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

std::string scientific(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3g", value);
  return buffer;
}

/// Writes `text` to `path` through a temporary file, so that a failed write leaves no partial
/// report. Throws IoError.
void write_text(const fs::path& path, const std::string& text) {
  detail::write_file_atomically(path, std::vector<unsigned char>(text.begin(), text.end()),
                                "polyleak-membership-inference");
}

void write_reports(const fs::path& out, const std::string& dataset, const Experiment& e,
                   const MembershipModels<Scalar>& models, const std::vector<AttackResult>& results,
                   Index members, std::uint64_t seed) {
  std::ostringstream csv;
  csv << "dataset,attack,threshold_source,accuracy,balanced_accuracy,auc,tpr_at_0.1pct_fpr,"
         "tpr_at_1pct_fpr,queries_per_point,seconds_per_point\n";
  for (const AttackResult& r : results)
    csv << dataset << ',' << r.attack << ',' << r.threshold_source << ',' << fixed(r.accuracy, 4)
        << ',' << fixed(r.balanced_accuracy, 4) << ',' << fixed(r.auc, 4) << ','
        << fixed(r.tpr_at_0_1pct_fpr, 4) << ',' << fixed(r.tpr_at_1pct_fpr, 4) << ','
        << fixed(r.queries_per_point, 1) << ',' << scientific(r.seconds_per_point) << '\n';
  write_text(out / "report.csv", csv.str());

  std::ostringstream md;
  md << "# Membership inference on " << dataset << "\n\n"
     << "Setup: " << e.description << "; seed " << seed << ".\n\n"
     << "Target accuracy: train " << fixed(100 * models.target_train_accuracy, 1) << " %, test "
     << fixed(100 * models.target_test_accuracy, 1) << " %. Shadow accuracy: train "
     << fixed(100 * models.shadow_train_accuracy, 1) << " %, test "
     << fixed(100 * models.shadow_test_accuracy, 1) << " %.\n\n"
     << "Scored on " << members
     << " target members and as many non-members. Thresholds and attack models come from "
        "shadow data only; rows with threshold_source `target-oracle` use the threshold that is "
        "best on the target's own membership and are an upper bound, not an attack.\n\n"
     << "| attack | threshold_source | accuracy | balanced_accuracy | auc | tpr_at_0.1pct_fpr "
        "| tpr_at_1pct_fpr | queries_per_point | seconds_per_point |\n"
     << "|---|---|---|---|---|---|---|---|---|\n";
  for (const AttackResult& r : results)
    md << "| " << r.attack << " | " << r.threshold_source << " | " << fixed(r.accuracy, 4) << " | "
       << fixed(r.balanced_accuracy, 4) << " | " << fixed(r.auc, 4) << " | "
       << fixed(r.tpr_at_0_1pct_fpr, 4) << " | " << fixed(r.tpr_at_1pct_fpr, 4) << " | "
       << fixed(r.queries_per_point, 1) << " | " << scientific(r.seconds_per_point) << " |\n";
  md << "\n![ROC curves, log-log](roc.png)\n";
  write_text(out / "report.md", md.str());

  std::vector<RocPlotSeries> series;
  for (const AttackResult& r : results) {
    if (r.threshold_source == "target-oracle") continue;
    RocPlotSeries s{r.attack + " (AUC " + fixed(r.auc, 3) + ")", {}, {}};
    for (const RocPoint& p : r.roc.points) {
      s.false_positive_rates.push_back(p.false_positive_rate);
      s.true_positive_rates.push_back(p.true_positive_rate);
    }
    series.push_back(std::move(s));
  }
  RocPlotOptions plot;
  plot.title = "membership inference on " + dataset;
  plot.minimum_rate = members >= 1000 ? 1e-3 : members >= 100 ? 1e-2 : 1e-1;
  write_png(render_roc_plot(series, plot), out / "roc.png");
}

/// Seconds since the first call, for the progress lines.
std::string elapsed_time() {
  static const auto start = std::chrono::steady_clock::now();
  return fixed(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1) +
         " s";
}

int run(int argc, char** argv) {
  CLI::App app{"Membership-inference attacks on a ReLU network: report.csv, report.md, roc.png"};
  std::string all_attacks;
  for (const auto& name : attack_names)
    all_attacks += (all_attacks.empty() ? "" : ",") + name;
  std::string boundary_attacks;
  for (const auto& name : boundary_attack_names)
    boundary_attacks += (boundary_attacks.empty() ? "" : ",") + name;
  std::string dataset, attacks_text = all_attacks;
  fs::path data_dir, out = "out/membership_inference";
  std::uint64_t seed = 0;
  Index lira_models = 16;
  PolytopeRays polytope_rays;
  bool quick = false;
  Index epochs = 0;
  Index candidates = 0;
  std::string hidden_text;
  // Integer ranges with readable bounds (CLI11's NonNegativeNumber prints the largest double).
  const CLI::Range positive(Index{1}, Index{1} << 40), non_negative(Index{0}, Index{1} << 40);
  app.add_option("--dataset", dataset,
                 "fashion-mnist, location, adult, purchase, texas or clusters2d")
      ->required();
  app.add_option("--data-dir", data_dir,
                 "folder of the data set's files (default: the project's shared data, or the "
                 "Debian Fashion-MNIST package)");
  app.add_option("--out", out, "output folder")->capture_default_str();
  app.add_option("--attacks", attacks_text,
                 "comma-separated attacks; also available: " + boundary_attacks)
      ->capture_default_str();
  app.add_option("--seed", seed, "seed of split, training and attacks")->capture_default_str();
  app.add_option("--lira-models", lira_models, "LiRA shadow models K (even, >= 4)")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            const long long k = std::atoll(text.c_str());
            return k >= 4 && k % 2 == 0 ? "" : "expected an even number >= 4, got " + text;
          },
          "EVEN >= 4"))
      ->capture_default_str();
  app.add_option("--polytope-rays", polytope_rays.rays, "rays per point of the polytope attacks")
      ->check(positive)
      ->capture_default_str();
  app.add_option("--polytope-crossings", polytope_rays.crossings,
                 "boundaries measured per ray of the polytope attacks")
      ->check(positive)
      ->capture_default_str();
  app.add_option("--epochs", epochs, "training epochs of every network (0: the data set's default)")
      ->check(non_negative);
  app.add_option("--hidden", hidden_text,
                 "comma-separated hidden layer sizes of every network (default: the data set's)");
  app.add_option("--candidates", candidates,
                 "score only this many target members and as many non-members, a seeded random "
                 "subset (0: all)")
      ->check(non_negative)
      ->capture_default_str();
  app.add_flag("--quick", quick, "a quarter of the data and epochs (smoke test)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "polyleak-membership-inference: error: " << e.what() << '\n';
    return 2;
  }

  if (std::find(dataset_names.begin(), dataset_names.end(), dataset) == dataset_names.end())
    throw UsageError("unknown data set '" + dataset +
                     "', expected fashion-mnist, location, adult, purchase, texas or clusters2d");
  const std::vector<std::string> attacks = split_list(attacks_text);
  for (const std::string& name : attacks)
    if (std::find(attack_names.begin(), attack_names.end(), name) == attack_names.end() &&
        std::find(boundary_attack_names.begin(), boundary_attack_names.end(), name) ==
            boundary_attack_names.end())
      throw UsageError("unknown attack '" + name + "', expected a comma list of " + all_attacks +
                       " or the boundary attacks " + boundary_attacks);
  if (attacks.empty()) throw UsageError("--attacks is empty");
  for (auto name = attacks.begin(); name != attacks.end(); ++name)
    if (std::find(attacks.begin(), name, *name) != name)
      throw UsageError("--attacks names '" + *name + "' twice");
  if (data_dir.empty()) data_dir = default_data_dir(dataset);
  if (dataset != "clusters2d" && !fs::is_directory(data_dir))
    throw UsageError("data folder " + data_dir.string() + " does not exist");

  set_log_callback([](LogLevel level, std::string_view message) {
    if (level != LogLevel::debug) std::cerr << "[" << elapsed_time() << "] " << message << '\n';
  });
  std::vector<Index> hidden;
  for (const std::string& size : split_list(hidden_text)) {
    std::size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(size, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != size.size() || value < 1)
      throw UsageError("--hidden: '" + size + "' is not a positive layer size");
    hidden.push_back(Index(value));
  }
  // The output folder is made (or found unusable) before hours of training, not after.
  std::error_code made;
  fs::create_directories(out, made);
  if (made || !fs::is_directory(out))
    throw UsageError("cannot use " + out.string() + " as output folder" +
                     (made ? ": " + made.message() : ": not a folder"));
  for (const char* file : {"report.csv", "report.md", "roc.png"})
    if (fs::is_directory(out / file))
      throw UsageError("cannot write " + (out / file).string() + ": it is a folder");

  const Experiment e = load_experiment(dataset, data_dir, quick, epochs, hidden, seed);
  log(LogLevel::info, e.description);
  const MembershipModels<Scalar> models = train_membership_models(e.data, e.setup, seed);
  log(LogLevel::info, "target accuracy: train " + fixed(models.target_train_accuracy, 4) +
                          ", test " + fixed(models.target_test_accuracy, 4));
  const auto shadow = ShadowData<Scalar>::from_split(models.split, models.shadow);
  const auto evaluation = TargetEvaluationSet<Scalar>::from_split(models.split, candidates);
  const Index members = evaluation.candidates().size() / 2;
  if (candidates > members)
    log(LogLevel::info, "--candidates " + std::to_string(candidates) + ": only " +
                            std::to_string(members) + " members and non-members, scoring all");

  std::vector<AttackResult> results;
  for (const std::string& name : attacks) {
    auto attack = make_attack(name, e, lira_models, polytope_rays, seed);
    log(LogLevel::progress, "fitting " + name + " on shadow data");
    attack->fit(shadow);
    for (AttackResult& r : evaluate_attack(*attack, models.target, evaluation)) {
      log(LogLevel::info, name + " (" + r.threshold_source + "): balanced accuracy " +
                              fixed(r.balanced_accuracy, 4) + ", AUC " + fixed(r.auc, 4) +
                              ", TPR at 0.1 % FPR " + fixed(r.tpr_at_0_1pct_fpr, 4));
      results.push_back(std::move(r));
    }
  }
  write_reports(out, dataset, e, models, results, members, seed);
  std::cerr << "wrote " << (out / "report.csv").string() << ", report.md and roc.png\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "polyleak-membership-inference: error: " << e.what() << '\n';
    // Bad arguments, missing or malformed files: 2; anything else: 1.
    const bool bad_input =
        dynamic_cast<const UsageError*>(&e) || dynamic_cast<const IoError*>(&e) ||
        dynamic_cast<const ParseError*>(&e) || dynamic_cast<const FormatError*>(&e);
    return bad_input ? 2 : 1;
  }
}
