#include "sim/timeline.hpp"

#include <array>

namespace qtsim::sim {

using json = nlohmann::json;

namespace {
// The tracks, top to bottom.
constexpr std::array<const char*, 7> kTracks{"ops", "array", "ppu", "shiftmax", "shiftgelu", "ilayernorm", "dram"};
constexpr int kDram = 6;

int track_of(const std::string& unit) {
  for (size_t i = 1; i < kDram; ++i)
    if (unit == kTracks[i]) return static_cast<int>(i);
  return -1;  // layout ops: no unit
}
}  // namespace

json timeline_json(const model::ModelRun& run, const std::string& program, double clock_mhz) {
  json events = json::array();
  events.push_back({{"ph", "M"}, {"pid", 1}, {"name", "process_name"}, {"args", {{"name", "qtsim accelerator: " + program}}}});
  for (size_t i = 0; i < kTracks.size(); ++i) {
    events.push_back({{"ph", "M"}, {"pid", 1}, {"tid", i}, {"name", "thread_name"}, {"args", {{"name", kTracks[i]}}}});
    events.push_back({{"ph", "M"}, {"pid", 1}, {"tid", i}, {"name", "thread_sort_index"}, {"args", {{"sort_index", i}}}});
  }
  auto us = [&](int64_t cycles) { return static_cast<double>(cycles) / clock_mhz; };
  auto span = [&](int tid, const std::string& name, const char* cat, int64_t start, int64_t cycles, json args) {
    args["start_cycle"] = start, args["cycles"] = cycles;
    events.push_back({{"ph", "X"}, {"pid", 1}, {"tid", tid}, {"name", name}, {"cat", cat}, {"ts", us(start)}, {"dur", us(cycles)}, {"args", args}});
  };
  for (const model::OpStats& st : run.ops) {
    if (st.cycles == 0) continue;  // addressing only
    span(0, st.name, "op", st.start, st.cycles,
         {{"kind", st.kind}, {"unit", st.unit}, {"compute_cycles", st.compute_cycles}, {"stall_cycles", st.stall_cycles},
          {"dram_busy_cycles", st.dram_busy_cycles}});
    const int unit = track_of(st.unit);
    for (const model::Span& s : st.spans) {
      const int64_t start = st.start + s.start;
      switch (s.kind) {
        case model::Span::Kind::compute:
          if (unit >= 0) span(unit, st.name, "compute", start, s.cycles, {{"blocks", s.blocks}});
          break;
        case model::Span::Kind::load: span(kDram, "load", "dram", start, s.cycles, {{"op", st.name}, {"bytes", s.bytes}, {"transfers", s.blocks}}); break;
        case model::Span::Kind::store: span(kDram, "store", "dram", start, s.cycles, {{"op", st.name}, {"bytes", s.bytes}, {"transfers", s.blocks}}); break;
      }
    }
  }
  return {{"displayTimeUnit", "ns"}, {"traceEvents", events}};
}

}  // namespace qtsim::sim
