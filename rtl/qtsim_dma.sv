// The DMA engine of one op: it takes the op's blocks as descriptors (bytes to load, of those the bytes kept
// to the op's end, and the channel beats of the load and of the store), fetches each block's data into the
// scratchpad window, starts the unit on a block once its data has landed and the previous block is done, and
// writes each block's results back when the unit is done with it. The same rules as the SystemC engine
// (models/units/dma.hpp), cycle for cycle. Each cycle, in order:
//   1. done_i (the unit's block ends this cycle) frees the block's unkept bytes and queues its store;
//   2. loads queue in block order while they fit the window (double_buffer_i), or once every earlier block
//      is stored (not): as many as fit in this one cycle;
//   3. go_o starts the next block if the unit is free and the block's data is on chip;
//   4. the idle channel takes the earliest queued request: a load before a store iff the load was queued in
//      an earlier cycle (a store is stamped with the loads queued before it), otherwise in queue order.
// done_o is high in the op's last cycle: every block computed and its store landed. The engine holds the
// descriptors of DEPTH blocks (queued or waiting, not yet computed) and DEPTH queued stores; overflow_o
// flags a cycle in which those bounds, absent from the SystemC engine, could change the timing.
module qtsim_dma #(
  parameter int unsigned DEPTH  = 256,  // descriptors held
  parameter int unsigned AW     = 8,    // log2(DEPTH)
  parameter int unsigned LDEPTH = 512,  // transfers in flight on the DRAM channel
  parameter int unsigned LW     = 9,    // log2(LDEPTH)
  parameter int unsigned CW     = 32    // byte, beat and block count width
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  // configuration, held for the op
  input  logic [CW-1:0] blocks_i,         // the op's blocks, >= 1
  input  logic [63:0]   window_i,         // bytes the DMA may hold on chip
  input  logic          double_buffer_i,
  input  logic [CW-1:0] latency_i,        // DRAM latency, cycles
  input  logic          run_i,            // low while the first descriptors load
  // descriptors, one per block, in block order
  input  logic          desc_valid_i,
  output logic          desc_ready_o,
  input  logic [CW-1:0] desc_load_i,        // bytes
  input  logic [CW-1:0] desc_keep_i,        // of those, bytes kept to the op's end
  input  logic [CW-1:0] desc_load_beats_i,  // channel cycles of the load (0 iff no bytes)
  input  logic [CW-1:0] desc_store_beats_i, // channel cycles of the store (0 iff no bytes)
  // the unit
  output logic          go_o,    // the next block starts this cycle
  input  logic          done_i,  // the block computing ends this cycle
  // status
  output logic          done_o,
  output logic [63:0]   channel_busy_o,  // cycles the channel moved data
  output logic          overflow_o
);
  if (DEPTH != (1 << AW) || LDEPTH != (1 << LW) || CW > 32) begin : gen_param_check
    $error("qtsim_dma: DEPTH must be 2^AW, LDEPTH 2^LW, CW <= 32");
  end

  // Descriptors by slot (block index mod DEPTH), and whether a slot's load has landed.
  logic [CW-1:0]    load_q [DEPTH];
  logic [CW-1:0]    keep_q [DEPTH];
  logic [CW-1:0]    lbeats_q [DEPTH];
  logic [CW-1:0]    sbeats_q [DEPTH];
  logic [DEPTH-1:0] arrived_q;
  // Block counters: descriptors received, loads queued, loads issued past, blocks computed, stores done.
  logic [CW-1:0]    fill_q, next_load_q, issue_q, computed_q, stored_q;
  logic             computing_q;
  logic [63:0]      held_q, kept_q, busy_q;
  logic             overflow_q;
  // Queued stores: beats, and the loads queued before each.
  logic [CW-1:0]    sf_beats_q [DEPTH];
  logic [CW-1:0]    sf_stamp_q [DEPTH];
  logic [AW-1:0]    sf_head_q, sf_tail_q;
  logic [AW:0]      sf_count_q;

  // The channel.
  logic          req_valid, req_ready, req_store, resp_valid, resp_store, ch_overflow;
  logic [CW-1:0] req_beats;
  logic [AW-1:0] req_tag, resp_tag;

  qtsim_dram_channel #(.DEPTH(LDEPTH), .FW(LW), .CW(CW), .TAGW(AW)) u_channel (
    .clk_i, .rst_ni, .en_i(run_i), .latency_i,
    .req_valid_i(req_valid), .req_ready_o(req_ready), .req_beats_i(req_beats), .req_store_i(req_store),
    .req_tag_i(req_tag), .resp_valid_o(resp_valid), .resp_store_o(resp_store), .resp_tag_o(resp_tag),
    .overflow_o(ch_overflow)
  );

  logic          fin, st_new, st_zero, load_landed, store_landed;
  logic [AW-1:0] head;
  logic [CW-1:0] stored_now, nl, nb, lo, blk, ld_blk, st_beats, st_stamp;
  logic [63:0]   held_v, kept_v;
  logic          stop, scan_short, room, ld_ok, st_ok, pick_load, accept, st_direct, sf_full;

  always_comb begin
    // 1. The unit's block ends.
    head         = computed_q[AW-1:0];
    fin          = run_i && done_i && computing_q;
    st_new       = fin && sbeats_q[head] != '0;
    st_zero      = fin && sbeats_q[head] == '0;
    load_landed  = resp_valid && !resp_store;
    store_landed = resp_valid && resp_store;
    stored_now   = stored_q + CW'(store_landed) + CW'(st_zero);
  end

  always_comb begin
    // 2. Loads queue while they fit. A descriptor not yet received stops the scan early: flagged.
    nl         = next_load_q;
    held_v     = held_q - (fin ? 64'(load_q[head]) - 64'(keep_q[head]) : 64'd0);
    kept_v     = kept_q;
    stop       = !run_i;
    scan_short = 1'b0;
    room       = 1'b0;
    for (int unsigned k = 0; k < DEPTH; k++) begin
      if (!stop) begin
        if (nl == blocks_i) begin
          stop = 1'b1;
        end else if (nl == fill_q) begin
          stop       = 1'b1;
          scan_short = 1'b1;
        end else begin
          room = double_buffer_i ? (held_v == kept_v || held_v + 64'(load_q[nl[AW-1:0]]) <= window_i)
                                 : stored_now == nl;
          if (room) begin
            held_v = held_v + 64'(load_q[nl[AW-1:0]]);
            kept_v = kept_v + 64'(keep_q[nl[AW-1:0]]);
            nl     = nl + CW'(1);
          end else begin
            stop = 1'b1;
          end
        end
      end
    end
  end

  always_comb begin
    // 3. The next block starts once the unit is free and its data is on chip (a block without a load has
    //    it once queued).
    nb   = computed_q + CW'(fin);
    go_o = run_i && (!computing_q || fin) && nb < nl &&
           (lbeats_q[nb[AW-1:0]] == '0 || arrived_q[nb[AW-1:0]] || (load_landed && resp_tag == nb[AW-1:0]));
  end

  always_comb begin
    // 4. The channel: the first queued block with a load, against the oldest queued store. A block computed
    //    has had its load, and its slot may hold a later block: the search starts at neither.
    ld_ok  = 1'b0;
    lo     = issue_q > computed_q ? issue_q : computed_q;
    ld_blk = lo;
    blk    = lo;
    for (int unsigned k = 0; k < DEPTH; k++) begin
      blk = lo + CW'(k);
      if (!ld_ok && blk < nl && lbeats_q[blk[AW-1:0]] != '0) begin
        ld_ok  = 1'b1;
        ld_blk = blk;
      end
    end
  end

  always_comb begin
    // The request: the load if it was queued before the store was (or there is no store).
    st_ok     = sf_count_q != '0 || st_new;
    st_beats  = sf_count_q != '0 ? sf_beats_q[sf_head_q] : sbeats_q[head];
    st_stamp  = sf_count_q != '0 ? sf_stamp_q[sf_head_q] : next_load_q;
    pick_load = ld_ok && (!st_ok || ld_blk < st_stamp);
    req_valid = ld_ok || st_ok;
    req_store = !pick_load;
    req_beats = pick_load ? lbeats_q[ld_blk[AW-1:0]] : st_beats;
    req_tag   = ld_blk[AW-1:0];
  end

  always_comb begin
    accept    = req_valid && req_ready;
    // A store queued this cycle into an empty queue and taken at once never enters it.
    st_direct = st_new && sf_count_q == '0 && accept && !pick_load;
    sf_full   = st_new && !st_direct && sf_count_q == (AW+1)'(DEPTH);

    done_o         = run_i && stored_now == blocks_i;
    channel_busy_o = busy_q;
    desc_ready_o   = fill_q - computed_q < CW'(DEPTH) && fill_q < blocks_i;
    overflow_o     = overflow_q || (run_i && (scan_short || sf_full || ch_overflow));
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      arrived_q   <= '0;
      fill_q      <= '0;
      next_load_q <= '0;
      issue_q     <= '0;
      computed_q  <= '0;
      stored_q    <= '0;
      computing_q <= 1'b0;
      held_q      <= '0;
      kept_q      <= '0;
      busy_q      <= '0;
      overflow_q  <= 1'b0;
      sf_head_q   <= '0;
      sf_tail_q   <= '0;
      sf_count_q  <= '0;
    end else begin
      if (desc_valid_i && desc_ready_o) begin
        load_q[fill_q[AW-1:0]]   <= desc_load_i;
        keep_q[fill_q[AW-1:0]]   <= desc_keep_i;
        lbeats_q[fill_q[AW-1:0]] <= desc_load_beats_i;
        sbeats_q[fill_q[AW-1:0]] <= desc_store_beats_i;
        arrived_q[fill_q[AW-1:0]] <= 1'b0;
        fill_q <= fill_q + CW'(1);
      end
      if (run_i) begin
        next_load_q <= nl;
        held_q      <= held_v;
        kept_q      <= kept_v;
        computed_q  <= computed_q + CW'(fin);
        computing_q <= (computing_q && !fin) || go_o;
        stored_q    <= stored_now;
        overflow_q  <= overflow_o;
        if (load_landed) arrived_q[resp_tag] <= 1'b1;
        // Blocks before the one whose load goes now (or all queued ones, if none has a load left) are past.
        if (accept && pick_load) issue_q <= ld_blk + CW'(1);
        else if (!ld_ok) issue_q <= nl;
        if (accept) busy_q <= busy_q + 64'(req_beats);
        if (st_new && !st_direct) begin
          sf_beats_q[sf_tail_q] <= sbeats_q[head];
          sf_stamp_q[sf_tail_q] <= next_load_q;
          sf_tail_q             <= sf_tail_q + AW'(1);
        end
        if (accept && !pick_load && sf_count_q != '0) sf_head_q <= sf_head_q + AW'(1);
        sf_count_q <= sf_count_q + (AW+1)'(st_new && !st_direct) - (AW+1)'(accept && !pick_load && sf_count_q != '0);
      end
    end
  end
endmodule
