/* cache_helpers: see cache_helpers.h. */
#include "cache_helpers.h"

static sf_cmac *t_cmac_value;
void t_cmac_init(void)
{
    sf_error e = SF_ERROR_INIT;
    if (sf_cmac_new(&t_cmac_value, T_CACHE_SECRET, strlen(T_CACHE_SECRET), &e) != SF_OK)
        abort();
}

const sf_cmac *t_cmac(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, t_cmac_init);
    return t_cmac_value;
}

int t_layer_load(t_layer *l)
{
    l->data = sf_t_read_file(sf_t_corpus(l->rel), &l->len);
    if (!l->data)
        return -1;
    return sf_digest_sha256(l->data, l->len, l->digest);
}

void t_parse_apk(const char *db, size_t n, sf_inv_source *src)
{
    sf_pkg p = {0};
    const char *line = db, *end = db + n;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
        if (len >= 2 && line[0] == 'P' && line[1] == ':') {
            sf_pkg_clear(&p);
            p.type = sf_pkg_type_parse("apk");
            p.name = sf_strndup(line + 2, len - 2);
        } else if (len >= 2 && line[0] == 'V' && line[1] == ':' && p.name) {
            p.version = sf_strndup(line + 2, len - 2);
            sf_inv_source_take_pkg(src, &p);
        }
        line += len + 1;
    }
    sf_pkg_clear(&p);
}

int t_analyse(void *actx, sf_inventory **out, sf_error *err)
{
    t_layer *l = actx;
    atomic_fetch_add(&l->analyses, 1);
    *out = NULL;
    if (sf_digest_verify(l->digest, l->data, l->len, err) != SF_OK)
        return err->code;
    if (l->claimed_diff_id && strcmp(l->claimed_diff_id, l->true_diff_id) != 0)
        return sf_error_set(err, SF_EDIGEST, "uncompressed content %s does not match diff_id %s",
                            l->true_diff_id, l->claimed_diff_id);
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_all(a);
    if (archive_read_open_memory(a, l->data, l->len) != ARCHIVE_OK) {
        archive_read_free(a);
        return sf_error_set(err, SF_EPARSE, "not a tar");
    }
    sf_inventory *inv = NULL;
    sf_inventory_new(&inv);
    inv->analyzer_version = sf_strdup("t1");
    struct archive_entry *e;
    static __thread char buf[65536];
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        inv->entries++;
        const char *p = archive_entry_pathname(e);
        int apkdb = strstr(p, "lib/apk/db/installed") != NULL;
        sf_buf db;
        sf_buf_init(&db, 16u << 20);
        la_ssize_t r;
        while ((r = archive_read_data(a, buf, sizeof buf)) > 0) {
            inv->bytes += (uint64_t)r;
            if (apkdb)
                sf_buf_append(&db, buf, (size_t)r);
        }
        if (apkdb && db.len) {
            sf_inv_source *src = NULL;
            sf_inventory_add_source(inv, "lib/apk/db/installed", "apk", &src);
            t_parse_apk(db.data, db.len, src);
        }
        sf_buf_free(&db);
    }
    archive_read_free(a);
    /* Slow enough that racing threads really overlap. */
    struct timespec ts = {0, 150 * 1000000L};
    nanosleep(&ts, NULL);
    *out = inv;
    return SF_OK;
}

size_t t_npkgs(const sf_inventory *inv)
{
    size_t n = 0;
    for (size_t i = 0; i < inv->nsrcs; i++)
        n += inv->srcs[i].npkgs;
    return n;
}

void t_inv_free(sf_inventory *inv) { sf_inventory_free(inv); }

pid_t t_redis_start(int port)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--enable-debug-command", "yes", (char *)NULL);
        _exit(127);
    }
    /* Wait until it answers. */
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    const char *nodes[] = {addr};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1, .backoff_min_ms = 1, .backoff_max_ms = 1};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_kv_new(&kv, &o, &e);
    for (int i = 0; i < 100; i++) {
        sf_error_clear(&e);
        if (sf_kv_ping(kv, 0, &e) == SF_OK)
            break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    sf_kv_free(kv);
    return pid;
}

void t_redis_kill(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

uint64_t t_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int t_port(int k)
{
    (void)k;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof sa;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

int t_redis_up(const char *addr)
{
    const char *nodes[] = {addr};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    if (sf_kv_new(&kv, &o, &e) != SF_OK)
        return 0;
    int up = sf_kv_ping(kv, 0, &e) == SF_OK;
    sf_kv_free(kv);
    return up;
}

int t_service_up(int port)
{
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    return t_redis_up(addr);
}
