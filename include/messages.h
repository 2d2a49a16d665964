/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Journal MESSAGE_IDs. Each has an entry in systemd/selfballoond.catalog
 * and in selfballoond(8); never reuse or change one.
 */
#pragma once

#define SB_MESSAGE_START        "488d5d9788574f429dccdd3140208e33" /* started, effective settings */
#define SB_MESSAGE_DECISION     "f131d511ed9e450ea117d0c09e8429db" /* the balloon target changed */
#define SB_MESSAGE_FALLBACK     "7a8764112dfa45f990323ba96487ef74" /* xenstore denied: sysfs used */
#define SB_MESSAGE_GRANTED      "686a8d8006bd4b3d87fab90e7a4e1bd8" /* xenstore writable again */
#define SB_MESSAGE_CEILING      "e8081b41de91476da613f4731f9c4c80" /* toolstack set memory/target */
#define SB_MESSAGE_STALLED      "cf5ac04bdd634c28be6f154692b44d05" /* the balloon cannot grow */
#define SB_MESSAGE_UNSTALLED    "737d8304d58e45f5a1fecd9f60a3c95c" /* the balloon grows again */
#define SB_MESSAGE_NOSWAP       "82c1e8278e874c79bcfabfbe97f400f3" /* the guest has no swap */
#define SB_MESSAGE_RESTORED     "a6e0265b93c84d6fb69f3ef9bf75de8f" /* start target restored */
#define SB_MESSAGE_READ_FAILED  "b17b6580ab3c4a44a0f586e506296ca5" /* an input could not be read */
#define SB_MESSAGE_WRITE_FAILED "6ea4d186e850433caf5ab256f9c9471e" /* a target could not be written */
#define SB_MESSAGE_RELOAD       "e28af13b0cba41a49a3bce45d25ace6d" /* configuration reloaded or kept */
#define SB_MESSAGE_FRONTSWAP    "680cbe09476a420d9e637931ae8720d9" /* frontswap shrunk */
#define SB_MESSAGE_MOVED        "6bb3fcc0b576429f8fd2628defe72f68" /* runs as another domain (restore, migration) */
#define SB_MESSAGE_BRAKE_HELD   "a230f68a71f446108ce49ac6a60d11b0" /* a slice was held at its MemoryHigh= */
