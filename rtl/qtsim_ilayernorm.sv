// I-LayerNorm (I-ViT IntLayerNorm, golden/ilayernorm.hpp) over rows of LANES-wide beats, in the cycle
// model's six phases per row (models/units/row_units.cpp): B beats of sum; a 32-cycle division for the mean
// (rounded half to even); B beats of squared deviations; ten Newton steps k = (k + var / k) / 2 from 2^16,
// 32 cycles each; a 32-cycle division numerator / std; B beats of ((x - mean) * factor >> 1) + bias.
// Rows back to back, rows x (3 B + 12 x 32) cycles in all. One shared radix-4 divider (qtsim_div64) does
// every division. Input row and per-channel bias scratchpads are read at (rd_row_o, rd_beat_o); job
// interface as qtsim_shiftmax.sv. Lane l of a flat port occupies bits [l*W +: W].
module qtsim_ilayernorm #(
  parameter int unsigned LANES = 16,
  parameter int unsigned XW    = 16,  // signed inputs
  parameter int unsigned LW    = 16   // row length and row count widths
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  start_i,
  input  logic [LW-1:0]         rows_i,
  input  logic [LW-1:0]         len_i,
  input  logic                  num_m1_i,   // numerator 2^31 - 1 instead of 2^31
  output logic [LW-1:0]         rd_row_o,
  output logic [LW-1:0]         rd_beat_o,
  input  logic [LANES*XW-1:0]   x_i,
  input  logic [LANES*32-1:0]   bias_i,     // signed, per channel
  output logic                  wr_valid_o,
  output logic [LW-1:0]         wr_row_o,
  output logic [LW-1:0]         wr_beat_o,
  output logic [LANES*64-1:0]   y_o,        // signed
  output logic                  busy_o
);
  localparam int unsigned DIV_CYCLES = 32;
  localparam int unsigned NEWTON     = 10;

  if (LANES < 1 || XW < 2 || XW > 24 || LW < 2 || LW > 24) begin : gen_param_check
    $error("qtsim_ilayernorm: need LANES >= 1, 2 <= XW <= 24, 2 <= LW <= 24");
  end

  // Phases of a row (plain constants: yosys reads no casts to enum types).
  localparam logic [2:0] PhSum = 3'd0;
  localparam logic [2:0] PhMean = 3'd1;
  localparam logic [2:0] PhVar = 3'd2;
  localparam logic [2:0] PhSqrt = 3'd3;
  localparam logic [2:0] PhFactor = 3'd4;
  localparam logic [2:0] PhNorm = 3'd5;

  logic             run;
  logic [2:0]       phase;
  logic [LW-1:0]    row, beats;
  logic [15:0]      k, phase_len;  // up to NEWTON x DIV_CYCLES cycles in a phase
  logic [LANES-1:0] lane_en;

  always_comb begin
    if (phase == PhMean || phase == PhFactor) phase_len = 16'(DIV_CYCLES);
    else if (phase == PhSqrt)                 phase_len = 16'(NEWTON * DIV_CYCLES);
    else                                      phase_len = 16'(beats);
  end
  qtsim_row_seq #(.LANES(LANES), .LW(LW), .KW(16), .PW(3), .PHASES(6)) u_seq (
    .clk_i, .rst_ni, .start_i, .rows_i, .len_i,
    .phase_len_i (phase_len),
    .run_o       (run),
    .phase_o     (phase),
    .row_o       (row),
    .k_o         (k),
    .last_o      (),
    .beats_o     (beats),
    .lane_en_o   (lane_en),
    .busy_o
  );

  assign rd_row_o  = row;
  assign rd_beat_o = LW'(k);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) wr_valid_o <= 1'b0;
    else         wr_valid_o <= run && phase == PhNorm;
  end

  // The divider: a division starts on the first cycle of each 32-cycle slot of the division phases.
  logic        div_phase, div_start;
  logic [63:0] dividend, divisor, quot, rem;
  logic [4:0]  slot_cycle;
  assign slot_cycle = 5'(k);
  assign div_phase  = run && (phase == PhMean || phase == PhSqrt || phase == PhFactor);
  assign div_start  = div_phase && slot_cycle == '0;

  qtsim_div64 u_div (
    .clk_i,
    .start_i    (div_start),
    .step_i     (div_phase && slot_cycle != '0),
    .dividend_i (dividend),
    .divisor_i  (divisor),
    .quot_o     (quot),
    .rem_o      (rem)
  );

  logic signed [63:0] sum_q, beat_sum, mean_q, mean;
  logic [63:0]        var_q, beat_var, newton_q, newton_next;

  // mean = round_half_even(sum / len) from the magnitude division |sum| / len
  logic signed [63:0] fl, rm, len;
  always_comb begin
    len = 64'(len_i);
    if (sum_q < 0 && rem != '0) begin
      fl = -signed'(quot) - 64'sd1;
      rm = len - signed'(rem);
    end else begin
      fl = (sum_q < 0) ? -signed'(quot) : signed'(quot);
      rm = signed'(rem);
    end
    mean = (2 * rm > len || (2 * rm == len && fl[0])) ? fl + 64'sd1 : fl;
  end

  always_comb begin
    beat_sum = (k == '0) ? '0 : sum_q;
    beat_var = (k == '0) ? '0 : var_q;
    for (int unsigned l = 0; l < LANES; l++) begin
      logic signed [63:0] y;
      y = 64'(signed'(x_i[l*XW +: XW])) - mean;
      if (lane_en[l]) begin
        beat_sum = beat_sum + 64'(signed'(x_i[l*XW +: XW]));
        beat_var = beat_var + unsigned'(y * y);
      end
    end
    // Newton: the step that just finished divided var by newton_q
    newton_next = (newton_q + quot) >> 1;
    unique case (phase)
      PhMean:   begin dividend = unsigned'((sum_q < 0) ? -sum_q : sum_q); divisor = 64'(len_i); end
      PhSqrt:   begin dividend = var_q; divisor = (k < 16'(DIV_CYCLES)) ? 64'd65536 : newton_next; end
      default:  begin dividend = num_m1_i ? 64'h7fff_ffff : 64'h8000_0000; divisor = newton_next; end  // PhFactor
    endcase
  end

  always_ff @(posedge clk_i) begin
    if (run) begin
      unique case (phase)
        PhSum: sum_q <= beat_sum;
        PhVar: begin
          var_q  <= beat_var;
          mean_q <= mean;  // the divider is idle: mean holds all phase long
        end
        PhSqrt: if (div_start) newton_q <= divisor;
        PhNorm: begin
          for (int unsigned l = 0; l < LANES; l++) begin
            logic signed [63:0] scaled;  // a signed variable of its own: >>> must stay arithmetic
            scaled = ((64'(signed'(x_i[l*XW +: XW])) - mean_q) * signed'(quot)) >>> 1;
            y_o[l*64 +: 64] <= lane_en[l] ? scaled + 64'(signed'(bias_i[l*32 +: 32])) : 64'sd0;
          end
          wr_row_o  <= row;
          wr_beat_o <= LW'(k);
        end
        default: ;
      endcase
    end
  end

endmodule
