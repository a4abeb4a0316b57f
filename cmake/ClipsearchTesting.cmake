find_package(GTest REQUIRED)

# The Python reference (transformers, open_clip, Pillow) that differential tests run to make
# their golden data at test time; scripts/setup.sh creates it.
set(CLIPSEARCH_PYTHON "${PROJECT_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH
    "Python interpreter with the reference packages")
# SigLIP's references, each in its venv (scripts/setup.sh): transformers 4.37.2 (SiglipModel,
# SiglipTokenizer) and 4.50.0 (Gemma's tokenizer of the SigLIP 2 checkpoints).
set(CLIPSEARCH_SIGLIP_PYTHON "${PROJECT_SOURCE_DIR}/.venv-siglip/bin/python" CACHE FILEPATH
    "Python interpreter with transformers 4.37.2 (SigLIP reference)")
set(CLIPSEARCH_SIGLIP2_PYTHON "${PROJECT_SOURCE_DIR}/.venv-siglip2/bin/python" CACHE FILEPATH
    "Python interpreter with transformers 4.50.0 (SigLIP 2 reference)")
# schemathesis (PyPI) for the OpenAPI conformance test, in a venv of its own (scripts/setup.sh): it
# needs newer hypothesis and pytest than .venv's.
set(CLIPSEARCH_SCHEMATHESIS_PYTHON "${PROJECT_SOURCE_DIR}/.venv-schemathesis/bin/python"
    CACHE FILEPATH "Python interpreter with schemathesis (tests/openapi)")
# Where reference fixtures write generated models and golden outputs.
set(CLIPSEARCH_REFERENCE_DIR "${PROJECT_BINARY_DIR}/reference")

# clipsearch_add_reference_fixture(NAME SCRIPT [ARGS...]): a ctest fixture that runs a Python
# reference script (with CLIPSEARCH_REFERENCE_DIR as its output root) before the tests that
# name NAME in FIXTURES.
function(clipsearch_add_reference_fixture name script)
  clipsearch_add_reference_fixture_with(${CLIPSEARCH_PYTHON} ${name} ${script} ${ARGN})
endfunction()

# clipsearch_add_reference_fixture_with(PYTHON NAME SCRIPT [ARGS...]): the same, run by another
# reference interpreter (CLIPSEARCH_SIGLIP_PYTHON, ...).
function(clipsearch_add_reference_fixture_with python name script)
  add_test(NAME ${name}
           COMMAND ${python} -W ignore ${script} ${ARGN}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES FIXTURES_SETUP ${name} LABELS "reference;sanitize;fixture"
                       TIMEOUT 1200
                       ENVIRONMENT "CLIPSEARCH_REFERENCE_DIR=${CLIPSEARCH_REFERENCE_DIR};PYTHONHASHSEED=0")
endfunction()

# clipsearch_add_test(NAME SOURCES... [LABELS l...] [LIBS lib...] [FIXTURES f...])
# One gtest binary, run as one ctest test carrying LABELS ("unit;sanitize" by default: the
# ASan+UBSan build runs the tests labelled "sanitize"). It links the layer of the folder it is
# declared in (src/FOLDER: clipsearch_FOLDER; src/cli: the layers the CLI links), so a test sees
# what its folder sees. Tests see CLIPSEARCH_REFERENCE_DIR and CLIPSEARCH_BINARY (the CLI) in
# their environment.
function(clipsearch_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LABELS;LIBS;FIXTURES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  get_filename_component(folder ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  if(TARGET clipsearch_${folder})
    set(layer clipsearch_${folder})
  else()
    set(layer clipsearch_api clipsearch_server clipsearch_redis)
    clipsearch_layer_view(${folder} view)
    target_include_directories(${name} PRIVATE ${view})
  endif()
  target_link_libraries(${name} PRIVATE ${layer} clipsearch_test_support clipsearch_flags
                                        GTest::gtest_main
                                        ${ARG_LIBS})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit sanitize)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
    LABELS "${ARG_LABELS}"
    TIMEOUT 900
    ENVIRONMENT "CLIPSEARCH_REFERENCE_DIR=${CLIPSEARCH_REFERENCE_DIR};CLIPSEARCH_BINARY=$<TARGET_FILE:clipsearch>")
  if(ARG_FIXTURES)
    set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED "${ARG_FIXTURES}")
  endif()
endfunction()
