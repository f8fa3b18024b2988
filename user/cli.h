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

/* The children of a tracing command's argp: the collector options (--max-mappings, --kprobe,
 * --source, ...) under their own heading. */
extern const struct argp_child cli_collector_children[];
/* The collector options those parsed (defaults until then). */
struct collector_opts *cli_collector_opts(void);

/* Open the collector or print why not; returns 0 or an exit status. */
int cli_open_collector(struct collector *c, collector_event_fn fn, void *ctx);

/* Parse "5", "2.5", "500ms", "10s" into milliseconds; -1 if malformed. */
long parse_duration_ms(const char *s);
/* Parse a duration option for argp: errors out (exit 2) naming the option if it is malformed or,
 * with positive, not above zero. */
long argp_duration(struct argp_state *state, const char *opt, const char *arg, bool positive);

/*
 * Options the tracing commands share, with one meaning everywhere. A command lists the ones it
 * takes in its options (CLI_OPT_*; the help text is its own), keeps a struct cli_common in its
 * arguments and hands the keys its parser does not know to cli_parse_common().
 */
struct cli_common {
	long duration_ms;   /* -d, --duration: 0 = until interrupted */
	long interval_ms;   /* -i, --interval: 0 = the command's default */
	const char *device; /* -D, --device BDF: NULL = every device */
	bool json;	    /* -j, --json */
};
#define CLI_OPT_DURATION                                                                           \
	{                                                                                          \
		"duration", 'd', "DURATION", 0, "Stop after DURATION (default: until Ctrl-C)", 0   \
	}
#define CLI_OPT_INTERVAL(doc)                                                                      \
	{                                                                                          \
		"interval", 'i', "DURATION", 0, (doc), 0                                           \
	}
#define CLI_OPT_DEVICE(doc)                                                                        \
	{                                                                                          \
		"device", 'D', "BDF", 0, (doc), 0                                                  \
	}
#define CLI_OPT_JSON(doc)                                                                          \
	{                                                                                          \
		"json", 'j', NULL, 0, (doc), 0                                                     \
	}
/* The shared keys, and an error for any positional argument; ARGP_ERR_UNKNOWN for the rest. */
error_t cli_parse_common(struct argp_state *state, struct cli_common *c, int key, char *arg);

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
