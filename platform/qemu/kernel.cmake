# The bare-metal kernel (platform/qemu), included by the top-level CMakeLists.txt when the cross
# toolchain platform/qemu/toolchain.cmake is used. Builds build-qemu/kmm-kernel.elf and its raw
# arm64 Image build-qemu/kernel8.img, which QEMU boots on -M virt and -M raspi3b alike.
#
# libfdt is Debian's libfdt-dev:arm64, unpacked (not installed: it would replace the host's
# libfdt-dev) into KMM_LIBFDT_DIR by `scripts/deps.sh qemu BUILD_DIR`.
enable_language(ASM)

set(KMM_LIBFDT_DIR ${CMAKE_BINARY_DIR}/libfdt-arm64 CACHE PATH
    "where libfdt-dev:arm64 is unpacked (scripts/deps.sh qemu)")
set(KMM_LIBFDT_LIB ${KMM_LIBFDT_DIR}/usr/lib/aarch64-linux-gnu/libfdt.a)
if(NOT EXISTS ${KMM_LIBFDT_LIB} OR NOT EXISTS ${KMM_LIBFDT_DIR}/usr/include/libfdt.h)
  message(FATAL_ERROR "no arm64 libfdt in ${KMM_LIBFDT_DIR}: run scripts/deps.sh qemu ${CMAKE_BINARY_DIR}")
endif()
find_program(DTC dtc REQUIRED)

# Kernel code: freestanding, no FP/SIMD registers (the exception entry saves none), not PIE
# (linked at KIMAGE_VADDR), inline atomics, no unwind tables, no stack protector.
set(KMM_KERNEL_CFLAGS -ffreestanding -nostdlib -mgeneral-regs-only -fno-pie -mno-outline-atomics
    -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-stack-protector
    -fno-omit-frame-pointer)
add_compile_options(${KMM_KERNEL_CFLAGS})

file(GLOB KMM_MM_SOURCES CONFIGURE_DEPENDS mm/*.c)
file(GLOB KMM_ARCH_SOURCES CONFIGURE_DEPENDS arch/aarch64/*.c arch/aarch64/*.S)
file(GLOB KMM_QEMU_SOURCES CONFIGURE_DEPENDS platform/qemu/*.c)
# The shared test files that need no host: every file of tests/arch and tests/lib, and those of
# tests/mm that build no emulated machine; the kernel's own tests. The rest stay hosted.
file(GLOB KMM_KERNEL_TEST_SOURCES CONFIGURE_DEPENDS tests/arch/*.c tests/lib/*.c tests/kernel/*.c)
list(APPEND KMM_KERNEL_TEST_SOURCES tests/ktest/ktest.c tests/mm/test_fdt.c tests/mm/test_asid.c
     tests/mm/test_vma.c)

# The linker script, through the preprocessor for aarch64/head.h.
set(KMM_LDS ${CMAKE_BINARY_DIR}/kernel.lds)
add_custom_command(
  OUTPUT ${KMM_LDS}
  COMMAND ${CMAKE_C_COMPILER} -E -P -x c -D__ASSEMBLER__ -I${CMAKE_SOURCE_DIR}/arch/aarch64/include
          ${CMAKE_SOURCE_DIR}/platform/qemu/kernel.lds.S -o ${KMM_LDS}
  DEPENDS ${CMAKE_SOURCE_DIR}/platform/qemu/kernel.lds.S
          ${CMAKE_SOURCE_DIR}/arch/aarch64/include/aarch64/head.h
  COMMENT "kernel.lds"
  VERBATIM)
add_custom_target(kmm_kernel_lds DEPENDS ${KMM_LDS})

# test_fdt.c's device trees, as the hosted build makes them (scripts/test-dtbs.cmake).
include(${CMAKE_SOURCE_DIR}/scripts/test-dtbs.cmake)
kmm_test_dtbs(KMM_DTB_SOURCES)
list(APPEND KMM_KERNEL_TEST_SOURCES ${KMM_DTB_SOURCES})

# The EL0 demo program (platform/qemu/el0): a static ELF executable of its own, with the kernel's
# compiler flags (freestanding, no FP/SIMD registers: the kernel saves none), embedded in the
# image as el0_demo_elf[] for el0.c to exec at EL0.
add_executable(el0-demo platform/qemu/el0/crt0.S platform/qemu/el0/demo.c platform/qemu/el0/regs.S)
target_link_options(el0-demo PRIVATE -nostdlib -static -no-pie -Wl,--build-id=none
                    -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--strip-debug)
set(KMM_EL0_BLOB ${CMAKE_BINARY_DIR}/el0/el0-demo.c)
add_custom_command(
  OUTPUT ${KMM_EL0_BLOB}
  COMMAND ${CMAKE_COMMAND} -DINPUT=$<TARGET_FILE:el0-demo> -DOUTPUT=${KMM_EL0_BLOB}
          -DNAME=el0_demo_elf -P ${CMAKE_SOURCE_DIR}/scripts/embed-blob.cmake
  DEPENDS el0-demo ${CMAKE_SOURCE_DIR}/scripts/embed-blob.cmake
  COMMENT "embedding el0-demo"
  VERBATIM)

# hw/mmu.c, the software MMU, walks real tables for the AT cross-check (at_crosscheck.c) over
# the kernel's RAM (at_ram.c has the hw/ram.h accessors it uses).
add_executable(kmm-kernel.elf lib/vsprintf.c hw/mmu.c ${KMM_MM_SOURCES} ${KMM_ARCH_SOURCES}
               ${KMM_QEMU_SOURCES} ${KMM_KERNEL_TEST_SOURCES} ${KMM_EL0_BLOB})
target_include_directories(kmm-kernel.elf PRIVATE include arch/aarch64/include .
                           ${KMM_LIBFDT_DIR}/usr/include ${KMM_DTB_DIR})
# The C library's functions are defined here: loops must not turn into calls to them.
set_source_files_properties(platform/qemu/string.c PROPERTIES COMPILE_OPTIONS
                            -fno-tree-loop-distribute-patterns)
target_link_options(kmm-kernel.elf PRIVATE -nostdlib -static -no-pie -T ${KMM_LDS}
                    -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,norelro
                    -Wl,--no-warn-rwx-segments) # the kernel sets its own permissions
target_link_libraries(kmm-kernel.elf PRIVATE ${KMM_LIBFDT_LIB} gcc)
set_target_properties(kmm-kernel.elf PROPERTIES LINK_DEPENDS ${KMM_LDS})
add_dependencies(kmm-kernel.elf kmm_kernel_lds)

add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/kernel8.img
  COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:kmm-kernel.elf> ${CMAKE_BINARY_DIR}/kernel8.img
  DEPENDS kmm-kernel.elf
  COMMENT "kernel8.img"
  VERBATIM)
add_custom_target(kernel-image ALL DEPENDS ${CMAKE_BINARY_DIR}/kernel8.img)
