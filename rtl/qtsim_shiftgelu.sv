// ShiftGELU (I-ViT, golden/shiftgelu.hpp) over rows of LANES-wide beats, in the cycle model's three phases
// per row (models/units/row_units.cpp): B beats of running maximum (and, on the last beat, e2 = ShiftExp(-max)),
// B beats that each send LANES elements into per-lane pipelined dividers, and DIV_CYCLES cycles in which
// the pipelines drain; rows back to back, rows x (2 B + 32) cycles in all. Per element the pipeline takes
// e1 = ShiftExp(x - max), divides the numerator by min(e1 + e2, 2^31 - 1) one quotient bit per stage, and
// on its last stage writes x * floor(e1 * quotient / 2^24). Input row scratchpad and job interface as
// qtsim_shiftmax.sv. Lane l of a flat port occupies bits [l*W +: W].
module qtsim_shiftgelu #(
  parameter int unsigned LANES = 16,
  parameter int unsigned XW    = 16,  // signed inputs
  parameter int unsigned LW    = 16   // row length and row count widths
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  start_i,
  input  logic [LW-1:0]         rows_i,
  input  logic [LW-1:0]         len_i,
  input  logic [31:0]           x0_i,       // signed, floor(-1 / sigmoid scale)
  input  logic                  num_m1_i,   // numerator 2^31 - 1 instead of 2^31
  output logic [LW-1:0]         rd_row_o,
  output logic [LW-1:0]         rd_beat_o,
  input  logic [LANES*XW-1:0]   x_i,
  output logic                  wr_valid_o,
  output logic [LW-1:0]         wr_row_o,
  output logic [LW-1:0]         wr_beat_o,
  output logic [LANES*48-1:0]   y_o,        // signed
  output logic                  busy_o
);
  localparam int N = 23;  // the exponential's n
  localparam int DIV_CYCLES = 32;  // one stage per quotient bit

  if (LANES < 1 || XW < 2 || XW > 30 || LW < 2) begin : gen_param_check
    $error("qtsim_shiftgelu: need LANES >= 1, 2 <= XW <= 30, LW >= 2");
  end

  // Phases of a row (plain constants: yosys reads no casts to enum types).
  localparam logic [1:0] PhMax = 2'd0;
  localparam logic [1:0] PhGelu = 2'd1;
  localparam logic [1:0] PhDrain = 2'd2;

  logic             run, last_k;
  logic [1:0]       phase;
  logic [LW-1:0]    row, beats;
  logic [15:0]      k, phase_len;
  logic [LANES-1:0] lane_en;

  assign phase_len = (phase == PhDrain) ? 16'(DIV_CYCLES) : 16'(beats);
  qtsim_row_seq #(.LANES(LANES), .LW(LW), .KW(16), .PW(2), .PHASES(3)) u_seq (
    .clk_i, .rst_ni, .start_i, .rows_i, .len_i,
    .phase_len_i (phase_len),
    .run_o       (run),
    .phase_o     (phase),
    .row_o       (row),
    .k_o         (k),
    .last_o      (last_k),
    .beats_o     (beats),
    .lane_en_o   (lane_en),
    .busy_o
  );

  assign rd_row_o  = row;
  assign rd_beat_o = LW'(k);

  // Multiples j x0 for the exponentials (qtsim_shift_exp), shared by the lanes.
  logic [40*64-1:0] xm;
  always_comb begin
    for (int j = N - 39; j <= N; j++) xm[(j - N + 39)*64 +: 64] = 64'(signed'(x0_i)) * 64'(j);
  end

  // Running maximum; e^-max on the row's last maximum beat.
  logic signed [XW-1:0] max_q, beat_max;
  logic [40:0]          e2_q, e2;
  always_comb begin
    beat_max = (k == '0) ? {1'b1, {(XW-1){1'b0}}} : max_q;
    for (int unsigned l = 0; l < LANES; l++) begin
      if (lane_en[l] && signed'(x_i[l*XW +: XW]) > beat_max) beat_max = signed'(x_i[l*XW +: XW]);
    end
  end
  logic [XW:0] neg_max;  // -max, sign-extended first
  assign neg_max = '0 - {beat_max[XW-1], beat_max};
  qtsim_shift_exp #(.N(N), .DW(XW + 1), .XW(32)) u_e2 (.d_i(neg_max), .x0_i, .xm_i(xm), .e_o(e2));

  always_ff @(posedge clk_i) begin
    if (run && phase == PhMax) begin
      max_q <= beat_max;
      if (last_k) e2_q <= e2;
    end
  end

  // Control of the divider pipelines: stage s holds the beat that entered s + 1 edges ago.
  logic [DIV_CYCLES-1:0] sv_q;
  logic [LW-1:0]         srow_q  [DIV_CYCLES];
  logic [LW-1:0]         sbeat_q [DIV_CYCLES];
  logic                  enter;
  assign enter = run && phase == PhGelu;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) sv_q <= '0;
    else         sv_q <= {sv_q[DIV_CYCLES-2:0], enter};
  end

  always_ff @(posedge clk_i) begin
    srow_q[0]  <= row;
    sbeat_q[0] <= LW'(k);
    for (int s = 1; s < DIV_CYCLES; s++) begin
      srow_q[s]  <= srow_q[s-1];
      sbeat_q[s] <= sbeat_q[s-1];
    end
  end

  logic [31:0] numerator;
  assign numerator = num_m1_i ? 32'h7fff_ffff : 32'h8000_0000;

  for (genvar l = 0; l < LANES; l++) begin : gen_lane
    logic signed [XW:0] d;
    logic [40:0]        e1;
    assign d = (XW+1)'(signed'(x_i[l*XW +: XW])) - (XW+1)'(max_q);
    qtsim_shift_exp #(.N(N), .DW(XW + 1), .XW(32)) u_e1 (.d_i(d), .x0_i, .xm_i(xm), .e_o(e1));

    // Stage registers: remainder, quotient so far, divisor, and the operands of the final product.
    logic [31:0]          rem_q  [DIV_CYCLES];
    logic [31:0]          quot_q [DIV_CYCLES];
    logic [30:0]          div_q  [DIV_CYCLES];
    logic [40:0]          e1_q   [DIV_CYCLES];
    logic signed [XW-1:0] x_q    [DIV_CYCLES];
    logic [41:0]          sum;
    logic [30:0]          divisor0;

    always_comb begin
      sum      = 42'(e1) + 42'(e2_q);
      divisor0 = (sum > 42'h7fff_ffff) ? 31'h7fff_ffff : sum[30:0];
    end

    // One restoring step: bring down the numerator's next bit nb, subtract when it fits; {remainder, quotient}.
    function automatic logic [63:0] div_step(logic [31:0] rem, logic [30:0] quot, logic [30:0] dv, logic nb);
      logic [32:0] sh;
      sh = {rem, nb};
      if (sh >= {2'b0, dv}) div_step = {32'(sh - {2'b0, dv}), quot, 1'b1};
      else div_step = {sh[31:0], quot, 1'b0};
    endfunction

    always_ff @(posedge clk_i) begin
      logic [63:0] st;
      st = div_step('0, '0, divisor0, numerator[31]);  // stage 0: the entry edge
      rem_q[0]  <= st[63:32];
      quot_q[0] <= st[31:0];
      div_q[0]  <= divisor0;
      e1_q[0]   <= e1;
      x_q[0]    <= signed'(x_i[l*XW +: XW]);
      for (int s = 1; s < DIV_CYCLES; s++) begin
        st = div_step(rem_q[s-1], quot_q[s-1][30:0], div_q[s-1], numerator[31 - s]);
        rem_q[s]  <= st[63:32];
        quot_q[s] <= st[31:0];
        div_q[s]  <= div_q[s-1];
        e1_q[s]   <= e1_q[s-1];
        x_q[s]    <= x_q[s-1];
      end
    end

    // After the last stage: x * floor(e1 * quotient / 2^24)
    logic [47:0] sig;  // <= 2^16: e1 * quotient <= 2^40
    assign sig = 48'((64'(e1_q[DIV_CYCLES-1]) * 64'(quot_q[DIV_CYCLES-1])) >> 24);
    assign y_o[l*48 +: 48] = 48'(signed'(x_q[DIV_CYCLES-1])) * signed'(48'(sig));
  end

  assign wr_valid_o = sv_q[DIV_CYCLES-1];
  assign wr_row_o   = srow_q[DIV_CYCLES-1];
  assign wr_beat_o  = sbeat_q[DIV_CYCLES-1];
endmodule
