#include "models/isa/execute.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <random>
#include <stdexcept>

#include "golden/gemm.hpp"
#include "golden/gemm_group4.hpp"
#include "golden/ilayernorm.hpp"
#include "golden/quantize.hpp"
#include "golden/requant.hpp"
#include "golden/shiftgelu.hpp"
#include "golden/shiftmax.hpp"
#include "models/isa/elements.hpp"

namespace qtsim::isa {

namespace {
class Exec {
 public:
  Exec(const Instr& in, Memories& m, size_t index) : in_(in), m_(m), index_(index) {}

  [[noreturn]] void fail(F field, const std::string& why) const {
    throw IsaError("instruction " + std::to_string(index_) + " (" + opcode_name(in_.op) + "): field " + field_name(field) + ": " + why);
  }
  // `bytes` of scratchpad `sp` from `addr`, checked to lie inside it.
  uint8_t* sp(Space s, int64_t addr, int64_t bytes, F field) const {
    std::vector<uint8_t>& mem = m_.sp[static_cast<size_t>(s)];
    if (addr < 0 || addr + bytes > static_cast<int64_t>(mem.size()))
      fail(field, std::string("bytes [") + std::to_string(addr) + ", " + std::to_string(addr + bytes) + ") lie outside scratchpad " + space_name(s) +
                      " of " + std::to_string(mem.size()) + " bytes");
    return mem.data() + addr;
  }
  uint8_t* dram(int64_t addr, int64_t bytes) const {
    if (addr < 0 || addr + bytes > static_cast<int64_t>(m_.dram.size()))
      fail(F::dram, "bytes [" + std::to_string(addr) + ", " + std::to_string(addr + bytes) + ") lie outside the DRAM image of " +
                        std::to_string(m_.dram.size()) + " bytes");
    return m_.dram.data() + addr;
  }
  // An operand of rows x cols elements, rows contiguous: its scratchpad, address and type fields.
  struct Operand {
    uint8_t* base;
    Dtype dt;
    int64_t row_bytes;
    const uint8_t* row(int64_t r) const { return base + r * row_bytes; }
    uint8_t* row(int64_t r) { return base + r * row_bytes; }
  };
  Operand operand(F sp_f, F addr_f, F type_f, int64_t rows, int64_t cols, int64_t stride = 0) const {
    const Dtype d = in_.dtype(type_f);
    const int64_t rb = row_bytes(d, cols), st = stride ? stride : rb;
    if (st < rb && rows > 1) fail(addr_f, "rows of " + std::to_string(rb) + " bytes overlap at a stride of " + std::to_string(st));
    return {sp(in_.space(sp_f), in_[addr_f], rows > 0 ? (rows - 1) * st + rb : 0, addr_f), d, st};
  }
  void put(Operand& o, int64_t r, int64_t j, int64_t v, F field) const {
    if (!set_element(o.row(r), o.dt, j, v))
      fail(field, "result " + std::to_string(v) + " at row " + std::to_string(r) + ", column " + std::to_string(j) + " does not fit " + dtype_name(o.dt));
  }
  std::vector<int64_t> table(F field, int64_t entries, Dtype d, int64_t stride = 0) const {
    const int64_t esz = row_bytes(d, 1);
    if (!stride) stride = esz;
    std::vector<int64_t> v(static_cast<size_t>(entries));
    const uint8_t* t = sp(Space::wt, in_[field], entries ? (entries - 1) * stride + esz : 0, field);
    for (int64_t i = 0; i < entries; ++i) v[static_cast<size_t>(i)] = get_element(t + i * stride, d, 0);
    return v;
  }

  void run() {
    switch (in_.op) {
      case Opcode::load:
      case Opcode::store: dma(); break;
      case Opcode::gemm: gemm(); break;
      case Opcode::fold: fold(); break;
      case Opcode::shift_add: shift_add(); break;
      case Opcode::shiftmax:
      case Opcode::shiftgelu:
      case Opcode::ilayernorm: row_unit(); break;
      default: lanes(); break;
    }
  }

 private:
  const Instr& in_;
  Memories& m_;
  size_t index_;

  void dma() {
    const Dtype d = in_.dtype(F::dtype);
    const int64_t rows = in_[F::rows], cols = in_[F::cols], rb = row_bytes(d, cols), es = in_[F::dram_estride], esz = element_bytes(d);
    if (es && !esz) fail(F::dram_estride, std::string("elements of ") + dtype_name(d) + " are not whole bytes and cannot be gathered or scattered");
    if (in_[F::stride] < rb && rows > 1) fail(F::stride, "rows of " + std::to_string(rb) + " bytes overlap at a stride of " + std::to_string(in_[F::stride]));
    const bool load = in_.op == Opcode::load;
    for (int64_t r = 0; r < rows; ++r) {
      uint8_t* s = sp(in_.space(F::sp), in_[F::addr] + r * in_[F::stride], rb, F::addr);
      const int64_t d0 = in_[F::dram] + r * in_[F::dram_stride];
      if (!es) {
        uint8_t* x = dram(d0, rb);
        if (load) std::memcpy(s, x, static_cast<size_t>(rb));
        else std::memcpy(x, s, static_cast<size_t>(rb));
        continue;
      }
      for (int64_t j = 0; j < cols; ++j) {
        uint8_t* x = dram(d0 + j * es, esz);
        if (load) std::memcpy(s + j * esz, x, static_cast<size_t>(esz));
        else std::memcpy(x, s + j * esz, static_cast<size_t>(esz));
      }
    }
  }

  void gemm() {
    const int64_t m = in_[F::m], k = in_[F::k], n = in_[F::n], ones = in_[F::ones];
    const Dtype at = in_.dtype(F::a_type), bt = in_.dtype(F::b_type);
    if ((at == Dtype::bits) != (bt == Dtype::bits)) fail(F::b_type, "a binary GEMM takes bits for both operands");
    if (bt != Dtype::i8 && bt != Dtype::i4 && bt != Dtype::u4 && bt != Dtype::bits)
      fail(F::b_type, std::string("the PE's weight operand is 8 bits (i8, i4, u4 or bits), not ") + dtype_name(bt));
    if (at == Dtype::i32 || at == Dtype::i64 || at == Dtype::i128 || at == Dtype::u4) fail(F::a_type, std::string("the PE's activation operand is at most 16 bits, not ") + dtype_name(at));
    const Operand a = operand(F::a_sp, F::a, F::a_type, m, k, in_[F::a_stride]);
    const Operand b = operand(F::b_sp, F::b, F::b_type, n, k, in_[F::b_stride]);
    uint8_t* c = sp(Space::acc, in_[F::c], m * (n + ones) * 4, F::c);
    // +-1 bits, int4 and int8 weights as int8; activations as int16 (the PE multiplier is 16 x 8 bits)
    std::vector<int16_t> a16(static_cast<size_t>(m * k));
    std::vector<int8_t> b8(static_cast<size_t>(n * k));
    bool a_fits8 = true;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < k; ++j) {
        const int64_t v = get_element(a.row(i), at, j);
        if (v < INT16_MIN || v > INT16_MAX) fail(F::a_type, "activation " + std::to_string(v) + " passes the PE's 16-bit operand");
        a16[static_cast<size_t>(i * k + j)] = static_cast<int16_t>(v);
        a_fits8 = a_fits8 && v >= INT8_MIN && v <= INT8_MAX;
      }
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < k; ++j) b8[static_cast<size_t>(i * k + j)] = static_cast<int8_t>(get_element(b.row(i), bt, j));
    std::vector<int32_t> prod(static_cast<size_t>(m * n));
    if (a_fits8 && k < 131072) {
      std::vector<int8_t> a8(a16.begin(), a16.end());
      golden::gemm_s8(a8.data(), b8.data(), nullptr, m, k, n, prod.data());
    } else if (k <= 512) {
      golden::gemm_i16s8(a16.data(), b8.data(), nullptr, m, k, n, prod.data());
    } else {
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          int64_t s = 0;
          for (int64_t x = 0; x < k; ++x) s += int64_t{a16[static_cast<size_t>(i * k + x)]} * b8[static_cast<size_t>(j * k + x)];
          if (s < INT32_MIN || s > INT32_MAX) fail(F::k, "a dot product passes the int32 accumulator");
          prod[static_cast<size_t>(i * n + j)] = static_cast<int32_t>(s);
        }
    }
    const int64_t cw = n + ones;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < cw; ++j) {
        int64_t v = 0;
        if (j < n) v = prod[static_cast<size_t>(i * n + j)];
        else
          for (int64_t x = 0; x < k; ++x) v += a16[static_cast<size_t>(i * k + x)];
        uint8_t* cell = c + (i * cw + j) * 4;
        if (in_[F::accumulate]) v += get_element(cell, Dtype::i32, 0);
        if (!set_element(cell, Dtype::i32, 0, v)) fail(F::c, "accumulator " + std::to_string(v) + " passes int32");
      }
  }

  void lanes() {
    const int64_t rows = in_[F::rows], cols = in_[F::cols];
    const Operand x = operand(F::x_sp, F::x, F::x_type, rows, cols);
    Operand o = operand(F::o_sp, F::o, F::o_type, rows, cols);
    const bool two = in_.op == Opcode::add_requant;
    const Operand y = two ? operand(F::y_sp, F::y, F::y_type, rows, cols) : x;
    golden::Requant q;
    std::vector<int64_t> t1, t2;
    switch (in_.op) {
      case Opcode::requant:
      case Opcode::add_requant: {
        const std::vector<int64_t> t = table(F::tab, 2 * in_[F::ntab], Dtype::i32);
        for (int64_t i = 0; i < in_[F::ntab]; ++i) q.mult.push_back({t[static_cast<size_t>(2 * i)], static_cast<int>(t[static_cast<size_t>(2 * i + 1)])});
        q.group = static_cast<int>(in_[F::group]), q.bits = static_cast<int>(in_[F::bits]);
        q.rounding = in_[F::round] ? golden::Rounding::half_up : golden::Rounding::half_even;
        if (q.mult.empty()) fail(F::ntab, "no multipliers");
        if (q.mult.size() > 1 && (q.group < 1 || (cols + q.group - 1) / q.group > static_cast<int64_t>(q.mult.size())))
          fail(F::ntab, std::to_string(q.mult.size()) + " multipliers do not cover " + std::to_string(cols) + " channels in groups of " + std::to_string(q.group));
        break;
      }
      case Opcode::binarize: t1 = table(F::tab, cols, Dtype::i64); break;
      case Opcode::affine: t1 = table(F::tab, cols, Dtype::i64), t2 = table(F::tab2, cols, Dtype::i64); break;
      case Opcode::codes: t1 = table(F::tab, in_[F::ntab], Dtype::i64); break;
      default: break;
    }
    const golden::Dyadic id{in_[F::im], static_cast<int>(in_[F::ie])};
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) {
        const int64_t v = get_element(x.row(r), x.dt, j);
        int64_t out = 0;
        switch (in_.op) {
          case Opcode::requant: out = golden::requant_element(v, q, j); break;
          case Opcode::add_requant: out = golden::requant_add_element(v, q, get_element(y.row(r), y.dt, j), id, j); break;
          case Opcode::binarize: out = golden::binarize_value(v, t1[static_cast<size_t>(j)]); break;
          case Opcode::affine: out = golden::affine_value(v, t1[static_cast<size_t>(j)], t2[static_cast<size_t>(j)]); break;
          case Opcode::mask: out = golden::mask_value(v, in_[F::imm]); break;
          default: out = golden::logsqrt2_code_int(v, t1); break;
        }
        put(o, r, j, out, F::o);
      }
  }

  void fold() {
    const int64_t rows = in_[F::rows], cols = in_[F::cols], ts = in_[F::tab_stride];
    const Operand p = operand(F::x_sp, F::x, F::x_type, rows, cols + 1);
    Operand w = operand(F::y_sp, F::y, F::y_type, rows, cols);
    Operand o = operand(F::o_sp, F::o, F::o_type, rows, cols);
    if (p.dt != Dtype::i32 || w.dt != Dtype::i128) fail(F::y_type, "the fold reads i32 partial sums into i128 accumulators");
    const std::vector<int64_t> zero = table(F::tab, cols, Dtype::i64, ts), mult = table(F::tab2, cols, Dtype::i64, ts), bias = table(F::tab3, cols, Dtype::i64);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t s = get_element(p.row(r), Dtype::i32, cols);  // the ones column: the group's activation sum
      for (int64_t j = 0; j < cols; ++j) {
        __int128 acc = in_[F::first] ? golden::group4_bias_term(bias[static_cast<size_t>(j)]) : get_wide(w.row(r), j);
        acc += golden::group4_term(get_element(p.row(r), Dtype::i32, j), s, zero[static_cast<size_t>(j)], mult[static_cast<size_t>(j)]);
        set_wide(w.row(r), j, acc);
        if (in_[F::last]) {
          int64_t v = 0;
          try {
            v = golden::group4_narrow(acc);
          } catch (const std::overflow_error& e) {
            fail(F::last, e.what());
          }
          put(o, r, j, v, F::o);
        }
      }
    }
  }

  void shift_add() {
    const int64_t rows = in_[F::rows], d = in_[F::cols], t = in_[F::k];
    const int bits = static_cast<int>(in_[F::bits]);
    if (bits < 1 || bits > golden::kLogSqrt2MaxBits) fail(F::bits, "code widths are 1.." + std::to_string(golden::kLogSqrt2MaxBits));
    const Operand codes = operand(F::x_sp, F::x, F::x_type, rows, t);
    const Operand v = operand(F::y_sp, F::y, F::y_type, d, t);
    Operand even = operand(F::o_sp, F::o, F::o_type, rows, d);
    Operand odd{sp(in_.space(F::o_sp), in_[F::o2], rows * even.row_bytes, F::o2), even.dt, even.row_bytes};
    for (int64_t r = 0; r < rows; ++r) {
      std::vector<int64_t> se(static_cast<size_t>(d)), so(static_cast<size_t>(d));
      for (int64_t key = 0; key < t; ++key) {
        const int64_t q = get_element(codes.row(r), codes.dt, key);
        if (q == golden::kLogZero) continue;
        std::vector<int64_t>& dst = q % 2 == 0 ? se : so;
        for (int64_t c = 0; c < d; ++c) dst[static_cast<size_t>(c)] += golden::logsqrt2_shift_term(get_element(v.row(c), v.dt, key), q, bits);
      }
      for (int64_t c = 0; c < d; ++c) put(even, r, c, se[static_cast<size_t>(c)], F::o), put(odd, r, c, so[static_cast<size_t>(c)], F::o2);
    }
  }

  void row_unit() {
    const int64_t rows = in_[F::rows], cols = in_[F::cols];
    if (cols < 1) fail(F::cols, "a row needs at least one element");
    const Operand x = operand(F::x_sp, F::x, F::x_type, rows, cols);
    Operand o = operand(F::o_sp, F::o, F::o_type, rows, cols);
    const golden::Numerator num = in_[F::num] ? golden::Numerator::pow2_31_minus_1 : golden::Numerator::pow2_31;
    std::vector<int64_t> bias;
    if (in_.op == Opcode::ilayernorm) bias = table(F::tab, cols, Dtype::i64);
    if (in_.op == Opcode::shiftmax && in_[F::bits] != 8 && in_[F::bits] != 16) fail(F::bits, "Shiftmax outputs 8 or 16 bits");
    if (in_.op != Opcode::ilayernorm && in_[F::imm] >= 0) fail(F::imm, "x0 = floor(-1/s) is negative");
    std::vector<int64_t> xv(static_cast<size_t>(cols)), ov(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < cols; ++j) xv[static_cast<size_t>(j)] = get_element(x.row(r), x.dt, j);
      if (in_.op == Opcode::shiftmax) golden::shiftmax_row_int(xv.data(), cols, in_[F::imm], static_cast<int>(in_[F::bits]), num, ov.data());
      else if (in_.op == Opcode::shiftgelu) golden::shiftgelu_row_int(xv.data(), cols, in_[F::imm], num, ov.data());
      else golden::ilayernorm_row(xv.data(), cols, bias.data(), num, ov.data());
      for (int64_t j = 0; j < cols; ++j) put(o, r, j, ov[static_cast<size_t>(j)], F::o);
    }
  }
};
}  // namespace

void execute(const Instr& in, Memories& m, size_t index) { Exec(in, m, index).run(); }

void apply_probe(const Probe& p, Memories& m, std::vector<uint8_t>& probed) {
  if (probed.empty()) probed.assign(m.dram.size(), 0);
  std::swap(m.dram, probed);  // the store's own semantics, writing into the probe image
  try {
    execute(p.store, m, static_cast<size_t>(p.after));
  } catch (...) {
    std::swap(m.dram, probed);
    throw;
  }
  std::swap(m.dram, probed);
}

FunctionalRun run_functional(const std::vector<Instr>& code, Memories& m, uint64_t seed, const std::vector<Probe>& probes,
                             std::vector<uint8_t>* probed) {
  if (!probes.empty() && !probed) throw std::invalid_argument("run_functional: probes need a probe image");
  std::array<std::deque<size_t>, kQueues> queues;
  for (size_t i = 0; i < code.size(); ++i) queues[static_cast<size_t>(queue_of(code[i].op))].push_back(i);
  std::array<std::array<int64_t, kQueues>, kQueues> tokens{};  // [from][to]
  FunctionalRun run;
  auto ready = [&](int q) {
    if (queues[static_cast<size_t>(q)].empty()) return false;
    const Instr& in = code[queues[static_cast<size_t>(q)].front()];
    for (int p = 0; p < kQueues; ++p)
      if (((in[F::wait] >> p) & 1) && tokens[static_cast<size_t>(p)][static_cast<size_t>(q)] == 0) return false;
    return true;
  };
  std::mt19937_64 rng(seed);
  size_t next = 0;  // program order
  std::vector<int> candidates;
  while (run.executed < static_cast<int64_t>(code.size())) {
    int q = -1;
    if (seed == 0) {
      q = static_cast<int>(queue_of(code[next].op));
      if (!ready(q)) throw IsaError("instruction " + std::to_string(next) + " (" + opcode_name(code[next].op) + "): field wait: a token it waits for was never signalled");
      ++next;
    } else {
      candidates.clear();
      for (int x = 0; x < kQueues; ++x)
        if (ready(x)) candidates.push_back(x);
      if (candidates.empty()) {
        std::string heads;
        for (int x = 0; x < kQueues; ++x)
          if (!queues[static_cast<size_t>(x)].empty()) heads += " " + std::string(queue_name(static_cast<Queue>(x))) + ":" + std::to_string(queues[static_cast<size_t>(x)].front());
        throw IsaError("deadlock: no queue head has its tokens (heads" + heads + ")");
      }
      q = candidates[static_cast<size_t>(rng() % candidates.size())];
    }
    const size_t i = queues[static_cast<size_t>(q)].front();
    queues[static_cast<size_t>(q)].pop_front();
    const Instr& in = code[i];
    for (int p = 0; p < kQueues; ++p)
      if ((in[F::wait] >> p) & 1) --tokens[static_cast<size_t>(p)][static_cast<size_t>(q)];
    execute(in, m, i);
    auto at = std::lower_bound(probes.begin(), probes.end(), static_cast<int64_t>(i), [](const Probe& p, int64_t x) { return p.after < x; });
    for (; at != probes.end() && at->after == static_cast<int64_t>(i); ++at) apply_probe(*at, m, *probed);
    for (int p = 0; p < kQueues; ++p)
      if ((in[F::signal] >> p) & 1) run.max_tokens = std::max(run.max_tokens, ++tokens[static_cast<size_t>(q)][static_cast<size_t>(p)]);
    ++run.executed;
  }
  for (const auto& row : tokens)
    for (int64_t t : row) run.unconsumed += t;
  return run;
}

}  // namespace qtsim::isa
