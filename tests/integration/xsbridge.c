/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xsbridge: plays guest N's xenbus driver against a xenstored running with
 * xsshim, for integration tests only.
 *
 *   xsbridge -d DOMID -l LISTEN_SOCKET -x DOM0_SOCKET [-s SHIM_DIR]
 *
 * It creates the ring page $SHIM_DIR/ring-N, introduces domain N over the
 * dom0 socket (so xenstored maps that page as N's ring), then serves
 * LISTEN_SOCKET: the bytes of one client at a time are copied to and from
 * the ring. A libxenstore client with XENSTORED_PATH=LISTEN_SOCKET is thus
 * guest N to xenstored, with all of a guest's restrictions.
 *
 * Each client gets a clean guest connection: when one goes away, the domain
 * is introduced again, which makes xenstored drop that connection's watches,
 * transactions and queued replies and reset the ring indexes. xenstored
 * 4.17 must never hold half a request at that moment (it frees its partial
 * input buffer without forgetting it), so requests are forwarded to the ring
 * only once complete, and one already started is always finished.
 *
 * Prints "ready" on stdout once clients can connect. SIGTERM/SIGINT finish
 * the request in flight, then exit. With XSHARNESS_PARENT=<pid> in the
 * environment it also dies with that process (the test harness).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>
#include <xen/io/xs_wire.h>

#define HDR_LEN ((size_t)sizeof(struct xsd_sockmsg))
#define MSG_MAX (HDR_LEN + XENSTORE_PAYLOAD_MAX)
/* Generous: xenstored may take a while under its own rate limiting. */
#define DRAIN_TIMEOUT_MS 5000
/* Any positive port: the shim maps ports to domids itself. */
#define GUEST_EVTCHN_PORT 1

static struct xenstore_domain_interface *ring;
static unsigned int domid;
static struct xs_handle *dom0;
static int kick_rd = -1;	/* xenstored -> us, via the shim */
static int evtchn_wr = -1;	/* us -> xenstored */
static volatile sig_atomic_t stop_requested;
/* SIGTERM/SIGINT are blocked except inside ppoll(): no lost wake-up. */
static sigset_t poll_sigmask;

/* The request being relayed to the ring. */
static char req[MSG_MAX];
static size_t req_have;		/* bytes received from the client */
static size_t req_pushed;	/* bytes of req[] already in the ring */
static bool req_complete;

/* Replies and watch events taken off the ring, not yet sent to the client. */
static char rsp[4 * XENSTORE_RING_SIZE];
static size_t rsp_len, rsp_sent;

static void die(const char *what)
{
	fprintf(stderr, "xsbridge[%u]: %s: %s\n", domid, what, strerror(errno));
	exit(1);
}

static void on_signal(int sig)
{
	stop_requested = 1;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wake xenstored. A full FIFO already holds a wake-up, so EAGAIN is fine. */
static void kick(void)
{
	if (write(evtchn_wr, "k", 1) < 0 && errno != EAGAIN) {
		if (errno == EPIPE)
			fprintf(stderr, "xsbridge[%u]: xenstored is gone\n", domid);
		else
			perror("xsbridge: kick");
		exit(1);
	}
}

static void drain_kicks(void)
{
	char buf[256];

	while (read(kick_rd, buf, sizeof(buf)) > 0)
		;
}

/* xenstored marks a connection it gave up on; no reset revives it in 4.17. */
static void check_ring_error(void)
{
	uint32_t err = __atomic_load_n(&ring->error, __ATOMIC_ACQUIRE);

	if (err) {
		fprintf(stderr, "xsbridge[%u]: xenstored ignores this guest "
			"now (ring error %u)\n", domid, err);
		exit(1);
	}
}

static size_t ring_put(const char *data, size_t len)
{
	XENSTORE_RING_IDX cons = __atomic_load_n(&ring->req_cons, __ATOMIC_ACQUIRE);
	XENSTORE_RING_IDX prod = __atomic_load_n(&ring->req_prod, __ATOMIC_ACQUIRE);
	size_t space, n;

	if (prod - cons > XENSTORE_RING_SIZE) {
		fprintf(stderr, "xsbridge[%u]: bad request indexes %u/%u\n",
			domid, cons, prod);
		exit(1);
	}
	space = XENSTORE_RING_SIZE - (prod - cons);
	n = len < space ? len : space;
	for (size_t i = 0; i < n; i++)
		ring->req[MASK_XENSTORE_IDX(prod + i)] = data[i];
	/* Release: the bytes must be visible before the new index. */
	__atomic_store_n(&ring->req_prod, prod + (XENSTORE_RING_IDX)n,
			 __ATOMIC_RELEASE);
	return n;
}

static size_t ring_get(char *data, size_t len)
{
	XENSTORE_RING_IDX cons = __atomic_load_n(&ring->rsp_cons, __ATOMIC_ACQUIRE);
	XENSTORE_RING_IDX prod = __atomic_load_n(&ring->rsp_prod, __ATOMIC_ACQUIRE);
	size_t avail, n;

	if (prod - cons > XENSTORE_RING_SIZE) {
		fprintf(stderr, "xsbridge[%u]: bad reply indexes %u/%u\n",
			domid, cons, prod);
		exit(1);
	}
	avail = prod - cons;
	n = len < avail ? len : avail;
	for (size_t i = 0; i < n; i++)
		data[i] = ring->rsp[MASK_XENSTORE_IDX(cons + i)];
	/* Release: we are done reading before xenstored may overwrite. */
	__atomic_store_n(&ring->rsp_cons, cons + (XENSTORE_RING_IDX)n,
			 __ATOMIC_RELEASE);
	return n;
}

static bool req_ring_empty(void)
{
	return __atomic_load_n(&ring->req_cons, __ATOMIC_ACQUIRE) ==
	       __atomic_load_n(&ring->req_prod, __ATOMIC_ACQUIRE);
}

/* Move as much of the complete request as fits; true once all is in. */
static bool push_request(void)
{
	size_t n = ring_put(req + req_pushed, req_have - req_pushed);

	if (n) {
		req_pushed += n;
		kick();
	}
	if (req_pushed < req_have)
		return false;
	req_have = req_pushed = 0;
	req_complete = false;
	return true;
}

static void pull_replies(void)
{
	size_t n;

	if (rsp_sent == rsp_len)
		rsp_sent = rsp_len = 0;
	n = ring_get(rsp + rsp_len, sizeof(rsp) - rsp_len);
	if (n) {
		rsp_len += n;
		kick();	/* xenstored may be waiting for room */
	}
}

/* Wait for a wake-up from xenstored, at most ms milliseconds. */
static void wait_kick(int ms)
{
	struct pollfd pfd = { .fd = kick_rd, .events = POLLIN };

	if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
		die("poll");
	drain_kicks();
}

/*
 * Give domain N a fresh connection in xenstored. Only safe when xenstored
 * holds no partial request: finish the one started, and wait until
 * xenstored has taken every byte. Replies meanwhile are discarded, so that
 * xenstored never stalls on a full reply ring or its outstanding quota.
 */
static void reset_guest_connection(void)
{
	long deadline = now_ms() + DRAIN_TIMEOUT_MS;

	if (req_pushed == 0)
		req_have = 0, req_complete = false;	/* never seen by xenstored */
	for (;;) {
		if (req_pushed > 0)
			push_request();
		rsp_len = rsp_sent = 0;
		pull_replies();
		if (req_pushed == 0 && req_ring_empty())
			break;
		if (now_ms() > deadline) {
			fprintf(stderr, "xsbridge[%u]: xenstored did not take "
				"the last request; resetting anyway\n", domid);
			break;
		}
		wait_kick(50);
	}
	req_have = req_pushed = 0;
	req_complete = false;
	if (!xs_introduce_domain(dom0, domid, 0, GUEST_EVTCHN_PORT))
		die("xs_introduce_domain");
	/* The reset zeroed the indexes; anything we buffered is stale. */
	rsp_len = rsp_sent = 0;
	drain_kicks();
	check_ring_error();
}

static void map_ring(const char *shim_dir)
{
	char path[PATH_MAX];
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	int fd;

	if (snprintf(path, sizeof(path), "%s/ring-%u", shim_dir, domid) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		die("ring path");
	}
	/*
	 * Never recreate an existing file: after a restart xenstored still
	 * has the old inode mapped, and it must stay the same page.
	 */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		die(path);
	if (fstat(fd, &st) < 0)
		die("fstat ring");
	if (st.st_size < page && ftruncate(fd, page) < 0)
		die("ftruncate ring");
	ring = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	if (ring == MAP_FAILED)
		die("mmap ring");
	close(fd);
}

static void open_event_channels(const char *shim_dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/kick-%u", shim_dir, domid) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		die("kick path");
	}
	if (mkfifo(path, 0600) < 0 && errno != EEXIST)
		die(path);
	/* O_RDWR keeps the FIFO open with no writer: no EOF between kicks. */
	kick_rd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (kick_rd < 0)
		die(path);

	snprintf(path, sizeof(path), "%s/evtchn", shim_dir);
	/* Succeeds only while xenstored (the reader) is up. */
	evtchn_wr = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (evtchn_wr < 0)
		die(path);
}

static int listen_on(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		die(path);
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	/* A previous bridge for this guest may have left its socket behind. */
	if (unlink(path) < 0 && errno != ENOENT)
		die(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die(path);
	if (listen(fd, 16) < 0)
		die("listen");
	return fd;
}

/* Read what the client sent; false when it went away or broke protocol. */
static bool read_client(int cfd)
{
	size_t want;
	ssize_t n;

	want = req_have < HDR_LEN ? HDR_LEN - req_have : 0;
	if (req_have >= HDR_LEN) {
		struct xsd_sockmsg hdr;

		memcpy(&hdr, req, HDR_LEN);
		want = HDR_LEN + hdr.len - req_have;
	}
	n = read(cfd, req + req_have, want);
	if (n == 0)
		return false;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	req_have += (size_t)n;
	if (req_have == HDR_LEN) {
		struct xsd_sockmsg hdr;

		memcpy(&hdr, req, HDR_LEN);
		/*
		 * Forwarding this would make xenstored ignore guest N for
		 * good (4.17 cannot revive such a connection): drop the
		 * client instead.
		 */
		if (hdr.len > XENSTORE_PAYLOAD_MAX) {
			fprintf(stderr, "xsbridge[%u]: client sent a %u-byte "
				"payload; disconnecting it\n", domid, hdr.len);
			req_have = 0;
			return false;
		}
	}
	if (req_have >= HDR_LEN) {
		struct xsd_sockmsg hdr;

		memcpy(&hdr, req, HDR_LEN);
		if (req_have == HDR_LEN + hdr.len)
			req_complete = true;
	}
	return true;
}

/* Send buffered replies; false when the client went away. */
static bool write_client(int cfd)
{
	while (rsp_sent < rsp_len) {
		ssize_t n = send(cfd, rsp + rsp_sent, rsp_len - rsp_sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		rsp_sent += (size_t)n;
	}
	return true;
}

static void serve_client(int cfd)
{
	if (fcntl(cfd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl");
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = kick_rd, .events = POLLIN },
			{ .fd = cfd, .events = 0 },
			/* POLLERR here means xenstored closed its end. */
			{ .fd = evtchn_wr, .events = 0 },
		};

		if (req_complete)
			push_request();
		pull_replies();
		if (!write_client(cfd))
			return;
		check_ring_error();

		if (stop_requested)
			return;
		if (!req_complete)
			pfd[1].events |= POLLIN;
		if (rsp_sent < rsp_len)
			pfd[1].events |= POLLOUT;
		if (ppoll(pfd, 3, NULL, &poll_sigmask) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (pfd[2].revents & (POLLERR | POLLHUP)) {
			fprintf(stderr, "xsbridge[%u]: xenstored is gone\n", domid);
			exit(1);
		}
		if (pfd[0].revents)
			drain_kicks();
		if (pfd[1].revents & POLLIN) {
			if (!read_client(cfd))
				return;
		} else if (pfd[1].revents & (POLLHUP | POLLERR)) {
			return;
		}
	}
}

/* See the top comment: the harness may be killed without cleaning up. */
static void follow_parent(void)
{
	const char *parent = getenv("XSHARNESS_PARENT");

	if (!parent)
		return;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != (pid_t)strtol(parent, NULL, 10))
		exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: xsbridge -d DOMID -l LISTEN_SOCKET "
		"-x DOM0_SOCKET [-s SHIM_DIR]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *listen_path = NULL, *dom0_path = NULL;
	const char *shim_dir = getenv("XSSHIM_DIR");
	struct sigaction sa = { .sa_handler = on_signal };
	bool have_domid = false;
	sigset_t block;
	int opt, lfd;

	while ((opt = getopt(argc, argv, "d:l:x:s:")) != -1) {
		switch (opt) {
		case 'd':
			domid = (unsigned int)strtoul(optarg, NULL, 10);
			have_domid = true;
			break;
		case 'l':
			listen_path = optarg;
			break;
		case 'x':
			dom0_path = optarg;
			break;
		case 's':
			shim_dir = optarg;
			break;
		default:
			usage();
		}
	}
	if (!have_domid || domid == 0 || !listen_path || !dom0_path ||
	    !shim_dir)
		usage();
	follow_parent();

	/* Delivered only inside ppoll(), which they interrupt. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &poll_sigmask);
	sigdelset(&poll_sigmask, SIGTERM);
	sigdelset(&poll_sigmask, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	map_ring(shim_dir);
	open_event_channels(shim_dir);

	/* libxenstore finds the daemon through this; we are dom0 there. */
	if (setenv("XENSTORED_PATH", dom0_path, 1) < 0)
		die("setenv");
	dom0 = xs_open(0);
	if (!dom0)
		die("xs_open (dom0 socket)");

	/* A previous bridge may have died with a request in the ring. */
	reset_guest_connection();
	lfd = listen_on(listen_path);

	printf("ready\n");
	fflush(stdout);

	while (!stop_requested) {
		struct pollfd pfd[3] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = kick_rd, .events = POLLIN },
			{ .fd = evtchn_wr, .events = 0 },
		};
		int cfd;

		if (ppoll(pfd, 3, NULL, &poll_sigmask) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (pfd[2].revents & (POLLERR | POLLHUP)) {
			fprintf(stderr, "xsbridge[%u]: xenstored is gone\n", domid);
			return 1;
		}
		if (pfd[1].revents)
			drain_kicks();
		if (!(pfd[0].revents & POLLIN))
			continue;
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		serve_client(cfd);
		close(cfd);
		reset_guest_connection();
	}
	unlink(listen_path);
	xs_close(dom0);
	return 0;
}
