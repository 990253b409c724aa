// Dyadic requantization, LANES elements per cycle: round(z * m_c / 2^e_c), ties to even (or half up), then
// clamp to 4, 8, 16 or 32 bits (other widths saturate at 64 bits), as golden/requant.hpp defines it. In the
// residual form (add_i) a second term round(id * m_id / 2^e_id) goes through the same stages alongside and
// is added before the clamp (golden::requant_add_element). The other element-wise operations of the
// post-processing unit (op_i) take the same pipeline: binarize sign(z + m) (BinaryViT's learnable
// threshold), affine z * m + id (per-channel scale and offset), mask z >= m (thresholded probabilities), and
// the log-sqrt2 code of a probability (RepQ-ViT): the index of the first of th_n_i thresholds th_i that z
// exceeds, or -1 (zero) for z <= 0 or none exceeded (golden::logsqrt2_code_int, a comparator bank). Operands are
// registered on entry, then four stages (multiply, shift, round: qtsim_requant_term; add and clamp): a
// stream of B beats takes B + 4 cycles with ready_i high, as the cycle model's post-processing unit
// (models/units/row_units.hpp, kPpuLatency). Beats enter on valid_i && ready_o and leave on valid_o && ready_i; a
// consumer holding ready_i low stalls the whole pipeline (qtsim_pipe_ctrl). half_up_i and
// bits_i are configuration, held for a whole stream. Lane l of a flat port occupies bits [l*W +: W] (the
// layout of a packed [LANES][W] array, in a form every tool reads, yosys included).
module qtsim_requant #(
  parameter int unsigned LANES = 16,
  parameter int unsigned ZW    = 64,  // signed operand width: int32 accumulators, and the int64 ones of group-wise INT4 GEMMs
  parameter int unsigned MW    = 32,  // signed multiplier width (|m| < 2^31)
  parameter int unsigned NT    = 64   // log-sqrt2 thresholds: 2^bits for bits up to 6
) (
  input  logic                        clk_i,
  input  logic                        rst_ni,
  input  logic                        valid_i,
  output logic                        ready_o,
  input  logic [LANES-1:0]            lane_en_i,  // lanes holding an element this beat
  input  logic [LANES*ZW-1:0]         z_i,        // signed, per lane
  input  logic [LANES*MW-1:0]         m_i,        // signed, per lane
  input  logic [LANES*6-1:0]          e_i,        // right shift, 1 .. 63, per lane
  input  logic                        half_up_i,  // 0: ties to even, 1: ties up
  input  logic [5:0]                  bits_i,     // clamp width
  // residual form (add_i): a second term id_i, rounded with its own multiplier, added before the clamp
  input  logic                        add_i,
  input  logic [2:0]                  op_i,       // 0 requant (and residual), 1 binarize, 2 affine, 3 mask, 4 code
  input  logic [LANES*ZW-1:0]         id_i,       // signed, per lane
  input  logic [MW-1:0]               mid_m_i,    // signed
  input  logic [5:0]                  mid_e_i,
  // log-sqrt2 codes (op 4): configuration, held for a whole stream
  input  logic [NT*32-1:0]            th_i,       // signed thresholds, non-increasing in the golden's use
  input  logic [$clog2(NT+1)-1:0]     th_n_i,     // how many of them are in use
  output logic                        valid_o,
  input  logic                        ready_i,
  output logic [LANES-1:0]            lane_en_o,
  output logic [LANES*(ZW+MW)-1:0]    q_o         // signed, per lane
);
  localparam int unsigned PW = ZW + MW;

  if (LANES < 1 || ZW < 32 || MW < 2 || PW > 128 || NT < 1 || NT >= 128) begin : gen_param_check
    $error("qtsim_requant: need LANES >= 1, ZW >= 32, MW >= 2, ZW + MW <= 128 and 1 <= NT < 128");
  end

  // Valid and lane enables travel with the data, one register per stage; adv moves every stage.
  logic adv;
  qtsim_pipe_ctrl #(.DEPTH(5), .W(LANES)) u_ctrl (
    .clk_i, .rst_ni, .valid_i, .ready_o, .side_i (lane_en_i),
    .out_valid_i (valid_o), .ready_i, .adv_o (adv),
    .valid_o, .side_o (lane_en_o)
  );
  // The clamp bounds are configuration, shared by the lanes.
  logic signed [PW-1:0] hi, lo;
  logic [6:0]           width;
  always_comb begin
    width = ((bits_i == 6'd4) || (bits_i == 6'd8) || (bits_i == 6'd16) || (bits_i == 6'd32)) ? 7'(bits_i) : 7'd64;
    hi    = (PW'(1) << (width - 7'd1)) - PW'(1);
    lo    = -hi - PW'(1);
  end

  for (genvar l = 0; l < LANES; l++) begin : gen_lane
    logic signed [PW-1:0] t1, t2, sum_d;
    logic signed [PW-1:0] q_q;
    qtsim_requant_term #(.ZW(ZW), .MW(MW)) u_term (
      .clk_i, .en_i (adv), .half_up_i,
      .z_i (z_i[l*ZW +: ZW]), .m_i (m_i[l*MW +: MW]), .e_i (e_i[l*6 +: 6]),
      .r_o (t1)
    );
    qtsim_requant_term #(.ZW(ZW), .MW(MW)) u_identity (
      .clk_i, .en_i (adv), .half_up_i,
      .z_i (add_i ? id_i[l*ZW +: ZW] : '0), .m_i (mid_m_i), .e_i (add_i ? mid_e_i : 6'd1),
      .r_o (t2)
    );
    // The other operations, computed on entry and delayed alongside the requant stages.
    logic signed [PW-1:0] alt_q [4];
    always_ff @(posedge clk_i) if (adv) begin
      logic signed [PW-1:0] z, m;
      logic [6:0]           code;
      z = PW'(signed'(z_i[l*ZW +: ZW]));
      m = PW'(signed'(m_i[l*MW +: MW]));
      unique case (op_i)
        3'd1:    alt_q[0] <= (z + m >= 0) ? PW'(1) : -PW'(1);
        3'd2:    alt_q[0] <= z * m + PW'(signed'(id_i[l*ZW +: ZW]));
        3'd4: begin
          // the first threshold z exceeds: scanned from the last so that the lowest index wins
          code = 7'(th_n_i);
          for (int j = NT - 1; j >= 0; j--)
            if (7'(j) < 7'(th_n_i) && signed'(z_i[l*ZW +: ZW]) > ZW'(signed'(th_i[j*32 +: 32]))) code = 7'(j);
          alt_q[0] <= (z <= 0 || code == 7'(th_n_i)) ? -PW'(1) : PW'(code);
        end
        default: alt_q[0] <= (z >= m) ? PW'(1) : PW'(0);
      endcase
      for (int s = 1; s < 4; s++) alt_q[s] <= alt_q[s-1];
    end
    always_comb begin
      sum_d = t1 + t2;
      sum_d = (sum_d > hi) ? hi : (sum_d < lo) ? lo : sum_d;
    end
    always_ff @(posedge clk_i) if (adv) q_q <= (op_i == 3'd0) ? sum_d : alt_q[3];  // stage 4: add, clamp
    assign q_o[l*PW +: PW] = q_q;
  end
endmodule
