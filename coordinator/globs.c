/* globs: see globs.h. */
#include "globs.h"

#include <fnmatch.h>

int sf_globs_any(const char *const *globs, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (fnmatch(globs[i], s, 0) == 0)
            return 1;
    return 0;
}
