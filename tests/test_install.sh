#!/usr/bin/env bash
# @brief Install libpie into a temporary prefix, then build and run the embedding example against it
# three ways: pkg-config (shared), pkg-config --static, and CMake find_package.
set -eu
SRC="$1"
BUILD="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
cmake --install "$BUILD" --prefix "$prefix" >"$tmp/install.log"
for f in include/pie.h lib/pkgconfig/pie.pc lib/cmake/pie/pieConfig.cmake bin/pie; do
    p=$(ls -d "$prefix"/$f "$prefix"/lib*/${f#lib/} 2>/dev/null | head -1 || true)
    [ -n "$p" ] || { echo "FAIL: $f not installed"; exit 1; }
done
ls "$prefix"/lib*/libpie.so* >/dev/null && ls "$prefix"/lib*/libpie.a >/dev/null ||
    { echo "FAIL: shared and static libraries not both installed"; exit 1; }
pcdir=$(dirname "$(ls "$prefix"/lib*/pkgconfig/pie.pc | head -1)")
export PKG_CONFIG_PATH="$pcdir"
libdir=$(realpath "$(pkg-config --variable=libdir pie)")

# 1. pkg-config, shared library
"${CC:-cc}" -std=c11 -Wall -Wextra -Wpedantic -Werror "$SRC/tests/embed/embed_example.c" -o "$tmp/ex_shared" \
    $(pkg-config --cflags --libs pie)
LD_LIBRARY_PATH="$libdir" "$tmp/ex_shared" | tee "$tmp/out1"
LD_LIBRARY_PATH="$libdir" ldd "$tmp/ex_shared" | grep -q "$libdir/libpie.so" || { echo "FAIL: not linked to the installed libpie.so"; exit 1; }

# 2. pkg-config, static library
"${CC:-cc}" -std=c11 "$SRC/tests/embed/embed_example.c" -o "$tmp/ex_static" \
    $(pkg-config --cflags pie) "$libdir/libpie.a" $(pkg-config --static --libs-only-l --libs-only-other pie | sed 's/-lpie//')
"$tmp/ex_static" | tee "$tmp/out2"

# 3. CMake package
cmake -S "$SRC/tests/embed" -B "$tmp/cmk" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/cmake.log" ||
    { cat "$tmp/cmake.log"; exit 1; }
cmake --build "$tmp/cmk" >"$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
LD_LIBRARY_PATH="$libdir" "$tmp/cmk/embed_example" | tee "$tmp/out3"

# The three builds agree (same seed, same count).
[ "$(cut -d'(' -f1 "$tmp/out1")" = "$(cut -d'(' -f1 "$tmp/out2")" ] &&
    [ "$(cut -d'(' -f1 "$tmp/out1")" = "$(cut -d'(' -f1 "$tmp/out3")" ] ||
    { echo "FAIL: the embedded builds disagree"; exit 1; }
"$prefix/bin/pie" --version | grep -q '^pie ' || { echo "FAIL: installed pie"; exit 1; }
echo ok
