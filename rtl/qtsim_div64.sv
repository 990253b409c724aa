// Unsigned 64-bit division, radix 4: two restoring steps per cycle, so a quotient of 64 bits takes
// DIV_CYCLES = 32 cycles, the divider time of the cycle model (models/units/row_units.hpp, kDividerCycles).
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
  logic [63:0] num, dv, rem_in, r1, r2;
  logic [61:0] quot_in;  // the quotient so far: its top two bits leave as two new ones enter
  logic        b1, b2;

  // One restoring step: bring down the dividend's next bit nb; {the quotient bit, the new remainder}.
  function automatic logic [64:0] div_step(logic [63:0] rem, logic nb, logic [63:0] d);
    logic [64:0] sh;
    sh = {rem, nb};
    if (sh >= {1'b0, d}) div_step = {1'b1, 64'(sh - {1'b0, d})};
    else div_step = {1'b0, sh[63:0]};
  endfunction

  always_comb begin
    num     = start_i ? dividend_i : num_q;
    dv      = start_i ? divisor_i : div_q;
    quot_in = start_i ? '0 : quot_q[61:0];
    rem_in  = start_i ? '0 : rem_q;
    // the dividend shifts left as its bits are used
    {b1, r1} = div_step(rem_in, num[63], dv);
    {b2, r2} = div_step(r1, num[62], dv);
  end

  always_ff @(posedge clk_i) begin
    if (start_i || step_i) begin
      num_q  <= {num[61:0], 2'b00};
      div_q  <= dv;
      quot_q <= {quot_in, b1, b2};
      rem_q  <= r2;
    end
  end

  assign quot_o = quot_q;
  assign rem_o  = rem_q;
endmodule
