// SPDX-License-Identifier: GPL-2.0
/*
 * top_tui.c: the ncurses view of `iommutrace top`. A header (kernel, IOMMU mode, sources,
 * iommutrace's own BPF run time, drops), the per-device table of topview.c sorted and filtered
 * interactively, storms highlighted, missing sources and the keys in the footer. Draws with
 * erase + wnoutrefresh + doupdate (no flicker) and redraws on KEY_RESIZE.
 */
#include "top_tui.h"

#include "cli.h"
#include "devices.h"

#include <ctype.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <time.h>
#include <unistd.h>

enum { PAIR_STORM = 1, PAIR_HEAD = 2, PAIR_MISSING = 3 };

struct tui {
	struct collector *c;
	char kernel[128], iommu[256];
	struct snapshot prev, cur;
	struct top_row *rows;
	size_t nrows;
	double secs;
	int sort_col;
	bool desc;
	char filter[64];
	bool editing;
	long iter;
};

static void refresh_rows(struct tui *t)
{
	free(t->rows);
	t->nrows = top_rows(t->c, &t->cur, &t->prev, t->secs, &t->rows);
	t->nrows = top_filter(t->rows, t->nrows, t->filter);
	top_sort(t->rows, t->nrows, t->sort_col, t->desc);
}

static void header(struct tui *t, int *y)
{
	const struct plan *p = &t->c->plan;
	int used = 0;
	double run_ns = t->cur.bpf_run_ns - t->prev.bpf_run_ns;
	double runs = t->cur.bpf_run_cnt - t->prev.bpf_run_cnt;

	for (int cap = 0; cap < CAP_NR; cap++)
		used += cap_available(p, cap);
	attron(A_BOLD);
	mvprintw((*y)++, 0, "iommutrace %s  kernel %s  IOMMU: %.*s", IOMMUTRACE_VERSION, t->kernel,
		 COLS > 40 ? COLS - 40 : 0, t->iommu);
	attroff(A_BOLD);
	if (t->c->stats_fd >= 0)
		mvprintw((*y)++, 0,
			 "sources %d/%d  overhead: BPF %.2f%% of a CPU (%.1f ms/s, %.0f runs/s)  "
			 "interval %.1fs",
			 used, CAP_NR, run_ns / t->secs / 1e7, run_ns / t->secs / 1e6,
			 runs / t->secs, t->secs);
	else
		mvprintw(
		    (*y)++, 0,
		    "sources %d/%d  overhead: - (kernel BPF stats unavailable)  interval %.1fs",
		    used, CAP_NR, t->secs);
	mvprintw((*y)++, 0,
		 "drops: ringbuf %llu  live-table full %llu  context mismatches %llu (in flight at "
		 "attach %llu)  recursion misses %llu",
		 (unsigned long long)t->cur.counters[IT_C_RB_DROPPED],
		 (unsigned long long)t->cur.counters[IT_C_LIVE_OVERFLOW],
		 (unsigned long long)t->cur.counters[IT_C_CTX_MISMATCH],
		 (unsigned long long)t->cur.counters[IT_C_ATTACH_INFLIGHT],
		 (unsigned long long)t->cur.recursion_misses);
	(*y)++;
}

static void table(struct tui *t, int *y, int bottom)
{
	char line[512];
	int x = 0;

	top_header_line(line, sizeof(line));
	attron(COLOR_PAIR(PAIR_HEAD) | A_REVERSE);
	mvaddnstr(*y, 0, line, COLS);
	for (int k = (int)strlen(line); k < COLS; k++)
		addch(' ');
	attroff(COLOR_PAIR(PAIR_HEAD) | A_REVERSE);
	for (int c = 0; c < t->sort_col; c++)
		x += top_col_width(c) + 1;
	if (x < COLS)
		mvchgat(*y, x, top_col_width(t->sort_col), A_REVERSE | A_BOLD | A_UNDERLINE,
			PAIR_HEAD, NULL);
	(*y)++;
	for (size_t i = 0; i < t->nrows && *y < bottom; i++) {
		bool storm = top_row_storm(&t->rows[i]);

		top_row_line(&t->rows[i], line, sizeof(line));
		if (storm)
			attron(COLOR_PAIR(PAIR_STORM) | A_BOLD);
		mvaddnstr((*y)++, 0, line, COLS);
		if (storm)
			attroff(COLOR_PAIR(PAIR_STORM) | A_BOLD);
	}
	if (!t->nrows && *y < bottom)
		mvprintw((*y)++, 0, t->filter[0] ? "(no device matches '%s')" : "(no DMA seen yet)",
			 t->filter);
}

static int footer_lines(const struct tui *t)
{
	int n = 1; /* keys */

	for (int cap = 0; cap < CAP_NR; cap++)
		n += !cap_available(&t->c->plan, cap);
	return n;
}

static void footer(struct tui *t)
{
	int y = LINES - footer_lines(t);

	attron(COLOR_PAIR(PAIR_MISSING));
	for (int cap = 0; cap < CAP_NR; cap++)
		if (!cap_available(&t->c->plan, cap) && y < LINES - 1)
			mvprintw(y++, 0, "- %s: %.*s", cap_label(cap), COLS > 40 ? COLS - 40 : 0,
				 t->c->plan.caps[cap].detail);
	attroff(COLOR_PAIR(PAIR_MISSING));
	if (t->editing)
		mvprintw(LINES - 1, 0, "filter device/driver: %s_  (Enter: apply, Esc: clear)",
			 t->filter);
	else
		mvprintw(LINES - 1, 0,
			 "q quit  </> sort column  d r g m u b l t a c k p f i sort by  R reverse  "
			 "/ filter%s%s",
			 t->filter[0] ? " [" : "", t->filter[0] ? t->filter : "");
	if (!t->editing && t->filter[0])
		addstr("]");
}

static void draw(struct tui *t)
{
	int y = 0;

	erase();
	header(t, &y);
	table(t, &y, LINES - footer_lines(t));
	footer(t);
	wnoutrefresh(stdscr);
	doupdate();
}

/* Returns true to quit. */
static bool key(struct tui *t, int ch)
{
	size_t n = strlen(t->filter);
	int col;

	if (t->editing) {
		if (ch == '\n' || ch == KEY_ENTER)
			t->editing = false;
		else if (ch == 27) {
			t->filter[0] = 0;
			t->editing = false;
		} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && n)
			t->filter[n - 1] = 0;
		else if (ch > 0 && ch < 256 && isprint(ch) && n + 1 < sizeof(t->filter)) {
			t->filter[n] = (char)ch;
			t->filter[n + 1] = 0;
		}
		return false;
	}
	switch (ch) {
	case 'q':
	case 'Q':
		return true;
	case '<':
		if (t->sort_col > 0)
			t->sort_col--;
		t->desc = top_col_desc_default(t->sort_col);
		return false;
	case '>':
		if (t->sort_col < COL_NR - 1)
			t->sort_col++;
		t->desc = top_col_desc_default(t->sort_col);
		return false;
	case 'R':
		t->desc = !t->desc;
		return false;
	case '/':
		t->editing = true;
		return false;
	}
	col = top_col_by_key(ch);
	if (col >= 0) {
		if (col == t->sort_col)
			t->desc = !t->desc;
		else
			t->desc = top_col_desc_default(col);
		t->sort_col = col;
	}
	return false;
}

bool top_tui_usable(char *why, size_t len)
{
	const char *term = getenv("TERM");
	int err = 0;

	if (!term || !*term) {
		snprintf(why, len, "TERM is not set");
		return false;
	}
	/* With an error pointer setupterm() reports instead of printing and exiting. */
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		if (err == -1)
			snprintf(why, len, "no terminfo database on this host");
		else
			snprintf(why, len, "no terminfo entry for TERM=%s on this host", term);
		return false;
	}
	del_curterm(cur_term);
	cur_term = NULL;
	return true;
}

int top_tui(struct collector *c, long interval_ms, long iterations)
{
	struct tui t = {.c = c, .sort_col = COL_MAP, .desc = true, .secs = interval_ms / 1000.0};
	__u64 next;
	bool quit = false;

	snprintf(t.kernel, sizeof(t.kernel), "%s", c->feat.release);
	iommu_mode_describe("/sys", t.iommu, sizeof(t.iommu));
	/* Until the first interval ends: totals since attach (moments ago) against nothing. */
	if (collector_snapshot(c, &t.cur))
		return EXIT_ERROR;
	t.prev = t.cur;
	t.prev.devs = NULL;
	t.prev.doms = NULL;
	t.prev.ndev = t.prev.ndom = 0;
	/* newterm, not initscr: initscr exits the process when the terminal cannot be set up. */
	SCREEN *scr = newterm(NULL, stdout, stdin);

	if (!scr) {
		fprintf(stderr, "iommutrace top: cannot initialize the terminal (try --batch)\n");
		snapshot_free(&t.prev);
		return EXIT_ERROR;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_STORM, COLOR_RED, -1);
		init_pair(PAIR_HEAD, COLOR_CYAN, -1);
		init_pair(PAIR_MISSING, COLOR_YELLOW, -1);
	}
	refresh_rows(&t);
	draw(&t);
	next = mono_ms() + interval_ms;
	while (!quit && !g_stop) {
		bool dirty = false;
		int ch;

		collector_poll(c, 50);
		while ((ch = getch()) != ERR) {
			dirty = true;
			if (key(&t, ch))
				quit = true;
		}
		if (mono_ms() >= next) {
			struct snapshot s;

			next += interval_ms;
			if (mono_ms() > next)
				next = mono_ms() + interval_ms;
			if (collector_snapshot(c, &s) == 0) {
				snapshot_free(&t.prev);
				t.prev = t.cur;
				t.cur = s;
				t.secs = (t.cur.ts_ns - t.prev.ts_ns) / 1e9;
				if (t.secs <= 0)
					t.secs = interval_ms / 1000.0;
				t.iter++;
			}
			dirty = true;
			if (iterations && t.iter >= iterations)
				quit = true;
		}
		if (dirty) {
			refresh_rows(&t);
			draw(&t);
		}
	}
	endwin();
	delscreen(scr);
	free(t.rows);
	snapshot_free(&t.prev);
	snapshot_free(&t.cur);
	return EXIT_OK;
}
