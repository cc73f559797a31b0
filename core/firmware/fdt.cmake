# Portable flattened-device-tree reader and the arm64 platform extraction (core/firmware/fdt*):
# freestanding like the core, built for the arm64 kernel and for the host unit tests from the
# same sources. Included by hal/baremetal/arm64 and tests/firmware; defined once.
if(TARGET lockstep_firmware_fdt)
  return()
endif()
add_library(lockstep_firmware_fdt STATIC ${CMAKE_CURRENT_LIST_DIR}/src/fdt.cpp ${CMAKE_CURRENT_LIST_DIR}/src/fdt_platform.cpp)
target_include_directories(lockstep_firmware_fdt PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/include>)
target_link_libraries(lockstep_firmware_fdt PRIVATE lockstep_freestanding lockstep_warnings)
if(NOT LOCKSTEP_KERNEL_ARCH STREQUAL "")
  target_link_libraries(lockstep_firmware_fdt PRIVATE lockstep_kernel_flags)
else()
  target_link_libraries(lockstep_firmware_fdt PUBLIC lockstep_host_flags)
endif()
