/* strfield: see strfield.h. */
#include "base/strfield.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

void sf_strfields_free(void *base, const sf_strfield *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(*SF_STRFIELD_PTR(base, f[i]));
}

int sf_strfields_dup(void *dst, const void *src, const sf_strfield *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *s = *SF_STRFIELD_CPTR(src, f[i]);
        char **d = SF_STRFIELD_PTR(dst, f[i]);
        *d = NULL;
        if (s && !(*d = strdup(s)))
            return SF_ENOMEM;
    }
    return SF_OK;
}
