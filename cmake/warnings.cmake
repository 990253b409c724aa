# Flags for our own targets only: third-party headers come in as SYSTEM includes so -Werror judges our code.
function(qtsim_target_flags target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  if(QTSIM_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
