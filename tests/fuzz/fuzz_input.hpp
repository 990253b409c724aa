// What every fuzz target shares: readers take paths, so each input goes to a file of its own first (in
// /dev/shm where there is one), and a reader's own error type is the only exception an input may raise.
// Anything else (a crash, a sanitizer report, a hang, another exception) is a bug libFuzzer reports.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace qtsim::fuzz {

inline std::string input_file(const char* name, const uint8_t* data, size_t size) {
  static const std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  const std::string path = dir + "/qtsim_fuzz_" + std::to_string(getpid()) + "_" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) __builtin_trap();
  if (size && std::fwrite(data, 1, size, f) != size) __builtin_trap();
  std::fclose(f);
  return path;
}

}  // namespace qtsim::fuzz
