// qtsim sweep SWEEP.yaml: design points costed by worker processes and appended to a CSV as they finish.
// Workers are forked (the cycle fidelity elaborates one SystemC accelerator per process, so each of its points
// gets its own worker); a row reaches the file whole or not at all, so a killed sweep resumes with --resume
// and loses and duplicates nothing. `--shard i/N` takes the points with index % N == i; `sweep merge` joins
// the shards' files into one table.
#include <boost/program_options.hpp>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "golden/npy.hpp"
#include "sim/cli.hpp"
#include "sim/cli_args.hpp"
#include "sim/output.hpp"
#include "sim/progress.hpp"
#include "sim/sweep.hpp"

namespace po = boost::program_options;

namespace qtsim::sim {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + v[i];
  return s;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
  if (!line.empty() && line.back() == ',') f.emplace_back();
  return f;
}

// The rows of a sweep CSV by point index, checked against the spec: same header, the point's own values.
// A last line without its newline is a row cut off by a kill: it is dropped (and `complete_bytes` stops
// before it).
std::map<size_t, std::string> read_rows(const std::string& file, const SweepSpec& spec, size_t& complete_bytes) {
  std::ifstream f(file, std::ios::binary);
  if (!f) throw std::runtime_error(file + ": cannot open");
  const std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::vector<std::string> columns = spec.columns();
  const std::string header = join(columns);
  std::map<size_t, std::string> rows;
  size_t pos = 0, line_no = 0;
  complete_bytes = 0;
  while (pos < all.size()) {
    const size_t nl = all.find('\n', pos);
    if (nl == std::string::npos) break;
    const std::string line = all.substr(pos, nl - pos);
    ++line_no;
    if (line_no == 1) {
      if (line != header) throw std::runtime_error(file + ":1: header differs from this sweep's columns (another sweep's file?)");
    } else {
      const std::vector<std::string> fields = split(line);
      const std::string at = file + ":" + std::to_string(line_no) + ": ";
      char* end = nullptr;
      const unsigned long long i = fields.empty() ? 0 : std::strtoull(fields[0].c_str(), &end, 10);
      if (fields.size() != columns.size() || fields[0].empty() || *end || i >= spec.points)
        throw std::runtime_error(at + "not a row of this sweep");
      const std::vector<SweepValue> values = spec.point(i);
      for (size_t k = 0; k < spec.keys.size(); ++k)
        if (fields[1 + k] != values[k].text)
          throw std::runtime_error(at + "point " + fields[0] + " has " + spec.keys[k] + "=" + fields[1 + k] + ", this sweep has " +
                                   values[k].text);
      const auto [it, fresh] = rows.emplace(i, line);
      if (!fresh && it->second != line) throw std::runtime_error(at + "point " + fields[0] + " appears twice with different results");
    }
    pos = nl + 1;
    complete_bytes = pos;
  }
  if (line_no == 0) throw std::runtime_error(file + ": no header");
  return rows;
}

// Rows sorted by point, written whole (temporary file, then rename).
void write_sorted(const std::string& file, const SweepSpec& spec, const std::map<size_t, std::string>& rows) {
  std::string out = join(spec.columns()) + "\n";
  for (const auto& [i, line] : rows) out += line + "\n";
  golden::write_file_atomic(file, out);
}

// One writer per CSV: a second sweep (or --resume, or a merge) on the same file would run every point again
// or interleave rows. The lock is an exclusive flock on FILE.lock, held until the holder's descriptor closes;
// forked workers close their copy, so that the lock dies with the process that took it.
struct CsvLock {
  int fd = -1;
  explicit CsvLock(const std::string& file) {
    const std::string lock = file + ".lock";
    fd = open(lock.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(lock + ": cannot open: " + std::strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      close(fd);
      throw std::runtime_error(file + ": another qtsim sweep is writing it (" + lock + " is locked); wait for it to finish or choose another --out");
    }
  }
  ~CsvLock() {
    if (fd >= 0) close(fd);
  }
  CsvLock(const CsvLock&) = delete;
  CsvLock& operator=(const CsvLock&) = delete;
};

struct Worker {
  pid_t pid = -1;
  int fd = -1;
  std::string buf;
  std::vector<size_t> points;
  std::set<size_t> received;
};

// Runs `points` in at most `jobs` forked workers of `chunk` points each; every finished row goes through
// `on_row`. Returns the points whose worker failed.
template <class OnRow>
std::vector<size_t> run_workers(SweepEvaluator& ev, const std::vector<size_t>& points, int jobs, size_t chunk, int lock_fd, OnRow on_row) {
  std::vector<Worker> running;
  std::vector<size_t> failed;
  size_t next = 0;
  while (next < points.size() || !running.empty()) {
    while (next < points.size() && running.size() < static_cast<size_t>(jobs)) {
      Worker w;
      w.points.assign(points.begin() + static_cast<std::ptrdiff_t>(next),
                      points.begin() + static_cast<std::ptrdiff_t>(std::min(points.size(), next + chunk)));
      next += w.points.size();
      int fds[2];
      if (pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
      std::fflush(stdout);
      std::fflush(stderr);
      w.pid = fork();
      if (w.pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
      if (w.pid == 0) {
        close(fds[0]);
        close(lock_fd);
        for (const Worker& o : running) close(o.fd);
        int status = 0;
        for (size_t i : w.points) {
          try {
            const std::string line = ev.row(i) + "\n";
            for (size_t off = 0; off < line.size();) {
              const ssize_t n = write(fds[1], line.data() + off, line.size() - off);
              if (n <= 0) _exit(3);
              off += static_cast<size_t>(n);
            }
          } catch (const std::exception& e) {
            std::fprintf(stderr, "qtsim sweep: point %zu: %s\n", i, e.what());
            status = 1;
          }
        }
        // _exit: the parent's buffers and static destructors (SystemC's among them) are not the worker's.
        _exit(status);
      }
      close(fds[1]);
      w.fd = fds[0];
      running.push_back(std::move(w));
    }
    std::vector<pollfd> pfds;
    for (const Worker& w : running) pfds.push_back({w.fd, POLLIN, 0});
    if (poll(pfds.data(), pfds.size(), -1) < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    for (size_t j = running.size(); j-- > 0;) {
      if (!(pfds[j].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Worker& w = running[j];
      char buf[65536];
      const ssize_t n = read(w.fd, buf, sizeof buf);
      if (n > 0) {
        w.buf.append(buf, static_cast<size_t>(n));
        for (size_t nl; (nl = w.buf.find('\n')) != std::string::npos;) {
          w.received.insert(std::strtoull(w.buf.c_str(), nullptr, 10));
          on_row(w.buf.substr(0, nl));
          w.buf.erase(0, nl + 1);
        }
        continue;
      }
      close(w.fd);
      int status = 0;
      waitpid(w.pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        for (size_t i : w.points)
          if (!w.received.count(i)) failed.push_back(i);
      }
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(j));
    }
  }
  return failed;
}

std::string shard_file(const std::string& dir, int shard, int shards) {
  if (shards == 1) return dir + "/sweep.csv";
  return dir + "/sweep.shard-" + std::to_string(shard) + "-of-" + std::to_string(shards) + ".csv";
}

int sweep_merge(const std::vector<std::string>& positional, const std::string& out_dir) {
  if (positional.size() != 2) throw std::invalid_argument("usage: qtsim sweep merge SWEEP.yaml --out DIR");
  const SweepSpec spec = load_sweep(positional[1]);
  const CsvLock lock(out_dir + "/sweep.csv");  // an unsharded sweep may be writing the merge's output
  glob_t g{};
  const std::string pattern = out_dir + "/sweep.shard-*-of-*.csv";
  if (glob(pattern.c_str(), 0, nullptr, &g) != 0) {
    globfree(&g);
    throw std::runtime_error("no shard files " + pattern);
  }
  std::map<size_t, std::string> rows;
  for (size_t f = 0; f < g.gl_pathc; ++f) {
    size_t bytes = 0;
    for (auto& [i, line] : read_rows(g.gl_pathv[f], spec, bytes)) {
      const auto [it, fresh] = rows.emplace(i, line);
      if (!fresh && it->second != line)
        throw std::runtime_error(std::string(g.gl_pathv[f]) + ": point " + std::to_string(i) + " differs from another shard's");
    }
  }
  const size_t files = g.gl_pathc;
  globfree(&g);
  size_t missing = 0, first_missing = 0;
  for (size_t i = spec.points; i-- > 0;)
    if (!rows.count(i)) ++missing, first_missing = i;
  const std::string out = out_dir + "/sweep.csv";
  write_sorted(out, spec, rows);
  std::printf("merged %zu points from %zu shard files into %s\n", rows.size(), files, out.c_str());
  if (missing) {
    std::fprintf(stderr, "qtsim sweep merge: %zu of %zu points missing (first: point %zu: %s)\n", missing, spec.points,
                 first_missing, spec.point_label(first_missing).c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int cmd_sweep(int argc, const char* const* argv) {
  const auto t0 = std::chrono::steady_clock::now();  // the job as a user waits for it: parsing and lowering too
  int jobs = 1;
  std::string out_dir, shard_arg = "0/1";
  bool resume = false, force = false;
  po::options_description opts(
      "usage: qtsim sweep SWEEP.yaml [-j N] [--shard i/N] [--resume] [--out DIR]\n"
      "       qtsim sweep merge SWEEP.yaml --out DIR\n\n"
      "Costs every point of a sweep (grid, zip and list blocks over config key paths; docs/sweeps.md) and\n"
      "appends one CSV row per point to DIR/sweep.csv as points finish; at the end the file is sorted by point.\n"
      "--shard i/N runs the points with index % N == i (0 <= i < N) into DIR/sweep.shard-i-of-N.csv;\n"
      "`merge` joins the shard files in DIR into DIR/sweep.csv and reports missing points.\n\noptions");
  opts.add_options()("help,h", "this help")("jobs,j", po::value(&jobs), "worker processes (default 1)")(
      "shard", po::value(&shard_arg), "i/N: this process's share of the points")(
      "resume", po::bool_switch(&resume), "keep the rows already in the CSV and run the rest")(
      "force", po::bool_switch(&force), "run even when the points' simulated cycles exceed the base config's run.max_cycles")(
      "out", po::value(&out_dir), "output directory (default: out/<sweep name>)");
  std::vector<std::string> positional;
  if (!parse_args(argc, argv, opts, positional, 2)) return 0;
  if (positional.empty()) throw std::invalid_argument("give a SWEEP.yaml (qtsim sweep --help)");
  const bool merge = positional[0] == "merge";
  const std::string sweep_file = merge ? (positional.size() > 1 ? positional[1] : "") : positional[0];
  if (!merge && positional.size() != 1) throw std::invalid_argument("one SWEEP.yaml, got " + std::to_string(positional.size()) + " arguments");
  if (out_dir.empty()) {
    std::string stem = sweep_file.substr(sweep_file.rfind('/') + 1);
    stem = stem.substr(0, stem.rfind('.'));
    out_dir = "out/" + stem;
  }
  if (merge) return sweep_merge(positional, out_dir);
  if (jobs < 1) throw std::invalid_argument("-j must be >= 1");
  int shard = 0, shards = 1;
  {
    char slash = 0, extra = 0;
    if (std::sscanf(shard_arg.c_str(), "%d%c%d%c", &shard, &slash, &shards, &extra) != 3 || slash != '/' || shards < 1 || shard < 0 ||
        shard >= shards)
      throw std::invalid_argument("--shard takes i/N with 0 <= i < N, got '" + shard_arg + "'");
  }

  SweepSpec spec;
  try {
    spec = load_sweep(sweep_file);
  } catch (const ConfigError& e) {
    std::cerr << "qtsim sweep: " << e.what() << "\n";
    return 2;
  }
  make_dir(out_dir);
  const std::string file = shard_file(out_dir, shard, shards);
  const CsvLock lock(file);
  std::map<size_t, std::string> done;
  struct stat st {};
  if (stat(file.c_str(), &st) == 0) {
    if (!resume) throw std::runtime_error(file + " exists: add --resume to finish it, or choose another --out");
    size_t complete = 0;
    done = read_rows(file, spec, complete);
    if (truncate(file.c_str(), static_cast<off_t>(complete)) != 0) throw std::runtime_error(file + ": cannot drop a cut-off row");
  }

  std::vector<size_t> pending;
  size_t mine = 0;
  for (size_t i = static_cast<size_t>(shard); i < spec.points; i += static_cast<size_t>(shards)) {
    ++mine;
    if (!done.count(i)) pending.push_back(i);
  }
  SweepEvaluator ev(spec);
  // Lower each distinct workload once, here, so that the forked workers inherit it.
  // A point that does not parse (past kCheckEveryPoint points not every combination was checked at load) is
  // left to its worker, which reports it as a failed point.
  for (size_t i : pending) try {
      ev.prepare(i);
    } catch (const ConfigError&) {
    }
  if (!force && !spec.llm && !pending.empty()) {  // a cycle-fidelity sweep that would simulate for hours stops here
    double cycles = 0;
    for (size_t i : pending) try {
        cycles += ev.simulated_cycles(i);
      } catch (const ConfigError&) {
      }
    if (cycles > static_cast<double>(spec.max_cycles)) {
      char b[480];
      std::snprintf(b, sizeof b,
                    "%s: run.max_cycles: the analytic model estimates %.3g cycles on the machine for the %zu points to run (this "
                    "shard's), above the base's limit of %.3g: narrow the sweep, raise run.max_cycles in the base config (%s) or add --force",
                    sweep_file.c_str(), cycles, pending.size(), static_cast<double>(spec.max_cycles), spec.base_file.c_str());
      throw std::invalid_argument(b);
    }
  }
  if (stat(file.c_str(), &st) != 0) golden::write_file_atomic(file, join(spec.columns()) + "\n");  // only once the job starts
  const size_t chunk = spec.fidelity == "cycle" && !spec.llm ? 1 : std::max<size_t>(1, std::min<size_t>(4096, pending.size() / (4 * jobs) + 1));

  std::FILE* f = std::fopen(file.c_str(), "ab");
  if (!f) throw std::runtime_error(file + ": cannot append");
  Progress progress(static_cast<double>(mine), static_cast<double>(mine - pending.size()), "points");
  const std::vector<size_t> failed = run_workers(ev, pending, jobs, chunk, lock.fd, [&](const std::string& line) {
    std::fputs((line + "\n").c_str(), f);
    std::fflush(f);
    const size_t i = std::strtoull(line.c_str(), nullptr, 10);
    done.emplace(i, line);
    progress.tick(1);
  });
  std::fclose(f);
  progress.finish();
  if (failed.empty()) write_sorted(file, spec, done);
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const size_t fresh = static_cast<size_t>(progress.fresh());
  std::printf("%zu points (%zu run now, %zu before) in %.2f s (%.2f s running points, %.0f points/s) -> %s\n", done.size(), fresh,
              done.size() - fresh, total_s, progress.seconds(), static_cast<double>(fresh) / std::max(progress.seconds(), 1e-9),
              file.c_str());
  if (!failed.empty()) {
    std::fprintf(stderr, "qtsim sweep: %zu points failed (first: point %zu); fix and rerun with --resume\n", failed.size(), failed[0]);
    return 1;
  }
  return 0;
}

}  // namespace qtsim::sim
