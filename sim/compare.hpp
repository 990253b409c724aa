// Tap-by-tap comparison of two executors' tensors, in a run or between two dumped directories.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "golden/exec.hpp"

namespace qtsim::sim {

// One check per tap of `expected`: bit_exact, mismatches, and the first mismatch's index and values.
nlohmann::json compare_taps(const golden::Taps& expected, const golden::Taps& actual, const std::string& who, bool& all_exact);

// A directory written by --dump-taps or qtsim golden (taps.json + .npy files).
golden::Taps load_tap_dir(const std::string& dir);

}  // namespace qtsim::sim
