// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_export.c: `iommutrace export` — the aggregates as Prometheus/OpenMetrics metrics, served
 * over HTTP (libmicrohttpd; loopback unless --listen says otherwise) at /metrics and/or written
 * atomically to DIR/iommutrace.prom for node_exporter's textfile collector. The exposition is
 * rebuilt every interval by the main thread (the only one touching the collector); the HTTP
 * thread serves the latest copy. Formatting lives in metrics.c.
 */
#include "checkview.h"
#include "cli.h"
#include "devices.h"
#include "fault_decode.h"
#include "fault_events.h"
#include "metrics.h"
#include "topview.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_LISTEN	 "127.0.0.1:9464"
#define MAX_FAULT_SERIES 512 /* {device, reason} pairs kept; more count as reason "other" */

struct export_args {
	struct cli_common common;
	const char *listen; /* NULL: default unless --textfile */
	const char *textfile_dir;
	long max_devices;
	bool bpf_stats;
	struct sockaddr_storage addr;
};

/* DMA issues per device and kind, from the ring buffer. */
struct issue_count {
	__u64 dev;
	__u64 n[IT_ISSUE_NR];
};

struct exporter {
	struct collector *c;
	struct fault_events fe;
	struct issue_count *issues;
	size_t nissues;
	struct metrics_fault *faults;
	size_t nfaults;
	pthread_mutex_t lock;
	char *text, *om; /* latest expositions (Prometheus text, OpenMetrics) */
	size_t text_len, om_len;
	__u64 scrapes;
};

enum { OPT_MAX_DEVICES = 0x2000, OPT_BPF_STATS };

static const struct argp_option export_options[] = {
    {"listen", 'l', "ADDR:PORT", 0,
     "Serve /metrics on ADDR:PORT (default " DEFAULT_LISTEN "; numeric IPv4 or [IPv6])", 0},
    {"textfile", 't', "DIR", 0,
     "Write DIR/iommutrace.prom every interval (atomic rename) for node_exporter; no HTTP "
     "server unless --listen is given too",
     0},
    CLI_OPT_INTERVAL("Refresh interval (default 1s)"),
    CLI_OPT_DURATION,
    {"max-devices", OPT_MAX_DEVICES, "N", 0,
     "Label at most N devices; the least busy are summed as device=\"other\" (default 32)", 0},
    {"bpf-stats", OPT_BPF_STATS, NULL, 0,
     "Enable kernel BPF run-time stats and export iommutrace_bpf_run_seconds_total", 0},
    {0},
};

/* "127.0.0.1:9464", "[::1]:9464", "localhost:9464": numeric hosts only, never DNS. */
static int parse_listen(const char *s, struct sockaddr_storage *out)
{
	char host[128], *port;
	struct sockaddr_in *v4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(end - s - 1), s + 1);
		port = (char *)end + 2;
	} else {
		const char *colon = strrchr(s, ':');

		if (!colon || (size_t)(colon - s) >= sizeof(host) || strchr(s, ':') != colon)
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
		port = (char *)colon + 1;
	}
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (!*port || strspn(port, "0123456789") != strlen(port) || atoi(port) > 65535)
		return -1;
	/* inet_pton, not getaddrinfo: the static binary must not load the host's NSS modules. */
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)atoi(port));
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)atoi(port));
		return 0;
	}
	return -1;
}

static bool is_loopback(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

static error_t export_parse(int key, char *arg, struct argp_state *state)
{
	struct export_args *a = state->input;
	char *end;

	switch (key) {
	case 'l':
		a->listen = arg;
		break;
	case 't':
		a->textfile_dir = arg;
		break;
	case OPT_MAX_DEVICES:
		a->max_devices = strtol(arg, &end, 10);
		if (*end || end == arg || a->max_devices < 1 || a->max_devices > 4096)
			argp_error(state, "--max-devices takes a number from 1 to 4096");
		break;
	case OPT_BPF_STATS:
		a->bpf_stats = true;
		break;
	case ARGP_KEY_END:
		if (!a->listen && !a->textfile_dir)
			a->listen = DEFAULT_LISTEN;
		if (a->listen && parse_listen(a->listen, &a->addr))
			argp_error(state,
				   "--listen takes a numeric ADDR:PORT such as %s or [::1]:9464",
				   DEFAULT_LISTEN);
		if (a->textfile_dir && access(a->textfile_dir, W_OK))
			argp_error(state, "--textfile: %s is not a writable directory: %s",
				   a->textfile_dir, strerror(errno));
		break;
	default:
		return cli_parse_common(state, &a->common, key, arg);
	}
	return 0;
}

/* A fault's reason as a label: the VT-d reason's wording, else the access ("write fault"). */
static void count_fault(struct exporter *x, const struct fault_rec *r)
{
	char reason[64];
	struct metrics_fault *f = NULL;

	if (r->reason >= 0)
		snprintf(reason, sizeof(reason), "%s", vtd_reason(r->reason)->text);
	else
		snprintf(reason, sizeof(reason), "%s fault", access_name(r->access));
	for (size_t i = 0; i < x->nfaults && !f; i++)
		if (strcmp(x->faults[i].device, r->device) == 0 &&
		    strcmp(x->faults[i].reason, reason) == 0)
			f = &x->faults[i];
	if (!f && x->nfaults >= MAX_FAULT_SERIES) {
		snprintf(reason, sizeof(reason), "other");
		for (size_t i = 0; i < x->nfaults && !f; i++)
			if (strcmp(x->faults[i].reason, reason) == 0)
				f = &x->faults[i];
	}
	if (!f) {
		struct metrics_fault *v = realloc(x->faults, (x->nfaults + 1) * sizeof(*v));

		if (!v)
			return;
		x->faults = v;
		f = &v[x->nfaults++];
		memset(f, 0, sizeof(*f));
		snprintf(f->device, sizeof(f->device), "%s", r->device);
		snprintf(f->reason, sizeof(f->reason), "%s", reason);
	}
	f->n++; /* main thread only, like refresh() */
}

static void on_event(void *ctx, const struct it_event *e)
{
	struct exporter *x = ctx;
	struct it_dev_info info;
	struct dev_sysfs sf;
	struct issue_count *ic = NULL;

	if (e->type == IT_EV_FAULT || e->type == IT_EV_CONSOLE || e->type == IT_EV_FAULT_IRQ) {
		struct fault_rec r;

		if (fault_events_decode(&x->fe, e, &r) == FE_FAULT)
			count_fault(x, &r);
		return;
	}
	if (e->type != IT_EV_DMA_ISSUE || e->kind >= IT_ISSUE_NR)
		return;
	collector_dev_info(x->c, e->dev, &info);
	dev_sysfs_lookup("/sys", info.name, &sf);
	if (!check_event_is_finding(e, strcmp(sf.group_type, "DMA") == 0 ||
					   strcmp(sf.group_type, "DMA-FQ") == 0))
		return;
	for (size_t i = 0; i < x->nissues; i++)
		if (x->issues[i].dev == e->dev)
			ic = &x->issues[i];
	if (!ic) {
		struct issue_count *v = realloc(x->issues, (x->nissues + 1) * sizeof(*v));

		if (!v)
			return;
		x->issues = v;
		ic = &v[x->nissues++];
		memset(ic, 0, sizeof(*ic));
		ic->dev = e->dev;
	}
	ic->n[e->kind]++;
}

/* Rebuild both expositions from a snapshot. */
static int refresh(struct exporter *x, const struct export_args *a, const struct snapshot *s)
{
	struct metrics_dev *devs = calloc(s->ndev ? s->ndev : 1, sizeof(*devs));
	struct metrics_input in = {.snap = s,
				   .plan = &x->c->plan,
				   .bpf_stats = a->bpf_stats,
				   .faults = x->faults,
				   .nfaults = x->nfaults};
	struct strbuf text = {}, om = {};

	if (!devs)
		return -1;
	for (size_t i = 0; i < s->ndev; i++) {
		const struct dev_snap *d = &s->devs[i];
		struct dev_sysfs sf;

		dev_sysfs_lookup("/sys", d->info.name, &sf);
		snprintf(devs[i].device, sizeof(devs[i].device), "%s", d->info.name);
		snprintf(devs[i].driver, sizeof(devs[i].driver), "%s",
			 sf.driver[0] ? sf.driver : d->info.driver);
		devs[i].st = d->st;
		dev_iova(s, d->key, &devs[i].io);
		for (size_t k = 0; k < x->nissues; k++)
			if (x->issues[k].dev == d->key)
				memcpy(devs[i].issues, x->issues[k].n, sizeof(devs[i].issues));
	}
	in.devs = devs;
	in.ndev = metrics_fold(devs, s->ndev, a->max_devices);
	if (metrics_format(&text, &in, false) || metrics_format(&om, &in, true)) {
		sb_free(&text);
		sb_free(&om);
		free(devs);
		return -1;
	}
	free(devs);
	pthread_mutex_lock(&x->lock);
	free(x->text);
	free(x->om);
	x->text = text.s;
	x->text_len = text.len;
	x->om = om.s;
	x->om_len = om.len;
	pthread_mutex_unlock(&x->lock);
	return 0;
}

static int write_textfile(struct exporter *x, const char *dir)
{
	char tmp[4096], dst[4096];
	FILE *f;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s/.iommutrace.prom.%d.tmp", dir, (int)getpid());
	snprintf(dst, sizeof(dst), "%s/iommutrace.prom", dir);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	pthread_mutex_lock(&x->lock);
	ok = fwrite(x->text, 1, x->text_len, f) == x->text_len;
	pthread_mutex_unlock(&x->lock);
	ok = fflush(f) == 0 && ok && fsync(fileno(f)) == 0;
	if (fclose(f) || !ok || rename(tmp, dst)) {
		int e = errno;

		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url,
			     const char *method, const char *version, const char *upload_data,
			     size_t *upload_data_size, void **con_cls)
{
	static const char index[] = "iommutrace metrics: /metrics\n";
	struct exporter *x = cls;
	struct MHD_Response *resp;
	const char *accept, *type = "text/plain; version=0.0.4; charset=utf-8";
	enum MHD_Result r;
	unsigned status = MHD_HTTP_OK;
	char *body = NULL;
	size_t len = 0;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	} else if (strcmp(url, "/metrics") == 0) {
		accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
		bool om = accept && strstr(accept, "application/openmetrics-text");

		pthread_mutex_lock(&x->lock);
		len = om ? x->om_len : x->text_len;
		body = malloc(len ? len : 1);
		if (body)
			memcpy(body, om ? x->om : x->text, len);
		x->scrapes++;
		pthread_mutex_unlock(&x->lock);
		if (!body)
			return MHD_NO;
		if (om)
			type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
	} else if (strcmp(url, "/") != 0) {
		status = MHD_HTTP_NOT_FOUND;
	}
	if (body) {
		resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	} else {
		const char *msg = status == MHD_HTTP_OK		 ? index
				  : status == MHD_HTTP_NOT_FOUND ? "not found: try /metrics\n"
								 : "method not allowed\n";

		resp = MHD_create_response_from_buffer(strlen(msg), (void *)msg,
						       MHD_RESPMEM_PERSISTENT);
		type = "text/plain; charset=utf-8";
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

int cmd_export(int argc, char **argv)
{
	const struct argp argp = {
	    export_options,
	    export_parse,
	    NULL,
	    "Export per-device DMA, IOVA, fault and DMA API issue counters as "
	    "Prometheus/OpenMetrics metrics: an HTTP endpoint (/metrics) and/or "
	    "a node_exporter textfile.",
	    cli_collector_children,
	    NULL,
	    NULL};
	struct export_args a = {.common.interval_ms = 1000, .max_devices = 32};
	struct exporter x = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct MHD_Daemon *d = NULL;
	struct collector c;
	__u64 start, next;
	int r = EXIT_OK;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_USAGE;
	x.c = &c;
	cli_collector_opts()->bpf_stats = a.bpf_stats;
	fault_events_collector_opts(cli_collector_opts(), false); /* faults by reason */
	cli_collector_opts()->no_stacks = true; /* metrics carry no stacks: none walked */
	r = cli_open_collector(&c, on_event, &x);
	if (r)
		return r;
	fault_events_init(&x.fe, &c);
	cli_install_signals();
	struct snapshot s;

	if (collector_snapshot(&c, &s) == 0)
		refresh(&x, &a, &s);
	snapshot_free(&s);
	if (a.listen) {
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

		if (a.addr.ss_family == AF_INET6)
			flags |= MHD_USE_IPv6;
		d = MHD_start_daemon(flags, 0, NULL, NULL, serve, &x, MHD_OPTION_SOCK_ADDR, &a.addr,
				     MHD_OPTION_CONNECTION_LIMIT, 64U,
				     MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
		if (!d) {
			fprintf(stderr, "iommutrace export: cannot listen on %s: %s\n", a.listen,
				strerror(errno));
			collector_close(&c);
			return EXIT_ERROR;
		}
		if (!is_loopback(&a.addr))
			fprintf(stderr,
				"iommutrace export: note: %s is not a loopback address: the "
				"metrics are reachable from the network\n",
				a.listen);
		fprintf(stderr, "iommutrace export: serving http://%s/metrics\n", a.listen);
	}
	if (a.textfile_dir)
		fprintf(stderr, "iommutrace export: writing %s/iommutrace.prom every %.1fs\n",
			a.textfile_dir, a.common.interval_ms / 1000.0);
	start = mono_ms();
	next = start;
	while (!g_stop &&
	       (!a.common.duration_ms || mono_ms() - start < (__u64)a.common.duration_ms)) {
		if (mono_ms() >= next) {
			if (collector_snapshot(&c, &s) == 0 && refresh(&x, &a, &s))
				fprintf(stderr, "iommutrace export: out of memory\n");
			snapshot_free(&s);
			if (a.textfile_dir && write_textfile(&x, a.textfile_dir)) {
				fprintf(stderr,
					"iommutrace export: cannot write %s/iommutrace.prom: %s\n",
					a.textfile_dir, strerror(errno));
				r = EXIT_ERROR;
				break;
			}
			next += a.common.interval_ms;
			if (mono_ms() > next)
				next = mono_ms() + a.common.interval_ms;
		}
		collector_poll(&c, 100);
		fault_events_next_poll(&x.fe);
	}
	if (d)
		MHD_stop_daemon(d);
	fprintf(stderr, "iommutrace export: %llu scrape(s) served\n",
		(unsigned long long)x.scrapes);
	fault_events_free(&x.fe);
	collector_close(&c);
	free(x.text);
	free(x.om);
	free(x.issues);
	free(x.faults);
	return r;
}
