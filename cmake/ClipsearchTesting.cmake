find_package(GTest REQUIRED)
include(GoogleTest)

# clipsearch_add_test(NAME SOURCES... [LABELS l...] [LIBS lib...])
# One gtest binary; each test case becomes a ctest test carrying LABELS ("unit;sanitize" by
# default: the ASan+UBSan build runs the tests labelled "sanitize").
function(clipsearch_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LABELS;LIBS;FIXTURES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE clipsearch_lib clipsearch_flags GTest::gtest_main
                                        ${ARG_LIBS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit sanitize)
  endif()
  set(props LABELS "${ARG_LABELS}" TIMEOUT 900)
  if(ARG_FIXTURES)
    list(APPEND props FIXTURES_REQUIRED "${ARG_FIXTURES}")
  endif()
  gtest_discover_tests(${name} PROPERTIES ${props} DISCOVERY_TIMEOUT 60)
endfunction()
