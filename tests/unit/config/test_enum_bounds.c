/* Unit tests of the coordinator's enumeration bounds (max_pages,
 * max_repositories) against tests/fixtures/hostilereg.py on loopback: a
 * catalog alternating next-links and an endless catalog each fail their
 * registry with a clear error, quickly, and the run itself completes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "config.h"
#include "enumerate.h"
#include "run.h"
#include "testutil.h"
#include "t_hostilereg.h"

/* Enumerate one fixture registry with extra config text; returns the run. */
static void enumerate(const char *mode, const char *extra, sf_run *run, double *secs)
{
    t_hreg f;
    t_hreg_start(&f, mode);
    char text[512];
    snprintf(text, sizeof text,
             "{\"kafka\":\"127.0.0.1:1\",\"once\":true,\"progress\":\"never\",%s"
             "\"registries\":[{\"url\":\"%s\",\"insecure\":true,\"concurrency\":1}]}",
             extra, f.base);
    sf_coordcfg cfg;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_coordcfg_load_text(&cfg, text, strlen(text), &e), SF_OK);
    sf_kprod *p = NULL;
    sf_kprod_opts po = {.brokers = "127.0.0.1:1"};
    assert_int_equal(sf_kprod_new(&p, &po, &e), SF_OK);
    memset(run, 0, sizeof *run);
    sf_run_begin(run, "bounds", "never");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    e = (sf_error)SF_ERROR_INIT;
    assert_int_equal(sf_enumerate_run(&cfg, p, run, NULL, &e), SF_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    sf_kprod_free(p);
    sf_coordcfg_free(&cfg);
    t_hreg_stop(&f);
}

static void test_enum_bounds__alternating_catalog_fails_registry(void **state)
{
    (void)state;
    sf_run run;
    double secs;
    enumerate("catalog-alternate", "", &run, &secs);
    assert_int_equal(run.registries, 1);
    assert_int_equal(run.registries_failed, 1);
    assert_true(run.repositories <= 3); /* a, b, c: no repository listed twice over */
    assert_true(secs < 20);
}

static void test_enum_bounds__endless_catalog_stops_at_caps(void **state)
{
    (void)state;
    sf_run run;
    double secs;
    enumerate("catalog-endless", "\"max_pages\":40,\"page_size\":1,", &run, &secs);
    assert_int_equal(run.registries_failed, 1);
    assert_int_equal(run.repositories, 40);
    enumerate("catalog-endless", "\"max_repositories\":15,\"page_size\":1,", &run, &secs);
    assert_int_equal(run.registries_failed, 1);
    assert_int_equal(run.repositories, 15);
    assert_true(secs < 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enum_bounds__alternating_catalog_fails_registry),
        cmocka_unit_test(test_enum_bounds__endless_catalog_stops_at_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
