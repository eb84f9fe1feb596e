/*
 * events_opts: the rows of the events options (events.h) in the
 * coordinator's option table (config.c G_OPTS), kept here so the intake's
 * settings live beside the intake. Expanded inside config.c, where sf_opt,
 * the SF_OT_* types and G() are defined; nothing else may include it.
 */
#ifndef SF_COORD_EVENTS_OPTS_H
#define SF_COORD_EVENTS_OPTS_H

#define SF_EV_TOKEN_ROWS(src, SRC)                                                               \
    {"events_token_" #src, SF_OT_STR, G(events.token_##src), NULL,                                  \
     "SCANFARM_EVENTS_TOKEN_" #SRC, 1, 0, 0,                                                     \
     "token or shared secret of POST /v1/events/" #src " (environment or file only)"},           \
    {"events_token_" #src "_file", SF_OT_STR, G(events.token_file_##src), NULL,                     \
     "SCANFARM_EVENTS_TOKEN_" #SRC "_FILE", 0, 0, 0,                                             \
     "file holding the token of POST /v1/events/" #src " (first line)"}

#define SF_EVENTS_G_OPTS                                                                         \
    {"events_listen", SF_OT_STR, G(events.listen), NULL, "SCANFARM_EVENTS_LISTEN", 0, 0, 0,         \
     "host:port of the registry webhook listener (scan on push, docs/events.md); unset = off; "  \
     "without registries the coordinator only listens"},                                         \
    {"events_tls_cert", SF_OT_STR, G(events.tls_cert), NULL, "SCANFARM_EVENTS_TLS_CERT", 0, 0, 0,   \
     "PEM certificate chain: the listener speaks TLS (with events_tls_key)"},                    \
    {"events_tls_key", SF_OT_STR, G(events.tls_key), NULL, "SCANFARM_EVENTS_TLS_KEY", 0, 0, 0,      \
     "PEM private key of events_tls_cert"},                                                      \
    SF_EV_TOKEN_ROWS(distribution, DISTRIBUTION), SF_EV_TOKEN_ROWS(harbor, HARBOR),              \
    SF_EV_TOKEN_ROWS(acr, ACR), SF_EV_TOKEN_ROWS(cloudevents, CLOUDEVENTS),                      \
    {"events_max_body", SF_OT_LONG, G(events.max_body), "4194304", "SCANFARM_EVENTS_MAX_BODY", 0,   \
     1024, 67108864, "largest webhook body accepted, bytes (413 past it)"},                      \
    {"events_merge_ms", SF_OT_LONG, G(events.merge_ms), "250", "SCANFARM_EVENTS_MERGE_MS", 0, 0,    \
     5000, "pushes of one digest within this many ms of the first are one job"},                 \
    {"events_quiet_ms", SF_OT_LONG, G(events.quiet_ms), "25", "SCANFARM_EVENTS_QUIET_MS", 0, 0,     \
     5000, "publish pending pushes early after this many ms without a new event (0 = never)"},   \
    {"events_ack_timeout_ms", SF_OT_LONG, G(events.ack_timeout_ms), "15000",                        \
     "SCANFARM_EVENTS_ACK_TIMEOUT_MS", 0, 100, 600000,                                           \
     "longest a webhook waits for its Kafka delivery reports before a 503"},                     \
    {"events_priority_topic", SF_OT_STR, G(events.priority_topic), "scanfarm.jobs.priority",        \
     "SCANFARM_EVENTS_PRIORITY_TOPIC", 0, 0, 0,                                                  \
     "topic of event jobs, consumed by workers before the bulk topic"},                          \
    {"events_allow_hosts", SF_OT_LIST, G(events.allow_hosts), NULL, "SCANFARM_EVENTS_ALLOW_HOSTS",  \
     0, 0, 0, "registry host[:port] events may name (empty = any)"}

#endif
