/*
 * kconf: librdkafka configuration shared by every scanfarm program.
 *
 * Setting single properties (sf_kconf_set), used by the producer (kprod)
 * and the consumer (kcons) so both report a refused property the same
 * way (SF_ECONFIG naming the client, the key and librdkafka's reason).
 *
 * User-given properties (sf_kprops), the way kcat's -X works: any
 * librdkafka property from, in rising precedence,
 *   - the config file's "kafka" map (coordinator, worker),
 *   - SCANFARM_KAFKA_PROP_<KEY> environment variables: <KEY> lowercased
 *     with '_' -> '.', so SCANFARM_KAFKA_PROP_SASL_MECHANISM is
 *     sasl.mechanism (lossless: no librdkafka property has an '_'),
 *   - the first-class options below and --kafka-prop key=value
 *     (repeatable), in command-line order.
 * A secret (sf_kconf_secret) may be read from a file: key "<secret>.file"
 * (e.g. sasl.password.file=/run/secrets/kafka, or
 * SCANFARM_KAFKA_PROP_SASL_PASSWORD_FILE) sets <secret> to the file's
 * content without its trailing newline. --kafka-prop refuses a secret's
 * value itself (the process list shows flags): a file or the environment.
 * Secret values are shown as "***" by every dump and never logged.
 *
 * The process-wide set (sf_kconf_install) is applied by kprod and kcons
 * after their own settings, so every producer and consumer of a program
 * gets it and the user's value wins.
 */
#ifndef SF_KCONF_H
#define SF_KCONF_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/opt.h"

/* Set key=val on conf. SF_ECONFIG "<what> <key>: <reason>" when refused. */
int sf_kconf_set(rd_kafka_conf_t *conf, const char *what, const char *key, const char *val,
                 sf_error *err);

/* Set the n {key, value} pairs of kv in order with sf_kconf_set; stops at
 * the first refused one and returns its code. */
int sf_kconf_set_pairs(rd_kafka_conf_t *conf, const char *what, const char *const (*kv)[2],
                       size_t n, sf_error *err);

/* 1 when key's value must never be shown: sasl.password, ssl.key.password,
 * sasl.oauthbearer.client.secret, ssl.key.pem, sasl.oauthbearer.config and
 * anything containing "password" or "secret". */
int sf_kconf_secret(const char *key);

/* Ordered user properties; setting a key again replaces its value. */
typedef struct sf_kprops {
    char **key;
    char **val;
    size_t n;
} sf_kprops;

/* Set key to val ("<secret>.file" keys read the file). SF_ECONFIG for an
 * empty key, an unreadable file or too many properties. */
int sf_kprops_set(sf_kprops *p, const char *key, const char *val, const char *src,
                  sf_error *err);
/* Same from "key=value". */
int sf_kprops_set_kv(sf_kprops *p, const char *kv, const char *src, sf_error *err);
/* The SCANFARM_KAFKA_PROP_* and first-class SCANFARM_KAFKA_* variables of
 * envp (NULL-terminated "NAME=value" strings, e.g. environ). */
int sf_kprops_env(sf_kprops *p, char *const *envp, sf_error *err);
/* Every member of a JSON object: strings, numbers and booleans as text. */
int sf_kprops_json(sf_kprops *p, const json_t *obj, const char *src, sf_error *err);
/* A config document's "kafka" member when it is a map of properties (text
 * is the brokers, the table's row): the map into p, its bootstrap.servers
 * into *brokers (replacing it), and the member out of doc. */
int sf_kprops_doc(sf_kprops *p, json_t *doc, char **brokers, const char *src, sf_error *err);

/*
 * Command line: when argv[*i] is one of the Kafka options (--kafka-prop,
 * --kafka-security-protocol, ... also as --opt=value), consume it and its
 * value (advancing *i past a separate value) and return 1; with set = 0
 * only skip it. 0 when argv[*i] is not one; negative SF_E* on a missing
 * value or bad property.
 */
int sf_kprops_flag(sf_kprops *p, int argc, char **argv, int *i, int set, sf_error *err);

/* Try every property on a fresh librdkafka config: SF_ECONFIG with
 * librdkafka's own text ("kafka <key>: No such configuration property ...")
 * for the first refused one. */
int sf_kprops_check(const sf_kprops *p, sf_error *err);
/* Apply p to conf (after the caller's own settings). */
int sf_kprops_apply(const sf_kprops *p, rd_kafka_conf_t *conf, const char *what,
                    sf_error *err);
/* The properties as a JSON object, secrets as "***" (new reference). */
json_t *sf_kprops_dump_json(const sf_kprops *p);
/* The properties as "kafka.<key> = <value>" lines, secrets redacted. */
int sf_kprops_dump_text(const sf_kprops *p, const char *prefix, sf_buf *out);
/* Copy src into dst (replacing dst's content). */
int sf_kprops_copy(sf_kprops *dst, const sf_kprops *src);
/* Free everything, wiping values; p stays usable (empty). */
void sf_kprops_clear(sf_kprops *p);

/* The Kafka options as option-engine rows (base/opt.h): FUNC rows on an
 * sf_kprops, for a group at offsetof(<program config>, kprops). Not config
 * file keys: the file's "kafka" map holds the properties. */
#define SF_KCONF_NOPTS 6
extern const sf_opt SF_KCONF_OPTS[SF_KCONF_NOPTS];


/* Make a copy of p the process-wide set (call once at start-up, before any
 * producer or consumer exists; not thread-safe against them). */
int sf_kconf_install(const sf_kprops *p, sf_error *err);
/* Apply the process-wide set to conf (no-op when none is installed). */
int sf_kconf_apply_global(rd_kafka_conf_t *conf, const char *what, sf_error *err);

/*
 * With a secured security.protocol installed, connect to brokers once and
 * return SF_ECONFIG "kafka: brokers refused the connection: <librdkafka's
 * reason>" when they refuse the credentials or the TLS handshake (a wrong
 * password fails within seconds instead of librdkafka retrying forever).
 * Unreachable brokers are not an error (clients keep retrying): SF_OK after
 * SF_KCONF_PREFLIGHT_MS. Accepted brokers are remembered; thread-safe.
 * Called by sf_kprod_new and sf_kcons_new.
 */
int sf_kconf_preflight(const char *brokers, sf_error *err);

/*
 * For getopt-style programs: take the Kafka options out of argv (so the
 * program's own parser never sees them; *argc shrinks), add the
 * environment, check, and install the result. SF_ECONFIG with a message.
 */
int sf_kconf_from_args(int *argc, char **argv, sf_error *err);

#endif
