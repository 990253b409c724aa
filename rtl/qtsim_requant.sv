// Dyadic requantization, LANES elements per cycle: round(z * m_c / 2^e_c), ties to even (or half up), then
// clamp to 4, 8, 16 or 32 bits (other widths pass unclamped), as golden/requant.hpp defines it. Operands are
// registered on entry, then four stages (multiply, shift, round, clamp): a stream of B beats takes B + 4
// cycles, as the cycle model's post-processing unit (models/row_units.hpp, kPpuLatency). half_up_i and
// bits_i are configuration, held for a whole stream. Lane l of a flat port occupies bits [l*W +: W] (the
// layout of a packed [LANES][W] array, in a form every tool reads, yosys included).
module qtsim_requant #(
  parameter int unsigned LANES = 16,
  parameter int unsigned ZW    = 32,  // signed accumulator width
  parameter int unsigned MW    = 32   // signed multiplier width (|m| < 2^31)
) (
  input  logic                        clk_i,
  input  logic                        rst_ni,
  input  logic                        valid_i,
  input  logic [LANES-1:0]            lane_en_i,  // lanes holding an element this beat
  input  logic [LANES*ZW-1:0]         z_i,        // signed, per lane
  input  logic [LANES*MW-1:0]         m_i,        // signed, per lane
  input  logic [LANES*6-1:0]          e_i,        // right shift, 1 .. ZW+MW-2, per lane
  input  logic                        half_up_i,  // 0: ties to even, 1: ties up
  input  logic [5:0]                  bits_i,     // clamp width
  output logic                        valid_o,
  output logic [LANES-1:0]            lane_en_o,
  output logic [LANES*(ZW+MW)-1:0]    q_o         // signed, per lane
);
  localparam int unsigned PW = ZW + MW;

  if (LANES < 1 || ZW < 2 || MW < 2 || PW > 64) begin : gen_param_check
    $error("qtsim_requant: need LANES >= 1, 2 <= ZW, MW and ZW + MW <= 64");
  end

  // Valid and lane enables travel with the data, one register per stage.
  logic [4:0]         valid_q;
  logic [5*LANES-1:0] en_q;  // stage s in bits [s*LANES +: LANES]
  // The clamp bounds are configuration, shared by the lanes.
  logic signed [PW-1:0] hi, lo;
  logic                 clamps;
  always_comb begin
    clamps = (bits_i == 6'd4) || (bits_i == 6'd8) || (bits_i == 6'd16) || (bits_i == 6'd32);
    hi     = (PW'(1) << (bits_i - 6'd1)) - PW'(1);
    lo     = -hi - PW'(1);
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
      en_q    <= '0;
    end else begin
      valid_q <= {valid_q[3:0], valid_i};
      en_q    <= {en_q[4*LANES-1:0], lane_en_i};
    end
  end

  for (genvar l = 0; l < LANES; l++) begin : gen_lane
    logic signed [ZW-1:0] z_q;
    logic signed [MW-1:0] m_q;
    logic [5:0]           e_in_q, e_q;
    logic signed [PW-1:0] prod_q, floor_q, rounded_q, q_q;
    logic [PW-1:0]        rem_q, half_q;
    logic signed [PW-1:0] prod_d, floor_d, rounded_d, clamped_d;
    logic [PW-1:0]        rem_d, half_d;

    always_comb begin
      prod_d    = PW'(z_q) * PW'(m_q);
      floor_d   = prod_q >>> e_q;
      rem_d     = PW'(prod_q) & ((PW'(1) << e_q) - PW'(1));  // prod - floor * 2^e, in [0, 2^e)
      half_d    = PW'(1) << (e_q - 6'd1);
      rounded_d = floor_q + PW'((rem_q > half_q) || ((rem_q == half_q) && (half_up_i || floor_q[0])));
      clamped_d = !clamps ? rounded_q : (rounded_q > hi) ? hi : (rounded_q < lo) ? lo : rounded_q;
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        z_q       <= '0;
        m_q       <= '0;
        e_in_q    <= '0;
        prod_q    <= '0;
        e_q       <= '0;
        floor_q   <= '0;
        rem_q     <= '0;
        half_q    <= '0;
        rounded_q <= '0;
        q_q       <= '0;
      end else begin
        z_q       <= signed'(z_i[l*ZW +: ZW]);  // input registers
        m_q       <= signed'(m_i[l*MW +: MW]);
        e_in_q    <= e_i[l*6 +: 6];
        prod_q    <= prod_d;     // stage 1: multiply
        e_q       <= e_in_q;
        floor_q   <= floor_d;    // stage 2: shift
        rem_q     <= rem_d;
        half_q    <= half_d;
        rounded_q <= rounded_d;  // stage 3: round
        q_q       <= clamped_d;  // stage 4: clamp
      end
    end

    assign q_o[l*PW +: PW] = q_q;
  end

  assign valid_o   = valid_q[4];
  assign lane_en_o = en_q[4*LANES +: LANES];
endmodule
