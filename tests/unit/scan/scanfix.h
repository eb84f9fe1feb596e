/* Moved to tests/support/scanfix.h (the test support library, sf_testsupport);
 * this forwarder keeps includes by the old path working until they move. */
#ifndef SF_OLD_UNIT_SCAN_SCANFIX_H
#define SF_OLD_UNIT_SCAN_SCANFIX_H
#include "../../support/scanfix.h"
#endif
