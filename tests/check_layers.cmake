# Fails if a layer includes one it must not (docs/ARCHITECTURE.md, "Who includes whom"). The
# core's own rule (freestanding, no back end) is check_core_includes.cmake.
#   cmake -DROOT=<source dir> -P check_layers.cmake
set(rules
  # directory          | includes it must not have (regex on the include line)
  "hal/include|lockstep/(core|sim|emu|baremetal|arm64)/"
  "hal/baremetal|lockstep/(sim|emu)/|kernel/"
  "kernel|lockstep/(sim|emu|arm64|hal_backend)/"
  "hal/emu|lockstep/(sim|baremetal)/"
  "core|lockstep/(sim|emu|baremetal|arm64)/")
set(bad "")
set(count 0)
foreach(rule IN LISTS rules)
  string(REPLACE "|" ";" parts "${rule}")
  list(GET parts 0 dir)
  list(SUBLIST parts 1 -1 alternatives)
  list(JOIN alternatives "|" forbidden)
  file(GLOB_RECURSE files "${ROOT}/${dir}/*.hpp" "${ROOT}/${dir}/*.cpp" "${ROOT}/${dir}/*.h")
  list(LENGTH files n)
  if(n EQUAL 0)
    message(FATAL_ERROR "no files found under ${dir}")
  endif()
  math(EXPR count "${count} + ${n}")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include")
    foreach(line IN LISTS lines)
      if(line MATCHES "${forbidden}")
        file(RELATIVE_PATH rel "${ROOT}" "${f}")
        list(APPEND bad "${rel}: ${line} (${dir} may not include ${forbidden})")
      endif()
    endforeach()
  endforeach()
endforeach()
if(bad)
  list(JOIN bad "\n  " text)
  message(FATAL_ERROR "layer rule broken:\n  ${text}")
endif()
message(STATUS "layers: ${count} files, every include allowed")
