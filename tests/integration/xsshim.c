/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xsshim: LD_PRELOAD library that lets the real xenstored (Xen 4.17) run on
 * a machine without a hypervisor, for integration tests only.
 *
 * xenstored needs the hypervisor for exactly four things; each is replaced
 * by a file in the per-test directory named by $XSSHIM_DIR:
 *
 *   domain info        every domid is running, unless $DIR/dying-<domid>
 *                      exists (then it is reported dying, so a VIRQ kick
 *                      makes xenstored release it as after a destroy).
 *   event channels     xenstored polls the FIFO $DIR/evtchn; any byte
 *                      written there wakes it up ('V' = VIRQ_DOM_EXC).
 *                      Its notifications to guest N are a byte written to
 *                      the FIFO $DIR/kick-<N> (dropped if nobody listens).
 *   grant mapping      guest N's ring page is the file $DIR/ring-<N>.
 *   dom0's ring/port   /proc/xen/xsd_kva and xsd_port are redirected to
 *                      $DIR/xsd_kva (a zeroed page) and $DIR/xsd_port.
 *
 * Everything else (database, permissions, watches, transactions, quotas) is
 * the unmodified daemon. The symbol list must match what `nm -D xenstored`
 * imports; tests/integration/test_harness.py guards that.
 */
/*
 * We define open() ourselves: fortify's inline wrapper would clash, and with
 * _FILE_OFFSET_BITS=64 (meson's default) <fcntl.h> renames it open64, which
 * xenstored does not import. open64 is defined below as well.
 */
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#define SHIM_MAX_PORTS 1024
#define SHIM_PORT_FREE UINT32_MAX
#define SHIM_PORT_VIRQ (UINT32_MAX - 1)

/* The library headers leave these handle types opaque; ours are trivial. */
struct xc_interface_core {
	int unused;
};
struct xengntdev_handle {
	int unused;
};
struct xenevtchn_handle {
	int fd;
};

static struct xc_interface_core xc_dummy;
static struct xengntdev_handle gnt_dummy;
static struct xenevtchn_handle evtchn_handle = { .fd = -1 };

/* Local port -> remote domid, SHIM_PORT_VIRQ or SHIM_PORT_FREE; 0 unused. */
static uint32_t port_domid[SHIM_MAX_PORTS];
static bool ports_initialised;

static void shim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void shim_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("xsshim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Build "$XSSHIM_DIR/<name>"; false (errno set) if unset or too long. */
static bool shim_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool shim_path(char *buf, size_t len, const char *fmt, ...)
{
	const char *dir = getenv("XSSHIM_DIR");
	char name[64];
	va_list ap;
	int n;

	if (!dir || !*dir) {
		shim_log("XSSHIM_DIR is not set");
		errno = ENOENT;
		return false;
	}
	va_start(ap, fmt);
	n = vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(name)) {
		errno = ENAMETOOLONG;
		return false;
	}
	n = snprintf(buf, len, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return false;
	}
	return true;
}

/*
 * Die with the test harness even if it is killed outright: it names itself
 * in XSHARNESS_PARENT. Done here rather than by the harness between fork
 * and exec, which would cost Python its fast spawn path.
 */
__attribute__((constructor)) static void shim_follow_parent(void)
{
	const char *parent = getenv("XSHARNESS_PARENT");

	if (!parent)
		return;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != (pid_t)strtol(parent, NULL, 10))
		_exit(1);	/* the harness died before prctl() */
}

/* ---- /proc/xen/xsd_kva and xsd_port ------------------------------------ */

/* Plain open(2) without our interposition: openat is not interposed. */
static int real_open(const char *path, int flags, mode_t mode)
{
	return openat(AT_FDCWD, path, flags, mode);
}

/* dom0's ring: nothing ever talks on it, but xenstored maps it. */
static int open_xsd_kva(int flags)
{
	char path[PATH_MAX];
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	int fd;

	if (!shim_path(path, sizeof(path), "xsd_kva"))
		return -1;
	fd = real_open(path, (flags & ~O_ACCMODE) | O_RDWR | O_CREAT, 0600);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || (st.st_size < page && ftruncate(fd, page) < 0)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* dom0's event channel port: any positive number will do. */
static int open_xsd_port(int flags)
{
	char path[PATH_MAX];
	int fd;

	if (!shim_path(path, sizeof(path), "xsd_port"))
		return -1;
	fd = real_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, "1\n", 2) != 2) {
			close(fd);
			return -1;
		}
		close(fd);
	} else if (errno != EEXIST) {
		return -1;
	}
	return real_open(path, flags, 0);
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (strcmp(path, "/proc/xen/xsd_kva") == 0)
		return open_xsd_kva(flags);
	if (strcmp(path, "/proc/xen/xsd_port") == 0)
		return open_xsd_port(flags);
	return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return open(path, flags | O_LARGEFILE, mode);
}

/* ---- libxenctrl --------------------------------------------------------- */

xc_interface *xc_interface_open(xentoollog_logger *logger,
				xentoollog_logger *dombuild_logger,
				unsigned open_flags)
{
	char path[PATH_MAX];

	/* Refuse early rather than fail obscurely on the first ring map. */
	if (!shim_path(path, sizeof(path), "."))
		return NULL;
	return &xc_dummy;
}

int xc_interface_close(xc_interface *xch)
{
	return 0;
}

int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid,
		      unsigned int max_doms, xc_dominfo_t *info)
{
	char path[PATH_MAX];
	bool dying;

	if (max_doms == 0)
		return 0;
	dying = shim_path(path, sizeof(path), "dying-%u", first_domid) &&
		access(path, F_OK) == 0;
	memset(info, 0, sizeof(*info));
	info->domid = first_domid;
	info->running = !dying;
	info->dying = dying;
	info->shutdown = dying;
	return 1;
}

/* ---- libxenevtchn ------------------------------------------------------- */

static void ports_init(void)
{
	if (ports_initialised)
		return;
	for (size_t i = 0; i < SHIM_MAX_PORTS; i++)
		port_domid[i] = SHIM_PORT_FREE;
	ports_initialised = true;
}

static int port_alloc(uint32_t what)
{
	ports_init();
	/* Port 0 is never valid in Xen; xenstored treats it as "none". */
	for (int p = 1; p < SHIM_MAX_PORTS; p++) {
		if (port_domid[p] == SHIM_PORT_FREE) {
			port_domid[p] = what;
			return p;
		}
	}
	errno = ENOSPC;
	return -1;
}

static xenevtchn_handle *evtchn_setup(int fd)
{
	evtchn_handle.fd = fd;
	ports_init();
	return &evtchn_handle;
}

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger,
				 unsigned int flags)
{
	char path[PATH_MAX];
	int fd;

	if (!shim_path(path, sizeof(path), "evtchn"))
		return NULL;
	if (mkfifo(path, 0600) < 0 && errno != EEXIST)
		return NULL;
	/* O_RDWR: a FIFO opened so never blocks and never sees EOF. */
	fd = real_open(path, O_RDWR | O_NONBLOCK |
			     ((flags & XENEVTCHN_NO_CLOEXEC) ? 0 : O_CLOEXEC), 0);
	if (fd < 0)
		return NULL;
	return evtchn_setup(fd);
}

/* Live update hands the fd over; accept it as is. */
xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger, int fd,
				   unsigned open_flags)
{
	return evtchn_setup(fd);
}

int xenevtchn_close(xenevtchn_handle *xce)
{
	if (xce && xce->fd >= 0) {
		close(xce->fd);
		xce->fd = -1;
	}
	return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
	return xce->fd;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	char path[PATH_MAX];
	uint32_t domid;
	int fd;

	if (port == 0 || port >= SHIM_MAX_PORTS ||
	    port_domid[port] == SHIM_PORT_FREE) {
		errno = EINVAL;
		return -1;
	}
	domid = port_domid[port];
	if (domid == SHIM_PORT_VIRQ)
		return 0;
	if (!shim_path(path, sizeof(path), "kick-%u", domid))
		return 0;
	/*
	 * Non-blocking: with no bridge listening open() fails with ENXIO and
	 * a full FIFO means a wake-up is pending anyway. Either way the
	 * guest's ring state is what matters, so errors are not errors.
	 */
	fd = real_open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0);
	if (fd >= 0) {
		if (write(fd, "k", 1) < 0) {
			/* dropped wake-up: see above */
		}
		close(fd);
	}
	return 0;
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce,
						     uint32_t domid,
						     evtchn_port_t remote_port)
{
	return port_alloc(domid);
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce,
					      unsigned int virq)
{
	return port_alloc(SHIM_PORT_VIRQ);
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
	if (port == 0 || port >= SHIM_MAX_PORTS ||
	    port_domid[port] == SHIM_PORT_FREE) {
		errno = EINVAL;
		return -1;
	}
	port_domid[port] = SHIM_PORT_FREE;
	return 0;
}

/*
 * xenstored calls this when the FIFO polls readable. Drain it; 'V' means
 * VIRQ_DOM_EXC (re-check which domains died), anything else is a plain
 * kick, for which we report port 0: xenstored 4.17 scans every ring on
 * each loop iteration and only looks at the port to spot the VIRQ.
 */
xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
	char buf[256];
	bool virq = false;
	ssize_t n;

	while ((n = read(xce->fd, buf, sizeof(buf))) > 0) {
		if (memchr(buf, 'V', (size_t)n))
			virq = true;
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -1;
	if (virq) {
		for (int p = 1; p < SHIM_MAX_PORTS; p++)
			if (port_domid[p] == SHIM_PORT_VIRQ)
				return p;
	}
	return 0;
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
	return 0;
}

/* ---- libxengnttab ------------------------------------------------------- */

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger,
				 unsigned open_flags)
{
	return &gnt_dummy;
}

int xengnttab_close(xengnttab_handle *xgt)
{
	return 0;
}

int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
	return 0;
}

/*
 * The only grant xenstored maps is GNTTAB_RESERVED_XENSTORE of guest domid:
 * its ring. The file is created by the bridge before it introduces the
 * domain; a missing file makes XS_INTRODUCE fail as an unmappable ring does.
 */
void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid,
			      uint32_t ref, int prot)
{
	char path[PATH_MAX];
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	void *addr;
	int fd;

	if (!shim_path(path, sizeof(path), "ring-%u", domid))
		return NULL;
	fd = real_open(path, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size < page) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	addr = mmap(NULL, (size_t)page, prot, MAP_SHARED, fd, 0);
	close(fd);
	return addr == MAP_FAILED ? NULL : addr;
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
	return munmap(start_address, (size_t)count * (size_t)sysconf(_SC_PAGESIZE));
}
