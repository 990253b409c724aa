// I-ViT's shift-based exponential (golden/shift_exp.hpp, shift_exp with n = 15), combinational:
//   dl = d + (d >>> 1) - (d >>> 4), clamped below at 15 x0; q = floor(dl / x0); r = dl - q x0;
//   t = r - 2 x0; result t << (14 - q), saturated at 2^40, or t >> 1 when q = 15.
// x0 = floor(-1/s) < 0 is configuration, and so are its multiples j x0, j = -24 .. 15, which the parent
// computes once per job and all lanes share: the quotient is found by comparing dl with them (it lies in
// [-25, 15] unless the result saturates), without a divider. d > 0 occurs only in ShiftGELU's e^-max term,
// where large d saturates. Multiple j occupies bits [(j + 24)*64 +: 64] of xm_i.
module qtsim_shift_exp #(
  parameter int unsigned DW = 24,  // signed d
  parameter int unsigned XW = 32   // signed x0
) (
  input  logic [DW-1:0] d_i,   // signed
  input  logic [XW-1:0] x0_i,  // signed, < 0
  input  logic [40*64-1:0] xm_i,  // signed multiples j x0, j = -24 .. 15
  output logic [40:0]   e_o    // unsigned, <= 2^40
);
  localparam int unsigned W = 64;  // internal signed width, ample for DW, XW <= 32
  localparam int N = 15;  // signed, as every operand of the arithmetic below
  localparam int NEG = 25;  // q <= -25 saturates: t >= 2 shifted by >= 39

  if (DW > 32 || XW > 32) begin : gen_param_check
    $error("qtsim_shift_exp: need DW, XW <= 32");
  end

  logic signed [W-1:0] d, x0, dl, q, r, t;
  logic [6:0]          sh;
  logic                sat;
  logic [W-1:0]        shifted;

  always_comb begin
    d  = W'(signed'(d_i));
    x0 = W'(signed'(x0_i));
    dl = d + (d >>> 1) - (d >>> 4);
    if (dl < signed'(xm_i[(N + 24)*64 +: 64])) dl = signed'(xm_i[(N + 24)*64 +: 64]);
    // q = floor(dl / x0): +1 for every j in 1..15 with dl <= j x0, -1 for every j in 0..24 with dl > -j x0
    q = '0;
    for (int j = 1; j <= N; j++) if (dl <= signed'(xm_i[(j + 24)*64 +: 64])) q = q + W'(1);
    for (int j = 0; j < NEG; j++) if (dl > signed'(xm_i[(24 - j)*64 +: 64])) q = q - W'(1);
    sat = q <= -W'(NEG);
    r   = dl - q * x0;
    t   = r - 2 * x0;
    sh  = 7'(W'(N) - q);
    shifted = (sh >= 7'd1) ? (64'(t) << (sh - 7'd1)) : 64'(t >>> 1);
    // t < 2^33, sh - 1 <= 38: shifted fits 64 bits; the cap is 2^40
    e_o = (sat || shifted > (64'd1 << 40)) ? 41'(64'd1 << 40) : 41'(shifted);
  end
endmodule
