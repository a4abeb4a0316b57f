# The engine is one static library per folder of src/, linked in dependency order (the layers of
# docs/ARCHITECTURE.md). A folder sees only its own headers and those of the layers it links:
# each layer's include path is a view (build/layers/<folder>/<folder> -> src/<folder>), not src/
# as a whole, so an include that runs the wrong way ("index/..." from core/) fails to compile.
# tests/layering checks that it does.

# clipsearch_layer_view(FOLDER): the include directory that exposes src/FOLDER as "FOLDER/...".
function(clipsearch_layer_view folder out)
  set(view ${PROJECT_BINARY_DIR}/layers/${folder})
  if(NOT EXISTS ${view}/${folder})
    file(MAKE_DIRECTORY ${view})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${folder} ${view}/${folder} SYMBOLIC)
  endif()
  set(${out} ${view} PARENT_SCOPE)
endfunction()

# clipsearch_add_layer(FOLDER SOURCES... [DEPS layer...] [PUBLIC_LIBS lib...] [PRIVATE_LIBS lib...])
# Defines clipsearch_FOLDER from src/FOLDER's sources. DEPS are the folders below it whose
# headers it (and whoever links it) may include.
function(clipsearch_add_layer folder)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  set(target clipsearch_${folder})
  add_library(${target} STATIC ${ARG_SOURCES})
  clipsearch_layer_view(${folder} view)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/include
                                              ${PROJECT_BINARY_DIR}/generated/include ${view})
  list(TRANSFORM ARG_DEPS PREPEND clipsearch_)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} ${ARG_PUBLIC_LIBS}
                                  PRIVATE clipsearch_flags ${ARG_PRIVATE_LIBS})
  set_target_properties(${target} PROPERTIES CLIPSEARCH_LAYER_FOLDER ${folder})
endfunction()
