# Installs the viewer's pinned npm packages into the build tree (not the source tree):
#   cmake -DSRC=<tools/trace-viewer> -DDST=<build dir> -DNPM=<npm> -P npm_ci.cmake
# Skips the install when the lock file has not changed since the last one.
file(MAKE_DIRECTORY "${DST}")
file(SHA256 "${SRC}/package-lock.json" want)
if(EXISTS "${DST}/.lock-sha256" AND EXISTS "${DST}/node_modules/playwright-core/package.json")
  file(READ "${DST}/.lock-sha256" have)
  if(have STREQUAL want)
    return()
  endif()
endif()
configure_file("${SRC}/package.json" "${DST}/package.json" COPYONLY)
configure_file("${SRC}/package-lock.json" "${DST}/package-lock.json" COPYONLY)
execute_process(COMMAND "${NPM}" ci --no-audit --no-fund --ignore-scripts
  WORKING_DIRECTORY "${DST}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed (${rc}) in ${DST}")
endif()
file(WRITE "${DST}/.lock-sha256" "${want}")
