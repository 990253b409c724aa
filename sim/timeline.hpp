// The run's timeline in the Chrome trace-event format (JSON), which Perfetto (ui.perfetto.dev) and
// chrome://tracing open: one track for the ops, one per unit with the spans it computed, one for the DRAM
// channel's loads and stores. The gaps in a unit's track are its stalls.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "models/analytic/op_stats.hpp"

namespace qtsim::sim {

// Times in microseconds at `clock_mhz`; every span also carries its exact cycles in args.
nlohmann::json timeline_json(const model::ModelRun& run, const std::string& program, double clock_mhz);

}  // namespace qtsim::sim
