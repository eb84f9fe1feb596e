/* Moved to tests/support/cache_helpers.h (the test support library, sf_testsupport);
 * this forwarder keeps includes by the old path working until they move. */
#ifndef SF_OLD_INTEGRATION_CACHE_HELPERS_H
#define SF_OLD_INTEGRATION_CACHE_HELPERS_H
#include "../support/cache_helpers.h"
#endif
