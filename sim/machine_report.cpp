#include "sim/machine_report.hpp"

#include <algorithm>

namespace qtsim::sim {

using json = nlohmann::json;

json machine_json(const compiler::Compiled& c, const machine::MachineRun& run, double clock_mhz) {
  json units = json::object();
  int64_t busiest = 0;
  for (int q = 0; q < isa::kQueues; ++q) {
    const machine::UnitStats& u = run.units[static_cast<size_t>(q)];
    units[isa::queue_name(static_cast<isa::Queue>(q))] = {{"busy_cycles", u.busy},   {"stall_cycles", u.stall},
                                                          {"idle_cycles", u.idle},   {"instructions", u.executed},
                                                          {"bank_conflicts", u.conflicts}};
    busiest = std::max(busiest, u.busy);
  }
  const std::vector<machine::OpSpan> span = machine::op_spans(c.op_index, c.op_names.size(), run);
  json ops = json::array();
  int64_t spans = 0;
  for (size_t o = 0; o < span.size(); ++o) {
    if (span[o].instructions == 0) continue;
    ops.push_back({{"name", c.op_names[o]}, {"start_cycle", span[o].start}, {"end_cycle", span[o].end}, {"instructions", span[o].instructions}});
    spans += span[o].cycles();
  }
  return {{"instructions", run.executed},
          {"program_instructions", c.code.size()},
          {"total_cycles", run.cycles},
          {"time_us", static_cast<double>(run.cycles) / clock_mhz},
          // no schedule of these instructions finishes before its busiest unit has done its work
          {"busiest_unit_cycles", busiest},
          // the ops' spans added up over the cycles: above 1 where ops run at the same time
          {"op_overlap", run.cycles ? static_cast<double>(spans) / static_cast<double>(run.cycles) : 0.0},
          {"bank_conflict_cycles", run.bank_conflicts},
          {"dram_busy_cycles", run.dram_busy},
          {"units", units},
          {"ops", ops}};
}

void machine_csv(const json& m, std::string& csv) {
  auto row = [&](const std::string& scope, const char* counter, const json& v, const char* unit, const char* what) {
    csv += scope + "," + counter + "," + v.dump() + "," + unit + "," + what + "\n";
  };
  row("machine", "instructions", m["instructions"], "instructions", "executed");
  row("machine", "total_cycles", m["total_cycles"], "cycles", "first fetch to last retire");
  row("machine", "op_overlap", m["op_overlap"], "ratio", "the ops' spans added up over the cycles");
  row("machine", "bank_conflict_cycles", m["bank_conflict_cycles"], "cycles", "accesses refused by a busy bank");
  row("machine", "dram_busy_cycles", m["dram_busy_cycles"], "cycles", "the DRAM channel moving bytes");
  for (const auto& [name, u] : m["units"].items()) {
    row("machine:" + name, "busy_cycles", u["busy_cycles"], "cycles", "computing or moving bytes");
    row("machine:" + name, "stall_cycles", u["stall_cycles"], "cycles", "holding an instruction it cannot advance: tokens, banks");
    row("machine:" + name, "idle_cycles", u["idle_cycles"], "cycles", "no instruction");
    row("machine:" + name, "instructions", u["instructions"], "instructions", "retired");
  }
  for (const auto& o : m["ops"]) {
    const std::string scope = "machine-op:" + o["name"].get<std::string>();
    row(scope, "start_cycle", o["start_cycle"], "cycle", "its first instruction issued");
    row(scope, "end_cycle", o["end_cycle"], "cycle", "its last instruction retired");
  }
}

void machine_timeline(const compiler::Compiled& c, const machine::MachineRun& run, double clock_mhz, json& timeline) {
  json& events = timeline["traceEvents"];
  constexpr int kPid = 2;
  events.push_back({{"ph", "M"}, {"pid", kPid}, {"name", "process_name"}, {"args", {{"name", "qtsim machine: instructions per queue"}}}});
  for (int q = 0; q < isa::kQueues; ++q)
    events.push_back({{"ph", "M"}, {"pid", kPid}, {"tid", q}, {"name", "thread_name"}, {"args", {{"name", isa::queue_name(static_cast<isa::Queue>(q))}}}});
  auto us = [&](int64_t cycles) { return static_cast<double>(cycles) / clock_mhz; };
  for (size_t i = 0; i < c.code.size(); ++i) {
    const machine::InstrTime& t = run.instr[i];
    const int op = c.op_index[i];
    events.push_back({{"ph", "X"}, {"pid", kPid}, {"tid", static_cast<int>(isa::queue_of(c.code[i].op))}, {"name", isa::opcode_name(c.code[i].op)},
                      {"cat", "instruction"}, {"ts", us(t.issue)}, {"dur", us(t.retire - t.issue + 1)},
                      {"args", {{"index", i}, {"op", op >= 0 ? c.op_names[static_cast<size_t>(op)] : ""}, {"issue_cycle", t.issue}, {"retire_cycle", t.retire}}}});
  }
}

}  // namespace qtsim::sim
