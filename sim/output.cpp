#include "sim/output.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <unistd.h>

#include "golden/npy.hpp"

namespace qtsim::sim {

void OutputSet::commit() {
  std::vector<std::string> staged;
  auto cleanup = [&] {
    for (const auto& t : staged) std::remove(t.c_str());
  };
  for (const auto& [path, bytes] : files_) {
    const std::string tmp = path + ".tmp";
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) {
      cleanup();
      throw std::runtime_error(path + ": cannot open for writing");
    }
    staged.push_back(tmp);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.close();
    if (!f) {
      cleanup();
      throw std::runtime_error(path + ": write failed");
    }
  }
  for (const auto& [path, bytes] : files_)
    if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0) throw std::runtime_error(path + ": rename failed");
  files_.clear();
}

void make_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error(dir + ": cannot create directory: " + ec.message());
}

void check_out_dir(const std::string& dir, const std::string& option) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path at = fs::absolute(dir, ec);
  if (ec) throw std::invalid_argument(option + " " + dir + ": " + ec.message());
  // the path itself, or the first ancestor that exists: mkdir -p creates the rest inside it (a dangling
  // symbolic link exists as a link but cannot be made a directory)
  while (!fs::exists(fs::symlink_status(at, ec)) && at.has_parent_path() && at.parent_path() != at) at = at.parent_path();
  const bool self = at == fs::absolute(dir);
  if (fs::is_symlink(fs::symlink_status(at, ec)) && !fs::exists(at, ec))
    throw std::invalid_argument(option + " " + dir + ": " + (self ? "" : at.string() + ": ") + "a symbolic link to nothing");
  if (!fs::is_directory(at, ec))
    throw std::invalid_argument(option + " " + dir + ": " + (self ? "exists and is not a directory" : at.string() + " is not a directory"));
  if (access(at.c_str(), W_OK | X_OK) != 0)
    throw std::invalid_argument(option + " " + dir + ": " + (self ? "" : at.string() + ": ") + "not writable");
}

void add_taps(OutputSet& out, const std::string& dir, const golden::Program& p, const golden::Taps& taps) {
  nlohmann::json index = nlohmann::json::array();
  for (const auto& name : taps.order) {
    const golden::ITensor& t = taps.at(name);
    out.add(dir + "/" + name + ".npy", golden::encode_npy(t, golden::DType::i64));
    nlohmann::json e{{"name", name}, {"file", name + ".npy"}, {"shape", t.shape}, {"dtype", "int64"}};
    const auto it = p.tensors.find(name);
    if (it != p.tensors.end()) {
      e["type"] = it->second.type.name();
      e["scale"] = it->second.scale;
    }
    index.push_back(e);
  }
  out.add(dir + "/taps.json", nlohmann::json{{"program", p.name}, {"taps", index}}.dump(2) + "\n");
}

}  // namespace qtsim::sim
