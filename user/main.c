// SPDX-License-Identifier: GPL-2.0
/*
 * iommutrace: a Linux IOMMU/DMA tracer.
 *
 * main.c dispatches `iommutrace [-v] COMMAND [OPTIONS]` to the commands; each parses its own
 * options with argp.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct command commands[] = {
    {"probe", "Show which kernel source each capability uses here, and attach them", cmd_probe},
    {"top", "Live per-device view of DMA, IOVA and fault activity", cmd_top},
    {"faults", "Fault storms per device, decoded, with the mapping that faulted", cmd_faults},
    {"check", "DMA API misuse checks (what CONFIG_DMA_API_DEBUG finds), live", cmd_check},
    {"iova", "IOVA allocator rates, latency, cache misses, per device and stack", cmd_iova},
    {"record", "Record events and aggregates to a file", cmd_record},
    {"report", "Print the faults/check/iova views from a recording", cmd_report},
    {"snapshot", "Passthrough health snapshot (IOMMU, groups, devices) as JSON", cmd_snapshot},
    {"diff", "Compare two snapshots; exit 1 on a passthrough regression", cmd_diff},
    {"doctor", "Diagnose passthrough problems top-down", cmd_doctor},
    {"export", "Prometheus/OpenMetrics endpoint or textfile", cmd_export},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "Usage: iommutrace [-v] [--version] COMMAND [OPTIONS]\n\n"
		     "A tracer for the Linux IOMMU and DMA API.\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'iommutrace COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	argp_err_exit_status = EXIT_USAGE;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
			printf("iommutrace %s\n", IOMMUTRACE_VERSION);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else if (strspn(argv[i] + 1, "v") == strlen(argv[i] + 1)) {
			g_verbose += strlen(argv[i] + 1);
			cli_collector_opts()->verbose = g_verbose;
		} else {
			fprintf(stderr, "iommutrace: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t c = 0; c < NCOMMANDS; c++) {
		if (strcmp(argv[i], commands[c].name) == 0) {
			char name[64];

			snprintf(name, sizeof(name), "iommutrace %s", commands[c].name);
			argv[i] = name;
			return commands[c].run(argc - i, argv + i);
		}
	}
	fprintf(stderr, "iommutrace: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return EXIT_USAGE;
}
