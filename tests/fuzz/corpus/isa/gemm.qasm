# qtsim program: 7 instructions; scratchpads in 65536 B, wt 65536 B, acc 262144 B
load wait=- signal=pp dtype=i32 rows=1 cols=2 dram=0x440 dram_stride=8 dram_estride=0 sp=wt addr=0x0 stride=8  # requant
load wait=- signal=- dtype=i8 rows=8 cols=16 dram=0x0 dram_stride=16 dram_estride=0 sp=in addr=0x0 stride=16  # gemm
load wait=- signal=- dtype=i8 rows=16 cols=16 dram=0x300 dram_stride=16 dram_estride=0 sp=wt addr=0x40 stride=16  # gemm
load wait=- signal=ar dtype=i32 rows=8 cols=16 dram=0x400 dram_stride=0 dram_estride=0 sp=acc addr=0x0 stride=64  # gemm
gemm wait=ld signal=pp a_sp=in a=0x0 a_type=i8 b_sp=wt b=0x40 b_type=i8 c=0x0 m=8 k=16 n=16 accumulate=1 ones=0 a_stride=0 b_stride=0  # gemm
requant wait=ld|ar signal=st x_sp=acc x=0x0 x_type=i32 o_sp=in o=0x100 o_type=i8 rows=8 cols=16 tab=0x0 ntab=1 group=1 bits=8 round=0  # requant
store wait=pp signal=- dtype=i8 rows=8 cols=16 dram=0x280 dram_stride=16 dram_estride=0 sp=in addr=0x100 stride=16  # requant
