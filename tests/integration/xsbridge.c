/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xsbridge: plays guest N's xenbus driver against a xenstored running with
 * xsshim, for integration tests only.
 *
 *   xsbridge -d DOMID -l LISTEN_SOCKET -x DOM0_SOCKET [-s SHIM_DIR]
 *            [-m MOVE_FILE]
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
 * SIGUSR1 moves the guest to another domid, as xl save/restore and xl
 * migrate do to a real one, with the kernel's xs_suspend() and xs_resume():
 * MOVE_FILE holds the new domid ("M", or "M nowatch" to leave the watches
 * out, a kernel that would not register them again). The client keeps its
 * connection. What xenstored has of its requests is answered on the old
 * ring; a request it has not been given yet waits for the new one. Then
 * domain M is introduced with a ring of its own (the toolstack side,
 * /local/domain/M, must be laid out before), and every watch the client
 * holds is registered there again: xenstored fires each once, the events go
 * to the client, the replies do not (the kernel keeps them to itself). The
 * old domain stays introduced: destroying it is the toolstack's part.
 * Prints "moved M" on stdout when done, "move failed: ..." if it was not.
 * Watches are known from the client's XS_WATCH/XS_UNWATCH requests and
 * their replies, replies being in request order on one connection.
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

/* Requests xenstored may hold unanswered at once; more wait in req[]. */
#define PENDING_MAX 64

static struct xenstore_domain_interface *ring;
static unsigned int domid;
static const char *shim_dir;
static const char *move_path;	/* -m: where SIGUSR1 finds the new domid */
static struct xs_handle *dom0;
static int kick_rd = -1;	/* xenstored -> us, via the shim */
static int evtchn_wr = -1;	/* us -> xenstored */
static volatile sig_atomic_t stop_requested, move_requested;
/* SIGTERM/SIGINT/SIGUSR1 are blocked except inside ppoll(): no lost
 * wake-up. */
static sigset_t poll_sigmask;

/* The request being relayed to the ring. */
static char req[MSG_MAX];
static size_t req_have;		/* bytes received from the client */
static size_t req_pushed;	/* bytes of req[] already in the ring */
static bool req_complete;
static bool req_queued;		/* in pending[]: it goes to this ring */

/* Requests given to xenstored, oldest first; each reply settles the head. */
struct pending {
	uint32_t type;
	bool resent;		/* a watch registered again after a move */
	char *spec;		/* XS_WATCH/XS_UNWATCH: "path\0token\0" */
	size_t spec_len;
};
static struct pending pending[PENDING_MAX];
static unsigned int pending_head, pending_count;

/* The client's watches, as it registered them, to register after a move. */
struct watch {
	char *spec;
	size_t len;
};
static struct watch *watches;
static size_t n_watches, watches_cap;

/* The message being taken off the ring. */
static char msg_in[MSG_MAX];
static size_t msg_in_have;

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
	if (sig == SIGUSR1)
		move_requested = 1;
	else
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

static char *copy_bytes(const char *p, size_t n)
{
	char *c = malloc(n ? n : 1);

	if (!c)
		die("malloc");
	memcpy(c, p, n);
	return c;
}

/* False when xenstored already holds PENDING_MAX of our requests. */
static bool pending_add(uint32_t type, const char *payload, size_t len,
			bool resent)
{
	struct pending *p;

	if (pending_count == PENDING_MAX)
		return false;
	p = &pending[(pending_head + pending_count) % PENDING_MAX];
	*p = (struct pending){ .type = type, .resent = resent };
	if (type == XS_WATCH || type == XS_UNWATCH) {
		p->spec = copy_bytes(payload, len);
		p->spec_len = len;
	}
	pending_count++;
	return true;
}

static void pending_clear(void)
{
	for (unsigned int i = 0; i < pending_count; i++)
		free(pending[(pending_head + i) % PENDING_MAX].spec);
	pending_head = pending_count = 0;
}

static struct watch *watch_find(const char *spec, size_t len)
{
	for (size_t i = 0; i < n_watches; i++)
		if (watches[i].len == len && memcmp(watches[i].spec, spec, len) == 0)
			return &watches[i];
	return NULL;
}

static void watches_clear(void)
{
	for (size_t i = 0; i < n_watches; i++)
		free(watches[i].spec);
	n_watches = 0;
}

/* The reply to the oldest request came: keep the watch list as xenstored's. */
static void settle(uint32_t reply_type)
{
	struct pending *p = &pending[pending_head];
	bool ok = reply_type != XS_ERROR;

	if (!p->resent && ok && p->type == XS_WATCH &&
	    !watch_find(p->spec, p->spec_len)) {
		if (n_watches == watches_cap) {
			size_t cap = watches_cap ? 2 * watches_cap : 8;
			struct watch *w = realloc(watches, cap * sizeof(*w));

			if (!w)
				die("realloc");
			watches = w;
			watches_cap = cap;
		}
		watches[n_watches++] = (struct watch){ p->spec, p->spec_len };
		p->spec = NULL;
	} else if (!p->resent && ok && p->type == XS_UNWATCH) {
		struct watch *w = watch_find(p->spec, p->spec_len);

		if (w) {
			free(w->spec);
			*w = watches[--n_watches];
		}
	} else if (!p->resent && ok && p->type == XS_RESET_WATCHES) {
		watches_clear();
	}
	free(p->spec);
	pending_head = (pending_head + 1) % PENDING_MAX;
	pending_count--;
}

/* Move as much of the complete request as fits; true once all is in. */
static bool push_request(void)
{
	size_t n;

	if (!req_queued) {
		struct xsd_sockmsg hdr;

		memcpy(&hdr, req, HDR_LEN);
		if (!pending_add(hdr.type, req + HDR_LEN, hdr.len, false))
			return false;	/* the next reply makes room */
		req_queued = true;
	}
	n = ring_put(req + req_pushed, req_have - req_pushed);
	if (n) {
		req_pushed += n;
		kick();
	}
	if (req_pushed < req_have)
		return false;
	req_have = req_pushed = 0;
	req_complete = req_queued = false;
	return true;
}

/*
 * The whole message in msg_in[]: settle the request it answers and queue it
 * for the client, or drop it if it answers one of ours. False when the
 * client has not taken enough of what it was sent for this one to fit.
 */
static bool take_message(const struct xsd_sockmsg *hdr)
{
	size_t len = HDR_LEN + hdr->len;
	bool reply = hdr->type != XS_WATCH_EVENT;

	if (reply && pending_count && pending[pending_head].resent) {
		settle(hdr->type);
		return true;
	}
	if (rsp_sent == rsp_len)
		rsp_sent = rsp_len = 0;
	if (sizeof(rsp) - rsp_len < len && rsp_sent > 0) {
		memmove(rsp, rsp + rsp_sent, rsp_len - rsp_sent);
		rsp_len -= rsp_sent;
		rsp_sent = 0;
	}
	if (sizeof(rsp) - rsp_len < len)
		return false;
	memcpy(rsp + rsp_len, msg_in, len);
	rsp_len += len;
	if (reply && pending_count)
		settle(hdr->type);
	return true;
}

/* Take what xenstored wrote off the ring, a message at a time. */
static void pull_replies(void)
{
	bool took = false;

	for (;;) {
		struct xsd_sockmsg hdr;
		size_t want, n;

		if (msg_in_have < HDR_LEN) {
			want = HDR_LEN - msg_in_have;
		} else {
			memcpy(&hdr, msg_in, HDR_LEN);
			if (hdr.len > XENSTORE_PAYLOAD_MAX) {
				fprintf(stderr, "xsbridge[%u]: xenstored sent "
					"a %u-byte payload\n", domid, hdr.len);
				exit(1);
			}
			want = HDR_LEN + hdr.len - msg_in_have;
			if (want == 0) {
				if (!take_message(&hdr))
					break;
				msg_in_have = 0;
				continue;
			}
		}
		n = ring_get(msg_in + msg_in_have, want);
		if (n == 0)
			break;
		msg_in_have += n;
		took = true;
	}
	if (took)
		kick();	/* xenstored may be waiting for room */
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

	if (!req_queued)
		req_have = 0, req_complete = false;	/* never seen by xenstored */
	for (;;) {
		if (req_queued)
			push_request();
		rsp_len = rsp_sent = 0;
		pull_replies();
		if (!req_queued && req_ring_empty())
			break;
		if (now_ms() > deadline) {
			fprintf(stderr, "xsbridge[%u]: xenstored did not take "
				"the last request; resetting anyway\n", domid);
			break;
		}
		wait_kick(50);
	}
	req_have = req_pushed = 0;
	req_complete = req_queued = false;
	if (!xs_introduce_domain(dom0, domid, 0, GUEST_EVTCHN_PORT))
		die("xs_introduce_domain");
	/* The reset zeroed the indexes; anything we buffered is stale, and
	 * the next client starts with no watches. */
	rsp_len = rsp_sent = msg_in_have = 0;
	pending_clear();
	watches_clear();
	drain_kicks();
	check_ring_error();
}

/* Maps $SHIM_DIR/ring-<domid> as ring. */
static void map_ring(void)
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

/* Opens $SHIM_DIR/kick-<domid> as kick_rd: xenstored's kicks for domid. */
static void open_kicks(void)
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
}

static void open_event_channels(void)
{
	char path[PATH_MAX];

	open_kicks();
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

/*
 * One round while a move waits for xenstored: take its messages off the
 * ring and hand them to the client (dropped once it went away: *client_ok
 * false), then wait a little for a kick or for room towards the client.
 */
static void move_round(int cfd, bool *client_ok)
{
	struct pollfd pfd[2] = {
		{ .fd = kick_rd, .events = POLLIN },
		{ .fd = cfd, .events = POLLOUT },
	};
	bool out;

	pull_replies();
	if (*client_ok && !write_client(cfd))
		*client_ok = false;
	if (!*client_ok)
		rsp_len = rsp_sent = 0;
	check_ring_error();
	out = *client_ok && rsp_sent < rsp_len;
	if (poll(pfd, out ? 2 : 1, 20) < 0 && errno != EINTR)
		die("poll");
	drain_kicks();
}

/* Puts a whole request in the ring, waiting for room: never half of one. */
static void put_request(const char *msg, size_t len, int cfd, bool *client_ok)
{
	long deadline = now_ms() + DRAIN_TIMEOUT_MS;
	size_t done = 0;

	while (done < len) {
		size_t n = ring_put(msg + done, len - done);

		if (n) {
			done += n;
			kick();
			continue;
		}
		if (now_ms() > deadline) {
			fprintf(stderr, "xsbridge[%u]: xenstored takes no "
				"requests\n", domid);
			exit(1);	/* half a request: the guest is lost */
		}
		move_round(cfd, client_ok);
	}
}

static bool old_ring_done(void)
{
	return !req_queued && pending_count == 0 && msg_in_have == 0;
}

static bool resent_answered(void)
{
	return pending_count == 0;
}

/* Rounds until done(); false (and a word on stderr) after a while. */
static bool move_wait(int cfd, bool *client_ok, bool (*done)(void),
		      const char *what)
{
	long deadline = now_ms() + DRAIN_TIMEOUT_MS;

	for (;;) {
		if (req_queued)
			push_request();
		if (done())
			return true;
		if (now_ms() > deadline) {
			fprintf(stderr, "xsbridge[%u]: %s: no answer\n", domid,
				what);
			return false;
		}
		move_round(cfd, client_ok);
	}
}

/* MOVE_FILE: "M" or "M nowatch". */
static bool read_move_file(unsigned int *to, bool *resend)
{
	char buf[64] = "", word[16] = "";
	FILE *f = move_path ? fopen(move_path, "re") : NULL;
	int n;

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	n = sscanf(buf, "%u %15s", to, word);
	*resend = n == 1;
	return (n == 1 || (n == 2 && strcmp(word, "nowatch") == 0)) &&
	       *to > 0 && *to < 0x7FF0 && *to != domid;
}

/*
 * xl save/restore, xl migrate: the guest runs as domain `to` from now on.
 * cfd is the client (-1: none). False when the client went away meanwhile.
 */
static bool move_guest(int cfd)
{
	struct xenstore_domain_interface *old_ring = ring;
	int old_kicks = kick_rd;
	unsigned int from = domid, to;
	bool client_ok = cfd >= 0, resend;

	if (!read_move_file(&to, &resend)) {
		fprintf(stderr, "xsbridge[%u]: SIGUSR1 without a usable move "
			"file (%s)\n", domid, move_path ? move_path : "no -m");
		printf("move failed: no new domid\n");
		fflush(stdout);
		return true;
	}
	/* xs_suspend(): no new requests; those xenstored has are answered */
	if (!move_wait(cfd, &client_ok, old_ring_done,
		       "the requests in flight")) {
		/* their replies are lost: none may settle a later request */
		pending_clear();
		if (req_queued)
			req_have = req_pushed = 0, req_complete = req_queued = false;
	}
	msg_in_have = 0;

	domid = to;
	map_ring();
	open_kicks();
	/* a ring file left by an earlier guest `to`: its indexes are stale */
	if (!xs_is_domain_introduced(dom0, to))
		memset(ring, 0, (size_t)sysconf(_SC_PAGESIZE));
	if (!xs_introduce_domain(dom0, to, 0, GUEST_EVTCHN_PORT))
		die("xs_introduce_domain");
	munmap(old_ring, (size_t)sysconf(_SC_PAGESIZE));
	close(old_kicks);
	drain_kicks();
	check_ring_error();

	/* xs_resume(): the watches again */
	for (size_t i = 0; resend && i < n_watches; i++) {
		struct xsd_sockmsg hdr = { .type = XS_WATCH,
					   .req_id = 0x7e500000u + (uint32_t)i,
					   .len = (uint32_t)watches[i].len };
		char msg[MSG_MAX];

		while (!pending_add(XS_WATCH, watches[i].spec, watches[i].len,
				    true))
			move_round(cfd, &client_ok);
		memcpy(msg, &hdr, HDR_LEN);
		memcpy(msg + HDR_LEN, watches[i].spec, watches[i].len);
		put_request(msg, HDR_LEN + watches[i].len, cfd, &client_ok);
	}
	if (!move_wait(cfd, &client_ok, resent_answered,
		       "the watches registered again")) {
		printf("move failed: watches not registered on %u\n", to);
	} else {
		fprintf(stderr, "xsbridge: guest %u runs as domain %u now (%zu "
			"watches %s)\n", from, to, n_watches,
			resend ? "registered again" : "left out");
		printf("moved %u\n", to);
	}
	fflush(stdout);
	return client_ok;
}

static void serve_client(int cfd)
{
	if (fcntl(cfd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl");
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = -1, .events = POLLIN },
			{ .fd = cfd, .events = 0 },
			/* POLLERR here means xenstored closed its end. */
			{ .fd = evtchn_wr, .events = 0 },
		};

		if (move_requested) {
			move_requested = 0;
			if (!move_guest(cfd))
				return;
		}
		pfd[0].fd = kick_rd;	/* another after a move */
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
		"-x DOM0_SOCKET [-s SHIM_DIR] [-m MOVE_FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *listen_path = NULL, *dom0_path = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	bool have_domid = false;
	sigset_t block;
	int opt, lfd;

	shim_dir = getenv("XSSHIM_DIR");
	while ((opt = getopt(argc, argv, "d:l:x:s:m:")) != -1) {
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
		case 'm':
			move_path = optarg;
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
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &poll_sigmask);
	sigdelset(&poll_sigmask, SIGTERM);
	sigdelset(&poll_sigmask, SIGINT);
	sigdelset(&poll_sigmask, SIGUSR1);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	map_ring();
	open_event_channels();

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
			{ .fd = -1, .events = POLLIN },
			{ .fd = evtchn_wr, .events = 0 },
		};
		int cfd;

		if (move_requested) {	/* no client, so no watches to bring */
			move_requested = 0;
			move_guest(-1);
		}
		pfd[1].fd = kick_rd;	/* another after a move */
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
