/* suddenhog: the sudden-demand workload for e2e scenarios (built static on the host).
 *
 *   suddenhog listen SOCKET TICKLOG
 *     Bind a unix datagram socket at SOCKET (give it to the daemon as
 *     NOTIFY_SOCKET) and append one line per STATUS= message to TICKLOG:
 *     "<CLOCK_MONOTONIC seconds> <status text>". selfballoond sends one STATUS
 *     datagram per tick (src/main.c on_tick), so TICKLOG is the daemon's tick
 *     clock. Runs until killed.
 *
 *   suddenhog run [-c CHUNK_MB] [-a] [-R] [-r RATE_MB_S] [-t TICKLOG -n NEXT_TICK_S] [-H HOLD_S]
 *                 [-w TIMEOUT_S] SIZE_MB
 *     Allocate SIZE_MB in one malloc (-c 0, the default) or in CHUNK_MB mallocs,
 *     touching every page, at RATE_MB_S (0 = full speed; paced per MiB touched, a
 *     chunk is malloc'ed when the touching reaches it; with -a, all chunks are
 *     malloc'ed first, so Committed_AS is ahead of the touching), then hold it HOLD_S
 *     seconds (3) and exit. With -t, wait for the next tick in TICKLOG and start
 *     so that the tick after it comes NEXT_TICK_S after the start (the tick period
 *     is measured from the log). The allocating child sets its oom_score_adj to
 *     1000, this parent to -1000; the parent samples /proc/meminfo every 100 ms
 *     (MemTotal's peak, MemFree's low, swap used's peak).
 *     Touching writes one byte per page (the rest stays zero: a page zram or
 *     zswap compresses ~100:1), or with -R the whole page, random (xorshift64, a
 *     new 8 bytes per 8 bytes, seeded per run: incompressible, as a real
 *     workload's heap is not all zeros).
 *     Prints one line of key=value results on stdout, the ticks seen during the
 *     run on stderr. Exit 0 when the run was measured (whatever the outcome),
 *     2 on usage or setup errors.
 *
 * outcome: survived (the child touched everything and held it), oom-killed (the
 * child died of SIGKILL: the OOM killer, the only one sending it here), failed
 * (malloc returned NULL), timeout (not done after TIMEOUT_S: killed by us),
 * died (any other end). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t, .tv_nsec = (long)((t - (double)(time_t)t) * 1e9) };

	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void set_oom_score_adj(int v)
{
	FILE *f = fopen("/proc/self/oom_score_adj", "w");

	if (!f || fprintf(f, "%d\n", v) < 0 || fclose(f) != 0)
		fprintf(stderr, "suddenhog: cannot set oom_score_adj %d: %s\n", v, strerror(errno));
}

/* ------------------------------------------------------------ listen */
static int do_listen(const char *path, const char *logpath)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[4096], line[4200];
	int fd, lfd;

	set_oom_score_adj(-1000);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "suddenhog: socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "suddenhog: cannot bind %s: %s\n", path, strerror(errno));
		return 2;
	}
	lfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (lfd < 0) {
		fprintf(stderr, "suddenhog: cannot open %s: %s\n", logpath, strerror(errno));
		return 2;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		double t = now_s();
		char *p, *save = NULL;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		buf[n] = '\0';
		/* one datagram, several lines ("STATUS=...\nWATCHDOG=1") */
		for (p = strtok_r(buf, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
			if (strncmp(p, "STATUS=", 7) != 0)
				continue;
			int l = snprintf(line, sizeof(line), "%.3f %s\n", t, p + 7);
			if (l > 0 && write(lfd, line, (size_t)l) < 0)
				return 1;
		}
	}
}

/* ------------------------------------------------------------ tick log */
#define MAX_TICKS 4096
static double ticks[MAX_TICKS];
static char tick_text[MAX_TICKS][96];

static int read_ticks(const char *path)
{
	FILE *f = fopen(path, "r");
	char l[4200];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(l, sizeof(l), f)) {
		char *sp = strchr(l, ' ');
		double t = strtod(l, NULL);
		if (!sp || t <= 0)
			continue;
		if (n == MAX_TICKS) { /* keep the last ones */
			memmove(ticks, ticks + 1, sizeof(ticks[0]) * (MAX_TICKS - 1));
			memmove(tick_text, tick_text + 1, sizeof(tick_text[0]) * (MAX_TICKS - 1));
			n--;
		}
		ticks[n] = t;
		snprintf(tick_text[n], sizeof(tick_text[n]), "%s", sp + 1);
		tick_text[n][strcspn(tick_text[n], "\n")] = '\0';
		n++;
	}
	fclose(f);
	return n;
}

/* Wait until the log has more than `have` ticks; returns the new count or -1. */
static int wait_new_tick(const char *path, int have, double timeout)
{
	double end = now_s() + timeout;
	int in = inotify_init1(IN_CLOEXEC), n;

	if (in >= 0 && inotify_add_watch(in, path, IN_MODIFY) < 0) {
		close(in);
		in = -1;
	}
	while ((n = read_ticks(path)) <= have) {
		double left = end - now_s();
		if (left <= 0) {
			n = -1;
			break;
		}
		if (in >= 0) {
			struct pollfd p = { .fd = in, .events = POLLIN };
			char ev[4096];
			if (poll(&p, 1, left < 0.1 ? 1 + (int)(left * 1000) : 100) > 0)
				(void)!read(in, ev, sizeof(ev));
		} else {
			usleep(20000);
		}
	}
	if (in >= 0)
		close(in);
	return n;
}

/* When will the tick after ticks[n-1] come? sd-event fires the daemon's tick
 * (rearmed `interval` after each tick, with interval/20 of accuracy) on a
 * 250 ms grid with a per-boot phase, so under TCG's jitter (a tick seen tens
 * of ms late) the last period is a poor guess: find the grid's phase from the
 * recent ticks, put the last tick back on it (*last), and add the typical
 * period rounded to the grid (5.25 s for the default 5 s). Without a grid
 * (other intervals): the median of the last three periods. */
static double mod_q(double x) /* x mod 0.25 for x >= 0 (no libm: built like memhog) */
{
	return x - (double)(long)(x / 0.25) * 0.25;
}

static double predict_period(int n, double *last)
{
	double pr[3], period;
	int np = 0, from = n > 8 ? n - 8 : 0;

	for (int i = n - 1; i > 0 && np < 3; i--)
		pr[np++] = ticks[i] - ticks[i - 1];
	if (np == 3) {
		double a = pr[0], b = pr[1], c = pr[2];
		period = a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
	} else {
		period = pr[0];
	}
	if (n - from < 4)
		return period;
	double best_phase = 0, best_cost = 1;
	for (int j = from; j < n; j++) {
		double ph = mod_q(ticks[j]), cost = 0;
		for (int i = from; i < n; i++) {
			double d = mod_q(ticks[i] - ph + 0.25);
			if (d > cost)
				cost = d;
		}
		if (cost < best_cost) {
			best_cost = cost;
			best_phase = ph;
		}
	}
	if (best_cost > 0.12)
		return period;
	*last -= mod_q(*last - best_phase + 0.25);
	return (double)(long)(period / 0.25 + 0.5) * 0.25;
}

/* ------------------------------------------------------------ run */
struct shared {
	volatile long touched_mb;
	volatile double t_done;
	volatile int done;
	volatile double t_mb[]; /* when each MiB was touched, since the start */
};

/* One pass over /proc/meminfo: MemTotal, MemFree, SwapTotal, SwapFree (kB, -1: absent). */
struct mi { long total, free, swap_total, swap_free; };

static struct mi meminfo(void)
{
	static const char *keys[] = { "MemTotal", "MemFree", "SwapTotal", "SwapFree" };
	struct mi m = { -1, -1, -1, -1 };
	long *v[] = { &m.total, &m.free, &m.swap_total, &m.swap_free };
	FILE *f = fopen("/proc/meminfo", "r");
	char l[256];

	if (!f)
		return m;
	while (fgets(l, sizeof(l), f))
		for (int i = 0; i < 4; i++) {
			size_t kl = strlen(keys[i]);
			if (strncmp(l, keys[i], kl) == 0 && l[kl] == ':')
				*v[i] = strtol(l + kl + 1, NULL, 10);
		}
	fclose(f);
	return m;
}

static void child(struct shared *sh, long size_mb, long chunk_mb, int ahead, int random, double rate,
		  double start, unsigned hold_s)
{
	long page = sysconf(_SC_PAGESIZE);
	long mb, in_chunk = 0, nchunks;
	char *p = NULL, **chunks;
	struct timespec ts;
	uint64_t x;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40);
	if (x == 0)
		x = 0x9e3779b97f4a7c15ULL;

	set_oom_score_adj(1000);
	if (chunk_mb <= 0 || chunk_mb > size_mb)
		chunk_mb = size_mb;
	nchunks = (size_mb + chunk_mb - 1) / chunk_mb;
	chunks = calloc((size_t)nchunks, sizeof(*chunks));
	if (!chunks)
		_exit(1);
	sleep_until(start);
	for (long i = 0; ahead && i < nchunks; i++)
		if (!(chunks[i] = malloc((size_t)(size_mb - i * chunk_mb < chunk_mb ? size_mb - i * chunk_mb : chunk_mb) << 20)))
			_exit(1);
	for (mb = 0; mb < size_mb; mb++) {
		if (in_chunk == 0) {
			long this = size_mb - mb < chunk_mb ? size_mb - mb : chunk_mb;
			p = ahead ? chunks[mb / chunk_mb] : malloc((size_t)this << 20);
			if (!p)
				_exit(1);
		}
		if (random) {
			/* chunks are MiB multiples of malloc's 16-byte alignment */
			uint64_t *q = (uint64_t *)(void *)(p + (in_chunk << 20));
			for (long i = 0; i < (1L << 20) / 8; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				q[i] = x;
			}
		} else {
			for (long off = 0; off < (1L << 20); off += page)
				p[(in_chunk << 20) + off] = (char)(off / page + 1);
		}
		sh->t_mb[mb] = now_s() - start;
		sh->touched_mb = mb + 1;
		if (++in_chunk == chunk_mb)
			in_chunk = 0; /* the chunk is kept: nothing is freed before exit */
		if (rate > 0)
			sleep_until(start + (double)(mb + 1) / rate);
	}
	sh->t_done = now_s();
	sh->done = 1;
	sleep(hold_s);
	_exit(0);
}

static int do_run(int argc, char **argv)
{
	long size_mb, chunk_mb = 0;
	double rate = 0, next_tick = -1, timeout = 0, start, period = 0, last_tick = 0;
	unsigned hold_s = 3;
	const char *ticklog = NULL;
	int opt, status, ntick = 0, ahead = 0, random = 0;
	struct shared *sh;
	long peak_total = 0, min_free = -1, peak_swap = 0, start_total, start_free, start_swap;
	struct mi m;
	pid_t pid;

	while ((opt = getopt(argc, argv, "c:aRr:t:n:H:w:")) != -1) {
		switch (opt) {
		case 'a': ahead = 1; break;
		case 'R': random = 1; break;
		case 'c': chunk_mb = strtol(optarg, NULL, 10); break;
		case 'r': rate = strtod(optarg, NULL); break;
		case 't': ticklog = optarg; break;
		case 'n': next_tick = strtod(optarg, NULL); break;
		case 'H': hold_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': timeout = strtod(optarg, NULL); break;
		default: return 2;
		}
	}
	if (optind + 1 != argc || (ticklog && next_tick < 0)) {
		fprintf(stderr, "usage: suddenhog run [-c CHUNK_MB] [-a] [-R] [-r RATE_MB_S] [-t TICKLOG -n NEXT_TICK_S] "
				"[-H HOLD_S] [-w TIMEOUT_S] SIZE_MB\n");
		return 2;
	}
	size_mb = strtol(argv[optind], NULL, 10);
	if (size_mb <= 0 || chunk_mb < 0 || rate < 0)
		return 2;
	if (timeout <= 0)
		timeout = (rate > 0 ? (double)size_mb / rate : 0) + 120 + hold_s;
	set_oom_score_adj(-1000);
	sh = mmap(NULL, sizeof(*sh) + sizeof(double) * (size_t)size_mb, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;

	start = now_s();
	if (ticklog) {
		/* a tick has just happened: start (period - next_tick) after it */
		int have = read_ticks(ticklog);
		ntick = wait_new_tick(ticklog, have, 30);
		if (ntick < 2) {
			fprintf(stderr, "suddenhog: no ticks in %s\n", ticklog);
			return 2;
		}
		last_tick = ticks[ntick - 1];
		period = predict_period(ntick, &last_tick);
		start = last_tick + period - next_tick;
		if (start < now_s())
			start = now_s();
	}
	m = meminfo();
	start_total = m.total;
	start_free = m.free;
	start_swap = m.swap_total >= 0 && m.swap_free >= 0 ? m.swap_total - m.swap_free : -1;
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0)
		child(sh, size_mb, chunk_mb, ahead, random, rate, start, hold_s);

	const char *outcome = NULL;
	double end;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		m = meminfo();
		if (m.total > peak_total)
			peak_total = m.total;
		if (now_s() >= start && m.free >= 0 && (min_free < 0 || m.free < min_free))
			min_free = m.free;
		if (m.swap_total >= 0 && m.swap_free >= 0 && m.swap_total - m.swap_free > peak_swap)
			peak_swap = m.swap_total - m.swap_free;
		if (w == pid)
			break;
		if (now_s() - start > timeout) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			outcome = "timeout";
			break;
		}
		usleep(100000);
	}
	end = now_s();
	if (!outcome) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && sh->done)
			outcome = "survived";
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
			outcome = "failed";
		else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			outcome = "oom-killed";
		else
			outcome = "died";
	}

	/* the ticks around the run, and the first one after the start (waited for
	 * when the run ended before it) */
	double next_meas = -1;
	int n = ticklog ? read_ticks(ticklog) : 0;
	if (ticklog && (n == 0 || ticks[n - 1] <= start)) {
		int m = wait_new_tick(ticklog, n, period + 2);
		if (m > 0)
			n = m;
	}
	for (int i = 0; i < n; i++) {
		if (next_meas < 0 && ticks[i] > start)
			next_meas = ticks[i] - start;
		if (ticks[i] < start - period - 1 || ticks[i] > end + 0.5)
			continue;
		fprintf(stderr, "suddenhog: tick %+.3f s: %s\n", ticks[i] - start, tick_text[i]);
	}
	/* how fast the pages were touched: every 16 MiB, and the rate over the run */
	long tm = sh->touched_mb;
	for (long i = 16; i <= tm; i += 16)
		fprintf(stderr, "suddenhog: %4ld MiB touched at %.2f s\n", i, sh->t_mb[i - 1]);
	double touch_rate = tm > 0 && sh->t_mb[tm - 1] > 0 ? (double)tm / sh->t_mb[tm - 1] : 0;
	printf("outcome=%s touch_mb_s=%.1f secs=%.2f end_s=%.2f touched_mb=%ld size_mb=%ld chunk_mb=%ld rate_mb_s=%g "
	       "planned_next_tick_s=%.2f next_tick_s=%.2f period_s=%.3f start_memtotal_kb=%ld "
	       "start_memfree_kb=%ld peak_memtotal_kb=%ld min_memfree_kb=%ld start_swap_used_kb=%ld "
	       "peak_swap_used_kb=%ld random=%d pid=%d status=%d\n",
	       outcome, touch_rate, sh->done ? sh->t_done - start : end - start, end - start, (long)sh->touched_mb,
	       size_mb, chunk_mb, rate, next_tick, next_meas, period, start_total, start_free, peak_total,
	       min_free, start_swap, peak_swap, random, (int)pid, status);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "listen") == 0)
		return do_listen(argv[2], argv[3]);
	if (argc >= 3 && strcmp(argv[1], "run") == 0)
		return do_run(argc - 1, argv + 1);
	fprintf(stderr, "usage: suddenhog listen SOCKET TICKLOG | suddenhog run [options] SIZE_MB\n");
	return 2;
}
