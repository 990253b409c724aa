// Shiftmax (I-ViT IntSoftmax, golden/shiftmax.hpp) over rows of LANES-wide beats, in the cycle model's
// four phases per row (models/units/row_units.cpp): B beats of running maximum, B beats of exponentials and
// their sum, DIV_CYCLES cycles of a radix-2 division numerator / min(sum, 2^31 - 1), B beats of
// normalisation; rows back to back, rows x (3 B + 32) cycles in all. The unit reads its input row from a
// scratchpad it addresses (rd_row_o, rd_beat_o: combinational, the data x_i in the same cycle) and
// recomputes the exponentials in the last pass instead of storing a row of them. A job starts in the cycle
// start_i is high (its first cycle) and busy_o falls after its last edge. Lane l of a flat port occupies
// bits [l*W +: W].
module qtsim_shiftmax #(
  parameter int unsigned LANES = 16,
  parameter int unsigned XW    = 16,  // signed input logits
  parameter int unsigned LW    = 16   // row length and row count widths
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // job: held from start_i to the end of the job
  input  logic                  start_i,
  input  logic [LW-1:0]         rows_i,
  input  logic [LW-1:0]         len_i,
  input  logic [31:0]           x0_i,       // signed, floor(-1 / scale)
  input  logic [4:0]            shift_i,    // 32 - output bits: 16 or 24
  input  logic                  num_m1_i,   // numerator 2^31 - 1 instead of 2^31
  // input row scratchpad
  output logic [LW-1:0]         rd_row_o,
  output logic [LW-1:0]         rd_beat_o,
  input  logic [LANES*XW-1:0]   x_i,
  // results, registered: beat wr_beat_o of row wr_row_o
  output logic                  wr_valid_o,
  output logic [LW-1:0]         wr_row_o,
  output logic [LW-1:0]         wr_beat_o,
  output logic [LANES*32-1:0]   y_o,
  output logic                  busy_o
);
  localparam int N = 15;  // the exponential's n
  localparam int unsigned DIV_CYCLES = 32;

  if (LANES < 1 || XW < 2 || XW > 30 || LW < 2) begin : gen_param_check
    $error("qtsim_shiftmax: need LANES >= 1, 2 <= XW <= 30, LW >= 2");
  end

  // Phases of a row (plain constants: yosys reads no casts to enum types).
  localparam logic [1:0] PhMax = 2'd0;
  localparam logic [1:0] PhExp = 2'd1;
  localparam logic [1:0] PhDiv = 2'd2;
  localparam logic [1:0] PhNorm = 2'd3;

  logic             run;
  logic [1:0]       phase;
  logic [LW-1:0]    row, beats;
  logic [15:0]      k, phase_len;
  logic [LANES-1:0] lane_en;

  assign phase_len = (phase == PhDiv) ? 16'(DIV_CYCLES) : 16'(beats);
  qtsim_row_seq #(.LANES(LANES), .LW(LW), .KW(16), .PW(2), .PHASES(4)) u_seq (
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

  logic signed [XW-1:0] max_q, beat_max;
  logic [63:0]          sum_q, beat_sum;
  logic [31:0]          divisor, quot_q;
  logic [31:0]          rem_q;      // < divisor
  logic [32:0]          rem_shift;  // < 2 divisor
  logic [31:0]          numerator;
  logic [LANES*41-1:0]  e;
  logic [40*64-1:0]     xm;  // j x0, j = N - 39 .. N, shared by the exponential lanes

  always_comb begin
    for (int j = N - 39; j <= N; j++) xm[(j - N + 39)*64 +: 64] = 64'(signed'(x0_i)) * 64'(j);
  end

  for (genvar l = 0; l < LANES; l++) begin : gen_lane
    logic signed [XW:0] d;
    assign d = (XW+1)'(signed'(x_i[l*XW +: XW])) - (XW+1)'(max_q);
    qtsim_shift_exp #(.N(N), .DW(XW + 1), .XW(32)) u_exp (.d_i(d), .x0_i(x0_i), .xm_i(xm), .e_o(e[l*41 +: 41]));
  end

  always_comb begin
    beat_max = (k == '0) ? {1'b1, {(XW-1){1'b0}}} : max_q;
    beat_sum = (k == '0) ? '0 : sum_q;
    for (int unsigned l = 0; l < LANES; l++) begin
      if (lane_en[l] && signed'(x_i[l*XW +: XW]) > beat_max) beat_max = signed'(x_i[l*XW +: XW]);
      if (lane_en[l]) beat_sum = beat_sum + 64'(e[l*41 +: 41]);
    end
    divisor   = (sum_q > 64'h7fff_ffff) ? 32'h7fff_ffff : sum_q[31:0];
    numerator = num_m1_i ? 32'h7fff_ffff : 32'h8000_0000;
    rem_shift = {((k == '0) ? 32'd0 : rem_q), numerator[5'(DIV_CYCLES - 1 - 32'(k))]};
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) wr_valid_o <= 1'b0;
    else         wr_valid_o <= run && phase == PhNorm;
  end

  always_ff @(posedge clk_i) begin
    if (run) begin
      unique case (phase)
        PhMax: max_q <= beat_max;
        PhExp: sum_q <= beat_sum;
        PhDiv: begin  // restoring division, quotient bit 31 - k
          if (rem_shift >= {1'b0, divisor}) begin
            rem_q  <= 32'(rem_shift - {1'b0, divisor});
            quot_q <= {quot_q[30:0], 1'b1};
          end else begin
            rem_q  <= rem_shift[31:0];
            quot_q <= {quot_q[30:0], 1'b0};
          end
        end
        default: begin  // PhNorm: floor(e * factor / 2^shift)
          for (int unsigned l = 0; l < LANES; l++) begin
            y_o[l*32 +: 32] <= lane_en[l] ? 32'((64'(e[l*41 +: 41]) * 64'(quot_q)) >> shift_i) : 32'd0;
          end
          wr_row_o  <= row;
          wr_beat_o <= LW'(k);
        end
      endcase
    end
  end

endmodule
