// Dyadic requantization of one element per cycle: round(z * m / 2^e), ties to even (or half up), then clamp
// to 4, 8, 16 or 32 bits (other widths pass unclamped), as golden/requant.hpp defines it. One register stage.
module qtsim_requant #(
  parameter int unsigned ZW = 32,  // signed accumulator width
  parameter int unsigned MW = 32   // signed multiplier width (|m| < 2^31)
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    valid_i,
  input  logic signed [ZW-1:0]    z_i,
  input  logic signed [MW-1:0]    m_i,
  input  logic [5:0]              e_i,        // right shift, 1 .. ZW+MW-2
  input  logic                    half_up_i,  // 0: ties to even, 1: ties up
  input  logic [5:0]              bits_i,     // clamp width
  output logic                    valid_o,
  output logic signed [ZW+MW-1:0] q_o
);
  localparam int unsigned PW = ZW + MW;

  if (ZW < 2 || MW < 2 || PW > 64) begin : gen_param_check
    $error("qtsim_requant: need 2 <= ZW, MW and ZW + MW <= 64");
  end

  logic signed [PW-1:0] prod, floor_q, rounded, clamped, lo, hi;
  logic [PW-1:0] mask, rem, half;
  logic round_up, clamps;

  always_comb begin
    prod     = PW'(z_i) * PW'(m_i);
    floor_q  = prod >>> e_i;
    mask     = (PW'(1) << e_i) - PW'(1);
    rem      = PW'(prod) & mask;          // prod - floor_q * 2^e, in [0, 2^e)
    half     = PW'(1) << (e_i - 6'd1);
    round_up = (rem > half) || ((rem == half) && (half_up_i || floor_q[0]));
    rounded  = floor_q + PW'(round_up);
    clamps   = (bits_i == 6'd4) || (bits_i == 6'd8) || (bits_i == 6'd16) || (bits_i == 6'd32);
    hi       = (PW'(1) << (bits_i - 6'd1)) - PW'(1);
    lo       = -hi - PW'(1);
    clamped  = !clamps ? rounded : (rounded > hi) ? hi : (rounded < lo) ? lo : rounded;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_o <= 1'b0;
      q_o     <= '0;
    end else begin
      valid_o <= valid_i;
      q_o     <= clamped;
    end
  end
endmodule
