/*
 * scanfarm-api: the read-only HTTP API over the fleet view and the web
 * console's files (api.h). Serves until SIGTERM / SIGINT; on loopback it
 * may run without tokens, anywhere else it refuses to start without them.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_cfg.h"
#include "base/log.h"
#include "base/time.h"

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* "host:port" -> addr, port; 1 when addr is loopback. */
static int split_listen(const char *s, char *addr, size_t alen, int *port, int *loopback)
{
    const char *colon = strrchr(s, ':');
    struct in_addr in;
    if (!colon || (size_t)(colon - s) >= alen)
        return -1;
    snprintf(addr, alen, "%.*s", (int)(colon - s), s);
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535 || inet_pton(AF_INET, addr, &in) != 1)
        return -1;
    *port = (int)p;
    *loopback = (ntohl(in.s_addr) >> 24) == 127;
    return 0;
}

static int serve(const sf_apicfg *c)
{
    char addr[64];
    int port, loopback, ex = 1;
    sf_error e = SF_ERROR_INIT;
    sf_kv *kv = NULL;
    sf_api *api = NULL;
    sf_api_http *srv = NULL;
    if (split_listen(c->listen, addr, sizeof addr, &port, &loopback) != 0) {
        fprintf(stderr, "scanfarm-api: --listen %s: not IPv4-address:port\n", c->listen);
        return 2;
    }
    if (!loopback && !(c->tokens_file && *c->tokens_file)) {
        fprintf(stderr, "scanfarm-api: listening on %s needs --tokens-file (only loopback may "
                        "go without authentication)\n", addr);
        return 2;
    }
    sf_kv_opts ko = {.nodes = (const char *const *)c->redis.v, .nnodes = c->redis.n,
                     .command_timeout_ms = c->query_timeout_ms, .pool_size = (int)c->threads,
                     /* one slow query must not fail the next ones fast for
                      * seconds (the kv default suits workers, not a server) */
                     .backoff_min_ms = 10, .backoff_max_ms = 250};
    sf_api_opts ao = {.prefix = c->key_prefix, .tokens_file = c->tokens_file,
                      .cors_origin = c->cors_origin, .web_root = c->web_root,
                      .max_page = (int)c->max_page};
    /* The default web root may be absent (not installed): serve the API. */
    if (c->web_root && *c->web_root && !strcmp(c->web_root, "/usr/local/share/scanfarm/web")) {
        FILE *f = fopen(c->web_root, "r");
        if (!f)
            ao.web_root = NULL;
        else
            fclose(f);
    }
    if (sf_kv_new(&kv, &ko, &e) != SF_OK)
        goto done;
    ao.kv = kv;
    if (sf_api_new(&api, &ao, &e) != SF_OK)
        goto done;
    sf_api_http_opts ho = {.addr = addr, .port = port, .threads = (int)c->threads,
                           .read_timeout_ms = c->read_timeout_ms, .fn = sf_api_handle,
                           .ctx = api};
    if (sf_api_http_start(&srv, &ho, &e) != SF_OK)
        goto done;
    /* the bound port on stdout: tests start us on port 0 */
    printf("scanfarm-api listening on %s:%d\n", addr, sf_api_http_port(srv));
    fflush(stdout);
    SF_INFO("api", "listening|addr=%s port=%d auth=%s cors=%s web_root=%s", addr,
            sf_api_http_port(srv), c->tokens_file ? "bearer" : "none",
            c->cors_origin ? c->cors_origin : "off", ao.web_root ? ao.web_root : "none");
    while (!stop_flag)
        sf_time_sleep_ms(200, NULL);
    ex = 0;
done:
    if (ex)
        fprintf(stderr, "scanfarm-api: %s\n", e.msg);
    sf_api_http_stop(srv);
    sf_api_free(api);
    sf_kv_free(kv);
    return ex;
}

int main(int argc, char **argv)
{
    sf_apicfg c;
    sf_opt_cmd cmd = {0};
    sf_error e = SF_ERROR_INIT;
    int ex;
    sf_log_init_from_env();
    if (sf_apicfg_load(&c, argc, argv, &cmd, &e) != SF_OK) {
        fprintf(stderr, "scanfarm-api: %s\n", e.msg);
        sf_apicfg_free(&c);
        return 2;
    }
    sf_log_level lvl;
    if (c.log_level && sf_log_parse_level(c.log_level, &lvl) == 0)
        sf_log_set_level(lvl);
    if (sf_apicfg_act(&c, &cmd, stdout)) {
        ex = 0;
    } else {
        struct sigaction sa = {.sa_handler = on_signal};
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        ex = serve(&c);
    }
    sf_apicfg_free(&c);
    return ex;
}
