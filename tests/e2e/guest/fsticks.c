/* fsticks: the frontswap scenario's tick clock (built static on the host).
 *   fsticks SOCKET FILE
 * Binds a unix datagram socket at SOCKET (the daemon's NOTIFY_SOCKET) and,
 * for each STATUS= datagram (selfballoond sends one per tick, after the tick's
 * decisions were carried out), reads the number in FILE (the helper's
 * curr_pages) and prints "N UPTIME_S PAGES" on stdout, line buffered: the
 * count every tick left behind, which is what the next tick observes when
 * nothing else moves it. Other datagrams (READY=1, WATCHDOG=1) are skipped.
 * Runs until killed; exit 2 on setup errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[1024];
	long n = 0;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: fsticks SOCKET FILE\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("fsticks: socket");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);
		struct timespec ts;
		char pages[64] = "?";
		FILE *f;

		if (len < 0)
			continue;
		buf[len] = '\0';
		if (!strstr(buf, "STATUS="))
			continue;
		f = fopen(argv[2], "r");
		if (f) {
			if (!fgets(pages, sizeof(pages), f))
				strcpy(pages, "?");
			pages[strcspn(pages, "\n")] = '\0';
			fclose(f);
		}
		clock_gettime(CLOCK_BOOTTIME, &ts);
		printf("%ld %ld.%02ld %s\n", ++n, (long)ts.tv_sec, ts.tv_nsec / 10000000, pages);
	}
}
