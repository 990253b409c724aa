// safetensors: round trips, half-precision widening against hand-computed values, and malformed files.
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>

#include "golden/safetensors.hpp"

using namespace qtsim::golden;

namespace {
std::string tmp(const std::string& name) { return "/tmp/qtsim_st_" + name; }
void write_raw(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }
std::string with_header(const std::string& json, const std::string& data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((json.size() >> (8 * i)) & 0xFF);
  return out + json + data;
}
std::string read_error(const std::string& bytes) {
  write_raw(tmp("bad.safetensors"), bytes);
  try {
    read_safetensors(tmp("bad.safetensors"));
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("safetensors round trip of float and integer tensors", "[golden][safetensors]") {
  NpyArray w;
  w.dtype = DType::f32;
  w.shape = {2, 2};
  const float vals[] = {0.5f, -1.0f, 3.25f, 1e-3f};
  w.bytes.resize(16);
  std::memcpy(w.bytes.data(), vals, 16);
  NpyArray q;
  q.dtype = DType::i8;
  q.shape = {3};
  q.bytes = {0x80, 0x00, 0x7F};
  write_raw(tmp("ok.safetensors"), encode_safetensors({{"w", w}, {"q", q}}));
  const auto t = read_safetensors(tmp("ok.safetensors"));
  REQUIRE(t.size() == 2);
  CHECK(npy_to_float(t.at("w"), "w").data == std::vector<float>{0.5f, -1.0f, 3.25f, 1e-3f});
  CHECK(npy_to_int(t.at("q"), "q").data == std::vector<int64_t>{-128, 0, 127});
  CHECK(t.at("w").shape == Shape{2, 2});
}

TEST_CASE("F16 and BF16 widen to float32 exactly", "[golden][safetensors]") {
  // F16: 0x3C00 = 1, 0xC000 = -2, 0x0001 = 2^-24 (subnormal), 0x7BFF = 65504; BF16: 0x3F80 = 1, 0xC0A0 = -5
  const std::string data("\x00\x3C\x00\xC0\x01\x00\xFF\x7B\x80\x3F\xA0\xC0", 12);
  write_raw(tmp("half.safetensors"),
            with_header(R"({"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},"__metadata__":{"format":"pt"}})", data));
  const auto t = read_safetensors(tmp("half.safetensors"));
  CHECK(npy_to_float(t.at("h"), "h").data == std::vector<float>{1.0f, -2.0f, 0x1p-24f, 65504.0f});
  CHECK(npy_to_float(t.at("b"), "b").data == std::vector<float>{1.0f, -5.0f});
}

TEST_CASE("malformed safetensors files give clear errors, never a crash", "[golden][safetensors]") {
  CHECK_THAT(read_error("abc"), Catch::Contains("no header length"));
  CHECK_THAT(read_error(with_header("{}", "").substr(0, 8) + "{"), Catch::Contains("exceeds the file"));
  CHECK_THAT(read_error(with_header("{not json", "")), Catch::Contains("bad JSON header"));
  // header lies: 4 floats need 16 bytes, offsets give 8
  CHECK_THAT(read_error(with_header(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}})", std::string(16, '\0'))),
             Catch::Contains("tensor 'w'") && Catch::Contains("needs 16 bytes, offsets give 8"));
  // truncated: offsets run past the data
  CHECK_THAT(read_error(with_header(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", std::string(10, '\0'))),
             Catch::Contains("outside the 10 data bytes"));
  CHECK_THAT(read_error(with_header(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}})", std::string(16, '\0'))),
             Catch::Contains("outside"));
  CHECK_THAT(read_error(with_header(R"({"w":{"dtype":"Q4","shape":[4],"data_offsets":[0,2]}})", std::string(2, '\0'))),
             Catch::Contains("unsupported dtype Q4"));
  CHECK_THAT(read_error(with_header(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", std::string(4, '\0'))),
             Catch::Contains("non-negative"));
  CHECK_THAT(read_error(with_header(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", std::string(4, '\0'))),
             Catch::Contains("too large"));
  CHECK_THAT(read_error(with_header(R"({"w":{"shape":[1]}})", "")), Catch::Contains("needs dtype, shape and data_offsets"));
}
