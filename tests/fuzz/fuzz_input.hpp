// What every fuzz target shares: readers take paths, so each input goes to a file of its own first (in
// /dev/shm where there is one), and a reader's own error type (std::runtime_error and what derives from it,
// or isa::IsaError) is the only exception an input may raise.
// Anything else (a crash, a sanitizer report, a hang, another exception) is a bug libFuzzer reports.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace qtsim::fuzz {

// The files (and folders) a target made, removed when it exits, newest first: /dev/shm is memory.
struct Scratch {
  std::vector<std::string> paths;
  void add(const std::string& p) {
    if (std::find(paths.begin(), paths.end(), p) == paths.end()) paths.push_back(p);
  }
  ~Scratch() {
    for (auto p = paths.rbegin(); p != paths.rend(); ++p) std::remove(p->c_str());
  }
};
inline Scratch& scratch() {
  static Scratch s;
  return s;
}

inline std::string scratch_path(const std::string& name) {
  static const std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  const std::string path = dir + "/qtsim_fuzz_" + std::to_string(getpid()) + "_" + name;
  scratch().add(path);
  return path;
}

inline std::string input_file(const char* name, const uint8_t* data, size_t size) {
  const std::string path = scratch_path(name);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) __builtin_trap();
  if (size && std::fwrite(data, 1, size, f) != size) __builtin_trap();
  std::fclose(f);
  return path;
}

}  // namespace qtsim::fuzz
