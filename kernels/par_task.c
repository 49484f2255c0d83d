/** @brief Big products as a kernel task: each piece one chunk, run on the run's workers. */
#include "par_gmp.h"

#include <string.h>

/*
 * The pieces of pie__par_mul_n (slices of a large product, or whole
 * products) become the chunks of a task that the engine runs on its workers
 * (pie__par's run). The operands are copied once into memory the workers
 * read (pie__par's share: a session's shared arena), each distinct operand
 * once. Each piece's product comes back as a partial (framed and
 * CRC-checked by the wire on the process backend) and is added into its
 * product in chunk order: the sums, and so the bytes, are the same however
 * the pieces ran.
 *
 * Partial: three little-endian u64 (magic, chunk, words), then the words of
 * the piece's product, least significant first (mpz_export).
 */

#define PIECE_MAGIC UINT64_C(0x5045434549504950) /* "PIPIECEP" little-endian */
#define PIECE_HEADER 24u

typedef struct ptask_job {
    const pie__par_piece *pc;
    unsigned np;
} ptask_job;

typedef struct ptask_acc {
    const pie__par_mul *m;
    const pie__par_piece *pc;
    unsigned np;
    mpz_t tmp;
} ptask_acc;

static int piece_run(const void *jobp, uint64_t chunk, pie_kbuf *out)
{
    const ptask_job *job = jobp;
    if (chunk >= job->np)
        return PIE_K_EINVAL;
    mpz_t r;
    mpz_init(r);
    pie__par_piece_mul(r, &job->pc[chunk]);
    uint64_t words = mpz_sgn(r) ? (mpz_sizeinbase(r, 2) + 63) / 64 : 0;
    int rc = pie_kbuf_reserve(out, PIECE_HEADER + 8 * words);
    if (rc == PIE_K_OK) {
        unsigned char *p = out->data + out->len;
        pie_kput_u64(p, PIECE_MAGIC);
        pie_kput_u64(p + 8, chunk);
        pie_kput_u64(p + 16, words);
        size_t cnt = 0;
        if (words)
            mpz_export(p + PIECE_HEADER, &cnt, -1, 8, -1, 0, r);
        out->len += PIECE_HEADER + 8 * words;
    }
    mpz_clear(r);
    return rc;
}

/* Words a piece's product can have. */
static uint64_t piece_words(const pie__par_piece *pc)
{
    return ((uint64_t)mpz_size(pc->a) + pc->len) * (GMP_NUMB_BITS / 64) + 1;
}

static uint64_t piece_max(const void *jobp, uint64_t chunk)
{
    const ptask_job *job = jobp;
    return chunk < job->np ? PIECE_HEADER + 8 * piece_words(&job->pc[chunk]) : 0;
}

static int piece_merge(void *accp, const void *jobp, uint64_t chunk, const unsigned char *p,
                       size_t len)
{
    ptask_acc *acc = accp;
    (void)jobp;
    if (chunk >= acc->np)
        return PIE_K_EINVAL;
    const pie__par_piece *pc = &acc->pc[chunk];
    if (len < PIECE_HEADER || pie_kget_u64(p) != PIECE_MAGIC || pie_kget_u64(p + 8) != chunk)
        return PIE_K_ECORRUPT;
    uint64_t words = pie_kget_u64(p + 16);
    if (words > piece_words(pc) || len != PIECE_HEADER + 8 * words)
        return PIE_K_ECORRUPT;
    mpz_import(acc->tmp, words, -1, 8, -1, 0, p + PIECE_HEADER);
    mpz_mul_2exp(acc->tmp, acc->tmp, (mp_bitcnt_t)pc->off * GMP_NUMB_BITS);
    mpz_ptr rop = acc->m[pc->prod].rop;
    if (mpz_sgn(rop) == 0)
        mpz_swap(rop, acc->tmp);
    else
        mpz_add(rop, rop, acc->tmp);
    return PIE_K_OK;
}

static const pie_kernel_ops piece_ops = {
    .name = "products",
    .run_chunk = piece_run,
    .merge = piece_merge,
    .max_partial = piece_max,
};

mpz_srcptr pie__par_shared_copy(const pie__par *par, mpz_srcptr v)
{
    static const mp_limb_t zero = 0;
    size_t n = mpz_size(v);
    __mpz_struct *z = par->share(par->user, sizeof *z);
    mp_limb_t *l = n ? par->share(par->user, n * sizeof *l) : NULL;
    if (!z || (n && !l))
        return NULL;
    if (n)
        memcpy(l, mpz_limbs_read(v), n * sizeof *l);
    mpz_roinit_n(z, n ? l : &zero, mpz_sgn(v) < 0 ? -(mp_size_t)n : (mp_size_t)n);
    return z;
}

/* The job in par->share's memory: the pieces with their operands copied
 * there (each distinct operand once). NULL when there is no room. */
static const ptask_job *share_job(const pie__par *par, const pie__par_piece *pieces,
                                  unsigned npieces)
{
    ptask_job *job = par->share(par->user, sizeof *job);
    pie__par_piece *pc = par->share(par->user, npieces * sizeof *pc);
    mpz_srcptr *from = calloc(2 * (size_t)npieces, sizeof *from), *to = NULL;
    if (from)
        to = calloc(2 * (size_t)npieces, sizeof *to);
    unsigned nc = 0, ok = job && pc && from && to;
    for (unsigned i = 0; ok && i < npieces; i++) {
        pc[i] = pieces[i];
        mpz_srcptr *ops[2] = {&pc[i].a, &pc[i].b};
        for (unsigned j = 0; ok && j < 2; j++) {
            unsigned c = 0;
            while (c < nc && from[c] != *ops[j])
                c++;
            if (c == nc) {
                from[nc] = *ops[j];
                to[nc] = pie__par_shared_copy(par, *ops[j]);
                ok = to[nc++] != NULL;
            }
            *ops[j] = to[c];
        }
    }
    free(from);
    free(to);
    if (!ok)
        return NULL;
    *job = (ptask_job){.pc = pc, .np = npieces};
    return job;
}

int pie__par_mul_task(const pie__par_mul *m, unsigned n, const pie__par_piece *pieces,
                      unsigned npieces, const pie__par *par)
{
    const ptask_job *job = share_job(par, pieces, npieces);
    if (!job)
        return PIE_PAR_NO_ROOM;
    ptask_acc acc = {.m = m, .pc = pieces, .np = npieces};
    mpz_init(acc.tmp);
    for (unsigned i = 0; i < n; i++)
        mpz_set_ui(m[i].rop, 0);
    int rc = par->run(par->user, &piece_ops, job, &acc, npieces);
    mpz_clear(acc.tmp);
    for (unsigned i = 0; i < n && rc == PIE_K_OK; i++)
        if (mpz_sgn(m[i].a) * mpz_sgn(m[i].b) < 0)
            mpz_neg(m[i].rop, m[i].rop);
    return rc;
}
