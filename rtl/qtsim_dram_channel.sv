// The DRAM channel as the DMA engine sees it: one transfer at a time, each holding the channel for its beats
// (ceil(bytes / bytes per cycle), at least one, computed by whoever writes the descriptor), then landing
// latency_i cycles after its last beat. req_ready_o is high while the channel is idle; a request accepted in
// cycle t lands in cycle t + beats + latency, when resp_valid_o is high for that one cycle. Transfers hold
// the channel one after another, so they land in the order they were accepted, at most one per cycle: the
// landings wait in a FIFO of due cycles. overflow_o: a request accepted with DEPTH transfers in flight.
module qtsim_dram_channel #(
  parameter int unsigned DEPTH = 512,  // transfers in flight (moving or in their latency)
  parameter int unsigned FW    = 9,    // log2(DEPTH)
  parameter int unsigned CW    = 32,   // beat and latency width
  parameter int unsigned TAGW  = 8
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic            en_i,        // cycles count only while the op runs
  input  logic [CW-1:0]   latency_i,
  input  logic            req_valid_i,
  output logic            req_ready_o,
  input  logic [CW-1:0]   req_beats_i,  // >= 1
  input  logic            req_store_i,
  input  logic [TAGW-1:0] req_tag_i,
  output logic            resp_valid_o,
  output logic            resp_store_o,
  output logic [TAGW-1:0] resp_tag_o,
  output logic            overflow_o
);
  if (DEPTH != (1 << FW) || CW > 62) begin : gen_param_check
    $error("qtsim_dram_channel: DEPTH must be 2^FW and CW <= 62");
  end

  logic [63:0]     now_q, free_at_q;
  logic [63:0]     due_q   [DEPTH];
  logic            store_q [DEPTH];
  logic [TAGW-1:0] tag_q   [DEPTH];
  logic [FW-1:0]   head_q, tail_q;
  logic [FW:0]     count_q;
  logic            accept, land;

  // What the channel shows in a cycle depends on its state alone; what it takes, on the request.
  always_comb begin
    req_ready_o  = en_i && now_q >= free_at_q;
    land         = en_i && count_q != '0 && due_q[head_q] == now_q;
    resp_valid_o = land;
    resp_store_o = store_q[head_q];
    resp_tag_o   = tag_q[head_q];
  end
  assign accept     = req_valid_i && req_ready_o;
  assign overflow_o = accept && count_q == (FW+1)'(DEPTH);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      now_q     <= '0;
      free_at_q <= '0;
      head_q    <= '0;
      tail_q    <= '0;
      count_q   <= '0;
    end else if (en_i) begin
      now_q <= now_q + 64'd1;
      if (accept) begin
        free_at_q      <= now_q + 64'(req_beats_i);
        due_q[tail_q]   <= now_q + 64'(req_beats_i) + 64'(latency_i);
        store_q[tail_q] <= req_store_i;
        tag_q[tail_q]   <= req_tag_i;
        tail_q          <= tail_q + FW'(1);
      end
      if (land) head_q <= head_q + FW'(1);
      count_q <= count_q + (FW+1)'(accept) - (FW+1)'(land);
    end
  end
endmodule
