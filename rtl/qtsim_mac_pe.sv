// One weight-stationary processing element: LANES products of a signed AW-bit activation and a signed
// BW-bit weight per cycle, added to the partial sum arriving from the PE above. Two weight buffers let the
// next tile's weights load while the current tile streams; the buffer a product uses travels with its
// activation (sel), so the two tiles can share the array during the hand-over. The edge that takes an
// activation in from the left also registers its partial sum, as the cycle model's PE does
// (models/mac_array.cpp): operands and sums move one PE per cycle.
module qtsim_mac_pe #(
  parameter int unsigned LANES = 2,   // products per cycle over consecutive K: 1, or 2 (two int4 weights per PE)
  parameter int unsigned AW    = 17,  // activations: int8, or uint16 attention probabilities
  parameter int unsigned BW    = 8,   // stationary operands: int8, int4, uint4 codes (activations under is)
  parameter int unsigned PW    = 32   // partial sums (int32 accumulators, wrapping)
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // from the left: an activation (LANES values), its valid bit and weight buffer
  input  logic [LANES*AW-1:0]   a_i,
  input  logic                  valid_i,
  input  logic                  sel_i,
  // from above: the partial sum
  input  logic [PW-1:0]         psum_i,
  // weight port: LANES weights into buffer w_buf_i
  input  logic                  w_we_i,
  input  logic                  w_buf_i,
  input  logic [LANES*BW-1:0]   w_i,
  // to the right and below, registered
  output logic [LANES*AW-1:0]   a_o,
  output logic                  valid_o,
  output logic                  sel_o,
  output logic [PW-1:0]         psum_o
);
  // Products and sums wrap at PW bits, as the int32 accumulators of the cycle model do.
  if (LANES < 1 || LANES > 2 || AW < 2 || BW < 2 || PW < AW || PW < BW) begin : gen_param_check
    $error("qtsim_mac_pe: need 1 <= LANES <= 2, AW, BW >= 2 and PW >= AW, BW");
  end

  logic [LANES*BW-1:0] w0_q, w1_q;
  logic [LANES*AW-1:0] a_q;
  logic                valid_q, sel_q;
  logic [PW-1:0]       psum_q;

  // Only the valid bits are reset: the datapath registers hold nothing until a valid operand writes them.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= 1'b0;
    end else begin
      valid_q <= valid_i;
    end
  end

  // The products are summed in the clocked block itself: a simulator then evaluates them once per rising
  // edge, not on every change of an input.
  always_ff @(posedge clk_i) begin
    if (w_we_i && !w_buf_i) w0_q <= w_i;
    if (w_we_i && w_buf_i) w1_q <= w_i;
    a_q    <= a_i;
    sel_q  <= sel_i;
    // bubbles carry zero activations: their sums are never read
    psum_q <= psum_i + PW'(signed'(a_i[0 +: AW]) * signed'(sel_i ? w1_q[0 +: BW] : w0_q[0 +: BW]))
                     + ((LANES > 1) ? PW'(signed'(a_i[(LANES-1)*AW +: AW]) *
                                          signed'(sel_i ? w1_q[(LANES-1)*BW +: BW] : w0_q[(LANES-1)*BW +: BW])) : '0);
  end

  assign a_o     = a_q;
  assign valid_o = valid_q;
  assign sel_o   = sel_q;
  assign psum_o  = psum_q;
endmodule
