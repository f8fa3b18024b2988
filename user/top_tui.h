/* SPDX-License-Identifier: GPL-2.0 */
/* top_tui.h: the interactive ncurses view of `iommutrace top` (cmd_top.c builds the rows). */
#ifndef IOMMUTRACE_TOP_TUI_H
#define IOMMUTRACE_TOP_TUI_H

#include "collector.h"
#include "topview.h"

#include <stdbool.h>
#include <stdio.h>

/* Rows of all devices for the interval prev..cur (sysfs looked up now); *rows: free(). */
size_t top_rows(const struct collector *c, const struct snapshot *cur, const struct snapshot *prev,
		double secs, struct top_row **rows);
/* Header, one line per row and the drops of snapshot s, as --batch and report print them. */
void top_print_table(FILE *out, const struct top_row *rows, size_t n, const struct snapshot *s);
/*
 * Whether this terminal can show the interactive view: false, with the reason in why, where there
 * is no terminfo entry for $TERM (an empty root, a minimal container); cmd_top then prints batch.
 */
bool top_tui_usable(char *why, size_t len);
/* Run the ncurses view until q, a signal or `iterations` intervals (0: no limit). */
int top_tui(struct collector *c, long interval_ms, long iterations);

#endif
