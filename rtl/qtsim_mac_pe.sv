// One weight-stationary processing element: LANES products of a signed AW-bit activation and a signed
// BW-bit weight per cycle, added to the partial sum arriving from the PE above. Two weight buffers let the
// next tile's weights load while the current tile streams; the buffer a product uses travels with its
// activation (sel), so the two tiles can share the array during the hand-over. The edge that takes an
// activation in from the left also registers its partial sum, as the cycle model's PE does
// (models/units/mac_array.cpp): operands and sums move one PE per cycle. In binary mode (bin_i, BinaryViT's
// linears) the PE takes a 64-bit word of +-1 activations instead (bit 1 is +1) and adds the +-1 dot
// product of the word with its weight word over the weight's valid bits: 2 popcount(~(a ^ w) & mask) -
// popcount(mask), the XNOR-popcount of qtsim_xnor_popcount.sv. Output-stationary (OS, a build-time choice as
// the array's dataflow is in silicon): the second
// operand streams down from the PE above instead of sitting in a weight buffer, the PE accumulates its
// own output (restarting on an operand flagged first), and on the operand flagged last it hands the sum to
// its drain register, which the array reads out a row at a time while the PE starts the next tile. Binary
// mode under os streams a word of +-1 operand bits with its valid bits (bb, bm) down instead.
module qtsim_mac_pe #(
  parameter int unsigned LANES = 2,   // products per cycle over consecutive K: 1, or 2 (two int4 weights per PE)
  parameter int unsigned AW    = 17,  // activations: int8, or uint16 attention probabilities
  parameter int unsigned BW    = 8,   // stationary operands: int8, int4, uint4 codes (activations under is)
  parameter int unsigned PW    = 32,  // partial sums (int32 accumulators, wrapping)
  parameter int unsigned OS    = 0    // 1: output-stationary instead of weight-stationary
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // from the left: an activation (LANES values), its valid bit and weight buffer
  input  logic                  bin_i,      // configuration: binary mode
  input  logic [LANES*AW-1:0]   a_i,
  input  logic [63:0]           ab_i,       // binary mode: activation bits
  input  logic                  valid_i,
  input  logic                  sel_i,
  input  logic                  first_i,    // os: the first step of the activation's tile
  input  logic                  last_i,     // os: its last step
  // from above: the partial sum (ws), the streamed operand (os)
  input  logic [PW-1:0]         psum_i,
  input  logic [LANES*BW-1:0]   b_i,
  input  logic [63:0]           bb_i,       // os, binary mode: the streamed operand's bits
  input  logic [63:0]           bm_i,       //   and the bits that hold one (K tails)
  // weight port: LANES weights into buffer w_buf_i
  input  logic                  w_we_i,
  input  logic                  w_buf_i,
  input  logic [LANES*BW-1:0]   w_i,
  input  logic [63:0]           wb_i,       // binary mode: weight bits
  input  logic [63:0]           wm_i,       //   and the bits that hold a weight (K tails)
  // to the right and below, registered
  output logic [LANES*AW-1:0]   a_o,
  output logic [63:0]           ab_o,
  output logic                  valid_o,
  output logic                  sel_o,
  output logic                  first_o,
  output logic                  last_o,
  output logic [PW-1:0]         psum_o,
  output logic [LANES*BW-1:0]   b_o,
  output logic [63:0]           bb_o,
  output logic [63:0]           bm_o,
  output logic [PW-1:0]         drain_o     // os: the last finished sum
);
  // Products and sums wrap at PW bits, as the int32 accumulators of the cycle model do.
  if (LANES < 1 || LANES > 2 || AW < 2 || BW < 2 || PW < AW || PW < BW) begin : gen_param_check
    $error("qtsim_mac_pe: need 1 <= LANES <= 2, AW, BW >= 2 and PW >= AW, BW");
  end

  logic [LANES*BW-1:0] w0_q, w1_q;
  logic [LANES*AW-1:0] a_q;
  logic                valid_q, sel_q, first_q, last_q;
  logic [PW-1:0]       psum_q, drain_q;
  logic [63:0]         ab_q, wb0_q, wb1_q, wm0_q, wm1_q;
  logic [6:0]          wn0_q, wn1_q;  // popcount of each mask, taken at load
  logic [6:0]          agree, agree_os;
  always_comb agree = 7'($countones(~(ab_i ^ (sel_i ? wb1_q : wb0_q)) & (sel_i ? wm1_q : wm0_q)));
  always_comb agree_os = 7'($countones(~(ab_i ^ bb_i) & bm_i));

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
    if (w_we_i && !w_buf_i) begin
      w0_q <= w_i;
      if (bin_i) {wb0_q, wm0_q, wn0_q} <= {wb_i, wm_i, 7'($countones(wm_i))};
    end
    if (w_we_i && w_buf_i) begin
      w1_q <= w_i;
      if (bin_i) {wb1_q, wm1_q, wn1_q} <= {wb_i, wm_i, 7'($countones(wm_i))};
    end
    sel_q <= sel_i;
    // bubbles carry zero activations: their sums are never read
    if (OS != 0) begin
      logic [PW-1:0] sum;
      a_q     <= a_i;
      w0_q    <= b_i;  // the streamed operand's registers
      ab_q    <= ab_i;
      wb0_q   <= bb_i;
      wm0_q   <= bm_i;
      first_q <= first_i;
      last_q  <= last_i;
      if (bin_i) sum = (first_i ? '0 : psum_q) + PW'(2 * 32'(agree_os)) - PW'($countones(bm_i));
      else sum = (first_i ? '0 : psum_q) + PW'(signed'(a_i[0 +: AW]) * signed'(b_i[0 +: BW]))
                 + ((LANES > 1) ? PW'(signed'(a_i[(LANES-1)*AW +: AW]) * signed'(b_i[(LANES-1)*BW +: BW])) : '0);
      psum_q <= sum;
      if (last_i) drain_q <= sum;
    end else if (bin_i) begin
      ab_q   <= ab_i;
      psum_q <= psum_i + PW'(2 * 32'(agree)) - (sel_i ? PW'(wn1_q) : PW'(wn0_q));
    end else begin
      a_q    <= a_i;
      psum_q <= psum_i + PW'(signed'(a_i[0 +: AW]) * signed'(sel_i ? w1_q[0 +: BW] : w0_q[0 +: BW]))
                       + ((LANES > 1) ? PW'(signed'(a_i[(LANES-1)*AW +: AW]) *
                                            signed'(sel_i ? w1_q[(LANES-1)*BW +: BW] : w0_q[(LANES-1)*BW +: BW])) : '0);
    end
  end

  // Each dataflow's outputs only: the other's are constants, which a simulator and synthesis drop.
  assign a_o     = a_q;
  assign ab_o    = ab_q;
  assign valid_o = (OS != 0) ? 1'b0 : valid_q;
  assign sel_o   = (OS != 0) ? 1'b0 : sel_q;
  assign psum_o  = (OS != 0) ? '0 : psum_q;
  assign first_o = (OS != 0) ? first_q : 1'b0;
  assign last_o  = (OS != 0) ? last_q : 1'b0;
  assign b_o     = (OS != 0) ? w0_q : '0;
  assign bb_o    = (OS != 0) ? wb0_q : '0;
  assign bm_o    = (OS != 0) ? wm0_q : '0;
  assign drain_o = (OS != 0) ? drain_q : '0;
endmodule
