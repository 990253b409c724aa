# Flags for our own targets only: third-party headers come in as SYSTEM includes so -Werror judges our code.
function(qtsim_target_flags target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  if(QTSIM_NATIVE)
    # The golden GEMM and the cycle model's inner loops need the host's vector units (AVX2 and up).
    target_compile_options(${target} PRIVATE -march=native)
  endif()
  if(QTSIM_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    # GCC 12 reports false maybe-uninitialized warnings inside libstdc++ (<regex>, <functional>) once ASan
    # instruments them; the normal build keeps the warning.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(QTSIM_FUZZ)
    # coverage for libFuzzer's guidance, and the sanitizers that turn a silent overrun into a report
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()
