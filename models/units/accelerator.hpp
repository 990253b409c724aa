// The accelerator executor: runs a Program on the clocked SystemC units (MAC array, post-processing unit,
// Shiftmax, ShiftGELU, I-LayerNorm) and the DMA engine that feeds them block by block (docs/cycle-model.md),
// keeping every tensor as a tap.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "golden/exec.hpp"
#include "models/analytic/op_stats.hpp"
#include "models/hw/hw_config.hpp"

namespace qtsim::model {

// Builds the accelerators of these configurations. SystemC elaborates once: a process that runs several
// configurations (the model and rtl executors of qtsim run) builds them all before its first run.
void elaborate(const std::vector<HwConfig>& configs);

// Runs p on the accelerator of hw's configuration, built at the first call if no run has started yet. With
// `timeline`, every op's spans are kept (the SystemC DMA engine's; with the DMA as RTL, that engine runs the
// plan beside it and must agree on the cycles). `progress` hears the cycles so far after each op.
ModelRun run_on_model(const golden::Program& p, const std::map<std::string, golden::ITensor>& inputs, const HwConfig& hw,
                      bool timeline = false, const std::function<void(int64_t)>& progress = {});


}  // namespace qtsim::model
