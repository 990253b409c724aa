// Unsigned 64-bit division, radix 4: two restoring steps per cycle, so a quotient of 64 bits takes
// DIV_CYCLES = 32 cycles, the divider time of the cycle model (models/row_units.hpp, kDividerCycles).
// The cycle with start_i high latches dividend and divisor and does the first two steps; quot_o and rem_o
// hold the result after the 32nd edge and until the next start.
module qtsim_div64 (
  input  logic        clk_i,
  input  logic        start_i,
  input  logic        step_i,     // cycles 1 .. 31 of a division
  input  logic [63:0] dividend_i,
  input  logic [63:0] divisor_i,
  output logic [63:0] quot_o,
  output logic [63:0] rem_o
);
  logic [63:0] num_q, div_q, quot_q, rem_q;
  logic [63:0] num, dv, rem_in, r1, r2, q2;
  logic [61:0] quot_in;  // the quotient so far: its top two bits leave as two new ones enter
  logic [62:0] q1;
  logic [64:0] sh1, sh2;

  always_comb begin
    num     = start_i ? dividend_i : num_q;
    dv      = start_i ? divisor_i : div_q;
    quot_in = start_i ? '0 : quot_q[61:0];
    rem_in  = start_i ? '0 : rem_q;
    // bring down the dividend's top bit (the dividend shifts left as its bits are used)
    sh1 = {rem_in, num[63]};
    if (sh1 >= {1'b0, dv}) begin
      r1 = 64'(sh1 - {1'b0, dv});
      q1 = {quot_in, 1'b1};
    end else begin
      r1 = sh1[63:0];
      q1 = {quot_in, 1'b0};
    end
    sh2 = {r1, num[62]};
    if (sh2 >= {1'b0, dv}) begin
      r2 = 64'(sh2 - {1'b0, dv});
      q2 = {q1, 1'b1};
    end else begin
      r2 = sh2[63:0];
      q2 = {q1, 1'b0};
    end
  end

  always_ff @(posedge clk_i) begin
    if (start_i || step_i) begin
      num_q  <= {num[61:0], 2'b00};
      div_q  <= dv;
      quot_q <= q2;
      rem_q  <= r2;
    end
  end

  assign quot_o = quot_q;
  assign rem_o  = rem_q;
endmodule
