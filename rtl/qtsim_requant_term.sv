// One rounded term of the requant lanes (qtsim_requant.sv): round(z * m / 2^e), ties to even or half up,
// as golden::requant_value. Registered on entry, then multiply, shift and round, one stage each: r_o holds
// a term four edges after its operands were presented. The arithmetic sits in the clocked block, so a
// simulator evaluates it once per rising edge. Datapath registers need no reset: the parent's valid bits
// say when they hold a term. en_i low holds every stage (the parent's pipeline stalled).
module qtsim_requant_term #(
  parameter int unsigned ZW = 32,  // signed operand width
  parameter int unsigned MW = 32   // signed multiplier width
) (
  input  logic                   clk_i,
  input  logic                   en_i,
  input  logic                   half_up_i,
  input  logic [ZW-1:0]          z_i,  // signed
  input  logic [MW-1:0]          m_i,  // signed
  input  logic [5:0]             e_i,  // right shift, 1 .. 63
  output logic [ZW+MW-1:0]       r_o   // signed
);
  localparam int unsigned PW = ZW + MW;

  if (ZW < 2 || MW < 2 || PW > 128) begin : gen_param_check
    $error("qtsim_requant_term: need 2 <= ZW, MW and ZW + MW <= 128");
  end

  logic signed [ZW-1:0] z_q;
  logic signed [MW-1:0] m_q;
  logic [5:0]           e_in_q, e_q;
  logic signed [PW-1:0] prod_q, floor_q, rounded_q;
  logic [PW-1:0]        rem_q, half_q;

  always_ff @(posedge clk_i) begin
    if (en_i) begin
      z_q       <= signed'(z_i);  // input registers
      m_q       <= signed'(m_i);
      e_in_q    <= e_i;
      prod_q    <= PW'(z_q) * PW'(m_q);  // stage 1: multiply
      e_q       <= e_in_q;
      floor_q   <= prod_q >>> e_q;       // stage 2: shift
      rem_q     <= PW'(prod_q) & ((PW'(1) << e_q) - PW'(1));  // prod - floor * 2^e, in [0, 2^e)
      half_q    <= PW'(1) << (e_q - 6'd1);
      rounded_q <= floor_q + PW'((rem_q > half_q) || ((rem_q == half_q) && (half_up_i || floor_q[0])));  // stage 3: round
    end
  end

  assign r_o = rounded_q;
endmodule
