# cmake -DBUILD_DIR=... -DEXAMPLE_DIR=... -DDOC=... -DWORK_DIR=... -DGENERATOR=... -DCXX=...
#       [-DBUILD_TYPE=...] -P package_test.cmake
# Checks that DOC shows every file of EXAMPLE_DIR verbatim, installs BUILD_DIR into WORK_DIR/prefix, configures and builds EXAMPLE_DIR against it with
# CMAKE_PREFIX_PATH only, then checks the example binary: its scenarios are listed, `explore`
# finds the race in bank_racy and prints a command that reproduces it (exit 1), and bank_fixed
# passes every seed. Each step prints the command that reproduces it when it fails.

foreach(var BUILD_DIR EXAMPLE_DIR DOC WORK_DIR GENERATOR CXX)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "package_test.cmake: -D${var}= is required")
  endif()
endforeach()

set(prefix "${WORK_DIR}/prefix")
set(example_build "${WORK_DIR}/example-build")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

file(READ "${DOC}" doc)
foreach(file CMakeLists.txt main.cpp scenarios.cpp)
  file(READ "${EXAMPLE_DIR}/${file}" code)
  string(FIND "${doc}" "${code}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${DOC} does not show ${EXAMPLE_DIR}/${file} as it is: update the document")
  endif()
endforeach()

# step(<name> <expected exit code> <output variable> COMMAND...)
function(step name expected out_var)
  list(JOIN ARGN " " shown)
  message(STATUS "${name}: ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out TIMEOUT 400)
  if(NOT "${rc}" STREQUAL "${expected}")
    message(FATAL_ERROR "${name}: exit status ${rc}, expected ${expected}\n  command: ${shown}\n${out}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

step("install" 0 out ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
foreach(file lib/cmake/lockstep/lockstepConfig.cmake lib/cmake/lockstep/lockstepConfigVersion.cmake
             include/lockstep/scenario.hpp include/lockstep/sim/cli.hpp)
  if(NOT EXISTS "${prefix}/${file}")
    message(FATAL_ERROR "install: ${prefix}/${file} is missing")
  endif()
endforeach()

set(build_type_arg "")
if(BUILD_TYPE)
  set(build_type_arg "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
endif()
step("configure example" 0 out ${CMAKE_COMMAND} -S "${EXAMPLE_DIR}" -B "${example_build}" -G "${GENERATOR}"
     "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_PREFIX_PATH=${prefix}" ${build_type_arg})
step("build example" 0 out ${CMAKE_COMMAND} --build "${example_build}" -j1)

set(sim "${example_build}/bank_sim")
step("scenarios" 0 out "${sim}" scenarios)
foreach(name bank_racy bank_fixed mixed)
  if(NOT out MATCHES "${name}")
    message(FATAL_ERROR "scenarios: '${name}' is not listed\n  command: ${sim} scenarios\n${out}")
  endif()
endforeach()

step("explore bank_racy" 1 out "${sim}" explore --scenario bank_racy --cpus 2 --runs 300 --jobs 1)
if(NOT out MATCHES "reproduce: ([^\n]*)")
  message(FATAL_ERROR "explore bank_racy: no 'reproduce:' line\n${out}")
endif()
set(repro "${CMAKE_MATCH_1}")
if(NOT repro MATCHES "run --scenario bank_racy")
  message(FATAL_ERROR "explore bank_racy: unexpected reproduce command: ${repro}")
endif()
step("reproduce" 1 out sh -c "${repro}")
if(NOT out MATCHES "money not conserved")
  message(FATAL_ERROR "reproduce: the run failed for another reason\n  command: ${repro}\n${out}")
endif()

step("explore bank_fixed" 0 out "${sim}" explore --scenario bank_fixed --cpus 2 --runs 300 --jobs 1)
message(STATUS "package example: install, out-of-tree build, scenarios, explore and reproduce all passed")
