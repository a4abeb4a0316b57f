# Third-party libraries, all from Debian 12's archive (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)

# OpenBLAS: the project drives its own threads and keeps OpenBLAS single-threaded per call.
find_path(OPENBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES openblas openblas-pthread
          x86_64-linux-gnu/openblas-pthread REQUIRED)
find_library(OPENBLAS_LIBRARY NAMES openblas REQUIRED)
add_library(clipsearch_blas INTERFACE)
target_include_directories(clipsearch_blas SYSTEM INTERFACE ${OPENBLAS_INCLUDE_DIR})
target_link_libraries(clipsearch_blas INTERFACE ${OPENBLAS_LIBRARY})

# libvips (C API) decodes images: PNG, WebP, GIF, TIFF, HEIF. Only its decoders are used;
# resampling is the project's own Pillow-exact code (src/image/resample.cpp).
pkg_check_modules(VIPS REQUIRED IMPORTED_TARGET vips>=8.13)

# hnswlib 0.6.2 (header-only, libhnswlib-dev): the HNSW graph of src/index/hnsw_index.cpp, compiled
# inside that one file with the project's flags; its distance is the project's own kernel
# (src/index/dot.h), so hnswlib's compile-time SIMD distances are never called.
find_path(HNSWLIB_INCLUDE_DIR hnswlib/hnswlib.h REQUIRED)
add_library(clipsearch_hnswlib INTERFACE)
target_include_directories(clipsearch_hnswlib SYSTEM INTERFACE ${HNSWLIB_INCLUDE_DIR})

# The catalog (src/index/catalog.cpp) is a SQLite database; file hashes and the model
# fingerprint are SHA-256 from OpenSSL's libcrypto.
find_package(SQLite3 REQUIRED)
# src/hub: downloads over libcurl, sha256/sha1 checksums from OpenSSL's libcrypto.
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)

# TIFF modes libvips does not read as Pillow does are decompressed with libtiff directly
# (src/image/tiff_gray.cpp), and Lab TIFFs converted with LittleCMS as Pillow converts them
# (src/image/tiff_lab.cpp): both the libraries Pillow and libvips use.
pkg_check_modules(TIFF REQUIRED IMPORTED_TARGET libtiff-4)
pkg_check_modules(LCMS2 REQUIRED IMPORTED_TARGET lcms2)

# JPEG is decoded with libjpeg-turbo directly (src/image/jpeg.cpp); the same library Pillow uses.
pkg_check_modules(JPEG REQUIRED IMPORTED_TARGET libjpeg)

# Camera RAW (src/image/raw.cpp) with LibRaw's thread-safe build (libraw-dev 0.20). Found by hand,
# not through pkg-config's IMPORTED_TARGET: its Libs carry -fopenmp, which would make clang link
# an OpenMP runtime of its own beside the libgomp that libraw_r already brings.
find_path(LIBRAW_INCLUDE_DIR libraw/libraw.h REQUIRED)
find_library(LIBRAW_LIBRARY NAMES raw_r REQUIRED)
add_library(clipsearch_libraw INTERFACE)
target_include_directories(clipsearch_libraw SYSTEM INTERFACE ${LIBRAW_INCLUDE_DIR})
target_link_libraries(clipsearch_libraw INTERFACE ${LIBRAW_LIBRARY})
# Videos: frames decoded by Debian's FFmpeg libraries (src/image/video_decode.cpp).
pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libswscale libavutil)

# libmicrohttpd serves HTTP (src/server): it bounds the request head by a per-connection memory
# pool and hands the body over in pieces, so the server can enforce its limits while receiving.
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd>=0.9.71)

# hiredis (libhiredis-dev) talks to Redis for `serve --redis` (src/redis): the text embeddings
# and search answers that several server processes share.
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)

# CLIPSEARCH_CUDA=ON: nvcc and the CUDA toolkit (src/cuda). Default architectures: Ampere (80)
# and Hopper (90) code, with PTX for later GPUs.
if(CLIPSEARCH_CUDA)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 80-real 90)
  endif()
  enable_language(CUDA)
  # C++17: CMake 3.25 knows no C++20 flag for nvcc. The .cu files are kernels and their
  # launchers, plain C++17.
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  set(CMAKE_CUDA_VISIBILITY_PRESET hidden)
  find_package(CUDAToolkit REQUIRED)
endif()
