/* Moved to tests/support/agg_fix.h (the test support library, sf_testsupport);
 * this forwarder keeps includes by the old path working until they move. */
#ifndef SF_OLD_UNIT_AGG_AGG_FIX_H
#define SF_OLD_UNIT_AGG_AGG_FIX_H
#include "../../support/agg_fix.h"
#endif
