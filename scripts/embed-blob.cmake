# Write a binary file as a C array, for blobs that code uses without a file system (DTBs):
#   cmake -DINPUT=file.dtb -DOUTPUT=file.dtb.c -DNAME=dtb_file -P embed-blob.cmake
# OUTPUT defines `const unsigned char NAME[]` (8-byte aligned, as libfdt wants a blob) and
# `const size_t NAME_size`, its length in bytes.
foreach(var INPUT OUTPUT NAME)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed-blob.cmake: -D${var}=... is required")
  endif()
endforeach()

file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" nhex)
math(EXPR nbytes "${nhex} / 2")
# Twelve bytes a line, each as "0xNN, ".
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1, " bytes "${hex}")
string(REPEAT "0x[0-9a-f][0-9a-f], " 12 line) # CMake's regexes have no {n}
string(REGEX REPLACE "(${line})" "\\1\n\t" bytes "${bytes}")
string(REPLACE ", \n" ",\n" bytes "${bytes}")
string(REGEX REPLACE "[ \t\n]+$" "" bytes "${bytes}")
get_filename_component(src "${INPUT}" NAME)
file(WRITE "${OUTPUT}" "/* Generated from ${src} by scripts/embed-blob.cmake: do not edit. */
#include <stddef.h>

const unsigned char ${NAME}[] __attribute__((aligned(8))) = {
\t${bytes}
};
const size_t ${NAME}_size = ${nbytes};
")
