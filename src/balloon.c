/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The balloon driver's sysfs files and guest detection. sysfs attributes
 * are produced whole by one show() call and consumed whole by one store()
 * call, so each is read until EOF into a small buffer and written with a
 * single write() (util.c's readers and write_u64_at()).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "balloon.h"
#include "util.h"

#define CURRENT_KB_PATH BALLOON_SYSFS_DIR "/info/current_kb"
#define TARGET_KB_PATH BALLOON_SYSFS_DIR "/target_kb"

int balloon_parse_kb(const char *text, size_t len, uint64_t *ret_kb)
{
        return parse_u64_line(text, len, ret_kb);
}

int balloon_read_current_kb(int root_fd, uint64_t *ret_kb)
{
        return read_u64_at(root_fd, CURRENT_KB_PATH, ret_kb);
}

int balloon_read_target_kb(int root_fd, uint64_t *ret_kb)
{
        return read_u64_at(root_fd, TARGET_KB_PATH, ret_kb);
}

int balloon_reread_current_kb(struct reread_file *f, int root_fd, uint64_t *ret_kb)
{
        return reread_u64_at(f, root_fd, CURRENT_KB_PATH, ret_kb);
}

int balloon_reread_target_kb(struct reread_file *f, int root_fd, uint64_t *ret_kb)
{
        return reread_u64_at(f, root_fd, TARGET_KB_PATH, ret_kb);
}

int balloon_write_target_kb(int root_fd, uint64_t kb)
{
        if (kb == 0 || kb > UINT64_MAX / 1024)
                return -EINVAL;
        return write_u64_at(root_fd, TARGET_KB_PATH, kb);
}

static bool is_absent(int r)
{
        return r == -ENOENT || r == -ENOTDIR;
}

static bool text_is(const char *text, size_t len, const char *word)
{
        size_t n = strlen(word);

        if (len > 0 && text[len - 1] == '\n')
                len--;
        return len == n && memcmp(text, word, n) == 0;
}

static bool is_separator(char c)
{
        return c == ',' || c == ' ' || c == '\t' || c == '\n';
}

/* capabilities is a list, so look for the word, not the substring. */
static bool has_word(const char *text, size_t len, const char *word)
{
        size_t n = strlen(word), i = 0;

        while (i < len) {
                size_t start;

                while (i < len && is_separator(text[i]))
                        i++;
                start = i;
                while (i < len && !is_separator(text[i]))
                        i++;
                if (i - start == n && memcmp(text + start, word, n) == 0)
                        return true;
        }
        return false;
}

/* sys/hypervisor/guest_type's words; Arm guests print "Xen". */
static const char *const guest_type_words[_GUEST_TYPE_MAX] = {
        [GUEST_TYPE_PV] = "PV",
        [GUEST_TYPE_HVM] = "HVM",
        [GUEST_TYPE_PVH] = "PVH",
        [GUEST_TYPE_ARM] = "Xen",
};

static const char *const guest_type_names[_GUEST_TYPE_MAX] = {
        [GUEST_TYPE_UNKNOWN] = "unknown",
        [GUEST_TYPE_PV] = "PV",
        [GUEST_TYPE_HVM] = "HVM",
        [GUEST_TYPE_PVH] = "PVH",
        [GUEST_TYPE_ARM] = "Arm",
};

static enum guest_type guest_type_from_text(const char *text, size_t len)
{
        int t;

        if (len > 0 && text[len - 1] == '\n')
                len--;
        t = TABLE_LOOKUP_N(guest_type_words, text, len);
        return t < 0 ? GUEST_TYPE_UNKNOWN : (enum guest_type)t;
}

int guest_detect(int root_fd, struct guest_info *ret)
{
        struct guest_info g = { .type = GUEST_TYPE_UNKNOWN };
        struct stat st;
        char buf[256];
        ssize_t len;

        len = read_file_at(root_fd, "sys/hypervisor/type", buf, sizeof(buf));
        if (len >= 0)
                g.xen = text_is(buf, (size_t)len, "xen");
        else if (!is_absent((int)len))
                return (int)len;

        /* xenfs prints "control_d\n" in the initial domain, "" elsewhere. */
        len = read_file_at(root_fd, "proc/xen/capabilities", buf, sizeof(buf));
        if (len >= 0) {
                g.capabilities_known = true;
                g.dom0 = has_word(buf, (size_t)len, "control_d");
        } else if (!is_absent((int)len)) {
                return (int)len;
        }

        /* Only informative: the kernel's show() fails with -EINVAL for a
         * domain type it has no name for. */
        len = read_file_at(root_fd, "sys/hypervisor/guest_type", buf, sizeof(buf));
        if (len >= 0)
                g.type = guest_type_from_text(buf, (size_t)len);

        if (fstatat(root_fd, BALLOON_SYSFS_DIR, &st, 0) >= 0)
                g.balloon = S_ISDIR(st.st_mode);
        else if (!is_absent(-errno))
                return -errno;

        /* xenfs and the balloon driver register only on Xen, so either
         * proves it even on kernels built without sys/hypervisor. */
        g.xen = g.xen || g.capabilities_known || g.balloon;

        *ret = g;
        if (g.dom0)
                return GUEST_DETECT_DOM0;
        if (!g.xen)
                return GUEST_DETECT_NOT_XEN;
        if (!g.balloon)
                return GUEST_DETECT_NO_BALLOON;
        return 0;
}

const char *guest_detect_to_string(int result)
{
        switch (result) {
        case GUEST_DETECT_DOM0:
                return "this is the Xen control domain (dom0); selfballooning is for guests";
        case GUEST_DETECT_NOT_XEN:
                return "no trace of Xen: /sys/hypervisor/type does not say xen, and neither "
                       "/proc/xen/capabilities nor /" BALLOON_SYSFS_DIR " exists";
        case GUEST_DETECT_NO_BALLOON:
                return "a Xen guest without the balloon driver: no /" BALLOON_SYSFS_DIR
                       " (load xen-balloon, or a kernel with CONFIG_XEN_BALLOON)";
        default:
                return NULL;
        }
}

const char *guest_type_to_string(enum guest_type t)
{
        const char *s = TABLE_NAME(guest_type_names, t);

        return s ? s : "unknown";
}
