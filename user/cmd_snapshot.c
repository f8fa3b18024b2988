// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_snapshot.c: `iommutrace snapshot`, `diff` and `doctor` — the passthrough health snapshot,
 * the comparison of two, and the diagnosis playbook (docs/PASSTHROUGH.md).
 */
#include "cli.h"
#include "doctor.h"
#include "hostinfo.h"
#include "snapdiff.h"
#include "snapdoc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* doctor: the worst finding was a warning (a failure exits EXIT_FOUND). */
#define EXIT_WARN 4

enum { OPT_ROOT = 0x1000, OPT_PCI_IDS, OPT_SNAPSHOT };

struct snap_args {
	const char *out, *root, *pci_ids, *device, *snapshot;
	const char *files[2];
	int nfiles, want_files;
	bool json;
};

#define SOURCE_OPTIONS                                                                             \
	{"root",                                                                                   \
	 OPT_ROOT,                                                                                 \
	 "DIR",                                                                                    \
	 0,                                                                                        \
	 "Read sysfs, procfs and /dev under DIR instead of / (a recorded tree)",                   \
	 10},                                                                                      \
	{                                                                                          \
		"pci-ids", OPT_PCI_IDS, "FILE", 0,                                                 \
		    "pci.ids for device names (default: the system's)", 10                         \
	}

static error_t snap_parse(int key, char *arg, struct argp_state *state)
{
	struct snap_args *a = state->input;

	switch (key) {
	case 'o':
		a->out = arg;
		break;
	case 'j':
		a->json = true;
		break;
	case 'D':
	case 'd':
		a->device = arg;
		break;
	case OPT_ROOT:
		a->root = arg;
		break;
	case OPT_PCI_IDS:
		a->pci_ids = arg;
		break;
	case OPT_SNAPSHOT:
		a->snapshot = arg;
		break;
	case ARGP_KEY_ARG:
		if (a->nfiles >= a->want_files)
			argp_error(state, "unexpected argument '%s'", arg);
		a->files[a->nfiles++] = arg;
		break;
	case ARGP_KEY_END:
		if (a->nfiles != a->want_files)
			argp_error(state, "needs two snapshot files, A and B");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Prints a JSON object on one line and frees it. */
static void print_json_put(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static json_object *collect(const struct snap_args *a)
{
	struct hostinfo_opts o = {.root = a->root, .pci_ids = a->pci_ids};
	json_object *doc = hostinfo_collect(&o);

	if (!doc)
		fprintf(stderr, "iommutrace: out of memory collecting the snapshot\n");
	return doc;
}

/* --- snapshot --------------------------------------------------------------------------------- */

static const struct argp_option snapshot_options[] = {
    {"output", 'o', "FILE", 0, "Write the snapshot to FILE (default: standard output)", 0},
    SOURCE_OPTIONS,
    {0},
};

int cmd_snapshot(int argc, char **argv)
{
	struct argp argp = {
	    snapshot_options,
	    snap_parse,
	    NULL,
	    "Write the passthrough health snapshot: kernel, IOMMU parameters and "
	    "state, firmware tables, IOMMU groups, PCI devices (driver, group, DMA "
	    "mask, ACS/ARI/FLR/SR-IOV), VFIO, swiotlb, lockdown/Secure Boot, and what "
	    "could not be read and why, as one versioned JSON document "
	    "(docs/PASSTHROUGH.md). Store one before a kernel update and compare with "
	    "'iommutrace diff'.\vExit status: 0 written, 2 usage error, 3 cannot "
	    "write the file.",
	    NULL,
	    NULL,
	    NULL};
	struct snap_args a = {0};
	json_object *doc;
	const char *text;
	int rc = EXIT_OK;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_USAGE;
	doc = collect(&a);
	if (!doc)
		return EXIT_ERROR;
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!a.out || strcmp(a.out, "-") == 0) {
		printf("%s\n", text);
	} else {
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp.%d", a.out, (int)getpid());
		f = fopen(tmp, "w");
		if (!f || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0 || rename(tmp, a.out)) {
			fprintf(stderr, "iommutrace snapshot: cannot write %s: %s\n", a.out,
				strerror(errno));
			unlink(tmp);
			rc = EXIT_ERROR;
		}
	}
	json_object_put(doc);
	return rc;
}

/* --- diff ----------------------------------------------------------------------------------- */

static const struct argp_option diff_options[] = {
    {"json", 'j', NULL, 0, "Print one JSON object", 0},
    {0},
};

static void print_side(const char *label, const char *file, json_object *d)
{
	printf("%s: %s — %s, kernel %s, taken %s\n", label, file,
	       sd_str(d, "hostname") ? sd_str(d, "hostname") : "?",
	       sd_str(sd_obj(d, "kernel"), "release") ? sd_str(sd_obj(d, "kernel"), "release")
						      : "?",
	       sd_str(d, "taken_at"));
}

int cmd_diff(int argc, char **argv)
{
	struct argp argp = {
	    diff_options,
	    snap_parse,
	    "A B",
	    "Compare two passthrough health snapshots (before/after an update, or a "
	    "canary against a fleet node). Passthrough regressions come first: IOMMU "
	    "groups that grew (devices that now share a group), drivers that changed "
	    "away from vfio-pci, IOMMU parameters or domain types that changed, "
	    "interrupt remapping or the IOMMU lost, narrower DMA masks, VFIO modules "
	    "missing, FLR lost; then other relevant changes, then the rest."
	    "\vExit status: 0 no passthrough regression, 1 at least one regression, "
	    "2 usage error or a file that is not a valid snapshot.",
	    NULL,
	    NULL,
	    NULL};
	struct snap_args a = {.want_files = 2};
	json_object *da, *db;
	struct sdiff d;
	char err[512];
	int rc;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_USAGE;
	da = snapdoc_load(a.files[0], err, sizeof(err));
	if (!da) {
		fprintf(stderr, "iommutrace diff: %s\n", err);
		return EXIT_USAGE;
	}
	db = snapdoc_load(a.files[1], err, sizeof(err));
	if (!db) {
		fprintf(stderr, "iommutrace diff: %s\n", err);
		json_object_put(da);
		return EXIT_USAGE;
	}
	if (snapdiff(da, db, &d)) {
		fprintf(stderr, "iommutrace diff: out of memory\n");
		json_object_put(da);
		json_object_put(db);
		return EXIT_ERROR;
	}
	if (a.json) {
		print_json_put(sdiff_json(&d));
	} else {
		static const char *const heads[] = {"Passthrough regressions",
						    "Other passthrough-relevant changes",
						    "Other changes"};

		print_side("A", a.files[0], da);
		print_side("B", a.files[1], db);
		for (int sev = SDIFF_REGRESSION; sev <= SDIFF_INFO; sev++) {
			if (!d.count[sev])
				continue;
			printf("\n%s (%zu):\n", heads[sev], d.count[sev]);
			for (size_t i = 0; i < d.n; i++)
				if ((int)d.v[i].sev == sev)
					printf("  %-12s %s\n", d.v[i].kind, d.v[i].message);
		}
		if (!d.n)
			printf("\nNo differences.\n");
		printf("\n%zu regression(s), %zu relevant change(s), %zu other\n",
		       d.count[SDIFF_REGRESSION], d.count[SDIFF_CHANGE], d.count[SDIFF_INFO]);
	}
	rc = d.count[SDIFF_REGRESSION] ? EXIT_FOUND : EXIT_OK;
	sdiff_free(&d);
	json_object_put(da);
	json_object_put(db);
	return rc;
}

/* --- doctor --------------------------------------------------------------------------------- */

static const struct argp_option doctor_options[] = {
    CLI_OPT_DEVICE("The device to pass through (default: every device bound to vfio-pci)"),
    {NULL, 'd', NULL, OPTION_ALIAS, NULL, 0}, /* -d: what doctor took first */
    {"snapshot", OPT_SNAPSHOT, "FILE", 0, "Diagnose a stored snapshot instead of this host", 0},
    {"json", 'j', NULL, 0, "Print one JSON object", 0},
    SOURCE_OPTIONS,
    {0},
};

static void print_doctor(const struct doctor *d, json_object *snap)
{
	int count[4] = {0};

	printf("iommutrace doctor: %s, kernel %s; target: %s\n",
	       sd_str(snap, "hostname") ? sd_str(snap, "hostname") : "?",
	       sd_str(sd_obj(snap, "kernel"), "release") ? sd_str(sd_obj(snap, "kernel"), "release")
							 : "?",
	       d->target_note);
	for (int i = 0; i < DOCTOR_STEPS; i++) {
		const struct doc_step *st = &d->steps[i];

		count[st->status]++;
		printf("\n%d. %-60s %s\n   %s\n", i + 1, st->title, doctor_status_name(st->status),
		       st->summary);
		for (size_t k = 0; k < st->evidence.n; k++)
			printf("   - %s\n", st->evidence.v[k]);
		for (size_t k = 0; k < st->next.n; k++)
			printf("   next: %s\n", st->next.v[k]);
	}
	printf("\nworst: %s (%d FAIL, %d WARN, %d PASS, %d SKIP)\n",
	       doctor_status_name(doctor_worst(d)), count[DOC_FAIL], count[DOC_WARN],
	       count[DOC_PASS], count[DOC_SKIP]);
}

int cmd_doctor(int argc, char **argv)
{
	struct argp argp = {
	    doctor_options,
	    snap_parse,
	    NULL,
	    "Diagnose PCI passthrough top-down, stopping at the first hard "
	    "contradiction: 1 IOMMU active (firmware table, parameters that match the "
	    "IOMMU vendor, driver initialised, groups), 2 device bound to vfio-pci "
	    "with its companion functions, 3 group viability, 4 interrupt remapping, 5 "
	    "recent DMA faults, 6 reset capability (FLR), 7 swiotlb pressure and "
	    "32-bit DMA masks. Each step shows its evidence, PASS/WARN/FAIL/SKIP and "
	    "what to do next; a failed step skips the steps that depend on it."
	    "\vExit status: 0 nothing worse than PASS, 1 a step failed, 4 the worst "
	    "is a warning, 2 usage error (bad --device, bad snapshot file), 3 cannot "
	    "collect.",
	    NULL,
	    NULL,
	    NULL};
	struct snap_args a = {0};
	struct doctor d;
	json_object *snap;
	char err[512];
	enum doc_status worst;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_USAGE;
	if (a.snapshot) {
		snap = snapdoc_load(a.snapshot, err, sizeof(err));
		if (!snap) {
			fprintf(stderr, "iommutrace doctor: %s\n", err);
			return EXIT_USAGE;
		}
	} else {
		snap = collect(&a);
		if (!snap)
			return EXIT_ERROR;
	}
	if (doctor_run(snap, a.device, &d, err, sizeof(err))) {
		fprintf(stderr, "iommutrace doctor: %s\n", err);
		json_object_put(snap);
		return EXIT_USAGE;
	}
	if (a.json) {
		print_json_put(doctor_json(&d));
	} else {
		print_doctor(&d, snap);
	}
	worst = doctor_worst(&d);
	doctor_free(&d);
	json_object_put(snap);
	return worst == DOC_FAIL ? EXIT_FOUND : worst == DOC_WARN ? EXIT_WARN : EXIT_OK;
}
