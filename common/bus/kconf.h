/*
 * kconf: setting librdkafka configuration properties, shared by the
 * producer (kprod) and the consumer (kcons) so both report a refused
 * property the same way (SF_ECONFIG naming the client, the key and
 * librdkafka's reason).
 */
#ifndef SF_KCONF_H
#define SF_KCONF_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "base/err.h"

/* Set key=val on conf. SF_ECONFIG "<what> <key>: <reason>" when refused. */
int sf_kconf_set(rd_kafka_conf_t *conf, const char *what, const char *key, const char *val,
                 sf_error *err);

/* Set the n {key, value} pairs of kv in order with sf_kconf_set; stops at
 * the first refused one and returns its code. */
int sf_kconf_set_pairs(rd_kafka_conf_t *conf, const char *what, const char *const (*kv)[2],
                       size_t n, sf_error *err);

#endif
