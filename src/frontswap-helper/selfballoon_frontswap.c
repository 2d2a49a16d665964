// SPDX-License-Identifier: GPL-2.0-only
/*
 * selfballoon_frontswap: the kernel half of selfballoond's frontswap
 * self-shrink. Linux 3.5 to 5.16 export frontswap_curr_pages() and
 * frontswap_shrink() but give userspace no way to call them; this module
 * exposes exactly those two, as a versioned file ABI under
 * /sys/kernel/selfballoon_frontswap/:
 *
 *   version     "1"
 *   curr_pages  pages now in frontswap (read)
 *   shrink      write a target in pages: frontswap_shrink(target), a
 *               partial swapoff that brings pages back into guest RAM
 *
 * Writing needs CAP_SYS_ADMIN, as the seed's sysfs tunables did.
 */
#include <linux/capability.h>
#include <linux/frontswap.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/sysfs.h>
#include <linux/version.h>

#if !IS_ENABLED(CONFIG_FRONTSWAP)
#error "selfballoon_frontswap needs a kernel built with CONFIG_FRONTSWAP=y"
#endif
#if LINUX_VERSION_CODE < KERNEL_VERSION(3, 5, 0) || LINUX_VERSION_CODE >= KERNEL_VERSION(5, 17, 0)
#error "selfballoon_frontswap needs Linux 3.5 to 5.16: only they export frontswap_shrink()"
#endif

#define SELFBALLOON_FRONTSWAP_ABI 1

static struct kobject *sbf_kobj;

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sprintf(buf, "%d\n", SELFBALLOON_FRONTSWAP_ABI);
}

static ssize_t curr_pages_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sprintf(buf, "%lu\n", frontswap_curr_pages());
}

static ssize_t shrink_store(struct kobject *kobj, struct kobj_attribute *attr, const char *buf,
			    size_t count)
{
	unsigned long target;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = kstrtoul(buf, 10, &target);
	if (err)
		return err;
	frontswap_shrink(target);
	return count;
}

static struct kobj_attribute version_attr = __ATTR_RO(version);
static struct kobj_attribute curr_pages_attr = __ATTR_RO(curr_pages);
static struct kobj_attribute shrink_attr = __ATTR_WO(shrink);

static struct attribute *sbf_attrs[] = {
	&version_attr.attr,
	&curr_pages_attr.attr,
	&shrink_attr.attr,
	NULL,
};

static const struct attribute_group sbf_group = {
	.attrs = sbf_attrs,
};

static int __init sbf_init(void)
{
	int err;

	sbf_kobj = kobject_create_and_add("selfballoon_frontswap", kernel_kobj);
	if (!sbf_kobj)
		return -ENOMEM;
	err = sysfs_create_group(sbf_kobj, &sbf_group);
	if (err)
		kobject_put(sbf_kobj);
	return err;
}

static void __exit sbf_exit(void)
{
	kobject_put(sbf_kobj);
}

module_init(sbf_init);
module_exit(sbf_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("frontswap_curr_pages()/frontswap_shrink() for selfballoond");
