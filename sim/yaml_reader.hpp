// Strict reading of YAML maps: every key is known, typed and checked, and every error names the file,
// line, column, key and reason.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace qtsim::sim {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Keys given on the command line: (key path, the --set argument). Errors at or below such a key name the
// argument instead of a position in the file, which the value never came from.
using SetOrigins = std::vector<std::pair<std::string, std::string>>;

// A map node being read: keys are consumed by get/require; finish() rejects the ones nobody asked for.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string file, std::string path, std::shared_ptr<const SetOrigins> sets = nullptr);

  bool has(const std::string& key) const { return static_cast<bool>(node_[key]); }
  template <class T>
  T get(const std::string& key, const T& fallback);
  template <class T>
  T require(const std::string& key);
  MapReader map(const std::string& key);  // a required nested map
  YAML::Node raw(const std::string& key);  // consumes the key, returns its node (may be null)
  [[noreturn]] void fail(const std::string& key, const std::string& reason) const;
  [[noreturn]] void fail_at(const YAML::Node& n, const std::string& key, const std::string& reason) const;
  void finish() const;  // unknown keys are errors
  std::string path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const std::string& file() const { return file_; }

 private:
  template <class T>
  T convert(const YAML::Node& n, const std::string& key) const;
  std::string at(const YAML::Mark& m, const std::string& key_path) const;  // where(), or the --set that gave the key
  YAML::Node node_;
  std::string file_, path_;
  std::shared_ptr<const SetOrigins> sets_;
  mutable std::set<std::string> used_;
};

std::string where(const std::string& file, const YAML::Mark& m);

// A YAML file whose top level is a map, without duplicate keys; `what` names it in errors ("config", "sweep file").
YAML::Node load_yaml_map(const std::string& path, const std::string& what);
// `path` as written in `file`: relative paths are taken from the file's folder.
std::string relative_to(const std::string& file, const std::string& path);

template <class T>
T MapReader::convert(const YAML::Node& n, const std::string& key) const {
  if (!n.IsScalar()) fail_at(n, key, "expected a scalar");
  try {
    const T v = n.as<T>();
    if constexpr (std::is_floating_point<T>::value)
      if (!std::isfinite(v)) fail_at(n, key, "expected a finite number, got '" + n.Scalar() + "'");
    return v;
  } catch (const YAML::BadConversion&) {
    const char* what = std::is_same<T, bool>::value ? "a boolean"
                       : std::is_integral<T>::value ? "an integer"
                       : std::is_floating_point<T>::value ? "a number"
                                                          : "a string";
    fail_at(n, key, std::string("expected ") + what + ", got '" + n.Scalar() + "'");
  }
}

template <class T>
T MapReader::get(const std::string& key, const T& fallback) {
  used_.insert(key);
  const YAML::Node n = node_[key];
  if (!n) return fallback;
  return convert<T>(n, key);
}

template <class T>
T MapReader::require(const std::string& key) {
  used_.insert(key);
  const YAML::Node n = node_[key];
  if (!n) fail(key, "missing required key");
  return convert<T>(n, key);
}

}  // namespace qtsim::sim
