/** @brief libpie public API: compute pi (Monte Carlo, BBP digits, hex digit extraction) on any
 * backend. */
#ifndef PIE_H
#define PIE_H

/*
 * Everything pie computes goes through one model: a job is cut into chunks,
 * each chunk is a pure function of (job, chunk id), the chunks run on some
 * backend (serial loop, forked processes, OpenMP threads, MPI ranks) and their
 * partial results are merged in chunk order. The same job gives the same bytes
 * on every backend and every number of workers.
 *
 * Rules of the API:
 *   - No global mutable state. One pie_ctx per thread is safe; a context must
 *     not be used by two threads at once.
 *   - Functions return a pie_status; pie_strerror() explains it and
 *     pie_ctx_last_error() gives the detail of the last failure on a context.
 *   - The library never prints, never exits and installs no signal handler.
 */

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(PIE_BUILDING_LIBRARY) && defined(__GNUC__)
#define PIE_API __attribute__((visibility("default")))
#else
#define PIE_API
#endif

#define PIE_VERSION_MAJOR 0
#define PIE_VERSION_MINOR 1
#define PIE_VERSION_PATCH 0
#define PIE_VERSION_STRING "0.1.0"
/* One number that grows with every release: 10000*major + 100*minor + patch. */
#define PIE_VERSION_NUMBER (PIE_VERSION_MAJOR * 10000 + PIE_VERSION_MINOR * 100 + PIE_VERSION_PATCH)

/* The version of the library actually linked, e.g. "0.1.0". */
PIE_API const char *pie_version(void);
PIE_API unsigned pie_version_number(void);

/* Status codes. The numbers are stable: new codes are only ever appended. */
typedef enum pie_status {
    PIE_OK = 0,
    PIE_EINVAL = 1,       /* an argument is invalid or out of range */
    PIE_ENOMEM = 2,       /* out of memory, or the job would not fit in memory */
    PIE_EUNSUPPORTED = 3, /* backend or instruction set not built in, or not on this CPU */
    PIE_ESYSTEM = 4,      /* an operating-system call failed (fork, pipe, ...) */
    PIE_EWORKER = 5,      /* a chunk failed on every retry (worker died, hung, sent garbage) */
    PIE_ECORRUPT = 6,     /* data failed its integrity check (frame, checkpoint) */
    PIE_ECANCELED = 7,    /* the cancel flag was raised */
    PIE_EIO = 8,          /* reading or writing a file failed */
    PIE_EVERIFY = 9       /* a result failed its independent check */
} pie_status;

/* A short sentence for a status code; never NULL. */
PIE_API const char *pie_strerror(pie_status status);
/* The enumerator's name without the prefix, e.g. "EINVAL"; never NULL. */
PIE_API const char *pie_status_name(pie_status status);

/* Backends that run the chunks. */
typedef enum pie_backend {
    PIE_BACKEND_SERIAL = 0,  /* a loop in the calling thread */
    PIE_BACKEND_PROCESS = 1, /* forked workers, framed messages over pipes (the default) */
    PIE_BACKEND_THREAD = 2,  /* OpenMP threads in one process */
    PIE_BACKEND_MPI = 3      /* MPI ranks under mpirun */
} pie_backend;

/* "serial", "process", "thread", "mpi"; NULL for an unknown value. */
PIE_API const char *pie_backend_name(pie_backend backend);
/* Parse a backend name; PIE_EINVAL if unknown. */
PIE_API pie_status pie_backend_from_name(const char *name, pie_backend *out);
/* Whether this build has the backend (the thread backend needs OpenMP). */
PIE_API int pie_backend_available(pie_backend backend);

/* Instruction-set variants of the vectorized kernels. */
typedef enum pie_isa {
    PIE_ISA_AUTO = 0,   /* the best variant this CPU supports */
    PIE_ISA_SCALAR = 1, /* portable C, always present: the reference */
    PIE_ISA_AVX2 = 2,   /* AVX2 with AES-NI (VAES on 256 bits where present) */
    PIE_ISA_AVX512 = 3, /* AVX-512F/BW with VAES */
    PIE_ISA_AESNI = 4   /* SSE4.1 with AES-NI, 128 bits at a time */
} pie_isa;

/* "auto", "scalar", "avx2", "avx512", "aesni"; NULL for an unknown value. */
PIE_API const char *pie_isa_name(pie_isa isa);
PIE_API pie_status pie_isa_from_name(const char *name, pie_isa *out);
/* PIE_OK if the variant is built and this CPU runs it, else PIE_EUNSUPPORTED. */
PIE_API pie_status pie_isa_check(pie_isa isa);
/* The variant PIE_ISA_AUTO resolves to on this CPU. */
PIE_API pie_isa pie_isa_best(void);
/* Space-separated list of the CPU features pie looks at that this CPU has. */
PIE_API const char *pie_cpu_features(void);

/* The number of CPUs this process may run on (its affinity mask). */
PIE_API unsigned pie_online_cpus(void);

/* ------------------------------------------------------------------------ */
/* Context                                                                  */

typedef struct pie_ctx pie_ctx;

/* NULL when out of memory. Defaults: process backend, workers = online CPUs,
 * seed 0, ISA auto, no progress callback, no cancel flag. */
PIE_API pie_ctx *pie_ctx_create(void);
/* Accepts NULL. */
PIE_API void pie_ctx_free(pie_ctx *ctx);

#define PIE_MAX_WORKERS 4096u

/* 0 means "auto": the CPUs this process may run on. PIE_EINVAL above PIE_MAX_WORKERS. */
PIE_API pie_status pie_ctx_set_workers(pie_ctx *ctx, unsigned workers);
/* PIE_EUNSUPPORTED if the backend is not in this build. */
PIE_API pie_status pie_ctx_set_backend(pie_ctx *ctx, pie_backend backend);
PIE_API pie_status pie_ctx_set_seed(pie_ctx *ctx, uint64_t seed);
/* PIE_EUNSUPPORTED if the variant is not built or this CPU lacks it. */
PIE_API pie_status pie_ctx_set_isa(pie_ctx *ctx, pie_isa isa);

/* Progress is counted in chunks. The callback runs in the thread that called
 * the run function, or, on the thread backend, in one worker thread at a time;
 * never concurrently. It should return quickly. */
typedef void (*pie_progress_fn)(void *user, uint64_t chunks_done, uint64_t chunks_total);
PIE_API pie_status pie_ctx_set_progress(pie_ctx *ctx, pie_progress_fn fn, void *user);

/* When *flag becomes non-zero (typically from a signal handler) a run stops
 * at the next chunk boundary, stops its workers and returns PIE_ECANCELED.
 * The process backend notices within about 100 ms. NULL removes the flag. */
PIE_API pie_status pie_ctx_set_cancel_flag(pie_ctx *ctx, const volatile sig_atomic_t *flag);

/* How long a process-backend worker may take for one chunk before it is
 * treated as hung, killed and its chunk run elsewhere. 0 (the default) means
 * no limit. */
PIE_API pie_status pie_ctx_set_chunk_timeout(pie_ctx *ctx, double seconds);

/* Checkpoint and resume: with a directory set, every finished chunk's partial
 * is saved there (one file per job, each partial with a CRC, the job's
 * fingerprint in its header; the directory is created if missing). The same
 * run on the same context settings later merges the saved chunks instead of
 * computing them again and gives the identical result; a corrupt or foreign
 * file is detected and its chunks recomputed; a run that succeeds removes its
 * file (and the directory, if that leaves it empty). NULL turns it off (the
 * default); PIE_EINVAL for "" or a name of 1024 bytes or more. */
PIE_API pie_status pie_ctx_set_checkpoint_dir(pie_ctx *ctx, const char *dir);

/* A sentence describing the last failure on this context ("" if none). Valid
 * until the next call on the context. */
PIE_API const char *pie_ctx_last_error(const pie_ctx *ctx);

/* ------------------------------------------------------------------------ */
/* Monte Carlo                                                              */

/* Largest accepted sample count: 2^63. */
#define PIE_MC_MAX_SAMPLES (UINT64_C(1) << 63)
/* Samples per chunk; part of the definition of a job's chunking. */
#define PIE_MC_CHUNK_SAMPLES (UINT64_C(1) << 24)

typedef struct pie_mc_result {
    uint64_t samples; /* N */
    uint64_t inside;  /* samples that fell inside the quarter disc */
    double estimate;  /* 4 * inside / N */
    double std_error; /* 4 * sqrt(p(1-p)/N), p = inside / N */
    double ci95_lo;   /* estimate - 1.959964 * std_error */
    double ci95_hi;   /* estimate + 1.959964 * std_error */
    double abs_error; /* |estimate - pi| */
    double z_score;   /* (estimate - pi) / std_error; 0 when std_error is 0 */
    double seconds;   /* wall time of the run */
    unsigned workers; /* workers actually used */
    pie_backend backend;
    pie_isa isa;        /* the kernel variant used */
    const char *kernel; /* its name, e.g. "avx512"; static storage */
    uint64_t seed;
    uint64_t chunks_total;
    uint64_t chunks_done;   /* equals chunks_total on success; how far a cancelled run got */
    uint64_t chunk_retries; /* chunks re-run after a worker failure */
} pie_mc_result;

/* Draw `samples` points (1 .. PIE_MC_MAX_SAMPLES) and estimate pi. The count
 * depends on (samples, seed) only. On PIE_ECANCELED, chunks_done and
 * chunks_total are filled in. */
PIE_API pie_status pie_mc_run(pie_ctx *ctx, uint64_t samples, pie_mc_result *result);

/* ------------------------------------------------------------------------ */
/* Further workloads (digits, hex) add their sections below.                */

/* ------------------------------------------------------------------------ */
/* Hex digit extraction                                                     */

/* Positions are 1-based after the hex point: pi = 3.243F6A88..., position 1
 * is '2'. The largest supported position, and the most digits one call gives. */
#define PIE_HEX_MAX_POSITION UINT64_C(1000000000000)
#define PIE_HEX_MAX_COUNT 1000u

/* BBP-type formulas. Bellard's needs about 1.43x less work than BBP's. */
typedef enum pie_hex_formula {
    PIE_HEX_BELLARD = 0, /* the default */
    PIE_HEX_BBP = 1
} pie_hex_formula;

/* "bellard", "bbp"; NULL for an unknown value. */
PIE_API const char *pie_hex_formula_name(pie_hex_formula formula);
PIE_API pie_status pie_hex_formula_from_name(const char *name, pie_hex_formula *out);

typedef struct pie_hex_result {
    uint64_t position;               /* first position */
    unsigned count;                  /* digits in hex */
    char hex[PIE_HEX_MAX_COUNT + 1]; /* upper case, NUL-terminated */
    pie_hex_formula formula;         /* the formula asked for */
    pie_hex_formula checked_by;      /* the other formula, which agreed on every digit */
    unsigned passes;                 /* positions computed (more digits than one gives) */
    double seconds;                  /* wall time of the run */
    unsigned workers;
    pie_backend backend;
    pie_isa isa;           /* the kernel variant used */
    const char *kernel;    /* its name, e.g. "avx512"; static storage */
    uint64_t chunks_total; /* over all passes */
    uint64_t chunks_done;
    uint64_t chunk_retries;
} pie_hex_result;

/* The `count` hex digits of pi at positions position .. position+count-1
 * (1 <= position <= PIE_HEX_MAX_POSITION, 1 <= count <= PIE_HEX_MAX_COUNT).
 * Every digit is certain: each is computed with both formulas with a bounded
 * error, and only digits that both fix and on which they agree are given;
 * more digits than one evaluation fixes take further passes. PIE_EVERIFY if
 * the formulas disagree (a fault) or cannot fix a digit. */
PIE_API pie_status pie_hex_run(pie_ctx *ctx, uint64_t position, unsigned count,
                               pie_hex_formula formula, pie_hex_result *result);

/* ------------------------------------------------------------------------ */
/* Digits                                                                   */

/* "3." followed by exactly D digits of pi after the point, truncated (never
 * rounded), base 10 or 16 (upper case), by Bellard's BBP-type series summed
 * with truncated binary splitting on GMP integers, the term range cut into
 * chunks that run on the context's backend and merged in order. The digits
 * are the same bytes on every backend and worker count. A Ziv-style check
 * proves the last digit; when it cannot, the run repeats with more guard bits. */

/* Largest accepted digit count (memory refuses far earlier). */
#define PIE_DIGITS_MAX (UINT64_C(1) << 40)
/* Up to this many digits, verification compares with MPFR's mpfr_const_pi. */
#define PIE_DIGITS_VERIFY_MPFR_MAX UINT64_C(10000000)

/* Called when a phase starts: "series", "division", "radix conversion",
 * "output", "verify". Same thread rules as the progress callback. */
typedef void (*pie_phase_fn)(void *user, const char *phase);

typedef struct pie_digits_options {
    uint64_t digits;    /* D, 1 .. PIE_DIGITS_MAX */
    unsigned base;      /* 10 or 16 */
    const char *path;   /* NULL: the digits go to result->text; otherwise "3.<D digits>\n"
                           is written to this file atomically (temporary file in the same
                           directory, then rename) and result->text stays NULL */
    int verify;         /* non-zero: check against an independent method (see verify_note) */
    pie_phase_fn phase; /* optional */
    void *phase_user;
    unsigned guard_bits; /* guard bits of the first attempt; 0: the default (32). Tiny
                            values make the last-digit check fail and the run retry with
                            4x more bits each time (tests use this); the digits are the
                            same whatever the value */
} pie_digits_options;

typedef struct pie_digits_result {
    char *text;      /* "3." + D digits, NUL-terminated, or NULL (path given);
                        release with pie_digits_result_free */
    size_t text_len; /* D + 2 */
    char sha256[65]; /* hex SHA-256 of the D digits after "3." */
    uint64_t digits;
    unsigned base;
    const char *algorithm; /* static storage */
    double seconds;        /* wall time of the whole run */
    double seconds_series, seconds_division, seconds_radix, seconds_output, seconds_verify;
    unsigned workers;
    pie_backend backend;
    uint64_t terms;                  /* series terms summed */
    uint64_t precision_bits;         /* working precision of the last attempt */
    unsigned attempts;               /* 1 unless the last-digit check asked for more bits */
    uint64_t memory_estimate_bytes;  /* estimated peak over all processes */
    uint64_t memory_available_bytes; /* MemAvailable when the run started (0: unknown) */
    uint64_t peak_rss_bytes;         /* this process's peak RSS plus its workers' */
    int verified;                    /* 1: checked and equal; 0: not checked */
    char verify_note[192];           /* what was checked, or why not */
    uint64_t chunks_total, chunks_done, chunk_retries;
} pie_digits_result;

/* Compute the digits. PIE_EINVAL for a bad digit count, base or output path
 * (checked before any work: the file's directory must take a new file);
 * PIE_ENOMEM when the estimated peak exceeds the memory available (nothing
 * is computed); PIE_EVERIFY when verification disagrees; PIE_EIO when
 * writing fails (no file is left behind). The result is filled in as far as
 * the run got; call pie_digits_result_free on it in every case. */
PIE_API pie_status pie_digits_run(pie_ctx *ctx, const pie_digits_options *options,
                                  pie_digits_result *result);
/* Frees result->text; accepts NULL. */
PIE_API void pie_digits_result_free(pie_digits_result *result);
/* Estimated peak memory (bytes, all processes) of a run on this context. */
PIE_API pie_status pie_digits_estimate(const pie_ctx *ctx, uint64_t digits, unsigned base,
                                       uint64_t *bytes);

/* ------------------------------------------------------------------------ */
/* MPI                                                                      */

/* Under `mpirun -np R prog ...` with the mpi backend every rank runs the same
 * calls with the same arguments; chunk c runs on rank c mod R (inside a rank
 * on its own backend with the context's workers: see below), and every rank
 * merges all partials in chunk order, so every rank gets the serial result.
 * Only rank 0 should print or write files (pie_mpi_rank()).
 *
 * MPI_Init: the first run on the mpi backend initialises MPI (threads
 * serialized) if the program has not; libpie then finalizes it at exit, or
 * earlier with pie_mpi_finalize(). A program that initialised MPI itself
 * keeps control: libpie never finalizes it. One mpi run at a time per
 * process. A rank that dies ends the whole job (fail-stop). */

/* The rank of this process in MPI_COMM_WORLD: from MPI while it is
 * initialised, else from the launcher's environment (Open MPI, PMIx, MPICH),
 * else 0. Also meaningful in builds without MPI. */
PIE_API int pie_mpi_rank(void);
/* The number of ranks, found the same way; 1 outside a launcher. */
PIE_API int pie_mpi_size(void);
/* Initialise MPI now rather than at the first mpi run (so that its start-up
 * cost is not timed with the run); same rules as above. PIE_EUNSUPPORTED
 * without MPI in this build, PIE_ESYSTEM if MPI fails to start. */
PIE_API pie_status pie_mpi_init(void);
/* Finalize MPI if libpie initialised it; otherwise, and when called again,
 * nothing. PIE_ESYSTEM if MPI_Finalize fails. No run on the mpi backend is
 * possible afterwards in this process. */
PIE_API pie_status pie_mpi_finalize(void);
/* How each rank runs its own chunks: PIE_BACKEND_THREAD (the default when
 * built with OpenMP), PIE_BACKEND_PROCESS (the default otherwise) or
 * PIE_BACKEND_SERIAL, with the context's workers per rank (one worker is
 * always serial). PIE_EINVAL for another backend. */
PIE_API pie_status pie_ctx_set_mpi_local_backend(pie_ctx *ctx, pie_backend backend);

#ifdef __cplusplus
}
#endif

#endif /* PIE_H */
