// The row sequencer of the row-streaming units (Shiftmax, ShiftGELU, I-LayerNorm): rows one after another,
// each in PHASES phases, phase p lasting phase_len_i cycles (the parent answers for the phase on phase_o:
// beats_o for a streaming pass, a fixed count for a division). The first cycle of a job is the one with
// start_i high; busy_o falls after the job's last edge. k_o counts the cycles of the current phase, which
// is the beat in a streaming pass; lane_en_o marks the lanes of that beat inside the row.
module qtsim_row_seq #(
  parameter int unsigned LANES  = 16,
  parameter int unsigned LW     = 16,  // row length and row count widths
  parameter int unsigned KW     = 16,  // cycle-in-phase counter width
  parameter int unsigned PW     = 2,   // phase number width
  parameter int unsigned PHASES = 4
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              start_i,
  input  logic [LW-1:0]     rows_i,
  input  logic [LW-1:0]     len_i,
  input  logic [KW-1:0]     phase_len_i,  // cycles of phase_o
  output logic              run_o,        // this cycle belongs to a job
  output logic [PW-1:0]     phase_o,
  output logic [LW-1:0]     row_o,
  output logic [KW-1:0]     k_o,
  output logic              last_o,       // the phase's last cycle
  output logic [LW-1:0]     beats_o,      // ceil(len / LANES)
  output logic [LANES-1:0]  lane_en_o,
  output logic              busy_o
);
  if (LANES < 1 || LW < 2 || KW < LW || PHASES < 1 || PHASES > (1 << PW)) begin : gen_param_check
    $error("qtsim_row_seq: need LANES >= 1, LW >= 2, KW >= LW and 1 <= PHASES <= 2^PW");
  end

  logic          active_q, last_row, last_phase;
  logic [PW-1:0] phase_q;
  logic [LW-1:0] row_q;
  logic [KW-1:0] k_q;

  always_comb begin
    run_o      = active_q || start_i;
    phase_o    = active_q ? phase_q : '0;
    row_o      = active_q ? row_q : '0;
    k_o        = active_q ? k_q : '0;
    beats_o    = LW'((32'(len_i) + LANES - 1) / LANES);
    last_o     = k_o == phase_len_i - KW'(1);
    last_row   = row_o == rows_i - LW'(1);
    last_phase = phase_o == PW'(PHASES - 1);
    for (int unsigned l = 0; l < LANES; l++) lane_en_o[l] = (32'(k_o) * LANES + l) < 32'(len_i);
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q <= 1'b0;
      phase_q  <= '0;
      row_q    <= '0;
      k_q      <= '0;
    end else if (run_o) begin
      active_q <= !(last_o && last_phase && last_row);
      k_q      <= last_o ? '0 : k_o + KW'(1);
      phase_q  <= last_o ? (last_phase ? '0 : phase_o + PW'(1)) : phase_o;
      row_q    <= (last_o && last_phase) ? row_o + LW'(1) : row_o;
    end
  end

  assign busy_o = active_q;
endmodule
