# hearth_library(NAME DEPS a b c [PCH] [TEST_WRAPPER cmd args...])
#   One static library per leaf folder: every *.cpp in the folder except *_test.cpp.
#   Unit tests beside the code (*_test.cpp) become one Catch2 executable NAME_test,
#   registered with CTest as unit.NAME.
#   PCH: the library includes Asio/Beast; reuse the shared precompiled header.
#   TEST_WRAPPER: a command that runs the test executable (its path is appended), for tests
#   that need a server started around them.
set(HEARTH_ROOT ${CMAKE_SOURCE_DIR})

if(HEARTH_TESTS)
  add_library(hearth_catch_main OBJECT ${CMAKE_SOURCE_DIR}/tests/unit/catch_main.cpp)
  target_link_libraries(hearth_catch_main PUBLIC Catch2::Catch2)
endif()

function(hearth_library name)
  cmake_parse_arguments(ARG "PCH" "" "DEPS;TEST_DEPS;TEST_WRAPPER" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp)
  if(tests)
    list(REMOVE_ITEM srcs ${tests})
  endif()
  if(srcs)
    add_library(hearth_${name} STATIC ${srcs})
    # app/ links every library (the linker keeps only what the binary uses).
    set_property(GLOBAL APPEND PROPERTY HEARTH_LIBRARIES hearth_${name})
    target_include_directories(hearth_${name} PUBLIC ${HEARTH_ROOT})
    target_link_libraries(hearth_${name} PUBLIC ${ARG_DEPS})
  else()
    add_library(hearth_${name} INTERFACE)
    target_include_directories(hearth_${name} INTERFACE ${HEARTH_ROOT})
    target_link_libraries(hearth_${name} INTERFACE ${ARG_DEPS})
  endif()
  if(ARG_PCH AND srcs)
    target_precompile_headers(hearth_${name} REUSE_FROM hearth_asio)
  endif()
  if(tests AND HEARTH_TESTS)
    add_executable(hearth_${name}_test ${tests} $<TARGET_OBJECTS:hearth_catch_main>)
    target_link_libraries(hearth_${name}_test PRIVATE hearth_${name} ${ARG_TEST_DEPS} Catch2::Catch2)
    if(ARG_PCH)
      target_precompile_headers(hearth_${name}_test REUSE_FROM hearth_asio)
    endif()
    target_compile_options(hearth_${name}_test PRIVATE -include ${HEARTH_ROOT}/tests/unit/catch_support.hpp)
    add_test(NAME unit.${name} COMMAND ${ARG_TEST_WRAPPER} $<TARGET_FILE:hearth_${name}_test>)
    set_tests_properties(unit.${name} PROPERTIES TIMEOUT 300
      ENVIRONMENT "HEARTH_SOURCE_DIR=${HEARTH_ROOT};HEARTH_BINARY_DIR=${CMAKE_BINARY_DIR}")
    if(ARG_TEST_WRAPPER)
      # The wrapper exits 77 when the server it needs is not installed.
      set_tests_properties(unit.${name} PROPERTIES SKIP_RETURN_CODE 77)
    endif()
  endif()
endfunction()
