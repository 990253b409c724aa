// The post-processing unit's wide accumulate lanes for group-wise INT4 GEMMs (QA-LoRA): per output, one
// group's term folded into its wide accumulator, acc + mult * (2^8 p - zero * s), where p is the group's
// partial sum from the array, s the group's activation sum (the array's extra column of ones), zero the
// group's zero point with 8 fractional bits and mult its scale multiplier (golden::group4_term). The
// accumulators live in the accumulator SRAM: each beat reads LANES of them with its operands and the lanes
// hand them back updated, so a stream touches every accumulator once and no result is read before it is
// written. wide_o flags an accumulator that no longer fits int64, which the controller checks after the last
// group (golden::group4_narrow). Registered on entry, then four stages (difference, product, sum, flag), as
// the requant lanes: a stream of B beats takes B + 4 cycles with ready_i high, and the same valid/ready
// handshake on both ends (qtsim_pipe_ctrl). Lane l of a flat port occupies bits [l*W +: W].
module qtsim_group4_fold #(
  parameter int unsigned LANES = 16,
  parameter int unsigned AW    = 128  // signed accumulator width (a group's term takes up to 80 bits)
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  valid_i,
  output logic                  ready_o,
  input  logic [LANES-1:0]      lane_en_i,  // lanes holding an element this beat
  input  logic [LANES*32-1:0]   p_i,        // signed partial sums
  input  logic [LANES*32-1:0]   s_i,        // signed activation sums
  input  logic [LANES*32-1:0]   zero_i,     // signed zero points, 8 fractional bits
  input  logic [LANES*16-1:0]   mult_i,     // unsigned multipliers, at most 2^15
  input  logic [LANES*AW-1:0]   acc_i,      // signed accumulators read with the beat
  output logic                  valid_o,
  input  logic                  ready_i,
  output logic [LANES-1:0]      lane_en_o,
  output logic [LANES*AW-1:0]   acc_o,      // the accumulators to write back
  output logic [LANES-1:0]      wide_o      // acc_o outside int64
);
  if (LANES < 1 || AW < 96) begin : gen_param_check
    $error("qtsim_group4_fold: need LANES >= 1 and AW >= 96");
  end

  logic adv;  // every stage moves
  qtsim_pipe_ctrl #(.DEPTH(5), .W(LANES)) u_ctrl (
    .clk_i, .rst_ni, .valid_i, .ready_o, .side_i (lane_en_i),
    .out_valid_i (valid_o), .ready_i, .adv_o (adv),
    .valid_o, .side_o (lane_en_o)
  );

  for (genvar l = 0; l < LANES; l++) begin : gen_lane
    logic signed [31:0]   p_q, s_q, zero_q;
    logic        [15:0]   mult_q, mult_d_q;
    logic signed [AW-1:0] acc0_q, acc1_q, acc2_q;  // the accumulator, delayed to the sum stage
    logic signed [64:0]   diff_q;      // 2^8 p - zero * s: |.| < 2^39 + 2^62
    logic signed [AW-1:0] term_q, sum_q;
    logic                 wide_q;
    // Datapath registers need no reset: the valid bits say when they hold a beat.
    always_ff @(posedge clk_i) if (adv) begin
      p_q      <= signed'(p_i[l*32 +: 32]);  // input registers
      s_q      <= signed'(s_i[l*32 +: 32]);
      zero_q   <= signed'(zero_i[l*32 +: 32]);
      mult_q   <= mult_i[l*16 +: 16];
      acc0_q   <= signed'(acc_i[l*AW +: AW]);
      diff_q   <= (65'(p_q) <<< 8) - 65'(zero_q) * 65'(s_q);     // stage 1: difference
      mult_d_q <= mult_q;
      acc1_q   <= acc0_q;
      term_q   <= AW'(diff_q) * signed'(AW'({1'b0, mult_d_q}));  // stage 2: product
      acc2_q   <= acc1_q;
      sum_q    <= acc2_q + term_q;                             // stage 3: sum
      wide_q   <= (sum_q[AW-1:63] != '0) && (sum_q[AW-1:63] != '1);  // stage 4: the int64 check
    end
    // The sum's register is read by both the write-back and the check: hold it one more stage beside the flag.
    logic signed [AW-1:0] out_q;
    always_ff @(posedge clk_i) if (adv) out_q <= sum_q;
    assign acc_o[l*AW +: AW] = out_q;
    assign wide_o[l] = wide_q;
  end
endmodule
