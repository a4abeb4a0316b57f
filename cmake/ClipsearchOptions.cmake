# Compiler flags shared by every target of the project.
add_library(clipsearch_flags INTERFACE)
target_compile_options(clipsearch_flags INTERFACE -Wall -Wextra -Wpedantic -Werror
                                                  -Wno-missing-field-initializers)
if(CLIPSEARCH_NATIVE)
  target_compile_options(clipsearch_flags INTERFACE -march=native)
endif()
# Release builds keep assertions: a broken internal invariant must abort, not corrupt results.
string(REPLACE "-DNDEBUG" "" CMAKE_CXX_FLAGS_RELEASE "${CMAKE_CXX_FLAGS_RELEASE}")
string(REPLACE "-DNDEBUG" "" CMAKE_CXX_FLAGS_RELWITHDEBINFO "${CMAKE_CXX_FLAGS_RELWITHDEBINFO}")
set(CMAKE_CXX_FLAGS_RELEASE "${CMAKE_CXX_FLAGS_RELEASE}" CACHE STRING "" FORCE)
set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "${CMAKE_CXX_FLAGS_RELWITHDEBINFO}" CACHE STRING "" FORCE)

if(CLIPSEARCH_SANITIZE)
  target_compile_options(clipsearch_flags INTERFACE -fsanitize=address,undefined
                                                    -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(clipsearch_flags INTERFACE -fsanitize=address,undefined)
endif()

if(CLIPSEARCH_FUZZ)
  # Coverage instrumentation for the library; the fuzz targets link libFuzzer's main.
  target_compile_options(clipsearch_flags INTERFACE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_options(clipsearch_flags INTERFACE -fsanitize=address,undefined)
endif()
