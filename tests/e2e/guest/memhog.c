/* memhog: the demand-growth workload for e2e scenarios (built static on the host).
 *   memhog STEP_MB STEPS PAUSE_S HOLD_S
 * allocates STEP_MB, touches every page, reports, sleeps PAUSE_S; STEPS times;
 * then holds everything for HOLD_S seconds and exits 0. Exits 1 when malloc fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: memhog STEP_MB STEPS PAUSE_S HOLD_S\n");
		return 2;
	}
	size_t step = strtoul(argv[1], NULL, 10) << 20;
	long steps = strtol(argv[2], NULL, 10);
	unsigned pause_s = strtoul(argv[3], NULL, 10), hold_s = strtoul(argv[4], NULL, 10);
	long page = sysconf(_SC_PAGESIZE);

	for (long i = 1; i <= steps; i++) {
		char *p = malloc(step);
		if (!p) {
			printf("memhog: malloc failed at step %ld\n", i);
			return 1;
		}
		for (size_t off = 0; off < step; off += page)
			p[off] = (char)(off / page + 1);
		printf("memhog: holding %ld MiB\n", (long)(i * (step >> 20)));
		fflush(stdout);
		sleep(pause_s);
	}
	sleep(hold_s);
	printf("memhog: done\n");
	return 0;
}
