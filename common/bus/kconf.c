/* kconf: see kconf.h. */
#include "bus/kconf.h"

int sf_kconf_set(rd_kafka_conf_t *conf, const char *what, const char *key, const char *val,
                 sf_error *err)
{
    char es[256];
    if (rd_kafka_conf_set(conf, key, val, es, sizeof es) != RD_KAFKA_CONF_OK)
        return sf_error_set(err, SF_ECONFIG, "%s %s: %s", what, key, es);
    return SF_OK;
}

int sf_kconf_set_pairs(rd_kafka_conf_t *conf, const char *what, const char *const (*kv)[2],
                       size_t n, sf_error *err)
{
    for (size_t i = 0; i < n; i++) {
        int rc = sf_kconf_set(conf, what, kv[i][0], kv[i][1], err);
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}
