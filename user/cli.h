/* SPDX-License-Identifier: GPL-2.0 */
/* cli.h: the command registry and options shared by the commands that trace. */
#ifndef IOMMUTRACE_CLI_H
#define IOMMUTRACE_CLI_H

#include "collector.h"

#include <argp.h>
#include <stdbool.h>

/* Exit statuses. */
enum { EXIT_OK = 0, EXIT_FOUND = 1, EXIT_USAGE = 2, EXIT_ERROR = 3 };

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv); /* argv[0] is "iommutrace COMMAND" */
};

extern int g_verbose;

/* argp child with the collector options (--max-mappings, --kprobe, ...). */
extern const struct argp collector_argp;
/* The collector options those parsed (defaults until then). */
struct collector_opts *cli_collector_opts(void);

/* Open the collector or print why not; returns 0 or an exit status. */
int cli_open_collector(struct collector *c, collector_event_fn fn, void *ctx);

/* Parse "5", "2.5", "500ms", "10s" into milliseconds; -1 if malformed. */
long parse_duration_ms(const char *s);
/* Parse a duration option for argp: errors out (exit 2) naming the option if it is malformed or,
 * with positive, not above zero. */
long argp_duration(struct argp_state *state, const char *opt, const char *arg, bool positive);

/* CLOCK_MONOTONIC in ns. */
__u64 cli_now_ns(void);

/* Set by SIGINT/SIGTERM. */
extern volatile int g_stop;
void cli_install_signals(void);

int cmd_probe(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_faults(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_iova(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
