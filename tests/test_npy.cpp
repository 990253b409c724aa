// .npy round trips for every dtype, and clear errors for malformed files.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "golden/npy.hpp"

using namespace qtsim::golden;

namespace {
std::string tmp(const std::string& name) { return std::string("/tmp/qtsim_test_") + name; }
void write_raw(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }
}  // namespace

TEST_CASE("npy integer round trip in every integer dtype", "[golden][npy]") {
  const ITensor t({2, 3}, {-5, 0, 7, 100, -100, 1});
  for (DType d : {DType::i8, DType::i16, DType::i32, DType::i64}) {
    save_npy(tmp("i.npy"), t, d);
    const NpyArray a = read_npy(tmp("i.npy"));
    CHECK(a.dtype == d);
    CHECK(npy_to_int(a, "t").data == t.data);
    CHECK(npy_to_int(a, "t").shape == t.shape);
  }
  const ITensor u({3}, {0, 200, 255});
  for (DType d : {DType::u8, DType::u16, DType::u32}) {
    save_npy(tmp("u.npy"), u, d);
    CHECK(load_npy_int(tmp("u.npy")).data == u.data);
  }
  CHECK_THROWS_WITH(save_npy(tmp("bad.npy"), ITensor({1}, {300}), DType::i8), Catch::Contains("does not fit int8"));
  std::ifstream leftover(tmp("bad.npy"));
  CHECK(!leftover.good());  // nothing half-written
}

TEST_CASE("npy float round trip and scalars", "[golden][npy]") {
  const FTensor f({4}, {0.5f, -1.25f, 3e-8f, 1e30f});
  save_npy(tmp("f.npy"), f);
  CHECK(load_npy_float(tmp("f.npy")).data == f.data);
  save_npy(tmp("d.npy"), f, DType::f64);
  CHECK(read_npy(tmp("d.npy")).dtype == DType::f64);
  CHECK(load_npy_float(tmp("d.npy")).data == f.data);  // float32 values survive the round trip through float64
  save_npy(tmp("s.npy"), ITensor({}, {42}));
  CHECK(load_npy_int(tmp("s.npy")).shape.empty());
  CHECK(load_npy_int(tmp("s.npy")).data == std::vector<int64_t>{42});
  CHECK_THROWS_WITH(load_npy_int(tmp("f.npy")), Catch::Contains("expected an integer array"));
}

TEST_CASE("malformed npy files give errors that name the file and the reason", "[golden][npy]") {
  CHECK_THROWS_WITH(read_npy(tmp("missing.npy")), Catch::Contains("missing.npy") && Catch::Contains("cannot open"));
  write_raw(tmp("magic.npy"), "NOTNUMPY........");
  CHECK_THROWS_WITH(read_npy(tmp("magic.npy")), Catch::Contains("bad magic"));
  save_npy(tmp("t.npy"), ITensor({100}, std::vector<int64_t>(100, 1)));
  std::ifstream in(tmp("t.npy"), std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  write_raw(tmp("trunc.npy"), all.substr(0, all.size() - 8));
  CHECK_THROWS_WITH(read_npy(tmp("trunc.npy")), Catch::Contains("truncated data"));
  std::string fortran = all;
  fortran.replace(fortran.find("False"), 5, "True ");
  write_raw(tmp("fortran.npy"), fortran);
  CHECK_THROWS_WITH(read_npy(tmp("fortran.npy")), Catch::Contains("Fortran"));
  std::string big = all;
  big.replace(big.find("<i8"), 3, ">i8");
  write_raw(tmp("bigendian.npy"), big);
  CHECK_THROWS_WITH(read_npy(tmp("bigendian.npy")), Catch::Contains("unsupported dtype"));
}

namespace {
// A version 1.0 .npy of int8 with the header's shape text as given and `data` bytes after it.
std::string npy_with_shape(const std::string& shape, size_t data) {
  std::string h = "{'descr': '|i1', 'fortran_order': False, 'shape': " + shape + ", }";
  h.resize(118, ' ');
  h += '\n';
  std::string f = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(h.size() & 0xff) + static_cast<char>(h.size() >> 8) + h;
  return f + std::string(data, '\0');
}
}  // namespace

TEST_CASE("npy shapes are read strictly and their size cannot wrap", "[golden][npy]") {
  // Accepted: the tuple forms NumPy writes, checked by the element count they imply.
  write_raw(tmp("s0.npy"), npy_with_shape("()", 1));
  CHECK(read_npy(tmp("s0.npy")).shape.empty());
  write_raw(tmp("s1.npy"), npy_with_shape("(3,)", 3));
  CHECK(read_npy(tmp("s1.npy")).shape == Shape{3});
  write_raw(tmp("s2.npy"), npy_with_shape("(0, 5)", 0));
  CHECK(read_npy(tmp("s2.npy")).shape == Shape{0, 5});
  // Refused, naming the dimension: a sign, a fraction, a word, a number past int64.
  for (const char* bad : {"(-4, 4)", "(4.5, 4)", "(four,)", "(4, 99999999999999999999)", "(4,,4)"}) {
    write_raw(tmp("sb.npy"), npy_with_shape(bad, 16));
    CHECK_THROWS_WITH(read_npy(tmp("sb.npy")), Catch::Contains("sb.npy") && Catch::Contains("is not a non-negative integer"));
  }
  // 2^30 * 2^30 * 2^30 wraps 64 bits: the product is refused as data the file lacks, never allocated.
  write_raw(tmp("sw.npy"), npy_with_shape("(1073741824, 1073741824, 1073741824)", 16));
  CHECK_THROWS_WITH(read_npy(tmp("sw.npy")), Catch::Contains("truncated data") && Catch::Contains("more than 2^64"));
  // 2^31 * 2^31 * 4 wraps to 0 bytes, which any file holds: refused all the same.
  write_raw(tmp("sw.npy"), npy_with_shape("(2147483648, 2147483648, 4)", 16));
  CHECK_THROWS_WITH(read_npy(tmp("sw.npy")), Catch::Contains("truncated data") && Catch::Contains("more than 2^64"));
  // An empty array whose other dimensions multiply past 2^63: 0 bytes, but numel() would overflow on the
  // way to the zero (found by tests/fuzz/fuzz_npy): 2^59 * 16 = 2^63 does not fit, 2^59 * 15 does.
  write_raw(tmp("sz.npy"), npy_with_shape("(576460752303423488, 0, 16)", 0));
  CHECK_THROWS_WITH(read_npy(tmp("sz.npy")), Catch::Contains("sz.npy") && Catch::Contains("other than zeros multiply past 2^63"));
  write_raw(tmp("sz.npy"), npy_with_shape("(576460752303423488, 0, 15)", 0));
  CHECK(read_npy(tmp("sz.npy")).shape == Shape{576460752303423488, 0, 15});
}
