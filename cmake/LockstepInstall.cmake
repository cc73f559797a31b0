# Install rules and the CMake package of the host build.
#
# `cmake --install <build> --prefix P` installs the public headers under P/include, the static
# libraries under P/lib, the `lockstep` command under P/bin, and the package under
# P/lib/cmake/lockstep, so that a user's own project does
#
#   find_package(lockstep REQUIRED)
#   add_executable(my_sim main.cpp scenarios.cpp)
#   target_link_libraries(my_sim PRIVATE lockstep::cli)
#
# and gets every subcommand with its own LOCKSTEP_SCENARIOs registered (docs/WRITING_SCENARIOS.md).
# Included from the top-level CMakeLists.txt after the host subdirectories; the kernel builds
# install nothing.

if(NOT LOCKSTEP_KERNEL_ARCH STREQUAL "")
  return()
endif()

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(LOCKSTEP_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/lockstep")

# The one target a user links: the command line, the scenario registry, the core and the
# emulated machines. The core and the engines call each other; lockstep::sim carries them as
# $<LINK_GROUP:RESCAN,...>, so linking this target links them in one rescanned group.
# C++20 because the public headers use concepts and std::span.
add_library(lockstep_cli_package INTERFACE)
target_link_libraries(lockstep_cli_package INTERFACE lockstep_cli)
target_compile_features(lockstep_cli_package INTERFACE cxx_std_20)
add_library(lockstep::cli ALIAS lockstep_cli_package)

# Every target in the link interface of lockstep_cli must be exported, the flag targets that
# static libraries link privately included (they are exported as $<LINK_ONLY:...> and carry no
# compile flags to the user). Export names drop the prefix: lockstep::core, lockstep::emu, ...
set(lockstep_export_names
  lockstep_hal_contract     hal_contract
  lockstep_hal_emu_headers  hal_emu_headers
  lockstep_emu              emu
  lockstep_core_headers     core_headers
  lockstep_core             core
  lockstep_sim              sim
  lockstep_export           export
  lockstep_boot             boot
  lockstep_unicorn          unicorn
  lockstep_gdb              gdb
  lockstep_view             view
  lockstep_cli              cli_static
  lockstep_cli_package      cli
  lockstep_warnings         warnings
  lockstep_freestanding     freestanding
  lockstep_host_flags       host_flags)
set(lockstep_installed_targets "")
while(lockstep_export_names)
  list(POP_FRONT lockstep_export_names target export_name)
  if(TARGET ${target})
    set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
    list(APPEND lockstep_installed_targets ${target})
  endif()
endwhile()

install(TARGETS ${lockstep_installed_targets} EXPORT lockstepTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS lockstep RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# `lockstep debug` looks for it at BINDIR/../share/lockstep/gdb (sim/src/cli/debug_engine.cpp).
install(FILES ${PROJECT_SOURCE_DIR}/sim/gdb/lockstep_gdb.py DESTINATION share/lockstep/gdb)

# Headers: the HAL contract, the emulated back end (hal_backend/ is what the core's inline calls
# resolve to), the core API and the driver. The bare-metal back ends are not part of the host
# package.
set(lockstep_header_dirs
  ${PROJECT_SOURCE_DIR}/hal/include/
  ${PROJECT_SOURCE_DIR}/hal/emu/include/
  ${PROJECT_SOURCE_DIR}/core/include/
  ${PROJECT_SOURCE_DIR}/sim/include/)
if(TARGET lockstep_unicorn)
  list(APPEND lockstep_header_dirs ${PROJECT_SOURCE_DIR}/hal/emu/unicorn/include/)
endif()
install(DIRECTORY ${lockstep_header_dirs} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")

install(EXPORT lockstepTargets NAMESPACE lockstep:: FILE lockstepTargets.cmake
  DESTINATION ${LOCKSTEP_INSTALL_CMAKEDIR})

# The package configuration. Its template lives here so that the install rules stay in one file.
# find_dependency covers what the exported targets name: Boost.Context, fmt and Threads (the
# engines), Protobuf (the Perfetto exporter), CLI11 and nlohmann_json (the command line), and
# Unicorn through pkg-config when the Unicorn machine is part of the build.
if(TARGET lockstep_unicorn)
  set(LOCKSTEP_PACKAGE_HAS_UNICORN ON)
else()
  set(LOCKSTEP_PACKAGE_HAS_UNICORN OFF)
endif()
file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/lockstepConfig.cmake.in" [=[
# lockstep @PROJECT_VERSION@: a deterministic multi-CPU simulator for SMP kernel code.
#   find_package(lockstep REQUIRED)
#   target_link_libraries(my_sim PRIVATE lockstep::cli)
# gives my_sim every `lockstep` subcommand with the scenarios it defines (LOCKSTEP_SCENARIO in
# <lockstep/scenario.hpp>) registered next to the built-in ones.

@PACKAGE_INIT@

if(CMAKE_VERSION VERSION_LESS 3.24)
  set(${CMAKE_FIND_PACKAGE_NAME}_FOUND FALSE)
  set(${CMAKE_FIND_PACKAGE_NAME}_NOT_FOUND_MESSAGE "lockstep needs CMake 3.24 or newer ($<LINK_GROUP>)")
  return()
endif()

include(CMakeFindDependencyMacro)
find_dependency(Threads)
find_dependency(Boost 1.74 COMPONENTS context)
find_dependency(fmt)
find_dependency(CLI11)
find_dependency(nlohmann_json)
find_dependency(Protobuf)
if(@LOCKSTEP_PACKAGE_HAS_UNICORN@)
  find_dependency(PkgConfig)
  if(NOT TARGET PkgConfig::UNICORN)
    pkg_check_modules(UNICORN QUIET IMPORTED_TARGET unicorn)
    if(NOT UNICORN_FOUND)
      set(${CMAKE_FIND_PACKAGE_NAME}_FOUND FALSE)
      set(${CMAKE_FIND_PACKAGE_NAME}_NOT_FOUND_MESSAGE "lockstep needs the unicorn library (pkg-config unicorn)")
      return()
    endif()
  endif()
endif()

include("${CMAKE_CURRENT_LIST_DIR}/lockstepTargets.cmake")

# install(EXPORT) writes the targets named inside $<LINK_GROUP:...> without the namespace (seen
# with CMake 3.25: "$<LINK_GROUP:RESCAN,lockstep_core,lockstep_emu>"), which the linker would
# take for -llockstep_core. Name the imported targets instead (export names are the build names
# without the lockstep_ prefix). A no-op where CMake already namespaces them.
foreach(_lockstep_target IN ITEMS lockstep::sim lockstep::cli_static lockstep::cli)
  if(TARGET ${_lockstep_target})
    get_target_property(_lockstep_libs ${_lockstep_target} INTERFACE_LINK_LIBRARIES)
    if(_lockstep_libs MATCHES "LINK_GROUP:")
      string(REGEX REPLACE "([,])lockstep_([a-z0-9_]+)" "\\1lockstep::\\2" _lockstep_libs "${_lockstep_libs}")
      set_target_properties(${_lockstep_target} PROPERTIES INTERFACE_LINK_LIBRARIES "${_lockstep_libs}")
    endif()
  endif()
endforeach()
unset(_lockstep_target)
unset(_lockstep_libs)

check_required_components(lockstep)
]=])
configure_package_config_file("${CMAKE_CURRENT_BINARY_DIR}/lockstepConfig.cmake.in"
  "${CMAKE_CURRENT_BINARY_DIR}/lockstepConfig.cmake"
  INSTALL_DESTINATION ${LOCKSTEP_INSTALL_CMAKEDIR})
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/lockstepConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/lockstepConfig.cmake" "${CMAKE_CURRENT_BINARY_DIR}/lockstepConfigVersion.cmake"
  DESTINATION ${LOCKSTEP_INSTALL_CMAKEDIR})
