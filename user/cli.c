// SPDX-License-Identifier: GPL-2.0
/* cli.c: options every tracing command shares, and small CLI helpers. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int g_verbose;
volatile int g_stop;
static struct collector_opts copts;
static bool copts_init;

struct collector_opts *cli_collector_opts(void)
{
	if (!copts_init) {
		collector_default_opts(&copts);
		copts.btf = getenv("IOMMUTRACE_BTF"); /* --btf overrides it */
		copts_init = true;
	}
	return &copts;
}

enum { OPT_MAX_MAPPINGS = 0x1000, OPT_KPROBE, OPT_NO_STACKS, OPT_RINGBUF, OPT_SOURCE, OPT_BTF };

static const struct argp_option collector_options[] = {
    {"max-mappings", OPT_MAX_MAPPINGS, "N", 0, "Size of the live-mapping table (default 131072)",
     50},
    {"ringbuf-kb", OPT_RINGBUF, "KB", 0, "Ring buffer size in KiB, a power of two (default 1024)",
     50},
    {"kprobe", OPT_KPROBE, NULL, 0, "Use kprobes even where fentry works", 50},
    {"no-stacks", OPT_NO_STACKS, NULL, 0,
     "Do not capture the kernel stack of each mapping (top and export never do)", 50},
    {"verbose", 'v', NULL, 0,
     "When tracing began, and libbpf messages (-vv: debug and verifier logs)", 50},
    {"source", OPT_SOURCE, "auto|bpf|kmod", 0,
     "Where counters come from: BPF, the iommutrace kernel module, or auto (BPF, else the "
     "module if it is loaded; default)",
     50},
    {"btf", OPT_BTF, "FILE", 0,
     "BTF of this kernel for CO-RE relocations instead of /sys/kernel/btf/vmlinux (default "
     "$IOMMUTRACE_BTF; '' for the kernel's own): BTFHub's file, or 'bpftool gen min_core_btf' "
     "output",
     50},
    {0},
};

static int parse_u32(const char *arg, unsigned long min, unsigned long max, __u32 *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || *end || end == arg || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static error_t collector_parse(int key, char *arg, struct argp_state *state)
{
	struct collector_opts *o = cli_collector_opts();

	switch (key) {
	case OPT_MAX_MAPPINGS:
		if (parse_u32(arg, 16, 1 << 24, &o->max_mappings))
			argp_error(state, "--max-mappings takes a number from 16 to 16777216");
		break;
	case OPT_RINGBUF:
		if (parse_u32(arg, 4, 1 << 20, &o->ringbuf_kb) ||
		    (o->ringbuf_kb & (o->ringbuf_kb - 1)))
			argp_error(state, "--ringbuf-kb takes a power of two from 4 to 1048576");
		break;
	case OPT_KPROBE:
		o->force_kprobe = true;
		break;
	case OPT_NO_STACKS:
		o->no_stacks = true;
		break;
	case OPT_SOURCE:
		if (strcmp(arg, "auto") == 0)
			o->source = COLLECTOR_SRC_AUTO;
		else if (strcmp(arg, "bpf") == 0)
			o->source = COLLECTOR_SRC_BPF;
		else if (strcmp(arg, "kmod") == 0)
			o->source = COLLECTOR_SRC_KMOD;
		else
			argp_error(state, "--source takes auto, bpf or kmod");
		break;
	case OPT_BTF:
		o->btf = arg;
		break;
	case 'v':
		g_verbose++;
		o->verbose = g_verbose;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp collector_argp = {
    collector_options, collector_parse, NULL, NULL, NULL, NULL, NULL};

const struct argp_child cli_collector_children[] = {
    {&collector_argp, 0, "Collector options:", 0},
    {0},
};

int cli_open_collector(struct collector *c, collector_event_fn fn, void *ctx)
{
	struct collector_opts *o = cli_collector_opts();
	char err[1024];

	o->on_event = fn;
	o->event_ctx = ctx;
	o->verbose = g_verbose;
	if (collector_open(c, o, err, sizeof(err)) < 0) {
		fprintf(stderr, "iommutrace: %s\n", err);
		collector_close(c);
		return EXIT_ERROR;
	}
	return 0;
}

long parse_duration_ms(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || v > 1e7)
		return -1;
	if (*end == 0 || strcmp(end, "s") == 0)
		return (long)(v * 1000);
	if (strcmp(end, "ms") == 0)
		return (long)v;
	if (strcmp(end, "m") == 0)
		return (long)(v * 60000);
	return -1;
}

long argp_duration(struct argp_state *state, const char *opt, const char *arg, bool positive)
{
	long ms = parse_duration_ms(arg);

	if (ms < 0 || (positive && ms == 0))
		argp_error(state, "%s takes a %sduration such as 2s or 500ms", opt,
			   positive ? "positive " : "");
	return ms;
}

error_t cli_parse_common(struct argp_state *state, struct cli_common *c, int key, char *arg)
{
	switch (key) {
	case 'd':
		c->duration_ms = argp_duration(state, "--duration", arg, true);
		break;
	case 'i':
		c->interval_ms = argp_duration(state, "--interval", arg, true);
		break;
	case 'D':
		c->device = arg;
		break;
	case 'j':
		c->json = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

void cli_install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
