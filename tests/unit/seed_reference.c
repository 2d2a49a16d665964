/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Written from the seed (drivers/xen/xen-selfballoon.c after bc1b0df59e)
 * line by line, with the kernel's types, and deliberately without sharing
 * anything with src/policy.c, so that the two can be compared. Inputs must
 * be ones a kernel could show: this code wraps where the kernel would.
 */
#include "seed_reference.h"

/* The kernel builds without -Wsign-compare; the seed compares unsigned long
 * pages with MB2PAGES() of int constants as written, and so does this copy. */
#pragma GCC diagnostic ignored "-Wsign-compare"

/* As the seed's MB2PAGES(): the shift happens in the type of mb, an
 * unsigned int for the tunables, so it wraps from 2^(32 - (20 - sh)) MB on
 * before the result widens to unsigned long. */
#define REF_MB2PAGES(mb, sh) ((mb) << (20 - (sh)))
#define REF_PAGES2MB(p, sh) ((p) >> (20 - (sh)))

unsigned int seed_default_reserved_mb(unsigned long totalram_pages, unsigned shift)
{
        unsigned long reserve_pages = totalram_pages / 10;

        return (unsigned int)REF_PAGES2MB(reserve_pages, shift);
}

static void ref_frontswap_selfshrink(struct seed_world *w)
{
        w->last_frontswap_pages = w->cur_frontswap_pages;
        w->cur_frontswap_pages = w->frontswap_curr_pages;
        if (!w->cur_frontswap_pages || (w->cur_frontswap_pages > w->last_frontswap_pages)) {
                w->frontswap_inertia_counter = w->frontswap_inertia;
                return;
        }
        if (w->frontswap_inertia_counter && --w->frontswap_inertia_counter)
                return;
        if (w->cur_frontswap_pages <= w->frontswap_hysteresis)
                w->shrink_target = 0;
        else
                w->shrink_target = w->cur_frontswap_pages -
                                   (w->cur_frontswap_pages / w->frontswap_hysteresis);
        w->shrunk = true;
}

void seed_process(struct seed_world *w, unsigned shift)
{
        unsigned long cur_pages, goal_pages, tgt_pages, floor_pages, useful_pages;

        w->target_set = false;
        w->shrunk = false;
        if (w->xen_selfballooning_enabled) {
                cur_pages = w->totalram_pages;
                tgt_pages = cur_pages;
                goal_pages = w->committed + w->totalreserve_pages +
                             REF_MB2PAGES(w->reserved_mb, shift);
                if (w->frontswap_selfshrinking && w->frontswap_enabled)
                        goal_pages += w->frontswap_curr_pages;
                if (cur_pages > goal_pages)
                        tgt_pages = cur_pages - ((cur_pages - goal_pages) / w->downhys);
                else if (cur_pages < goal_pages)
                        tgt_pages = cur_pages + ((goal_pages - cur_pages) / w->uphys);
                useful_pages = w->max_pfn - w->totalreserve_pages;
                if (w->min_usable_mb != 0)
                        floor_pages = w->totalreserve_pages + REF_MB2PAGES(w->min_usable_mb, shift);
                else if (useful_pages < REF_MB2PAGES(16, shift))
                        floor_pages = w->max_pfn;
                else if (useful_pages < REF_MB2PAGES(64, shift))
                        floor_pages = w->totalreserve_pages + REF_MB2PAGES(16, shift) +
                                      ((useful_pages - REF_MB2PAGES(16, shift)) >> 1);
                else if (useful_pages < REF_MB2PAGES(512, shift))
                        floor_pages = w->totalreserve_pages + REF_MB2PAGES(40, shift) +
                                      ((useful_pages - REF_MB2PAGES(40, shift)) >> 3);
                else
                        floor_pages = w->totalreserve_pages + REF_MB2PAGES(99, shift) +
                                      ((useful_pages - REF_MB2PAGES(99, shift)) >> 5);
                if (tgt_pages < floor_pages)
                        tgt_pages = floor_pages;
                w->goal_pages = goal_pages;
                w->floor_pages = floor_pages;
                w->new_target = tgt_pages + w->balloon_current_pages - w->totalram_pages;
                w->target_set = true;
        }
        if (w->frontswap_selfshrinking && w->frontswap_enabled)
                ref_frontswap_selfshrink(w);
}
