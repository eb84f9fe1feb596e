/* Fuzz target: untrusted registry names. Mode byte 0/1: a catalog / tags
 * page body as a list walk parses it (UTF-8 repair, NUL names, JSON);
 * 2: a job's registry "host[:port]" checked against a host glob (first
 * line: the pattern, the rest: the host) as the worker's allow-list
 * does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/netpol.h"
#include "registry/reg_int.h"
#include "registry/registry.h"

static int check_name(void *ctx, const char *name)
{
    (void)ctx;
    /* Only valid names may come out of a walk. */
    if (!sf_reg_valid_repo(name) && !sf_reg_valid_tag(name))
        abort();
    return SF_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sf_reg *r;
    if (size < 1)
        return 0;
    if (!r) {
        sf_error e = SF_ERROR_INIT;
        sf_reg_opts o = {.url = "http://127.0.0.1:1", .max_retries = 0};
        if (sf_reg_new(&r, &o, &e) != SF_OK)
            abort();
    }
    if (data[0] < 2) {
        sf_error e = SF_ERROR_INIT;
        sf_reg__parse_names(r, data[0] == 0, data + 1, size - 1, check_name, NULL, &e);
        return 0;
    }
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    char *nl = strchr(s, '\n');
    const char *host = nl ? nl + 1 : s;
    if (nl)
        *nl = '\0';
    int ok = sf_netpol_valid_hostport(host);
    int m = sf_netpol_host_match(s, host);
    /* A literal pattern equal to a valid host always matches itself. */
    if (ok && !strpbrk(host, "*?") && !sf_netpol_host_match(host, host))
        abort();
    (void)m;
    free(s);
    return 0;
}
