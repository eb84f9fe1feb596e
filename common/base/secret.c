/* secret: see secret.h. */
#include "base/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"

void sf_secret_free(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
    free(s);
}

int sf_secret_read_file(const char *path, const char *what, char **out, sf_error *err)
{
    sf_buf b;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sf_error_set(err, SF_ECONFIG, "%s: cannot open %.200s", what, path);
    sf_buf_init(&b, SF_LIM_SECRET_FILE_BYTES);
    int rc = sf_buf_read_file(&b, f);
    fclose(f);
    if (rc == SF_OK)
        rc = sf_buf_append(&b, "", 1);
    if (rc != SF_OK) {
        if (b.data)
            explicit_bzero(b.data, b.len);
        sf_buf_free(&b);
        return sf_error_set(err, SF_ECONFIG, "%s: %.200s is unreadable or over %u bytes", what,
                            path, SF_LIM_SECRET_FILE_BYTES);
    }
    size_t len = b.len - 1;
    while (len && (b.data[len - 1] == '\n' || b.data[len - 1] == '\r'))
        b.data[--len] = '\0';
    *out = sf_buf_steal(&b, NULL);
    return SF_OK;
}
