// SPDX-License-Identifier: GPL-2.0
/* fuzz_recording.c: libFuzzer target for the recording reader (what `iommutrace report` runs on
 * any file it is given). Built with clang -fsanitize=fuzzer,address; run by tests/fuzz/run. */
#include "recording.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rec_item it;
	struct rec_reader r;

	if (rec_reader_open(&r, data, size))
		return 0;
	while (rec_next(&r, &it) > 0) {
		if (it.type == REC_SNAPSHOT)
			snapshot_free(&it.snap);
		if (it.type == REC_IOVA_STACKS)
			free(it.iova);
	}
	return 0;
}
