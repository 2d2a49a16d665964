/* SPDX-License-Identifier: GPL-2.0-only */
/* The program's exit statuses, documented in selfballoond(8). */
#pragma once

enum {
        EXIT_OK = 0,
        EXIT_RUNTIME = 1, /* a runtime failure */
        EXIT_USAGE = 2,   /* bad usage, configuration file or replay input */
        EXIT_DOM0 = 3,    /* refused: running in dom0 */
        EXIT_NOT_XEN = 4, /* refused: not a Xen guest (no balloon driver) */
};
