// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_snapdoc.c: libFuzzer target for the snapshot reader and everything that reads a snapshot
 * (diff, doctor); inputs that are no snapshot also go through the kernel command-line parser. Any
 * input must either be refused with a reason or read, diffed and diagnosed without a crash, leak or
 * undefined behaviour. Built with clang -fsanitize=fuzzer,address, undefined (make
 * build/tests/fuzz_snapdoc); tests/host/fuzz runs it for a bounded time.
 */
#include "doctor.h"
#include "hostinfo.h"
#include "snapdiff.h"
#include "snapdoc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void diagnose(json_object *doc, const char *target)
{
	struct doctor d;
	char err[256];

	if (doctor_run(doc, target, &d, err, sizeof(err)) == 0) {
		json_object_put(doctor_json(&d));
		doctor_free(&d);
	} else if (!err[0]) {
		abort(); /* a refusal always says why */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	json_object *doc = snapdoc_parse((const char *)data, size, err, sizeof(err));
	struct sdiff d;

	if (!doc) {
		char *line = strndup((const char *)data, size);

		if (!err[0])
			abort();
		/* The same bytes as a kernel command line. */
		if (line)
			json_object_put(hostinfo_cmdline_params(line));
		free(line);
		return 0;
	}
	if (snapdiff(doc, doc, &d) == 0) {
		json_object_put(sdiff_json(&d));
		sdiff_free(&d);
	}
	diagnose(doc, NULL);
	diagnose(doc, sd_str(sd_at(sd_arr(doc, "devices"), 0), "bdf"));
	json_object_put(doc);
	return 0;
}
