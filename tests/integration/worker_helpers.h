/* Moved to tests/support/worker_helpers.h (the test support library, sf_testsupport);
 * this forwarder keeps includes by the old path working until they move. */
#ifndef SF_OLD_INTEGRATION_WORKER_HELPERS_H
#define SF_OLD_INTEGRATION_WORKER_HELPERS_H
#include "../support/worker_helpers.h"
#endif
