#!/usr/bin/env bash
# @brief pie and libpie.so find their shared libraries where they were linked, never in the current directory.
#
# usage: test_library_path.sh PIE LIBPIE_SO
# An empty RUNPATH entry (CMake once padded the build tree's with one) means
# the current directory: run from a directory holding a file named like one
# of its libraries, the loader took that file instead of the system's. Here
# every library pie and libpie.so need has a junk file of its name in the
# working directory; both must still load, and pie must still compute.
set -u
PIE=${1:?usage: test_library_path.sh PIE LIBPIE_SO}
LIB=${2:?usage: test_library_path.sh PIE LIBPIE_SO}
case "$PIE" in /*) ;; *) PIE=$PWD/$PIE ;; esac
case "$LIB" in /*) ;; *) LIB=$PWD/$LIB ;; esac
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

for f in "$PIE" "$LIB"; do
    paths=$(readelf -d "$f" | sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]/\1/p')
    case ":$paths:" in
        *::*) fail "$f: empty entry (the current directory) in its search path '$paths'" ;;
    esac
    needed=$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    [ -n "$needed" ] || fail "$f: readelf lists no NEEDED library"
    for n in $needed; do
        echo "not a library" >"$tmp/$n"
    done
done

cd "$tmp" || fail "cd $tmp"
out=$("$PIE" hex -p 1 -c 8 -q 2>&1) || fail "pie from a directory with junk libraries: $out"
[ "$out" = "243F6A88" ] || fail "pie hex -p 1 -c 8 -q printed '$out'"
if [ -x /usr/bin/python3 ]; then
    out=$(/usr/bin/python3 -c 'import ctypes, sys; ctypes.CDLL(sys.argv[1])' "$LIB" 2>&1) ||
        fail "loading libpie.so from a directory with junk libraries: $out"
fi
echo "ok: pie and libpie.so ignore libraries in the working directory"
