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
// Before any work: DIR is a writable directory, or can be made one (its nearest existing ancestor is a
// writable directory). Throws std::invalid_argument naming the option and the path, so a long run is not
// lost to an output path it could never write.
void check_out_dir(const std::string& dir, const std::string& option = "--out");

// Every tap as DIR/<name>.npy (int64) plus DIR/taps.json: name, shape, dtype, element type and scale.
void add_taps(OutputSet& out, const std::string& dir, const golden::Program& p, const golden::Taps& taps);

}  // namespace qtsim::sim
