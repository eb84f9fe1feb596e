/* Moved to tests/support/testutil.h (sf_testsupport); forwarder for the old path. */
#ifndef SF_OLD_TESTS_TESTUTIL_H
#define SF_OLD_TESTS_TESTUTIL_H
#include "support/testutil.h"
#endif
