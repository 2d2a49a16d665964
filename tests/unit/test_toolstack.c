/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The toolstack link without a xenstore (the sysfs side, the limits, the
 * restore); its xenstore side runs against the real xenstored in
 * tests/integration/test_daemon.py.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "testtree.h"
#include "toolstack.h"
#include "util.h"

#define TARGET "sys/devices/system/xen_memory/xen_memory0/target_kb"

struct world {
        struct test_tree tree;
        int root_fd;
        struct toolstack *t;
};

static int setup(void **state)
{
        struct world *w = calloc(1, sizeof(*w));

        assert_non_null(w);
        test_tree_from_fixture(&w->tree, "domU-512");
        w->root_fd = w->tree.fd;
        setenv("XENSTORED_PATH", "/nonexistent/xenstored-socket", 1);
        log_open(LOG_TARGET_CONSOLE);
        *state = w;
        return 0;
}

static int teardown(void **state)
{
        struct world *w = *state;

        toolstack_free(w->t);
        test_tree_free(&w->tree);
        free(w);
        return 0;
}

static void start(struct world *w, enum sb_backend b)
{
        struct toolstack_options o = {
                .root_fd = w->root_fd, .backend = b, .interval_usec = 5000000,
        };

        assert_int_equal(toolstack_new(&o, &w->t), 0);
}

static uint64_t target(struct world *w)
{
        uint64_t v = 0;

        assert_int_equal(read_u64_at(w->root_fd, TARGET, &v), 0);
        return v;
}

/* auto without a xenstore: sysfs, the guest's size as the maximum, no
 * domid, and every target within it */
static void test_auto_without_xenstore(void **state)
{
        struct world *w = *state;

        start(w, SB_BACKEND_AUTO);
        assert_string_equal(toolstack_backend(w->t), "xenstore"); /* before start */
        assert_int_equal(toolstack_start(w->t, GUEST_TYPE_PV, 500000, 524288, NULL), 0);
        assert_string_equal(toolstack_backend(w->t), "sysfs");
        assert_int_equal(toolstack_domid(w->t), -1);
        assert_int_equal(toolstack_fd(w->t), -1);
        assert_string_equal(toolstack_guest_name(w->t), "<domain>");
        assert_int_equal(toolstack_max_kb(w->t), 524288);
        assert_int_equal(toolstack_limit(w->t, 600000), 524288);
        assert_int_equal(toolstack_limit(w->t, 300000), 300000);
        assert_false(toolstack_retry_due(w->t, UINT64_MAX));
        assert_int_equal(toolstack_apply(w->t, 400000, 1), 0);
        assert_int_equal(target(w), 400000);
        /* no refusal happened: no grant to try */
        assert_int_equal(toolstack_try_grant(w->t, 450000, 2), 0);
        assert_int_equal(target(w), 400000);
        assert_false(toolstack_process_watch(w->t));
}

/* backend = xenstore without one: the start fails, nothing is written */
static void test_xenstore_required(void **state)
{
        struct world *w = *state;

        start(w, SB_BACKEND_XENSTORE);
        assert_true(toolstack_start(w->t, GUEST_TYPE_PV, 500000, 524288, NULL) < 0);
        assert_true(toolstack_apply(w->t, 400000, 1) < 0);
        assert_int_equal(target(w), 524288);
}

/* the restore gives sysfs the recorded target; with backend = xenstore and
 * no xenstore it cannot, and says so */
static void test_restore(void **state)
{
        struct world *w = *state;
        struct start_record rec = { .sysfs_target_kb = 524288, .has_xenstore = true,
                                    .xenstore_target_kb = 524288 };
        uint64_t kb = 0;

        start(w, SB_BACKEND_SYSFS);
        assert_int_equal(toolstack_start(w->t, GUEST_TYPE_PV, 524288, 524288, NULL), 0);
        assert_int_equal(toolstack_apply(w->t, 300000, 1), 0);
        assert_int_equal(target(w), 300000);
        assert_int_equal(toolstack_restore(w->t, &rec, &kb), 0);
        assert_int_equal(kb, 524288);
        assert_int_equal(target(w), 524288);
        toolstack_free(w->t);
        w->t = NULL;

        start(w, SB_BACKEND_XENSTORE);
        assert_int_equal(toolstack_restore(w->t, &rec, &kb), -ENOTCONN);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_auto_without_xenstore, setup, teardown),
                cmocka_unit_test_setup_teardown(test_xenstore_required, setup, teardown),
                cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
