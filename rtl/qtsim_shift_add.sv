// The post-processing unit's shift-add lanes: log-sqrt2 attention times v (RepQ-ViT) without a multiplier.
// Each lane holds one output (head, query row, column of v) for a group of beats, one key per beat: the
// key's value v shifted left by S - ceil(q/2), S = 2^(bits-1), joins the even sum when its probability's code
// q is even and the odd sum when odd; the zero code (-1) adds nothing (golden::logsqrt2_shift_term). first_i
// restarts the sums, and the sums after a beat flagged last_i leave on even_o / odd_o. Registered on entry,
// then shift, accumulate and two output stages: the sums of a group whose last beat entered in cycle c leave
// in cycle c + 4, as the requant lanes' results do (G groups of T keys take G T + 4 cycles with ready_i
// high). Keys enter on valid_i && ready_o; a group's sums leave on valid_o && ready_i, and a consumer holding
// ready_i low while they wait stalls the whole pipeline (qtsim_pipe_ctrl). Lane l of a flat port occupies
// bits [l*W +: W].
module qtsim_shift_add #(
  parameter int unsigned LANES = 16,
  parameter int unsigned VW    = 8,   // signed values (int8 v)
  parameter int unsigned SW    = 64   // signed sums
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  valid_i,
  output logic                  ready_o,
  input  logic [LANES-1:0]      lane_en_i,  // lanes holding an output this group
  input  logic                  first_i,    // the group's first key
  input  logic                  last_i,     // its last key
  input  logic [LANES*VW-1:0]   v_i,        // signed, per lane
  input  logic [LANES*8-1:0]    code_i,     // signed codes, -1 for zero, per lane
  input  logic [5:0]            s_i,        // S = 2^(bits-1): 1 .. 32, held for a whole stream
  output logic                  valid_o,    // a group's sums
  input  logic                  ready_i,
  output logic [LANES-1:0]      lane_en_o,
  output logic [LANES*SW-1:0]   even_o,     // signed, per lane
  output logic [LANES*SW-1:0]   odd_o
);
  if (LANES < 1 || VW < 2 || SW < VW + 33) begin : gen_param_check
    $error("qtsim_shift_add: need LANES >= 1, VW >= 2 and SW >= VW + 33 (a value shifted by up to 32)");
  end

  // Each beat's valid bit, last flag and lane enables travel in the pipe control; a group's sums leave with
  // its last beat. The first flag restarts the sums in the shift stage, so it travels beside the datapath, and
  // a bubble enters as the zero code with no first flag: it adds nothing.
  logic           adv;  // every stage moves
  logic           out_valid;
  logic [LANES:0] out_side;  // {lane enables, last}
  qtsim_pipe_ctrl #(.DEPTH(5), .W(LANES + 1)) u_ctrl (
    .clk_i, .rst_ni, .valid_i, .ready_o, .side_i ({lane_en_i, last_i}),
    .out_valid_i (valid_o), .ready_i, .adv_o (adv),
    .valid_o (out_valid), .side_o (out_side)
  );
  assign valid_o   = out_valid && out_side[0];
  assign lane_en_o = out_side[LANES:1];
  logic [1:0] first_q;  // the input and shift stages'
  always_ff @(posedge clk_i) if (adv) first_q <= {first_q[0], valid_i && first_i};

  for (genvar l = 0; l < LANES; l++) begin : gen_lane
    logic signed [VW-1:0] v_q;
    logic signed [7:0]    code_q;
    logic signed [SW-1:0] term_q, even_q, odd_q, even_out1_q, even_out2_q, odd_out1_q, odd_out2_q;
    logic                 odd_code_q;
    // Datapath registers need no reset: the valid bits say when they hold a beat or a sum.
    always_ff @(posedge clk_i) if (adv) begin
      v_q        <= signed'(v_i[l*VW +: VW]);  // input registers
      code_q     <= valid_i ? signed'(code_i[l*8 +: 8]) : -8'sd1;
      // stage 1: the shift (ceil(q/2) of a code 0 .. 63 is (q + 1) >> 1)
      term_q     <= (code_q < 0) ? '0 : SW'(v_q) <<< (s_i - 6'((8'(code_q) + 8'd1) >> 1));
      odd_code_q <= code_q[0];
      // stage 2: the sums, restarted by a group's first key
      even_q <= (first_q[1] ? '0 : even_q) + (odd_code_q ? '0 : term_q);
      odd_q  <= (first_q[1] ? '0 : odd_q) + (odd_code_q ? term_q : '0);
      even_out1_q <= even_q;  // stages 3 and 4
      even_out2_q <= even_out1_q;
      odd_out1_q  <= odd_q;
      odd_out2_q  <= odd_out1_q;
    end
    assign even_o[l*SW +: SW] = even_out2_q;
    assign odd_o[l*SW +: SW]  = odd_out2_q;
  end
endmodule
