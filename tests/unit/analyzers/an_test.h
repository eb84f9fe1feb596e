/* Moved to tests/support/an_test.h (the test support library, sf_testsupport);
 * this forwarder keeps includes by the old path working until they move. */
#ifndef SF_OLD_UNIT_ANALYZERS_AN_TEST_H
#define SF_OLD_UNIT_ANALYZERS_AN_TEST_H
#include "../../support/an_test.h"
#endif
