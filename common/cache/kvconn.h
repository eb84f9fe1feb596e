/*
 * kvconn: one connection to one Redis node, plain TCP or TLS, speaking
 * RESP through hiredis' reader only (redisReader to parse; commands are
 * encoded here, byte for byte as redisFormatCommandArgv would, without
 * its sprintf per argument). The socket and TLS are ours because
 * Debian 12's hiredis 0.14 has no TLS: doing the I/O here over OpenSSL
 * (already linked for the coordinator's HTTPS) keeps hiredis' well-tested
 * parser, needs no second Redis library, and gives plain and TLS
 * connections one code path. Private to cache/kv*.c.
 *
 * Blocking sockets with SO_RCVTIMEO/SO_SNDTIMEO: a timeout or any I/O
 * error marks the connection broken (kv closes it, never reuses it).
 */
#ifndef SF_KVCONN_H
#define SF_KVCONN_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "base/err.h"

typedef struct sf_kvconn sf_kvconn;
typedef struct sf_kvtls sf_kvtls;

typedef struct sf_kvtls_opts {
    const char *ca_file;     /* trust these CAs (NULL: the system store) */
    const char *cert_file;   /* client certificate (mutual TLS), PEM */
    const char *key_file;    /* its key, PEM (NULL: in cert_file) */
    int no_verify;           /* 1: do not verify the server (tests only) */
} sf_kvtls_opts;

/* A RESP reader (redisReaderFree) whose arrays are capped at
 * SF_KV_REPLY_ELEMS_MAX elements; every connection reads with one. An
 * array over the cap is a protocol error ("Out of memory"). */
redisReader *sf_kvconn_reader_new(void);

/* A TLS client context shared by every TLS connection of one sf_kv. */
int sf_kvtls_new(sf_kvtls **out, const sf_kvtls_opts *o, sf_error *err);
void sf_kvtls_free(sf_kvtls *t);

/* Connect to host:port within connect_ms; with tls non-NULL, do the TLS
 * handshake and verify the certificate against server_name (NULL: host).
 * Commands then time out after cmd_ms. name is used in messages. */
int sf_kvconn_open(sf_kvconn **out, const char *name, const char *host, int port,
                   sf_kvtls *tls, const char *server_name, long connect_ms, long cmd_ms,
                   sf_error *err);
void sf_kvconn_free(sf_kvconn *c);

/* Append command argv[0..argc) (argvlen NULL: NUL-terminated strings) to
 * the RESP buffer *buf of *len bytes (realloc'd): "*<argc>\r\n" then
 * "$<len>\r\n<bytes>\r\n" per argument. SF_ENOMEM, *buf unchanged. */
int sf_kvconn_resp_append(char **buf, size_t *len, int argc, const char **argv,
                          const size_t *argvlen);

/* Queue a command (binary-safe argv) into the output buffer. */
int sf_kvconn_append(sf_kvconn *c, int argc, const char **argv, const size_t *argvlen,
                     sf_error *err);
/* Write the buffer out, then read one reply (freeReplyObject). Further
 * replies of a pipeline: call again with nothing queued. A NULL reply is
 * SF_EREDIS and marks the connection broken. */
int sf_kvconn_reply(sf_kvconn *c, redisReply **out, sf_error *err);
/* One command, one reply. */
int sf_kvconn_cmd(sf_kvconn *c, int argc, const char **argv, const size_t *argvlen,
                  redisReply **out, sf_error *err);
/* 1 once a transport error happened: close it. */
int sf_kvconn_broken(const sf_kvconn *c);
void sf_kvconn_set_broken(sf_kvconn *c);

#endif
