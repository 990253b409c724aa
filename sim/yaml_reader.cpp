#include "sim/yaml_reader.hpp"

#include <filesystem>
#include <fstream>
#include <map>

namespace qtsim::sim {

std::string where(const std::string& file, const YAML::Mark& m) {
  if (m.is_null()) return file;
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

namespace {
// Duplicate keys anywhere below n are errors naming both lines (yaml-cpp keeps both and returns the first).
void check_unique_keys(const YAML::Node& n, const std::string& file) {
  if (n.IsSequence())
    for (const YAML::Node& e : n) check_unique_keys(e, file);
  if (!n.IsMap()) return;
  std::map<std::string, YAML::Mark> seen;
  for (const auto& kv : n) {
    if (kv.first.IsScalar()) {
      const auto [at, fresh] = seen.emplace(kv.first.Scalar(), kv.first.Mark());
      if (!fresh)
        throw ConfigError(where(file, kv.first.Mark()) + ": " + kv.first.Scalar() + ": duplicate key (first at line " +
                          std::to_string(at->second.line + 1) + ")");
    }
    check_unique_keys(kv.second, file);
  }
}
}  // namespace

YAML::Node load_yaml_map(const std::string& path, const std::string& what) {
  YAML::Node root;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ConfigError(path + ": is a directory, not a " + what);
  try {
    std::ifstream f(path);
    if (!f) throw ConfigError(path + ": cannot open " + what);
    root = YAML::Load(f);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(where(path, e.mark) + ": YAML syntax error: " + e.msg);
  }
  if (!root || !root.IsMap()) throw ConfigError(path + ": expected a map at the top level");
  check_unique_keys(root, path);
  return root;
}

std::string relative_to(const std::string& file, const std::string& path) {
  const auto slash = file.rfind('/');
  return path.empty() || path[0] == '/' || slash == std::string::npos ? path : file.substr(0, slash + 1) + path;
}

MapReader::MapReader(const YAML::Node& node, std::string file, std::string path, std::shared_ptr<const SetOrigins> sets)
    : node_(node), file_(std::move(file)), path_(std::move(path)), sets_(std::move(sets)) {
  if (node_ && !node_.IsMap()) throw ConfigError(at(node_.Mark(), path_) + ": " + (path_.empty() ? "config" : path_) + ": expected a map");
}

std::string MapReader::at(const YAML::Mark& m, const std::string& key_path) const {
  // the last --set at or below the key (the one in effect, or the one that made a map fail), else above it
  if (sets_) {
    for (auto s = sets_->rbegin(); s != sets_->rend(); ++s)
      if (key_path == s->first || s->first.rfind(key_path + ".", 0) == 0) return "--set " + s->second;
    for (auto s = sets_->rbegin(); s != sets_->rend(); ++s)
      if (key_path.rfind(s->first + ".", 0) == 0) return "--set " + s->second;
  }
  return where(file_, m);
}

void MapReader::fail(const std::string& key, const std::string& reason) const {
  const YAML::Node n = node_[key];
  throw ConfigError(at(n ? n.Mark() : node_.Mark(), path(key)) + ": " + path(key) + ": " + reason);
}

void MapReader::fail_at(const YAML::Node& n, const std::string& key, const std::string& reason) const {
  throw ConfigError(at(n.Mark(), path(key)) + ": " + path(key) + ": " + reason);
}

MapReader MapReader::map(const std::string& key) {
  used_.insert(key);
  const YAML::Node n = node_[key];
  if (!n) fail(key, "missing required key");
  if (!n.IsMap()) fail(key, "expected a map");
  return MapReader(n, file_, path(key), sets_);
}

YAML::Node MapReader::raw(const std::string& key) {
  used_.insert(key);
  return node_[key];
}

void MapReader::finish() const {
  if (!node_) return;
  for (const auto& kv : node_) {
    const std::string k = kv.first.as<std::string>();
    if (!used_.count(k)) throw ConfigError(at(kv.first.Mark(), path(k)) + ": " + path(k) + ": unknown key");
  }
}

}  // namespace qtsim::sim
