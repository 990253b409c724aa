// The control of the post-processing unit's element pipelines (requant, group-wise fold, shift-add): a
// valid/ready stream in, one out, and DEPTH register stages between them carrying each beat's valid bit and
// W bits of sideband (lane enables, flags) beside the datapath the parent holds.
//
// The pipeline moves as one (a global stall): every stage advances (adv_o) unless the last holds a result
// the consumer does not take, out_valid_i && !ready_i. A beat enters on valid_i && ready_o, and ready_o is
// adv_o, so a producer holding valid_i while ready_o is low keeps its beat and data until it is taken. The
// parent gates every datapath register with adv_o: a stalled pipeline holds every beat in place and loses
// none. With ready_i high it never stalls and a beat entering at edge c is in the last stage after edge
// c + DEPTH - 1. out_valid_i is the parent's: the last stage's valid bit, or only the beats that carry a result
// (the shift-add lanes emit one per group).
module qtsim_pipe_ctrl #(
  parameter int unsigned DEPTH = 5,
  parameter int unsigned W     = 1
) (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         valid_i,
  output logic         ready_o,
  input  logic [W-1:0] side_i,
  input  logic         out_valid_i,  // the last stage holds a result for the consumer
  input  logic         ready_i,      // the consumer takes it this cycle
  output logic         adv_o,        // every stage moves at this edge
  output logic         valid_o,      // the last stage's valid bit and sideband
  output logic [W-1:0] side_o
);
  if (DEPTH < 2 || W < 1) begin : gen_param_check
    $error("qtsim_pipe_ctrl: need DEPTH >= 2 and W >= 1");
  end

  logic [DEPTH-1:0]   valid_q;
  logic [DEPTH*W-1:0] side_q;  // stage s in bits [s*W +: W]

  assign adv_o   = ready_i || !out_valid_i;
  assign ready_o = adv_o;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
      side_q  <= '0;
    end else if (adv_o) begin
      valid_q <= {valid_q[DEPTH-2:0], valid_i};
      side_q  <= {side_q[(DEPTH-1)*W-1:0], side_i};
    end
  end

  assign valid_o = valid_q[DEPTH-1];
  assign side_o  = side_q[(DEPTH-1)*W +: W];
endmodule
