// qtsim op NAME: one golden operator on .npy tensors, for cross-checking against a user's own PyTorch code.
#include <boost/program_options.hpp>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>

#include "golden/bgemm.hpp"
#include "golden/gemm.hpp"
#include "golden/ilayernorm.hpp"
#include "golden/npy.hpp"
#include "golden/quantize.hpp"
#include "golden/requant.hpp"
#include "golden/shiftgelu.hpp"
#include "golden/shiftmax.hpp"
#include "sim/cli.hpp"
#include "sim/cli_args.hpp"
#include "sim/output.hpp"

namespace po = boost::program_options;
using namespace qtsim::golden;

namespace qtsim::sim {
namespace {

const char* kOpHelp =
    "usage: qtsim op NAME --in KEY=FILE.npy ... [--set KEY=VALUE ...] --out KEY=FILE.npy ...\n"
    "\n"
    "Runs one golden operator. Reductions run over the last axis. Integer outputs are written as int64.\n"
    "Scalars accept decimal and C99 hex-float literals (0x1.2dp-4), read exactly.\n"
    "\n"
    "  requant     in: z (integer), s_in (float32: 1 value or one per last-axis channel),\n"
    "                  [identity (integer), s_identity (float32, 1 value)]\n"
    "              set: s_out, bits (2..32), [rounding=half_even|half_up]\n"
    "              out: out, [m, e]\n"
    "  shiftmax    in: x (int8 logits)   set: scale, [out_bits=16|8], [numerator=pow2_31|pow2_31_minus_1]\n"
    "              out: out, [exp, factor]\n"
    "  shiftgelu   in: x (int8)          set: scale, [numerator]              out: out, [sigmoid]\n"
    "  ilayernorm  in: x (integer), gamma, beta (float32, one per channel)\n"
    "              set: [scale], [numerator]   out: out, [mean, var, std, bias_int]\n"
    "  gemm        in: a [..., K], b [N, K] (PyTorch Linear layout), [bias (int32, N)]\n"
    "              set: [a_type=int8|int4|uint16|...], [b_type=int8|int4]   out: out\n"
    "  bgemm       in: a [M, K], b [N, K], both +-1     out: out (XNOR-popcount dot products)\n"
    "  logsqrt2    in: p (Shiftmax probabilities, uint at scale 2^-15), [v [H, T, D] int8 with p [H, M, T]]\n"
    "              set: delta (float), [bits=4]   out: codes (-1 = zero), [even, odd] (shift-add attn @ v)\n";

struct OpArgs {
  std::string name;
  std::map<std::string, std::string> in, out, set;
  std::set<std::string> used_set;

  const std::string& input(const std::string& k) const {
    const auto it = in.find(k);
    if (it == in.end()) throw std::invalid_argument("op " + name + ": missing --in " + k + "=FILE.npy");
    return it->second;
  }
  bool has_in(const std::string& k) const { return in.count(k) > 0; }
  ITensor int_in(const std::string& k) const { return load_npy_int(input(k)); }
  // An input the unit reads as `t`: every value must fit it.
  ITensor int_in(const std::string& k, IntType t) const {
    ITensor x = int_in(k);
    for (int64_t i = 0; i < x.size(); ++i)
      if (!t.holds(x[i]))
        throw std::invalid_argument("op " + name + ": input " + k + " (" + input(k) + "): element " + std::to_string(i) + " = " +
                                    std::to_string(x[i]) + " is outside " + t.name());
    return x;
  }
  FTensor float_in(const std::string& k) const {
    FTensor x = load_npy_float(input(k));
    for (int64_t i = 0; i < x.size(); ++i)
      if (!std::isfinite(x[i]))
        throw std::invalid_argument("op " + name + ": input " + k + " (" + input(k) + "): element " + std::to_string(i) + " is not finite");
    return x;
  }

  const std::string* setting(const std::string& k) {
    used_set.insert(k);
    const auto it = set.find(k);
    return it == set.end() ? nullptr : &it->second;
  }
  float f32(const std::string& k, const float* fallback = nullptr) {
    const std::string* v = setting(k);
    if (!v) {
      if (fallback) return *fallback;
      throw std::invalid_argument("op " + name + ": missing --set " + k + "=VALUE");
    }
    char* end = nullptr;
    errno = 0;
    const float f = std::strtof(v->c_str(), &end);
    if (end == v->c_str() || *end != '\0' || errno == ERANGE)
      throw std::invalid_argument("op " + name + ": --set " + k + "=" + *v + " is not a float32 number");
    return f;
  }
  float positive(const std::string& k, const float* fallback = nullptr) {
    const float f = f32(k, fallback);
    if (!(f > 0) || !std::isfinite(f)) throw std::invalid_argument("op " + name + ": " + k + " must be finite and > 0, got " + (set.count(k) ? set.at(k) : std::to_string(f)));
    return f;
  }
  int64_t integer(const std::string& k, int64_t fallback) {
    const std::string* v = setting(k);
    if (!v) return fallback;
    char* end = nullptr;
    const long long x = std::strtoll(v->c_str(), &end, 0);
    if (end == v->c_str() || *end != '\0') throw std::invalid_argument("op " + name + ": --set " + k + "=" + *v + " is not an integer");
    return x;
  }
  std::string word(const std::string& k, const std::string& fallback) {
    const std::string* v = setting(k);
    return v ? *v : fallback;
  }
  Numerator numerator() {
    const std::string v = word("numerator", "pow2_31");
    if (v == "pow2_31") return Numerator::pow2_31;
    if (v == "pow2_31_minus_1") return Numerator::pow2_31_minus_1;
    throw std::invalid_argument("op " + name + ": numerator must be pow2_31 or pow2_31_minus_1, got " + v);
  }
  IntType int_type_setting(const std::string& k, const std::string& fallback) {
    const std::string v = word(k, fallback);
    IntType t;
    const bool is_u = v.rfind("uint", 0) == 0;
    const std::string digits = v.substr(is_u ? 4 : (v.rfind("int", 0) == 0 ? 3 : v.size()));
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
      throw std::invalid_argument("op " + name + ": " + k + " must look like int8, int4 or uint16, got " + v);
    t.bits = std::stoi(digits);
    t.is_signed = !is_u;
    return t;
  }
  void check_keys(const std::set<std::string>& ins, const std::set<std::string>& outs) const {
    for (const auto& [k, v] : in)
      if (!ins.count(k)) throw std::invalid_argument("op " + name + ": unknown input '" + k + "'");
    for (const auto& [k, v] : out)
      if (!outs.count(k)) throw std::invalid_argument("op " + name + ": unknown output '" + k + "'");
    for (const auto& [k, v] : set)
      if (!used_set.count(k)) throw std::invalid_argument("op " + name + ": unknown setting '" + k + "'");
    if (out.empty()) throw std::invalid_argument("op " + name + ": no --out given");
  }
};

std::map<std::string, std::string> pairs(const std::vector<std::string>& v, const char* flag) {
  std::map<std::string, std::string> m;
  for (const auto& s : v) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
      throw std::invalid_argument(std::string("--") + flag + " " + s + ": expected KEY=VALUE");
    if (!m.emplace(s.substr(0, eq), s.substr(eq + 1)).second)
      throw std::invalid_argument(std::string("--") + flag + " " + s.substr(0, eq) + " given twice");
  }
  return m;
}

// Results are computed in full before anything is written.
struct Results {
  std::map<std::string, ITensor> t;
  void put(const std::string& k, ITensor v) { t[k] = std::move(v); }
};

void op_requant(OpArgs& a, Results& r) {
  const ITensor z = a.int_in("z");
  const FTensor s_in = a.float_in("s_in");
  const float s_out = a.positive("s_out");
  const int bits = static_cast<int>(a.integer("bits", 8));
  const std::string rounding = a.word("rounding", "half_even");
  if (rounding != "half_even" && rounding != "half_up")
    throw std::invalid_argument("op requant: rounding must be half_even or half_up, got " + rounding);
  Requant q;
  q.bits = bits;
  q.rounding = rounding == "half_even" ? Rounding::half_even : Rounding::half_up;
  for (float s : s_in.data) {
    if (!(s > 0)) throw std::invalid_argument("op requant: s_in values must be > 0");
    q.mult.push_back(dyadic_from_scales(s, s_out));
  }
  if (s_in.size() != 1 && s_in.size() != z.last())
    throw std::invalid_argument("op requant: s_in has " + std::to_string(s_in.size()) + " values; need 1 or " +
                                std::to_string(z.last()) + " (last axis of z)");
  if (a.has_in("identity")) {
    const ITensor id = a.int_in("identity");
    const FTensor s_id = a.float_in("s_identity");
    if (s_id.size() != 1) throw std::invalid_argument("op requant: s_identity must hold one value");
    if (!(s_id[0] > 0)) throw std::invalid_argument("op requant: s_identity must be > 0");
    r.put("out", requant_add(z, q, id, {dyadic_from_scales(s_id[0], s_out)}));
  } else {
    r.put("out", requant(z, q));
  }
  std::vector<int64_t> m, e;
  for (const Dyadic& d : q.mult) m.push_back(d.m), e.push_back(d.e);
  r.put("m", ITensor({static_cast<int64_t>(m.size())}, m));
  r.put("e", ITensor({static_cast<int64_t>(e.size())}, e));
}

void op_shiftmax(OpArgs& a, Results& r) {
  ShiftmaxParams p;
  p.scale = a.positive("scale");
  p.out_bits = static_cast<int>(a.integer("out_bits", 16));
  p.numerator = a.numerator();
  ShiftmaxTaps taps;
  r.put("out", shiftmax(a.int_in("x", int_type(8)), p, &taps));
  r.put("exp", taps.exp);
  r.put("factor", taps.factor);
}

void op_shiftgelu(OpArgs& a, Results& r) {
  ShiftGeluParams p;
  p.scale = a.positive("scale");
  p.numerator = a.numerator();
  ShiftGeluTaps taps;
  r.put("out", shiftgelu(a.int_in("x", int_type(8)), p, &taps));
  r.put("sigmoid", taps.sigmoid);
}

void op_ilayernorm(OpArgs& a, Results& r) {
  ILayerNormParams p;
  const float one = 1.0f;
  p.scale = a.positive("scale", &one);
  p.numerator = a.numerator();
  p.gamma = a.float_in("gamma").data;
  p.beta = a.float_in("beta").data;
  const ITensor x = a.int_in("x");
  ILayerNormTaps taps;
  r.put("out", ilayernorm(x, p, &taps));
  r.put("mean", taps.mean);
  r.put("var", taps.var);
  r.put("std", taps.std);
  r.put("bias_int", ITensor({static_cast<int64_t>(taps.bias_int.size())}, taps.bias_int));
}

void op_gemm(OpArgs& a, Results& r) {
  const IntType at = a.int_type_setting("a_type", "int8"), bt = a.int_type_setting("b_type", "int8");
  std::vector<int64_t> bias;
  if (a.has_in("bias")) bias = a.int_in("bias").data;
  r.put("out", gemm(a.int_in("a"), a.int_in("b"), bias, at, bt));
}

void op_bgemm(OpArgs& a, Results& r) {
  const ITensor x = a.int_in("a"), w = a.int_in("b");
  if (x.shape.size() != 2 || w.shape.size() != 2) throw std::invalid_argument("op bgemm: a and b must be 2-D");
  r.put("out", bgemm(pack_signs(x), pack_signs(w)));
}

void op_logsqrt2(OpArgs& a, Results& r) {
  const float delta = a.positive("delta");
  const int bits = static_cast<int>(a.integer("bits", 4));
  if (bits < 2 || bits > 8) throw std::invalid_argument("op logsqrt2: bits must be in 2..8");
  const std::vector<int64_t> th = logsqrt2_thresholds(delta, bits);
  ITensor codes = a.int_in("p");
  for (auto& v : codes.data) v = logsqrt2_code_int(v, th);
  if (a.has_in("v")) {
    LogSqrt2Acc acc = logsqrt2_attn_v(codes, a.int_in("v"), bits);
    r.put("even", std::move(acc.even));
    r.put("odd", std::move(acc.odd));
  }
  r.put("codes", std::move(codes));
}

struct OpDef {
  void (*run)(OpArgs&, Results&);
  std::set<std::string> ins, outs;
};

const std::map<std::string, OpDef>& op_table() {
  static const std::map<std::string, OpDef> t{
      {"requant", {op_requant, {"z", "s_in", "identity", "s_identity"}, {"out", "m", "e"}}},
      {"shiftmax", {op_shiftmax, {"x"}, {"out", "exp", "factor"}}},
      {"shiftgelu", {op_shiftgelu, {"x"}, {"out", "sigmoid"}}},
      {"ilayernorm", {op_ilayernorm, {"x", "gamma", "beta"}, {"out", "mean", "var", "std", "bias_int"}}},
      {"gemm", {op_gemm, {"a", "b", "bias"}, {"out"}}},
      {"bgemm", {op_bgemm, {"a", "b"}, {"out"}}},
      {"logsqrt2", {op_logsqrt2, {"p", "v"}, {"codes", "even", "odd"}}},
  };
  return t;
}

}  // namespace

int cmd_op(int argc, const char* const* argv) {
  po::options_description opts("options");
  std::vector<std::string> ins, outs, sets;
  opts.add_options()("help,h", "explain the operators and their keys")(
      "in", po::value(&ins)->composing(), "KEY=FILE.npy input tensor")("set", po::value(&sets)->composing(),
                                                                         "KEY=VALUE scalar setting")(
      "out", po::value(&outs)->composing(), "KEY=FILE.npy output tensor");
  std::vector<std::string> positional;
  if (!parse_args(argc, argv, opts, positional, 1, std::string(kOpHelp) + "\n")) return 0;
  const std::string name = positional.empty() ? std::string() : positional[0];
  if (name.empty()) throw std::invalid_argument("missing operator NAME (see qtsim op --help)");
  const auto it = op_table().find(name);
  if (it == op_table().end()) throw std::invalid_argument("unknown operator '" + name + "' (see qtsim op --help)");
  OpArgs a;
  a.name = name;
  a.in = pairs(ins, "in");
  a.out = pairs(outs, "out");
  a.set = pairs(sets, "set");
  for (const auto& [k, v] : a.in)
    if (!it->second.ins.count(k)) throw std::invalid_argument("op " + name + ": unknown input '" + k + "'");
  Results r;
  it->second.run(a, r);
  a.check_keys(it->second.ins, it->second.outs);
  OutputSet files;
  for (const auto& [k, path] : a.out) {
    const auto rt = r.t.find(k);
    if (rt == r.t.end()) throw std::invalid_argument("op " + name + ": output '" + k + "' needs inputs that were not given");
    files.add(path, encode_npy(rt->second, DType::i64));
  }
  files.commit();
  return 0;
}

}  // namespace qtsim::sim
