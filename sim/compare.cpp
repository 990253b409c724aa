#include "sim/compare.hpp"

#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "golden/npy.hpp"
#include "sim/cli.hpp"
#include "sim/cli_args.hpp"
#include "sim/output.hpp"

namespace po = boost::program_options;

namespace qtsim::sim {

// Tap-by-tap comparison: bit-exact or the count and first position of the mismatches.
nlohmann::json compare_taps(const golden::Taps& expected, const golden::Taps& actual, const std::string& who, bool& all_exact) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& name : expected.order) {
    const golden::ITensor& e = expected.at(name);
    nlohmann::json c{{"name", name}, {"executor", who}};
    if (!actual.t.count(name)) {
      c["bit_exact"] = false;
      c["missing"] = true;
      all_exact = false;
      checks.push_back(c);
      continue;
    }
    const golden::ITensor& a = actual.at(name);
    int64_t mismatches = 0, first = -1;
    if (a.shape != e.shape) {
      mismatches = e.size();
    } else {
      for (int64_t i = 0; i < e.size(); ++i)
        if (a[i] != e[i]) {
          if (first < 0) first = i;
          ++mismatches;
        }
    }
    c["bit_exact"] = mismatches == 0;
    c["mismatches"] = mismatches;
    if (first >= 0) c["first_mismatch"] = {{"tap", name}, {"index", first}, {"expected", e[first]}, {"actual", a[first]}};
    all_exact = all_exact && mismatches == 0;
    checks.push_back(c);
  }
  return checks;
}


golden::Taps load_tap_dir(const std::string& dir) {
  const std::string index = dir + "/taps.json";
  std::ifstream f(index);
  if (!f) throw std::runtime_error(index + ": cannot open (a directory written by --dump-taps or qtsim golden)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(index + ": " + e.what());
  }
  golden::Taps taps;
  for (const auto& e : j.at("taps")) taps.put(e.at("name").get<std::string>(), golden::load_npy_int(dir + "/" + e.at("file").get<std::string>()));
  return taps;
}

int cmd_compare(int argc, const char* const* argv) {
  std::vector<std::string> dirs;
  std::string out;
  po::options_description opts(
      "usage: qtsim compare DIR_A DIR_B [--out report.json]\n\n"
      "Compares two tap directories tap by tap (names from DIR_A; DIR_B may be a user's own export with the\n"
      "same names). Exit 0 when every tap is bit-exact, 1 otherwise.\n\noptions");
  opts.add_options()("help,h", "this help")("out", po::value(&out), "write the checks as JSON");
  if (!parse_args(argc, argv, opts, dirs, 2)) return 0;
  if (dirs.size() != 2) throw std::invalid_argument("need two tap directories (see qtsim compare --help)");
  const golden::Taps a = load_tap_dir(dirs[0]), b = load_tap_dir(dirs[1]);
  bool all_exact = true;
  const nlohmann::json checks = compare_taps(a, b, dirs[1], all_exact);
  int64_t exact = 0;
  for (const auto& c : checks) {
    exact += c["bit_exact"].get<bool>() ? 1 : 0;
    if (!c["bit_exact"].get<bool>()) {
      if (c.contains("first_mismatch"))
        std::printf("MISMATCH %s: %lld elements differ, first at %lld: expected %lld, got %lld\n", c["name"].get<std::string>().c_str(),
                    static_cast<long long>(c["mismatches"].get<int64_t>()), static_cast<long long>(c["first_mismatch"]["index"].get<int64_t>()),
                    static_cast<long long>(c["first_mismatch"]["expected"].get<int64_t>()),
                    static_cast<long long>(c["first_mismatch"]["actual"].get<int64_t>()));
      else
        std::printf("MISMATCH %s: missing or of another shape\n", c["name"].get<std::string>().c_str());
    }
  }
  std::printf("compare: %lld/%zu taps bit-exact\n", static_cast<long long>(exact), checks.size());
  if (!out.empty()) {
    OutputSet files;
    files.add(out, nlohmann::json{{"checks", checks}}.dump(2) + "\n");
    files.commit();
  }
  return all_exact ? 0 : 1;
}

}  // namespace qtsim::sim
