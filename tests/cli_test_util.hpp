// Helpers of the command-line tests: run qtsim in-process, scratch files under a per-suite temporary folder.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sim/cli.hpp"

namespace qtsim::test {

inline int run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "qtsim");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return sim::cli_main(static_cast<int>(argv.size()), argv.data());
}

// run_cli in a child process: the accelerator is elaborated once per process, so runs of two
// configurations need two processes.
inline int run_cli_forked(std::vector<std::string> args) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) _exit(run_cli(std::move(args)));
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// DIR/name under the system's temporary folder, removed first so every test starts clean.
inline std::string scratch_in(const std::string& dir, const std::string& name) {
  const std::filesystem::path d = std::filesystem::temp_directory_path() / dir;
  std::filesystem::create_directories(d);
  const std::filesystem::path p = d / name;
  std::filesystem::remove_all(p);
  return p.string();
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

}  // namespace qtsim::test
