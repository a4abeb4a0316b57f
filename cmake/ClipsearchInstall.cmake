# libclipsearch.so and its package: the public API of include/clipsearch/ (Library, Query, Model,
# Tokenizer, image preprocessing, the hub) with every layer it needs inside, so that a program
# links one library and finds it with find_package(clipsearch) or pkg-config.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(clipsearch_library_layers core tensor model text image hub index indexer search api)
set(clipsearch_archives)
foreach(layer ${clipsearch_library_layers})
  list(APPEND clipsearch_archives $<TARGET_FILE:clipsearch_${layer}>)
endforeach()

add_library(clipsearch_shared SHARED ${PROJECT_SOURCE_DIR}/src/api/shared_library.cpp)
add_library(clipsearch::clipsearch ALIAS clipsearch_shared)
# Every object of the layers, not just those the anchor file references: the public headers
# promise all of them. The layers' own dependencies (libvips, SQLite, OpenBLAS, ...) come through
# the normal link of clipsearch_api below.
target_link_options(clipsearch_shared PRIVATE "LINKER:--whole-archive" ${clipsearch_archives}
                                              "LINKER:--no-whole-archive")
target_link_libraries(clipsearch_shared PRIVATE clipsearch_api clipsearch_flags)
# Exported: the public API only, what include/clipsearch/ marks CLIPSEARCH_EXPORT (everything is
# compiled with hidden visibility, cmake/ClipsearchOptions.cmake); the version script drops the
# standard library's template instances the compiler leaves visible. tests/install/exports.sh
# checks the list.
set(clipsearch_version_script ${PROJECT_SOURCE_DIR}/src/api/shared_library.map)
target_link_options(clipsearch_shared PRIVATE "LINKER:--version-script=${clipsearch_version_script}")
set_target_properties(clipsearch_shared PROPERTIES LINK_DEPENDS ${clipsearch_version_script})
target_include_directories(clipsearch_shared INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/generated/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(clipsearch_shared INTERFACE cxx_std_17)
set_target_properties(clipsearch_shared PROPERTIES
  OUTPUT_NAME clipsearch
  EXPORT_NAME clipsearch
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})

install(TARGETS clipsearch_shared EXPORT clipsearchTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS clipsearch RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
file(GLOB clipsearch_public_headers ${PROJECT_SOURCE_DIR}/include/clipsearch/*.h)
install(FILES ${clipsearch_public_headers}
              ${PROJECT_BINARY_DIR}/generated/include/clipsearch/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/clipsearch)

set(clipsearch_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/clipsearch)
install(EXPORT clipsearchTargets NAMESPACE clipsearch:: DESTINATION ${clipsearch_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/clipsearchConfig.cmake.in
  ${PROJECT_BINARY_DIR}/generated/clipsearchConfig.cmake INSTALL_DESTINATION ${clipsearch_cmake_dir})
# 0.x: a new minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/generated/clipsearchConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/generated/clipsearchConfig.cmake
              ${PROJECT_BINARY_DIR}/generated/clipsearchConfigVersion.cmake
        DESTINATION ${clipsearch_cmake_dir})

file(RELATIVE_PATH CLIPSEARCH_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
configure_file(${PROJECT_SOURCE_DIR}/cmake/clipsearch.pc.in
               ${PROJECT_BINARY_DIR}/generated/clipsearch.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/generated/clipsearch.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The CUDA engine's module (src/cuda) beside the library: the loader (model/cuda_module.h) looks
# in <executable>/../lib, and then on the dynamic linker's path, which also covers a multiarch
# lib directory (lib/x86_64-linux-gnu under /usr).
if(CLIPSEARCH_CUDA)
  install(TARGETS clipsearch_cuda_module LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
