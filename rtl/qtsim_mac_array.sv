// The weight-stationary MAC array: ROWS x COLS qtsim_mac_pe. Activations enter column 0 of every row
// (skewed by the row: the caller's sequencer, as in models/units/mac_array.cpp) and move right one PE per cycle;
// partial sums enter the top row as zero and move down; the bottom row hands COLS finished sums per cycle
// to the accumulators, valid where a real activation made them. The weight port writes one row of the
// array (COLS x LANES weights) per cycle into either buffer, so a tile of weights loads in ROWS cycles.
// Input-stationary runs on the same array with the operands' roles swapped (the sequencer's business).
// Output-stationary (OS, a build parameter): the second operand enters the top row (b_i, or bb_i/bm_i in binary mode, skewed by column) and moves down,
// each PE keeps its own sum, and drain_o reads the finished sums of array row drain_row_i.
// Row r of a flat port occupies bits [r*W +: W]; column c of w_i / psum_o likewise.
module qtsim_mac_array #(
  parameter int unsigned ROWS  = 16,
  parameter int unsigned COLS  = 16,
  parameter int unsigned LANES = 2,
  parameter int unsigned AW    = 17,
  parameter int unsigned BW    = 8,
  parameter int unsigned PW    = 32,
  parameter int unsigned OS    = 0    // 1: output-stationary (else weight-stationary, and input-stationary by role swap)
) (
  input  logic                        clk_i,
  input  logic                        rst_ni,
  input  logic                        bin_i,      // binary mode (XNOR-popcount PEs)
  input  logic [ROWS*LANES*AW-1:0]    a_i,        // column 0 of each row
  input  logic [ROWS*64-1:0]          ab_i,       // binary mode: activation bits, column 0 of each row
  input  logic [ROWS-1:0]             valid_i,
  input  logic [ROWS-1:0]             sel_i,      // weight buffer of each row's activation
  input  logic [ROWS-1:0]             first_i,    // os: first / last step of each row's activation's tile
  input  logic [ROWS-1:0]             last_i,
  input  logic [COLS*LANES*BW-1:0]    b_i,        // os: the streamed operand, top row of each column
  input  logic [COLS*64-1:0]          bb_i,       // os, binary mode: its bits
  input  logic [COLS*64-1:0]          bm_i,       //   and their valid bits
  input  logic [$clog2(ROWS+1)-1:0]   drain_row_i,
  input  logic                        w_we_i,
  input  logic                        w_buf_i,
  input  logic [$clog2(ROWS+1)-1:0]   w_row_i,
  input  logic [COLS*LANES*BW-1:0]    w_i,
  input  logic [COLS*64-1:0]          wb_i,       // binary mode: weight bits
  input  logic [COLS*64-1:0]          wm_i,       //   and their valid bits
  output logic [COLS-1:0]             valid_o,    // bottom row
  output logic [COLS*PW-1:0]          psum_o,
  output logic [COLS*PW-1:0]          drain_o     // os: row drain_row_i's finished sums
);
  if (ROWS < 1 || COLS < 1) begin : gen_param_check
    $error("qtsim_mac_array: need ROWS, COLS >= 1");
  end

  localparam int unsigned AL = LANES * AW;

  // Between PEs: a_h[r][c] enters PE (r, c) from the left; p_v[r][c] enters it from above.
  logic [AL-1:0] a_h   [ROWS][COLS+1];
  logic [63:0]   ab_h  [ROWS][COLS+1];
  logic          v_h   [ROWS][COLS+1];
  logic          s_h   [ROWS][COLS+1];
  logic [PW-1:0] p_v   [ROWS+1][COLS];
  logic          f_h   [ROWS][COLS+1];
  logic          l_h   [ROWS][COLS+1];
  logic [LANES*BW-1:0] b_v [ROWS+1][COLS];
  logic [63:0]         bb_v [ROWS+1][COLS];
  logic [63:0]         bm_v [ROWS+1][COLS];
  logic [PW-1:0] d_pe  [ROWS][COLS];

  for (genvar r = 0; r < ROWS; r++) begin : gen_row
    assign a_h[r][0] = a_i[r*AL +: AL];
    assign ab_h[r][0] = ab_i[r*64 +: 64];
    assign v_h[r][0] = valid_i[r];
    assign s_h[r][0] = sel_i[r];
    assign f_h[r][0] = first_i[r];
    assign l_h[r][0] = last_i[r];
    for (genvar c = 0; c < COLS; c++) begin : gen_col
      if (r == 0) begin : gen_top
        assign p_v[0][c] = '0;
        assign b_v[0][c] = b_i[c*LANES*BW +: LANES*BW];
        assign bb_v[0][c] = bb_i[c*64 +: 64];
        assign bm_v[0][c] = bm_i[c*64 +: 64];
      end
      qtsim_mac_pe #(.LANES(LANES), .AW(AW), .BW(BW), .PW(PW), .OS(OS)) u_pe (
        .clk_i,
        .rst_ni,
        .bin_i,
        .a_i     (a_h[r][c]),
        .ab_i    (ab_h[r][c]),
        .valid_i (v_h[r][c]),
        .sel_i   (s_h[r][c]),
        .first_i (f_h[r][c]),
        .last_i  (l_h[r][c]),
        .psum_i  (p_v[r][c]),
        .b_i     (b_v[r][c]),
        .bb_i    (bb_v[r][c]),
        .bm_i    (bm_v[r][c]),
        .w_we_i  (w_we_i && (w_row_i == ($clog2(ROWS+1))'(r))),
        .w_buf_i,
        .w_i     (w_i[c*LANES*BW +: LANES*BW]),
        .wb_i    (wb_i[c*64 +: 64]),
        .wm_i    (wm_i[c*64 +: 64]),
        .a_o     (a_h[r][c+1]),
        .ab_o    (ab_h[r][c+1]),
        .valid_o (v_h[r][c+1]),
        .sel_o   (s_h[r][c+1]),
        .first_o (f_h[r][c+1]),
        .last_o  (l_h[r][c+1]),
        .psum_o  (p_v[r+1][c]),
        .b_o     (b_v[r+1][c]),
        .bb_o    (bb_v[r+1][c]),
        .bm_o    (bm_v[r+1][c]),
        .drain_o (d_pe[r][c])
      );
    end
  end

  // Sums of the bottom row; the valid bit of the activation that reached PE (ROWS-1, c) goes with them.
  for (genvar c = 0; c < COLS; c++) begin : gen_out
    assign psum_o[c*PW +: PW] = p_v[ROWS][c];
    assign valid_o[c]         = v_h[ROWS-1][c+1];
  end
  always_comb begin  // constant zero in a weight-stationary build: its PEs drive no drain registers
    drain_o = '0;
    for (int unsigned r = 0; r < ROWS; r++) begin
      if (drain_row_i == ($clog2(ROWS+1))'(r)) begin
        for (int unsigned c = 0; c < COLS; c++) drain_o[c*PW +: PW] = d_pe[r][c];
      end
    end
  end
endmodule
