// What qtsim run reports of the machine executor: report.json's "machine" record (instructions, cycles, each
// op's first issue and last retire, each unit's busy, stall and idle cycles, bank conflicts, the DRAM channel),
// stats.csv's rows of it and the timeline's tracks of the instructions per unit.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "models/compiler/compile.hpp"
#include "models/machine/machine.hpp"

namespace qtsim::sim {

nlohmann::json machine_json(const compiler::Compiled& c, const machine::MachineRun& run, double clock_mhz);
// Appends stats.csv rows for report["machine"].
void machine_csv(const nlohmann::json& m, std::string& csv);
// Adds a process with one track per queue, each instruction a span from issue to retire, to a timeline.
void machine_timeline(const compiler::Compiled& c, const machine::MachineRun& run, double clock_mhz, nlohmann::json& timeline);

}  // namespace qtsim::sim
