/** @brief Monte Carlo chunking and ordered merge: a chunk's partial is its inside count. */
#include "mc_kernel.h"

uint64_t pie__mc_job_chunks(const pie_mc_job *job)
{
    return job->samples / job->chunk_samples + (job->samples % job->chunk_samples != 0);
}

static int mc_run_chunk(const void *vjob, uint64_t chunk, pie_kbuf *out)
{
    const pie_mc_job *job = vjob;
    if (chunk >= pie__mc_job_chunks(job))
        return PIE_K_EINVAL;
    uint64_t first = chunk * job->chunk_samples;
    uint64_t count =
        job->samples - first < job->chunk_samples ? job->samples - first : job->chunk_samples;
    unsigned char bytes[8];
    pie_kput_u64(bytes, job->count(job->seed, first, count));
    return pie_kbuf_append(out, bytes, sizeof bytes);
}

static int mc_merge(void *vacc, const void *vjob, uint64_t chunk, const unsigned char *partial,
                    size_t len)
{
    const pie_mc_job *job = vjob;
    pie_mc_acc *acc = vacc;
    if (len != 8 || chunk >= pie__mc_job_chunks(job))
        return PIE_K_ECORRUPT;
    uint64_t inside = pie_kget_u64(partial);
    if (inside > job->chunk_samples) /* a count can never exceed its chunk */
        return PIE_K_ECORRUPT;
    acc->inside += inside;
    return PIE_K_OK;
}

static uint64_t mc_max_partial(const void *job, uint64_t chunk)
{
    (void)job;
    (void)chunk;
    return 8;
}

const pie_kernel_ops pie__mc_kernel_ops = {
    .name = "mc",
    .run_chunk = mc_run_chunk,
    .merge = mc_merge,
    .max_partial = mc_max_partial,
};
