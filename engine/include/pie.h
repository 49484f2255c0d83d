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
 *   - A context (pie_ctx) holds the environment a run happens in: backend,
 *     workers, instruction set, progress callback, cancel flag, chunk timeout,
 *     checkpoint directory. Every setter has a getter.
 *   - Each run takes its workload's options (the job: what to compute) and
 *     returns a result that the library allocates. Every result is released
 *     with pie_result_free(), in every case, also after a failure.
 *   - Options structs begin with `size`, set by their init function: fields
 *     added in later versions go at the end, so a program built against an
 *     older pie.h keeps working with a newer library.
 *   - Functions return a pie_status; pie_strerror() explains it and
 *     pie_ctx_last_error() gives the detail of the last failure on a context.
 *   - Name lookups (*_from_name) ignore case.
 *   - No global mutable state, with one exception: MPI's process-wide state
 *     (see the MPI section). One pie_ctx per thread is safe; a context must
 *     not be used by two threads at once.
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
#define PIE_VERSION_MINOR 2
#define PIE_VERSION_PATCH 0
#define PIE_VERSION_STRING "0.2.0"
/* One number that grows with every release: 10000*major + 100*minor + patch. */
#define PIE_VERSION_NUMBER (PIE_VERSION_MAJOR * 10000 + PIE_VERSION_MINOR * 100 + PIE_VERSION_PATCH)

/* The version of the library actually linked, e.g. "0.2.0". */
PIE_API const char *pie_version(void);
PIE_API unsigned pie_version_number(void);

/* ------------------------------------------------------------------------ */
/* Status                                                                   */

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

/* ------------------------------------------------------------------------ */
/* Workloads, backends, instruction sets                                    */

/* What pie computes. */
typedef enum pie_workload {
    PIE_WORKLOAD_MC = 0,     /* Monte Carlo estimate (pie_mc_run) */
    PIE_WORKLOAD_HEX = 1,    /* hex digits at a position (pie_hex_run) */
    PIE_WORKLOAD_DIGITS = 2, /* the first D digits (pie_digits_run) */
    PIE_WORKLOAD_COUNT = 3   /* how many there are; not a workload */
} pie_workload;

/* "mc", "hex", "digits"; NULL for any other value (so a loop from 0 until
 * NULL visits every workload). */
PIE_API const char *pie_workload_name(pie_workload workload);
PIE_API pie_status pie_workload_from_name(const char *name, pie_workload *out);

/* Backends that run the chunks. */
typedef enum pie_backend {
    PIE_BACKEND_SERIAL = 0,  /* a loop in the calling thread */
    PIE_BACKEND_PROCESS = 1, /* forked workers, framed messages over pipes (the default) */
    PIE_BACKEND_THREAD = 2,  /* OpenMP threads in one process */
    PIE_BACKEND_MPI = 3,     /* MPI ranks under mpirun */
    PIE_BACKEND_COUNT = 4    /* how many there are; not a backend */
} pie_backend;

/* What a backend is like: pie_backend_flags() returns these bits. */
enum {
    PIE_BACKEND_ONE_WORKER = 1u << 0,    /* always runs one worker */
    PIE_BACKEND_IN_PROCESS = 1u << 1,    /* runs chunks inside the calling process */
    PIE_BACKEND_FORKS = 1u << 2,         /* runs chunks in child processes of the caller */
    PIE_BACKEND_NESTS = 1u << 3,         /* runs another backend inside each of its workers */
    PIE_BACKEND_NEEDS_LAUNCHER = 1u << 4 /* every rank must run the same calls (mpirun) */
};

/* "serial", "process", "thread", "mpi"; NULL for any other value. */
PIE_API const char *pie_backend_name(pie_backend backend);
/* Parse a backend name; PIE_EINVAL if unknown. */
PIE_API pie_status pie_backend_from_name(const char *name, pie_backend *out);
/* PIE_OK if this build has the backend (the thread backend needs OpenMP,
 * mpi needs MPI), PIE_EUNSUPPORTED if not, PIE_EINVAL for an unknown value. */
PIE_API pie_status pie_backend_available(pie_backend backend);
/* PIE_BACKEND_* bits; 0 for an unknown value. */
PIE_API unsigned pie_backend_flags(pie_backend backend);

/* Instruction-set variants of the kernels. Each workload has its own set of
 * variants (hex has no aesni variant, digits has only the portable one). */
typedef enum pie_isa {
    PIE_ISA_AUTO = 0,   /* the best variant this CPU supports */
    PIE_ISA_SCALAR = 1, /* portable C, always present: the reference */
    PIE_ISA_AVX2 = 2,   /* AVX2 (MC: with AES-NI, VAES where present; hex: with FMA) */
    PIE_ISA_AVX512 = 3, /* AVX-512 (MC: F/BW/VL with VAES; hex: F/DQ/VL with IFMA) */
    PIE_ISA_AESNI = 4,  /* MC only: SSE4.1 with AES-NI, 128 bits at a time */
    PIE_ISA_COUNT = 5   /* how many there are; not a variant */
} pie_isa;

/* "auto", "scalar", "avx2", "avx512", "aesni"; NULL for any other value. */
PIE_API const char *pie_isa_name(pie_isa isa);
PIE_API pie_status pie_isa_from_name(const char *name, pie_isa *out);
/* PIE_OK if the workload has this variant, it is built, and this CPU runs it
 * (PIE_ISA_AUTO: always); PIE_EUNSUPPORTED if it is not built or this CPU
 * cannot run it; PIE_EINVAL for an unknown workload or variant, or one the
 * workload does not have (hex has no aesni variant). */
PIE_API pie_status pie_isa_check(pie_workload workload, pie_isa isa);
/* The variant PIE_ISA_AUTO resolves to for the workload on this CPU. */
PIE_API pie_isa pie_isa_best(pie_workload workload);
/* Space-separated list of the CPU features pie looks at that this CPU has
 * and dispatch may use. The environment variable PIE_CPU_DISABLE (read once,
 * at the first use) hides features from dispatch, as if the CPU lacked them:
 * a comma- or space-separated list of names as printed here, "avx512" for
 * every AVX-512 feature, or "all". It lets a machine run the code paths of a
 * lesser CPU. */
PIE_API const char *pie_cpu_features(void);
/* The features hidden by PIE_CPU_DISABLE, space-separated ("" if none). */
PIE_API const char *pie_cpu_features_disabled(void);

/* The number of CPUs this process may run on (its affinity mask). */
PIE_API unsigned pie_online_cpus(void);

/* ------------------------------------------------------------------------ */
/* Context                                                                  */

typedef struct pie_ctx pie_ctx;

/* NULL when out of memory. Defaults: process backend, workers = online CPUs,
 * ISA auto, no progress callback, no cancel flag, no chunk timeout, no
 * checkpoint. */
PIE_API pie_ctx *pie_ctx_create(void);
/* Accepts NULL. */
PIE_API void pie_ctx_free(pie_ctx *ctx);

#define PIE_MAX_WORKERS 4096u

/* 0 means "auto": the CPUs this process may run on. PIE_EINVAL above PIE_MAX_WORKERS. */
PIE_API pie_status pie_ctx_set_workers(pie_ctx *ctx, unsigned workers);
PIE_API unsigned pie_ctx_get_workers(const pie_ctx *ctx);

/* PIE_EUNSUPPORTED if the backend is not in this build. */
PIE_API pie_status pie_ctx_set_backend(pie_ctx *ctx, pie_backend backend);
PIE_API pie_backend pie_ctx_get_backend(const pie_ctx *ctx);

/* The kernel variant a run should use. PIE_EINVAL for an unknown value; a
 * variant the run's workload does not have makes that run fail with
 * PIE_EINVAL, one this CPU cannot run with PIE_EUNSUPPORTED (check first
 * with pie_isa_check). */
PIE_API pie_status pie_ctx_set_isa(pie_ctx *ctx, pie_isa isa);
PIE_API pie_isa pie_ctx_get_isa(const pie_ctx *ctx);

/* Progress. `phase` names what is being counted ("monte carlo", "hex",
 * "series", "division", "radix conversion", "verify", "output"); `done` and
 * `total` count chunks, and total is 0 for a phase that has no count (it is
 * called once as that phase starts). For a phase with a count, done grows
 * to total; a workload that runs in passes (hex digits beyond one pass's
 * reach) counts each pass from 0 again. The callback runs in the thread that called the run
 * function or, on the thread backend, in one worker thread at a time; never
 * concurrently. It should return quickly. */
typedef void (*pie_progress_fn)(void *user, const char *phase, uint64_t done, uint64_t total);
PIE_API pie_status pie_ctx_set_progress(pie_ctx *ctx, pie_progress_fn fn, void *user);
PIE_API pie_progress_fn pie_ctx_get_progress(const pie_ctx *ctx, void **user);

/* When *flag becomes non-zero (typically from a signal handler) a run stops
 * at the next chunk boundary, stops its workers and returns PIE_ECANCELED.
 * The process backend polls the flag every 50 ms. NULL removes the flag.
 * The library reads the flag with atomic loads (from several threads on the
 * thread backend): raise it from a signal handler, or from another thread
 * (or a progress callback) with an atomic store such as
 * __atomic_store_n(&flag, 1, __ATOMIC_RELAXED). */
PIE_API pie_status pie_ctx_set_cancel_flag(pie_ctx *ctx, const volatile sig_atomic_t *flag);
PIE_API const volatile sig_atomic_t *pie_ctx_get_cancel_flag(const pie_ctx *ctx);

/* How long a process-backend worker may take for one chunk before it is
 * treated as hung, killed and its chunk run elsewhere. 0 (the default) means
 * no limit. PIE_EINVAL outside 0 .. 1e9 seconds. */
PIE_API pie_status pie_ctx_set_chunk_timeout(pie_ctx *ctx, double seconds);
PIE_API double pie_ctx_get_chunk_timeout(const pie_ctx *ctx);

/* Checkpoint and resume: with a directory set, every finished chunk's partial
 * is saved there (one file per job, each partial with a CRC, the job's
 * fingerprint in its header; the directory is created if missing). The same
 * run later merges the saved chunks instead of computing them again and gives
 * the identical result; a corrupt or foreign file is detected and its chunks
 * recomputed; a run that succeeds removes its file (and the directory, if
 * that leaves it empty). NULL turns it off (the default); PIE_EINVAL for ""
 * or a name of 1024 bytes or more. */
PIE_API pie_status pie_ctx_set_checkpoint_dir(pie_ctx *ctx, const char *dir);
/* The directory, or NULL when checkpoints are off. Valid until the next
 * setter call on the context. */
PIE_API const char *pie_ctx_get_checkpoint_dir(const pie_ctx *ctx);

/* A sentence describing the last failure on this context ("" if none). Valid
 * until the next call on the context. */
PIE_API const char *pie_ctx_last_error(const pie_ctx *ctx);

/* A sentence describing a problem of the last run that did not make it fail
 * ("" if none), e.g. a checkpoint that could not be removed after the
 * result was complete: the run returns PIE_OK and its result, and the
 * caller may tell the user. Cleared when a run starts; valid until the next
 * call on the context. */
PIE_API const char *pie_ctx_last_warning(const pie_ctx *ctx);

/* ------------------------------------------------------------------------ */
/* Placement and topology                                                   */

/* Where workers run. `spec` is one of
 *   "none"     the default: the OS places them (recorded as "none");
 *   "cores"    one worker per physical core before any core's second
 *              hardware thread (SMT sibling);
 *   "threads"  every hardware thread in order, a core's siblings together;
 *   "compact"  fill one NUMA node (or package) first, one worker per core
 *              before siblings, then the next node;
 *   "scatter"  spread workers round-robin over the NUMA nodes (or packages);
 *   a list     CPU numbers and ranges, "0,2,4-7": worker k on the k-th.
 * With more workers than the spec has CPUs, placement wraps around. The
 * process backend sets each worker's affinity after fork, the thread
 * backend pins each OpenMP thread for the run (and restores its mask), the
 * serial backend pins the calling thread for the run. The mpi backend
 * refuses a spec other than "none" at run time: bind ranks with the
 * launcher (mpirun --bind-to core). PIE_EINVAL for NULL, an unknown or
 * malformed spec, or a CPU outside this process's affinity mask (a cgroup's
 * cpuset narrows it); pie_ctx_last_error says which. */
PIE_API pie_status pie_ctx_set_pin(pie_ctx *ctx, const char *spec);
/* The spec, "none" by default; valid until the next setter call. */
PIE_API const char *pie_ctx_get_pin(const pie_ctx *ctx);
/* The CPU of each of `workers` workers under `spec` into cpus[0..workers-1]
 * ("none": PIE_EINVAL). `why` (may be NULL) receives the reason for a
 * PIE_EINVAL. Front ends use it to pin threads of their own. */
PIE_API pie_status pie_pin_resolve(const char *spec, unsigned workers, unsigned *cpus, char *why,
                                   size_t whylen);

/* The machine as pie sees it: from hwloc when the build has it, else only
 * the affinity mask ("unavailable": every CPU its own core, one package).
 * Counts cover the CPUs this process may run on. */
typedef struct pie_topology {
    int from_hwloc;                         /* 1: described by hwloc; 0: topology unavailable */
    const char *source;                     /* "hwloc 2.9.0" or "unavailable" */
    unsigned cpus;                          /* logical CPUs this process may run on */
    unsigned cores;                         /* physical cores with at least one of them */
    unsigned packages;                      /* sockets with at least one */
    unsigned numa_nodes;                    /* NUMA nodes with at least one (0: unknown) */
    unsigned threads_per_core;              /* the most hardware threads of one core */
    uint64_t l1d_bytes, l2_bytes, l3_bytes; /* one cache of each level; 0: unknown */
    unsigned l2_count, l3_count;            /* how many of them */
    unsigned cpu_kinds;    /* kinds of core: 2 or more on a hybrid CPU; 0: unknown */
    const char *kinds;     /* "IntelCore:0-7 IntelAtom:8-15" ("" unless hybrid) */
    const char *cpu_list;  /* the CPUs, "0-15" */
    const char *core_list; /* one line per core, "0,8 1,9 ..." (siblings with commas) */
    const char *node_list; /* per NUMA node (or package) its CPUs, "0-7 8-15" */
} pie_topology;

/* *out = a new description (NULL when out of memory: PIE_ENOMEM); free it
 * with pie_result_free. */
PIE_API pie_status pie_topology_get(pie_topology **out);

/* ------------------------------------------------------------------------ */
/* Results                                                                  */

/* Releases any result a run function returned (pie_mc_result,
 * pie_hex_result, pie_digits_result, pie_topology) with everything it
 * points to. Accepts NULL. */
PIE_API void pie_result_free(const void *result);

/* ------------------------------------------------------------------------ */
/* Monte Carlo                                                              */

/* Largest accepted sample count: 2^63. */
#define PIE_MC_MAX_SAMPLES (UINT64_C(1) << 63)
/* Samples per chunk; part of the definition of a job's chunking. */
#define PIE_MC_CHUNK_SAMPLES (UINT64_C(1) << 24)

typedef struct pie_mc_options {
    size_t size;      /* sizeof(pie_mc_options), set by pie_mc_options_init */
    uint64_t samples; /* N, 1 .. PIE_MC_MAX_SAMPLES; default 1e9 */
    uint64_t seed;    /* default 0 */
} pie_mc_options;

/* Fill in `size` and the defaults. */
PIE_API void pie_mc_options_init(pie_mc_options *options);

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
    uint64_t chunks_done;    /* equals chunks_total on success; how far a cancelled run got */
    uint64_t chunk_retries;  /* chunks re-run after a worker failure */
    const char *pin;         /* the placement spec of the run ("none" by default) */
    const char *worker_cpus; /* the CPU each worker ran on, "0,1,2,3" (see below) */
} pie_mc_result;

/* worker_cpus: one CPU number per worker, in worker order: where a pinned
 * worker was placed (and checked to run), or where an unpinned one last ran
 * (the thread that ran it, or for the process backend /proc/PID/stat as the
 * worker ended); "" when not known. Under mpi: the CPUs of rank 0's own
 * workers. Both strings point into storage the result owns. */

/* Draw the samples and estimate pi. The count depends on (samples, seed)
 * only. *result is set to a new result filled in as far as the run got
 * (NULL only when out of memory, or when ctx or result is NULL); free it
 * with pie_result_free in every case. */
PIE_API pie_status pie_mc_run(pie_ctx *ctx, const pie_mc_options *options, pie_mc_result **result);

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

/* "bellard", "bbp"; NULL for any other value. */
PIE_API const char *pie_hex_formula_name(pie_hex_formula formula);
PIE_API pie_status pie_hex_formula_from_name(const char *name, pie_hex_formula *out);

typedef struct pie_hex_options {
    size_t size;             /* sizeof(pie_hex_options), set by pie_hex_options_init */
    uint64_t position;       /* first position, 1 .. PIE_HEX_MAX_POSITION; default 1 */
    unsigned count;          /* digits, 1 .. PIE_HEX_MAX_COUNT; default 14 */
    pie_hex_formula formula; /* default PIE_HEX_BELLARD */
} pie_hex_options;

PIE_API void pie_hex_options_init(pie_hex_options *options);

typedef struct pie_hex_result {
    uint64_t position;          /* first position */
    unsigned count;             /* digits in hex */
    const char *hex;            /* upper case, NUL-terminated ("" after a failure) */
    pie_hex_formula formula;    /* the formula asked for */
    pie_hex_formula checked_by; /* the other formula, which agreed on every digit */
    unsigned passes;            /* positions computed (more digits than one gives) */
    double seconds;             /* wall time of the run */
    unsigned workers;
    pie_backend backend;
    pie_isa isa;           /* the kernel variant used */
    const char *kernel;    /* its name, e.g. "avx512"; static storage */
    uint64_t chunks_total; /* over all passes */
    uint64_t chunks_done;
    uint64_t chunk_retries;
    const char *pin; /* as in pie_mc_result (of the last pass) */
    const char *worker_cpus;
} pie_hex_result;

/* The `count` hex digits of pi at positions position .. position+count-1.
 * Every digit is certain: each is computed with both formulas with a bounded
 * error, and only digits that both fix and on which they agree are given;
 * more digits than one evaluation fixes take further passes. PIE_EVERIFY if
 * the formulas disagree (a fault) or cannot fix a digit. *result as for
 * pie_mc_run. */
PIE_API pie_status pie_hex_run(pie_ctx *ctx, const pie_hex_options *options,
                               pie_hex_result **result);

/* ------------------------------------------------------------------------ */
/* Digits                                                                   */

/* "3." followed by exactly D digits of pi after the point, truncated (never
 * rounded), base 10 or 16 (upper case). The digits are the same bytes on
 * every backend and worker count. A Ziv-style check proves the last digit;
 * when it cannot, the run repeats with more guard bits. */

/* Largest accepted digit count (memory refuses far earlier). */
#define PIE_DIGITS_MAX (UINT64_C(1) << 40)
/* Up to this many digits, verification compares with MPFR's mpfr_const_pi. */
#define PIE_DIGITS_VERIFY_MPFR_MAX UINT64_C(10000000)

/* How the digits are computed. */
typedef enum pie_digits_algorithm {
    /* Bellard's BBP-type series summed with truncated binary splitting on
     * GMP integers, the term range cut into chunks merged in order. */
    PIE_DIGITS_BBP = 0,
    /* The Chudnovsky series (14 digits a term) by truncated binary
     * splitting, its subtrees as chunks merged in a fixed tree, then a
     * square root and a division (the default; docs/digits.md). */
    PIE_DIGITS_CHUDNOVSKY = 1
} pie_digits_algorithm;

/* "bbp", "chudnovsky"; NULL for any other value. */
PIE_API const char *pie_digits_algorithm_name(pie_digits_algorithm algorithm);
PIE_API pie_status pie_digits_algorithm_from_name(const char *name, pie_digits_algorithm *out);

/* Where the Chudnovsky run's big operations after the series run: the top
 * merges' products, the division, the products around the conversion and
 * its two halves. */
typedef enum pie_digits_big_ops {
    /* On threads of the calling process, as many as the run's workers (the
     * default: on 2 cores 5-6% faster than WORKERS, with less memory;
     * docs/digits.md). */
    PIE_DIGITS_BIG_OPS_THREADS = 0,
    /* On the process backend, as tasks on its workers (kept from the
     * series for the whole run): the operands are copied to a mapping they
     * share, the results come back over the pipes; a worker lost in one is
     * replaced and its piece run again. Other backends use threads. */
    PIE_DIGITS_BIG_OPS_WORKERS = 1
} pie_digits_big_ops;

/* "threads", "workers"; NULL for any other value. */
PIE_API const char *pie_digits_big_ops_name(pie_digits_big_ops big_ops);
PIE_API pie_status pie_digits_big_ops_from_name(const char *name, pie_digits_big_ops *out);

typedef struct pie_digits_options {
    size_t size;     /* sizeof(pie_digits_options), set by pie_digits_options_init */
    uint64_t digits; /* D, 1 .. PIE_DIGITS_MAX; default 1e6 */
    unsigned base;   /* 10 (default) or 16 */
    pie_digits_algorithm algorithm;
    const char *path; /* NULL (default): the digits go to result->text; otherwise
                         "3.<D digits>\n" is written to this file atomically
                         (temporary file in the same directory, then rename) and
                         result->text is NULL */
    int verify;       /* non-zero: check against an independent method (see verify_note) */
    pie_digits_big_ops big_ops; /* Chudnovsky only; default THREADS */
} pie_digits_options;

PIE_API void pie_digits_options_init(pie_digits_options *options);

typedef struct pie_digits_result {
    const char *text; /* "3." + D digits, NUL-terminated, or NULL (path given) */
    size_t text_len;  /* D + 2 */
    char sha256[65];  /* hex SHA-256 of the D digits after "3." */
    uint64_t digits;
    unsigned base;
    pie_digits_algorithm algorithm;
    const char *algorithm_name; /* static storage */
    double seconds;             /* wall time of the whole run */
    double seconds_series, seconds_division, seconds_radix, seconds_output, seconds_verify;
    unsigned workers;
    pie_backend backend;
    uint64_t terms;                  /* series terms summed */
    uint64_t precision_bits;         /* working precision of the last attempt */
    unsigned attempts;               /* 1 unless the last-digit check asked for more bits */
    uint64_t memory_estimate_bytes;  /* estimated peak over all processes */
    uint64_t memory_available_bytes; /* MemAvailable, or less under a memory cgroup (0: unknown) */
    uint64_t peak_rss_bytes;         /* this process's peak RSS plus its workers' */
    int verified;                    /* 1: checked and equal; 0: not checked */
    char verify_note[192];           /* what was checked, or why not */
    uint64_t chunks_total, chunks_done, chunk_retries;
    const char *pin; /* as in pie_mc_result (of the series) */
    const char *worker_cpus;
    /* Where the big operations ran: "threads" or "workers" (static
     * storage); "" for the BBP series, which has none. */
    const char *big_ops_name;
    /* CPU time of the run, user and system: this process's threads and the
     * process backend's workers (from their exit status; an MPI rank counts
     * its own). */
    double cpu_seconds;
    /* This process's CPU time in each phase, all its threads (workers'
     * time is in cpu_seconds only): over the phase's seconds, how many CPUs
     * it kept busy. */
    double cpu_seconds_series, cpu_seconds_division, cpu_seconds_radix, cpu_seconds_output,
        cpu_seconds_verify;
} pie_digits_result;

/* Compute the digits. PIE_EINVAL for a bad digit count, base, algorithm or
 * output path (checked before any work: the file's directory must take a
 * new file); PIE_ENOMEM when the estimated peak exceeds the memory
 * available (MemAvailable, the memory cgroup's limit, or per process the
 * address-space limit RLIMIT_AS; nothing is computed), or when a worker
 * still ran out of memory on every attempt at a chunk; PIE_EVERIFY when verification disagrees;
 * PIE_EIO when writing fails (no file is left behind). *result as for
 * pie_mc_run. */
PIE_API pie_status pie_digits_run(pie_ctx *ctx, const pie_digits_options *options,
                                  pie_digits_result **result);
/* Estimated peak memory (bytes, all processes) of that run on this context. */
PIE_API pie_status pie_digits_estimate(const pie_ctx *ctx, const pie_digits_options *options,
                                       uint64_t *bytes);

/* ------------------------------------------------------------------------ */
/* MPI                                                                      */

/* Under `mpirun -np R prog ...` with the mpi backend every rank runs the same
 * calls with the same arguments; chunk c runs on rank c mod R (inside a rank
 * on its own backend with the context's workers: see below), and every rank
 * merges all partials in chunk order, so every rank gets the serial result.
 * Only rank 0 should print or write files (pie_mpi_rank()).
 *
 * MPI's state is process-wide, the one exception to "no global state": the
 * first run on the mpi backend initialises MPI (threads serialized) if the
 * program has not; libpie then finalizes it at exit, or earlier with
 * pie_mpi_finalize(). A program that initialised MPI itself keeps control:
 * libpie never finalizes it. One mpi run at a time per process. A rank that
 * dies ends the whole job (fail-stop). */

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
/* The backend each rank will use (the default resolved). */
PIE_API pie_backend pie_ctx_get_mpi_local_backend(const pie_ctx *ctx);

/* ------------------------------------------------------------------------ */
/* Experimental: knobs for tests. They may change or go away in any release. */

/* Guard bits of a digits run's first attempt; 0 (the default) means 32. Tiny
 * values make the last-digit check fail and the run retry with 4x more bits
 * each time; the digits are the same whatever the value. PIE_EINVAL above
 * 65536. */
PIE_API pie_status pie_ctx_set_test_guard_bits(pie_ctx *ctx, unsigned bits);
PIE_API unsigned pie_ctx_get_test_guard_bits(const pie_ctx *ctx);

/* A deliberate fault in the next Chudnovsky digits runs on this context, so
 * that tests see each check catch it: the binary value (a bit at the hex
 * digits --verify compares with digit extraction), the digits' value before
 * the radix conversion (only the MPFR comparison can see it), or one printed
 * digit after the conversion (the radix conversion's modular check, on every
 * run, catches it). PIE_EINVAL for another value. */
typedef enum pie_test_corrupt {
    PIE_TEST_CORRUPT_NONE = 0,
    PIE_TEST_CORRUPT_BINARY = 1,
    PIE_TEST_CORRUPT_VALUE = 2,
    PIE_TEST_CORRUPT_TEXT = 3
} pie_test_corrupt;
PIE_API pie_status pie_ctx_set_test_corrupt(pie_ctx *ctx, pie_test_corrupt where);
PIE_API pie_test_corrupt pie_ctx_get_test_corrupt(const pie_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* PIE_H */
