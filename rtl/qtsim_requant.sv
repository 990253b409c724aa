// Dyadic requantization, LANES elements per cycle: round(z * m_c / 2^e_c), ties to even (or half up), then
// clamp to 4, 8, 16 or 32 bits (other widths pass unclamped), as golden/requant.hpp defines it. Operands are
// registered on entry, then four stages (multiply, shift, round, clamp): a stream of B beats takes B + 4
// cycles, as the cycle model's post-processing unit (models/row_units.hpp, kPpuLatency). half_up_i and
// bits_i are configuration, held for a whole stream.
module qtsim_requant #(
  parameter int unsigned LANES = 16,
  parameter int unsigned ZW    = 32,  // signed accumulator width
  parameter int unsigned MW    = 32   // signed multiplier width (|m| < 2^31)
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  input  logic                             valid_i,
  input  logic [LANES-1:0]                 lane_en_i,  // lanes holding an element this beat
  input  logic signed [LANES-1:0][ZW-1:0]  z_i,
  input  logic signed [LANES-1:0][MW-1:0]  m_i,
  input  logic [LANES-1:0][5:0]            e_i,        // right shift, 1 .. ZW+MW-2
  input  logic                             half_up_i,  // 0: ties to even, 1: ties up
  input  logic [5:0]                       bits_i,     // clamp width
  output logic                             valid_o,
  output logic [LANES-1:0]                 lane_en_o,
  output logic signed [LANES-1:0][ZW+MW-1:0] q_o
);
  localparam int unsigned PW = ZW + MW;

  if (LANES < 1 || ZW < 2 || MW < 2 || PW > 64) begin : gen_param_check
    $error("qtsim_requant: need LANES >= 1, 2 <= ZW, MW and ZW + MW <= 64");
  end

  // Stage registers: valid and lane enables travel with the data.
  logic [4:0]             valid_q;
  logic [4:0][LANES-1:0]  en_q;
  logic signed [LANES-1:0][ZW-1:0] z_q;
  logic signed [LANES-1:0][MW-1:0] m_q;
  logic [LANES-1:0][5:0]           e_in_q;
  logic signed [LANES-1:0][PW-1:0] prod_q, floor_q, rounded_q;
  logic [LANES-1:0][PW-1:0]        rem_q, half_q;
  logic [LANES-1:0][5:0]           e_q;
  logic signed [LANES-1:0][PW-1:0] prod_d, floor_d, rounded_d, clamped_d;
  logic [LANES-1:0][PW-1:0]        rem_d, half_d;
  logic signed [PW-1:0]            hi, lo;
  logic                            clamps;

  always_comb begin
    clamps = (bits_i == 6'd4) || (bits_i == 6'd8) || (bits_i == 6'd16) || (bits_i == 6'd32);
    hi     = (PW'(1) << (bits_i - 6'd1)) - PW'(1);
    lo     = -hi - PW'(1);
    for (int unsigned l = 0; l < LANES; l++) begin
      prod_d[l]    = PW'(z_q[l]) * PW'(m_q[l]);
      floor_d[l]   = prod_q[l] >>> e_q[l];
      rem_d[l]     = PW'(prod_q[l]) & ((PW'(1) << e_q[l]) - PW'(1));  // prod - floor * 2^e, in [0, 2^e)
      half_d[l]    = PW'(1) << (e_q[l] - 6'd1);
      rounded_d[l] = floor_q[l] + PW'((rem_q[l] > half_q[l]) ||
                                      ((rem_q[l] == half_q[l]) && (half_up_i || floor_q[l][0])));
      clamped_d[l] = !clamps ? rounded_q[l] : (rounded_q[l] > hi) ? hi : (rounded_q[l] < lo) ? lo : rounded_q[l];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q   <= '0;
      en_q      <= '0;
      z_q       <= '0;
      m_q       <= '0;
      e_in_q    <= '0;
      prod_q    <= '0;
      e_q       <= '0;
      floor_q   <= '0;
      rem_q     <= '0;
      half_q    <= '0;
      rounded_q <= '0;
      q_o       <= '0;
    end else begin
      valid_q   <= {valid_q[3:0], valid_i};
      en_q      <= {en_q[3:0], lane_en_i};
      z_q       <= z_i;        // input registers
      m_q       <= m_i;
      e_in_q    <= e_i;
      prod_q    <= prod_d;     // stage 1: multiply
      e_q       <= e_in_q;
      floor_q   <= floor_d;    // stage 2: shift
      rem_q     <= rem_d;
      half_q    <= half_d;
      rounded_q <= rounded_d;  // stage 3: round
      q_o       <= clamped_d;  // stage 4: clamp
    end
  end

  assign valid_o   = valid_q[4];
  assign lane_en_o = en_q[4];
endmodule
