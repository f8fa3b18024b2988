/* SPDX-License-Identifier: GPL-2.0 */
/*
 * doctor.h: the passthrough diagnosis playbook over a snapshot, in order — IOMMU active, device
 * bound to vfio-pci with its companion functions, group viability, interrupt remapping, DMA
 * faults, reset capability, swiotlb pressure and 32-bit DMA masks. Each step has its evidence, a
 * decision and what to do next; a failed step skips the steps that depend on it. Pure.
 */
#ifndef IOMMUTRACE_DOCTOR_H
#define IOMMUTRACE_DOCTOR_H

#include <json-c/json.h>
#include <stddef.h>

enum doc_status { DOC_PASS, DOC_SKIP, DOC_WARN, DOC_FAIL };

struct strlist {
	char **v;
	size_t n;
};

struct doc_step {
	const char
	    *id; /* "iommu", "binding", "group", "irq-remapping", "faults", "reset", "swiotlb" */
	const char *title;
	enum doc_status status;
	char summary[256]; /* the decision, one line */
	struct strlist evidence, next;
};

#define DOCTOR_STEPS 7

struct doctor {
	struct doc_step steps[DOCTOR_STEPS];
	struct strlist targets; /* the device(s) examined */
	char target_note[128];	/* why these targets */
};

/* Runs the playbook on a validated snapshot. target: a PCI address ("0000:00:03.0" or
 * "00:03.0"), or NULL for every device bound to vfio-pci. Returns -1 with err set when the target
 * is not a PCI address or not in the snapshot. */
int doctor_run(json_object *snap, const char *target, struct doctor *out, char *err, size_t errlen);
void doctor_free(struct doctor *d);
enum doc_status doctor_worst(const struct doctor *d);
const char *doctor_status_name(enum doc_status s);
/* The steps as {"format": "iommutrace-doctor", "version": 1, "targets", "worst", "steps": [...]} */
json_object *doctor_json(const struct doctor *d);

#endif
