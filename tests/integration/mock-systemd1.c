/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MOCK of systemd's D-Bus API, just what the brake calls, for integration
 * tests on a private dbus-daemon (no systemd here). It is not systemd: it
 * applies nothing, it only answers and logs.
 *
 *   mock-systemd1 ADDRESS LOG [SLICE=BYTES...]
 *
 * Owns org.freedesktop.systemd1 on the bus at ADDRESS. Each slice's
 * org.freedesktop.systemd1.Slice.MemoryHigh is BYTES as given, else
 * infinity, and then what SetUnitProperties set; every SetUnitProperties
 * call appends "NAME runtime=0|1 MemoryHigh=BYTES" to LOG. Prints "ready"
 * once the name is owned.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#define SLICES_MAX 16

static struct {
        char name[64];
        uint64_t high;
} slices[SLICES_MAX];
static size_t n_slices;
static FILE *log_file;

static uint64_t *high_of(const char *name)
{
        for (size_t i = 0; i < n_slices; i++)
                if (strcmp(slices[i].name, name) == 0)
                        return &slices[i].high;
        if (n_slices == SLICES_MAX || strlen(name) >= sizeof(slices[0].name))
                return NULL;
        snprintf(slices[n_slices].name, sizeof(slices[0].name), "%s", name);
        slices[n_slices].high = UINT64_MAX;
        return &slices[n_slices++].high;
}

static int set_unit_properties(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        const char *name, *prop;
        int runtime, r;
        uint64_t v, *h;

        r = sd_bus_message_read(m, "sb", &name, &runtime);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &prop);
                if (r < 0)
                        return r;
                if (strcmp(prop, "MemoryHigh") != 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "MOCK knows MemoryHigh only, not %s", prop);
                r = sd_bus_message_read(m, "v", "t", &v);
                if (r < 0)
                        return r;
                h = high_of(name);
                if (!h)
                        return sd_bus_error_set(error, SD_BUS_ERROR_LIMITS_EXCEEDED, "full");
                *h = v;
                fprintf(log_file, "%s runtime=%d MemoryHigh=%" PRIu64 "\n", name, runtime, v);
                fflush(log_file);
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, NULL);
}

static int get_memory_high(sd_bus *bus, const char *path, const char *interface,
                           const char *property, sd_bus_message *reply, void *userdata,
                           sd_bus_error *error)
{
        char *name = NULL;
        uint64_t *h;
        int r = sd_bus_path_decode(path, "/org/freedesktop/systemd1/unit", &name);

        if (r <= 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_UNKNOWN_OBJECT, path);
        h = high_of(name);
        free(name);
        if (!h)
                return sd_bus_error_set(error, SD_BUS_ERROR_LIMITS_EXCEEDED, "full");
        return sd_bus_message_append(reply, "t", *h);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("SetUnitProperties", "sba(sv)", "", set_unit_properties, 0),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable slice_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("MemoryHigh", "t", get_memory_high, 0, 0),
        SD_BUS_VTABLE_END,
};

static int find_unit(sd_bus *bus, const char *path, const char *interface, void *userdata,
                     void **found, sd_bus_error *error)
{
        *found = NULL;
        return 1; /* every unit path exists: the getter decodes the name */
}

int main(int argc, char **argv)
{
        sd_bus *bus = NULL;
        int r;

        if (argc < 3) {
                fprintf(stderr, "usage: mock-systemd1 ADDRESS LOG [SLICE=BYTES...]\n");
                return 2;
        }
        log_file = fopen(argv[2], "ae");
        if (!log_file)
                return 1;
        for (int i = 3; i < argc; i++) {
                char *eq = strchr(argv[i], '=');
                uint64_t *h;

                if (!eq)
                        return 2;
                *eq = '\0';
                h = high_of(argv[i]);
                if (!h)
                        return 2;
                *h = strtoull(eq + 1, NULL, 10);
        }
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, argv[1]);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1",
                                             "org.freedesktop.systemd1.Manager",
                                             manager_vtable, NULL);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(bus, NULL, "/org/freedesktop/systemd1/unit",
                                               "org.freedesktop.systemd1.Slice", slice_vtable,
                                               find_unit, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
        if (r < 0) {
                fprintf(stderr, "mock-systemd1: %s\n", strerror(-r));
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        for (;;) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return 1;
                if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
                        return 1;
        }
}
