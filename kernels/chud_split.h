/** @brief Nodes of the Chudnovsky splitting tree (internal to the Chudnovsky kernel). */
#ifndef PIE_CHUD_SPLIT_H
#define PIE_CHUD_SPLIT_H

#include "chud_factor.h"
#include "chudnovsky.h"

/* The node of the terms [a, b): P 2^eP, Q 2^eQ, T 2^eT (see chudnovsky.h).
 * hasP is 0 for a node that ends at N, whose P nothing needs. While no
 * truncation has touched P and Q, fp and fq are their factorizations
 * (tracked = 1) and merges divide out the common factors. */
typedef struct pie__chud_node {
    mpz_t P, Q, T;
    int64_t eP, eQ, eT;
    uint64_t a, b;
    int hasP;
    int tracked;
    pie__fac fp, fq;
} pie__chud_node;

void pie__chud_node_init(pie__chud_node *x);
void pie__chud_node_clear(pie__chud_node *x);

/* Relative precision a node starting at term a keeps. */
uint64_t pie__chud_kept_bits(const pie__chud_job *job, uint64_t a);

/* l = l + r (l = [a, m), r = [m, b)): gcd(P1, Q2) divided out when both are
 * tracked (from GCD_MIN_TERMS terms up), the products where par says
 * (par_gmp.h), then truncation; r is left initialized, its values dropped.
 * PIE_K_OK or PIE_K_ENOMEM. */
int pie__chud_merge(const pie__chud_job *job, pie__chud_node *l, pie__chud_node *r,
                    const pie__par *par);

/* The node of [a, b) by binary splitting on one thread, into x
 * (initialized); common factors are removed inside it, and x comes back
 * untracked (no lists): the merges above it remove none (measured: the
 * list work in the parent, on one thread, cost more than the smaller
 * products saved, at 1e6 to 1e8 digits). */
void pie__chud_split(const pie__chud_job *job, pie__chud_node *x, uint64_t a, uint64_t b);

/* Hand chunk `chunk`'s node (malloc'd; owned from here on) to the merge
 * stack; chunks come in order. A failure of an earlier merge is returned
 * here or by pie__chud_top. */
int pie__chud_acc_push(pie__chud_acc *acc, const pie__chud_job *job, uint64_t chunk,
                       pie__chud_node *x);

/* The one node left after pie__chud_top, or NULL. */
pie__chud_node *pie__chud_acc_root(pie__chud_acc *acc);

#endif
