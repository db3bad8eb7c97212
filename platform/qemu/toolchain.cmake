# The cross toolchain of the bare-metal kernel (platform/qemu): Debian's gcc-aarch64-linux-gnu,
# used freestanding. With this file, the top-level CMakeLists.txt builds only the kernel
# (platform/qemu/kernel.cmake):
#   cmake -S . -B build-qemu -G Ninja -DCMAKE_TOOLCHAIN_FILE=platform/qemu/toolchain.cmake
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_OBJCOPY aarch64-linux-gnu-objcopy CACHE FILEPATH "objcopy for the kernel image")
# No C library to link test programs against: CMake's compiler checks build a static library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(KMM_KERNEL ON CACHE BOOL "build the bare-metal kernel instead of the hosted programs")
