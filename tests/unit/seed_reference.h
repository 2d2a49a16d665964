/* SPDX-License-Identifier: GPL-2.0-only */
/* An independent transcription of the seed's arithmetic, for tests only. */
#pragma once

#include <stdbool.h>

struct seed_world {
        /* the kernel's globals, in pages */
        unsigned long totalram_pages;
        unsigned long committed;          /* vm_memory_committed() */
        unsigned long totalreserve_pages;
        unsigned long max_pfn;
        unsigned long balloon_current_pages;
        unsigned long frontswap_curr_pages;
        bool frontswap_enabled;
        /* tunables */
        int xen_selfballooning_enabled;
        unsigned int downhys, uphys, min_usable_mb, reserved_mb;
        bool frontswap_selfshrinking;
        unsigned int frontswap_hysteresis, frontswap_inertia;
        /* statics */
        unsigned long frontswap_inertia_counter;
        unsigned long cur_frontswap_pages, last_frontswap_pages;
        /* effects */
        bool target_set;
        unsigned long new_target;
        bool shrunk;
        unsigned long shrink_target;
        unsigned long goal_pages, floor_pages;
};

/* xen_selfballoon_init()'s default reserve, for PAGE_SHIFT = shift. */
unsigned int seed_default_reserved_mb(unsigned long totalram_pages, unsigned shift);

/* One run of selfballoon_process() with PAGE_SHIFT = shift. */
void seed_process(struct seed_world *w, unsigned shift);
