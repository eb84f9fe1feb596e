/*
 * api_static: files of the web root (the console's built files). The
 * decoded path must be a plain relative path (no "..", no "." segment, no
 * backslash, no NUL — the request parser already refuses encoded NULs),
 * and the file it resolves to (symlinks followed) must still be inside
 * the root: two independent checks, either of which stops a traversal.
 */
#include "api_int.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest static file served (the console's bundle is ~200 KiB). */
#define API_STATIC_MAX (16u << 20)

static const char *ctype_of(const char *path)
{
    static const struct {
        const char *ext, *type;
    } T[] = {{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
             {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
             {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
             {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"},
             {".map", "application/json"}, {".woff2", "font/woff2"}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof T / sizeof *T; i++)
        if (strcmp(dot, T[i].ext) == 0)
            return T[i].type;
    return "application/octet-stream";
}

/* The relative path of the request, "index.html" for "/"; -1 refused. */
int sf_api_static_relpath(const sf_api_req *r, char *out, size_t outlen)
{
    size_t o = 0;
    if (r->nsegs == 0)
        return snprintf(out, outlen, "index.html") < (int)outlen ? 0 : -1;
    for (size_t i = 0; i < r->nsegs; i++) {
        const char *s = r->segs[i];
        if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strchr(s, '/') ||
            strchr(s, '\\') || s[0] == '.')
            return -1;
        int n = snprintf(out + o, outlen - o, "%s%s", i ? "/" : "", s);
        if (n < 0 || (size_t)n >= outlen - o)
            return -1;
        o += (size_t)n;
    }
    return 0;
}

int api_static(api_call *c)
{
    char rel[PATH_MAX], full[PATH_MAX * 2], real[PATH_MAX];
    struct stat st;
    if (!c->a->web_root[0])
        return api_fail(c, 404, NULL, "no web root configured");
    if (sf_api_static_relpath(c->req, rel, sizeof rel) != 0)
        return api_fail(c, 404, NULL, "no such file");
    snprintf(full, sizeof full, "%s/%s", c->a->web_root, rel);
    size_t rl = strlen(c->a->web_root);
    if (!realpath(full, real) || strncmp(real, c->a->web_root, rl) != 0 || real[rl] != '/')
        return api_fail(c, 404, NULL, "no such file");
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > API_STATIC_MAX) {
        if (fd >= 0)
            close(fd);
        return api_fail(c, 404, NULL, "no such file");
    }
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        if (sf_buf_append(&c->resp->body, buf, (size_t)n) != SF_OK)
            break;
    close(fd);
    c->resp->status = 200;
    c->resp->ctype = ctype_of(real);
    return 0;
}
