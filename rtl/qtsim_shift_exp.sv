// I-ViT's shift-based exponential (golden/shift_exp.hpp, shift_exp), combinational:
//   dl = d + (d >>> 1) - (d >>> 4), clamped below at N x0; q = floor(dl / x0); r = dl - q x0;
//   t = r - 2 x0; result t << (N - 1 - q), saturated at 2^40, or t >> 1 when q = N.
// x0 = floor(-1/s) < 0 is configuration, and so are its multiples j x0, j = N - 39 .. N, which the parent
// computes once per job and all lanes share: the quotient is found by comparing dl with them (it lies in
// [N - 40, N] unless the result saturates), without a divider. d > 0 occurs only in ShiftGELU's e^-max
// term, where large d saturates. Multiple j occupies bits [(j - N + 39)*64 +: 64] of xm_i.
module qtsim_shift_exp #(
  parameter int N  = 15,  // Shiftmax 15, ShiftGELU 23
  parameter int unsigned DW = 24,  // signed d
  parameter int unsigned XW = 32   // signed x0
) (
  input  logic [DW-1:0]    d_i,   // signed
  input  logic [XW-1:0]    x0_i,  // signed, < 0
  input  logic [40*64-1:0] xm_i,  // signed multiples j x0, j = N - 39 .. N
  output logic [40:0]      e_o    // unsigned, <= 2^40
);
  localparam int unsigned W = 64;  // internal signed width, ample for DW, XW <= 32
  localparam int NEG = 40 - N;     // q <= -NEG saturates: t >= 2 shifted left by >= 39

  if (DW > 32 || XW > 32 || N < 1 || N > 39) begin : gen_param_check
    $error("qtsim_shift_exp: need DW, XW <= 32 and 1 <= N <= 39");
  end

  logic signed [W-1:0] d, x0, dl, q, r, t, lim;
  logic [6:0]          sh;
  logic                sat;
  logic [79:0]         shifted;  // t < 2^33 shifted by <= 38

  always_comb begin
    d   = W'(signed'(d_i));
    x0  = W'(signed'(x0_i));
    lim = signed'(xm_i[39*64 +: 64]);  // N x0
    dl  = d + (d >>> 1) - (d >>> 4);
    if (dl < lim) dl = lim;
    // q = floor(dl / x0): +1 for every j in 1..N with dl <= j x0, -1 for every j in 0..NEG-1 with dl > -j x0
    q = '0;
    for (int j = 1; j <= N; j++) if (dl <= signed'(xm_i[(j - N + 39)*64 +: 64])) q = q + W'(1);
    for (int j = 0; j < NEG; j++) if (dl > signed'(xm_i[(39 - N - j)*64 +: 64])) q = q - W'(1);
    sat = q <= -W'(NEG);
    r   = dl - q * x0;
    t   = r - 2 * x0;
    sh  = 7'(W'(N) - q);
    shifted = (sh >= 7'd1) ? (80'(t) << (sh - 7'd1)) : (80'(t) >> 1);  // t > 0
    e_o = (sat || shifted > (80'd1 << 40)) ? 41'(80'd1 << 40) : 41'(shifted);
  end
endmodule
