// Output files written as a set: staged to temporaries, then renamed into place only when all are ready,
// so a failed command leaves nothing half-written.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "golden/exec.hpp"
#include "golden/program.hpp"

namespace qtsim::sim {

class OutputSet {
 public:
  void add(const std::string& path, std::string bytes) { files_.emplace_back(path, std::move(bytes)); }
  void commit();  // throws std::runtime_error naming the file

 private:
  std::vector<std::pair<std::string, std::string>> files_;
};

void make_dir(const std::string& dir);  // mkdir -p; throws naming the directory

// Every tap as DIR/<name>.npy (int64) plus DIR/taps.json: name, shape, dtype, element type and scale.
void add_taps(OutputSet& out, const std::string& dir, const golden::Program& p, const golden::Taps& taps);

}  // namespace qtsim::sim
