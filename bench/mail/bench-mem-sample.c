/*
 * bench-mem-sample.c: peak memory of process trees, sampled, for the mail-path benchmark.
 *
 * Usage: bench-mem-sample [-i interval_ms] NAME=PID[,PID...] ...
 *   Every interval it walks /proc once, takes each group's root PIDs and all their descendants
 *   (by PPid), and sums over the processes alive at that moment: VmHWM (each process's own
 *   peak resident set), VmRSS, and Pss from smaps_rollup (shared pages divided among the
 *   processes that map them, so a tree of forked servers is not counted once per process).
 *   It keeps the largest sum of each kind and the largest process count seen. On SIGTERM or
 *   SIGINT it prints, per group, one line and exits:
 *     mem NAME peak_hwm_sum_kb N peak_rss_sum_kb N peak_pss_sum_kb N max_procs N samples N
 *   A process that lives between two samples is not seen (a short POP3 session may be missed);
 *   a single-process server's VmHWM is exact whatever the interval.
 *
 * Only libc. Needs permission to read the processes' /proc files (root for other users').
 * OWNS: its process table snapshot. THREAD: single-threaded.
 */
#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_GROUPS 8
#define MAX_ROOTS 16
#define MAX_PROCS 65536

struct group {
	const char *name;
	long roots[MAX_ROOTS];
	int n_roots;
	long peak_hwm, peak_rss, peak_pss, max_procs;
};

struct proc {
	long pid, ppid;
	int group; /* -1 none */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = 1;
}

/* Reads the PPid of pid from /proc/PID/stat (field 4, after the parenthesised name). */
static long read_ppid(long pid)
{
	char path[64], buf[512];
	long ppid = -1;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *close = strrchr(buf, ')');
	if (close == NULL || sscanf(close + 1, " %*c %ld", &ppid) != 1)
		return -1;
	return ppid;
}

/* Fills procs with every process in /proc; returns how many. */
static int scan_procs(struct proc *procs)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < MAX_PROCS) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		long pid = strtol(e->d_name, NULL, 10);
		long ppid = read_ppid(pid);
		if (ppid < 0)
			continue;
		procs[n++] = (struct proc){ .pid = pid, .ppid = ppid, .group = -1 };
	}
	closedir(d);
	return n;
}

static int find_proc(const struct proc *procs, int n, long pid)
{
	for (int i = 0; i < n; i++)
		if (procs[i].pid == pid)
			return i;
	return -1;
}

/* Marks every process with the group of its root or of its nearest marked ancestor. */
static void assign_groups(struct proc *procs, int n, struct group *g, int n_groups)
{
	bool grew = true;

	for (int k = 0; k < n_groups; k++)
		for (int r = 0; r < g[k].n_roots; r++) {
			int i = find_proc(procs, n, g[k].roots[r]);
			if (i >= 0)
				procs[i].group = k;
		}
	while (grew) {
		grew = false;
		for (int i = 0; i < n; i++) {
			if (procs[i].group >= 0)
				continue;
			int p = find_proc(procs, n, procs[i].ppid);
			if (p >= 0 && procs[p].group >= 0) {
				procs[i].group = procs[p].group;
				grew = true;
			}
		}
	}
}

/* Adds the value (kB) of the line starting with key in file to *sum. */
static void add_field(const char *path, const char *key, long *sum)
{
	char line[256];
	size_t klen = strlen(key);
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, key, klen) == 0) {
			*sum += strtol(line + klen, NULL, 10);
			break;
		}
	}
	fclose(f);
}

static void sample(struct proc *procs, struct group *g, int n_groups)
{
	long hwm[MAX_GROUPS] = { 0 }, rss[MAX_GROUPS] = { 0 }, pss[MAX_GROUPS] = { 0 };
	long count[MAX_GROUPS] = { 0 };
	char path[64];
	int n = scan_procs(procs);

	assign_groups(procs, n, g, n_groups);
	for (int i = 0; i < n; i++) {
		int k = procs[i].group;
		if (k < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/status", procs[i].pid);
		add_field(path, "VmHWM:", &hwm[k]);
		add_field(path, "VmRSS:", &rss[k]);
		snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", procs[i].pid);
		add_field(path, "Pss:", &pss[k]);
		count[k]++;
	}
	for (int k = 0; k < n_groups; k++) {
		g[k].peak_hwm = hwm[k] > g[k].peak_hwm ? hwm[k] : g[k].peak_hwm;
		g[k].peak_rss = rss[k] > g[k].peak_rss ? rss[k] : g[k].peak_rss;
		g[k].peak_pss = pss[k] > g[k].peak_pss ? pss[k] : g[k].peak_pss;
		g[k].max_procs = count[k] > g[k].max_procs ? count[k] : g[k].max_procs;
	}
}

/* Parses NAME=PID[,PID...]; returns 0 or -1. */
static int parse_group(char *arg, struct group *g)
{
	char *eq = strchr(arg, '='), *save = NULL;

	if (eq == NULL || eq == arg)
		return -1;
	*eq = '\0';
	g->name = arg;
	for (char *t = strtok_r(eq + 1, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		char *end;
		long pid = strtol(t, &end, 10);
		if (*end != '\0' || pid <= 0 || g->n_roots == MAX_ROOTS)
			return -1;
		g->roots[g->n_roots++] = pid;
	}
	return g->n_roots > 0 ? 0 : -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-mem-sample [-i interval_ms] NAME=PID[,PID...] ...\n"
			"  samples until SIGTERM/SIGINT, then prints one 'mem NAME ...' line per group\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct group groups[MAX_GROUPS] = { 0 };
	long interval_ms = 200, samples = 0;
	int n_groups = 0, a = 1;

	if (a + 1 < argc && strcmp(argv[a], "-i") == 0) {
		interval_ms = strtol(argv[a + 1], NULL, 10);
		a += 2;
	}
	if (interval_ms < 10 || interval_ms > 60000 || a == argc || argc - a > MAX_GROUPS)
		usage();
	for (; a < argc; a++)
		if (parse_group(argv[a], &groups[n_groups++]) < 0)
			usage();
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	struct proc *procs = malloc(MAX_PROCS * sizeof(*procs));
	struct timespec pause = { .tv_sec = interval_ms / 1000,
				  .tv_nsec = (interval_ms % 1000) * 1000000L };
	while (!stop_requested) {
		sample(procs, groups, n_groups);
		samples++;
		nanosleep(&pause, NULL);
	}
	for (int k = 0; k < n_groups; k++)
		printf("mem %s peak_hwm_sum_kb %ld peak_rss_sum_kb %ld peak_pss_sum_kb %ld "
		       "max_procs %ld samples %ld\n",
		       groups[k].name, groups[k].peak_hwm, groups[k].peak_rss, groups[k].peak_pss,
		       groups[k].max_procs, samples);
	free(procs);
	return 0;
}
