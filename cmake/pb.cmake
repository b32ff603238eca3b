# pb_add_test(NAME SRCS a.c [b.c] LIBS lib... [LABELS unit|actor|e2e] [TIMEOUT s])
# One executable per test file; the test runs from the build directory.
function(pb_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SRCS;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SRCS})
  target_link_libraries(${name} PRIVATE ${T_LIBS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/test/lib)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "PB_SOURCE_DIR=${PROJECT_SOURCE_DIR};PB_BUILD_DIR=${PROJECT_BINARY_DIR}")
endfunction()

# pb_add_script_test(NAME COMMAND cmd... [LABELS e2e] [TIMEOUT s])
# A test driven by a script (Python end-to-end tests against the real daemon).
function(pb_add_script_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "COMMAND;LABELS" ${ARGN})
  add_test(NAME ${name} COMMAND ${T_COMMAND})
  if(NOT T_LABELS)
    set(T_LABELS e2e)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "PB_SOURCE_DIR=${PROJECT_SOURCE_DIR};PB_BUILD_DIR=${PROJECT_BINARY_DIR}")
endfunction()

# pb_add_fuzz(NAME SRCS a.c LIBS lib... [CORPUS dir])
# A libFuzzer target (LLVMFuzzerTestOneInput). Built only when PB_FUZZ is on (a clang build
# where every library is compiled with -fsanitize=fuzzer-no-link,address,undefined); each
# target becomes a ctest labelled "fuzz" that runs for PB_FUZZ_SECONDS over its seed corpus.
set(PB_FUZZ_SECONDS 20 CACHE STRING "How long each fuzz target runs under ctest")
function(pb_add_fuzz name)
  if(NOT PB_FUZZ)
    return()
  endif()
  cmake_parse_arguments(T "" "CORPUS" "SRCS;LIBS" ${ARGN})
  add_executable(${name} ${T_SRCS})
  target_link_libraries(${name} PRIVATE ${T_LIBS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/test/lib)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set(work ${CMAKE_CURRENT_BINARY_DIR}/${name}-corpus)
  file(MAKE_DIRECTORY ${work})
  set(dirs ${work})
  if(T_CORPUS)
    list(APPEND dirs ${T_CORPUS})
  endif()
  # libFuzzer's progress lines go to a log; on failure the end of it (the crash report) is
  # printed, so a CI summary that keeps only the first and last lines still shows the cause.
  # A crashing input is kept as ${name}-crash-* in the build directory.
  set(log ${CMAKE_CURRENT_BINARY_DIR}/${name}.log)
  add_test(NAME ${name} COMMAND sh -c "\"$0\" \"$@\" >'${log}' 2>&1 && tail -n 8 '${log}' || { echo '${name} failed; the end of ${log}:'; tail -n 80 '${log}'; exit 1; }"
           $<TARGET_FILE:${name}> -max_total_time=${PB_FUZZ_SECONDS} -rss_limit_mb=2048
           -timeout=10 -print_final_stats=1
           -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/${name}-crash- ${dirs})
  set_tests_properties(${name} PROPERTIES LABELS fuzz TIMEOUT 600)
endfunction()

# Adds every immediate subdirectory of the current one that has a CMakeLists.txt, so
# modules and test folders are picked up without editing a shared list.
function(pb_add_subdirectories)
  file(GLOB children RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT children)
  foreach(child ${children})
    if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${child}
       AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()
