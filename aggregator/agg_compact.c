/*
 * agg_compact: shrink an update plan before it is sent. A rescan's plan
 * removes the old view's contributions and adds the new one's, so for an
 * unchanged image nearly every counter gets -1 then +1 and every set
 * member SREM then SADD: thousands of Redis calls in the apply script
 * (measured ~3,300 ZINCRBY per image with 300 packages) that cancel out.
 *
 * Ops are grouped by (key, member). A group is rewritten only when it is
 * one of these shapes, and left as it is otherwise (mixed kinds keep
 * their order and meaning):
 *   all HINC / all ZINC   -> one op with the sum, none when it is 0
 *   all of one other kind -> one: the last HSET / ZADD, the highest
 *                            ZMAX, the first ZNX, one SADD / SREM / HDEL
 *                            / ZREM (HDELEQs stay: each has its value)
 *   SREM then SADD        -> nothing (the member stays)
 *   ZREM then ZADD        -> ZADD, nothing for the same score
 *                            (HDEL then HSET -> HSET)
 * Summing is exact because no other op touches the group's member, and
 * a removal at zero in between cannot differ: the old view's share is in
 * the stored count, so the partial sums never go below the final one's
 * floor of 0 before rising again (see agg_plan.c: counts derive from the
 * views only).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_plan.h"
#include "base/buf.h"

typedef struct grp {
    size_t first; /* index of the group's first op (+1; 0 = empty slot) */
    size_t n;     /* ops in the group */
    size_t last;  /* index of its last op */
} grp;

#define NONE SIZE_MAX

static int same_slot(const sf_agg_op *a, const sf_agg_op *b)
{
    return a->hash == b->hash && strcmp(a->key, b->key) == 0 &&
           strcmp(a->member, b->member) == 0;
}

/* The strings belong to the plan's blocks: a dropped op is only marked. */
static void drop(sf_agg_op *o) { o->key = o->member = o->value = NULL; }

/* The remove op that an add of code `add` overrides, or -1. */
static int undo_of(sf_agg_opcode add)
{
    return add == SF_AOP_SADD ? SF_AOP_SREM
           : add == SF_AOP_ZADD ? SF_AOP_ZREM
           : add == SF_AOP_HSET ? SF_AOP_HDEL : -1;
}

/* Drop every op of the chain from i except `keep`. */
static void keep_one(sf_agg_plan *p, const size_t *next, size_t i, size_t keep)
{
    for (size_t j = i; j != NONE; j = next[j])
        if (j != keep)
            drop(&p->ops[j]);
}

/* One group of n >= 2 ops on one (key, member), chained from i. */
static int compact_group(sf_agg_plan *p, const size_t *next, size_t i, size_t n)
{
    sf_agg_op *f = &p->ops[i];
    int uniform = 1;
    long long sum = 0;
    size_t last = i, best = i, second = next[i];
    for (size_t j = i; j != NONE; j = next[j]) {
        uniform &= p->ops[j].code == f->code;
        last = j;
    }
    if (uniform) {
        switch (f->code) {
        case SF_AOP_HINC:
        case SF_AOP_ZINC:
            for (size_t j = i; j != NONE; j = next[j])
                sum += strtoll(p->ops[j].value, NULL, 10);
            keep_one(p, next, i, i);
            if (sum == 0) {
                drop(f);
            } else {
                char num[32];
                snprintf(num, sizeof num, "%lld", sum);
                if (!(f->value = sf_agg_plan_str(p, num)))
                    return SF_ENOMEM;
            }
            return SF_OK;
        case SF_AOP_SADD: /* a set member once is a set member */
        case SF_AOP_SREM:
        case SF_AOP_HDEL:
        case SF_AOP_ZREM:
        case SF_AOP_ZNX: /* the first one sets it */
            keep_one(p, next, i, i);
            return SF_OK;
        case SF_AOP_HSET: /* the last writer wins */
        case SF_AOP_ZADD:
            keep_one(p, next, i, last);
            return SF_OK;
        case SF_AOP_ZMAX: /* the highest is what stays */
            for (size_t j = next[i]; j != NONE; j = next[j])
                if (strtod(p->ops[j].value, NULL) > strtod(p->ops[best].value, NULL))
                    best = j;
            keep_one(p, next, i, best);
            return SF_OK;
        default:
            return SF_OK; /* HDELEQ: each compares a value of its own */
        }
    }
    if (n == 2 && undo_of(p->ops[second].code) == (int)f->code) {
        /* The old view's SREM proves the member is there (the apply is
         * guarded by that view), so SREM+SADD is no change at all; so is
         * ZREM+ZADD of the score the old view gave it. ZADD and HSET may
         * carry a new score or value: keep them. */
        if (f->code == SF_AOP_SREM ||
            (f->code == SF_AOP_ZREM && f->value[0] && strcmp(f->value, p->ops[second].value) == 0))
            drop(&p->ops[second]);
        drop(f);
    }
    return SF_OK;
}

int sf_agg_plan_compact(sf_agg_plan *p)
{
    if (p->n < 2)
        return SF_OK;
    size_t cap = 16;
    while (cap < p->n * 2)
        cap *= 2;
    grp *t = calloc(cap, sizeof *t);
    size_t *slot = malloc(p->n * sizeof *slot), *next = malloc(p->n * sizeof *next);
    int rc = t && slot && next ? SF_OK : SF_ENOMEM;
    /* Each op chained to the next op of its group: a group is walked in
     * its own length, not the plan's (a rescan's groups span the plan). */
    for (size_t i = 0; rc == SF_OK && i < p->n; i++) {
        size_t h = (size_t)p->ops[i].hash & (cap - 1);
        while (t[h].first && !same_slot(&p->ops[t[h].first - 1], &p->ops[i]))
            h = (h + 1) & (cap - 1);
        if (!t[h].first)
            t[h].first = i + 1;
        else
            next[t[h].last] = i;
        next[i] = NONE;
        t[h].n++;
        t[h].last = i;
        slot[i] = h;
    }
    for (size_t i = 0; rc == SF_OK && i < p->n; i++) {
        grp *g = &t[slot[i]];
        if (g->n >= 2 && g->first == i + 1)
            rc = compact_group(p, next, i, g->n);
    }
    size_t k = 0;
    for (size_t i = 0; rc == SF_OK && i < p->n; i++)
        if (p->ops[i].key)
            p->ops[k++] = p->ops[i];
    if (rc == SF_OK)
        p->n = k;
    free(t);
    free(slot);
    free(next);
    return rc;
}
