/* Unit tests of the DB-coverage note (common/analyze/dbcover.c): a note
 * that names no file (path null) survives the scanfarm.result/v1 encode /
 * decode round trip the aggregator and subscribers rely on, and a DB
 * without meta is "cannot tell", not "no advisories". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/dbcover.h"
#include "bus/msg_result.h"
#include "analyze/inventory.h"

static void test_dbcover_note__round_trip(void **state)
{
    (void)state;
    sf_result r, back;
    sf_result_init(&r);
    sf_result_init(&back);
    r.digest = strdup("sha256:0000000000000000000000000000000000000000000000000000000000000000");
    r.notes = calloc(1, sizeof *r.notes);
    r.nnotes = 1;
    r.notes[0].analyzer = strdup(SF_DBCOVER_ANALYZER);
    r.notes[0].note = strdup("no advisories for alpine 3.18 in this DB: results for OS "
                             "packages are incomplete");
    r.notes[0].status = SF_SRC_UNPARSED;
    r.notes[0].layer = -1;
    sf_buf b;
    sf_buf_init(&b, 0);
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_result_encode(&r, &b, &e), SF_OK);
    assert_int_equal(sf_result_decode(b.data, b.len, &back, &e), SF_OK);
    assert_int_equal(back.nnotes, 1);
    assert_null(back.notes[0].path);
    assert_string_equal(back.notes[0].analyzer, "match");
    assert_string_equal(back.notes[0].note, r.notes[0].note);
    assert_int_equal(back.notes[0].layer, -1);
    sf_buf_free(&b);
    sf_result_clear(&r);
    sf_result_clear(&back);
}

static void test_dbcover_has_ecosystem__no_db(void **state)
{
    (void)state;
    assert_int_equal(sf_dbcover_has_ecosystem(NULL, "Alpine:v3.18"), -1);
    sf_result r;
    sf_result_init(&r);
    assert_int_equal(sf_dbcover_note(NULL, &r), SF_OK);
    assert_int_equal(r.nnotes, 0);
    sf_result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dbcover_note__round_trip),
        cmocka_unit_test(test_dbcover_has_ecosystem__no_db),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
