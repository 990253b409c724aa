// Binary dot products by XNOR-popcount (BinaryViT's datapath), LANES lanes of W-bit words per cycle: each
// lane sums, over the words of a row, the agreements of ~(a ^ b) within the word's valid bits, and leaves
// 2 * agreements - bits, the +-1 dot product golden::bgemm defines (bit 1 is +1). A row streams one word per
// beat between first_i and last_i; the edge that samples a word runs stage 1 (XNOR, mask, popcount), the next
// stage 2 (accumulate), so a row of B words holds dot_o and valid_o B + 1 cycles after its first word. Lane l of a flat port occupies bits [l*W +: W] / [l*AW +: AW].
module qtsim_xnor_popcount #(
  parameter int unsigned LANES = 4,
  parameter int unsigned W     = 64,  // bits per word
  parameter int unsigned AW    = 32   // signed accumulator width
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     valid_i,
  input  logic                     first_i,  // first word of a row: the sums restart
  input  logic                     last_i,   // last word of a row
  input  logic [$clog2(W+1)-1:0]   bits_i,   // valid bits of this word, from bit 0 (W except in a row's tail)
  input  logic [LANES*W-1:0]       a_i,
  input  logic [LANES*W-1:0]       b_i,
  output logic                     valid_o,  // dot_o holds a finished row
  output logic [LANES*AW-1:0]      dot_o     // signed, per lane
);
  localparam int unsigned CW = $clog2(W + 1);

  if (LANES < 1 || W < 2 || AW < CW + 2) begin : gen_param_check
    $error("qtsim_xnor_popcount: need LANES >= 1, W >= 2 and AW >= clog2(W + 1) + 2");
  end

  logic          s1_valid_q, s1_first_q, s1_last_q, out_valid_q;
  logic [CW-1:0] s1_bits_q;
  logic [W-1:0]  mask;
  always_comb mask = (bits_i >= CW'(W)) ? '1 : ((W'(1) << bits_i) - W'(1));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q  <= 1'b0;
      s1_first_q  <= 1'b0;
      s1_last_q   <= 1'b0;
      s1_bits_q   <= '0;
      out_valid_q <= 1'b0;
    end else begin
      s1_valid_q  <= valid_i;
      s1_first_q  <= first_i;
      s1_last_q   <= last_i;
      s1_bits_q   <= bits_i;
      out_valid_q <= s1_valid_q && s1_last_q;
    end
  end

  for (genvar l = 0; l < LANES; l++) begin : gen_lane
    logic [W-1:0]         agree_bits;
    logic [CW-1:0]        agree_d, agree_q;
    logic signed [AW-1:0] acc_q;

    always_comb begin
      agree_bits = ~(a_i[l*W +: W] ^ b_i[l*W +: W]) & mask;
      agree_d    = '0;
      for (int unsigned i = 0; i < W; i++) agree_d = agree_d + CW'(agree_bits[i]);
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        agree_q <= '0;
        acc_q   <= '0;
      end else begin
        agree_q <= agree_d;  // stage 1
        if (s1_valid_q) acc_q <= (s1_first_q ? '0 : acc_q) + 2 * AW'(agree_q) - AW'(s1_bits_q);  // stage 2
      end
    end

    assign dot_o[l*AW +: AW] = acc_q;
  end

  assign valid_o = out_valid_q;
endmodule
