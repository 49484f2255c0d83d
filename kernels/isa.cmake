# Instruction-set variants of the Monte Carlo kernel. Each source is compiled
# with its own flags and reached only through run-time dispatch (engine/mc_variants.c);
# everything else stays baseline x86-64. A variant is built when the compiler
# accepts its flags and intrinsics; PIE_ISA_DEFINITIONS names the ones built
# (CMakeLists.txt adds them to the library objects).
#
# Options: PIE_ISA_<AESNI|AVX2|AVX512> (default ON) turn a variant off.

include(CheckCSourceCompiles)

set(PIE_ISA_SOURCES "")
set(PIE_ISA_DEFINITIONS "")

if(NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" OR NOT CMAKE_SIZEOF_VOID_P EQUAL 8)
  message(STATUS "pie: ${CMAKE_SYSTEM_PROCESSOR} is not x86-64: only the portable kernel is built")
  return()
endif()

# pie_isa_variant(NAME SOURCE FLAGS TEST_BODY): build SOURCE with FLAGS when a
# test program using the variant's intrinsics compiles with them.
function(pie_isa_variant name source flags body)
  option(PIE_ISA_${name} "Build the ${name} Monte Carlo kernel" ON)
  if(NOT PIE_ISA_${name})
    message(STATUS "pie: ${name} kernel not built (PIE_ISA_${name}=OFF)")
    return()
  endif()
  string(REPLACE ";" " " flag_string "${flags}")
  set(CMAKE_REQUIRED_FLAGS "${flag_string}")
  set(CMAKE_REQUIRED_QUIET ON)
  # The cached result is keyed by the flags and the test, so editing either re-runs it.
  string(MD5 key "${flags}${body}")
  string(SUBSTRING "${key}" 0 8 key)
  set(result PIE_CC_ACCEPTS_ISA_${name}_${key})
  check_c_source_compiles("#include <immintrin.h>
int main(void) { ${body} }" ${result})
  if(NOT ${result})
    message(STATUS "pie: compiler lacks ${flag_string}: ${name} kernel not built")
    return()
  endif()
  set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS "${flags}")
  set(PIE_ISA_SOURCES ${PIE_ISA_SOURCES} ${source} PARENT_SCOPE)
  set(PIE_ISA_DEFINITIONS ${PIE_ISA_DEFINITIONS} PIE_HAVE_ISA_${name} PARENT_SCOPE)
  message(STATUS "pie: ${name} kernel built (${flag_string})")
endfunction()

pie_isa_variant(AESNI kernels/mc_aesni.c "-msse4.1;-maes" "
  __m128i v = _mm_set1_epi32(1);
  v = _mm_aesenc_si128(v, _mm_mul_epu32(v, v));
  return _mm_cvtsi128_si32(_mm_aesenclast_si128(v, v));")
pie_isa_variant(AVX2 kernels/mc_avx2.c "-mavx2;-maes" "
  __m128i v = _mm_aesenc_si128(_mm_set1_epi32(1), _mm_set1_epi32(2));
  __m256i w = _mm256_cmpgt_epi64(_mm256_set1_epi64x(1), _mm256_broadcastsi128_si256(v));
  return _mm256_movemask_epi8(w);
}
__attribute__((target(\"vaes\"))) __m256i f(__m256i a);
__attribute__((target(\"vaes\"))) __m256i f(__m256i a) {
  return _mm256_aesenclast_epi128(_mm256_aesenc_epi128(a, a), a);")
pie_isa_variant(AVX512 kernels/mc_avx512.c "-mavx512f;-mavx512bw;-mavx512vl;-maes;-mvaes;-mpopcnt" "
  __m512i v = _mm512_aesenc_epi128(_mm512_set1_epi32(1), _mm512_set1_epi32(2));
  v = _mm512_mask_sub_epi64(v, _mm512_cmplt_epu64_mask(v, v), v, _mm512_mul_epu32(v, v));
  return (int)_mm512_reduce_add_epi64(_mm512_aesenclast_epi128(v, v));")
