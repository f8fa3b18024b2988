#!/usr/bin/env python3
"""Render docs/BENCHMARKS.md from a bench/run results directory.

    bench/report.py RESULTS_DIR > docs/BENCHMARKS.md

RESULTS_DIR holds host.json and one directory per kernel with results.jsonl (bench/guest's raw
results, one JSON object per line) and status (labvm's exit status and reason). Every number in
the output comes from those files.
"""
import json
import os
import statistics
import sys

CONFIGS = [
    ("bare", "bare (no tracing)"),
    ("top", "`iommutrace top --batch` (all sources)"),
    ("check", "`iommutrace check`"),
    ("check_nostacks", "`iommutrace check --no-stacks`"),
    ("bpftrace", "bpftrace, equivalent script (`bench/iommu.bt`)"),
    ("floor", "empty BPF programs on iommutrace's hooks (floor)"),
    ("perf", "`perf record` on the same hooks"),
]
OPS = [
    ("map", "dma_map_single + dma_unmap_single (4 KiB, edu device, emulated VT-d, strict)"),
    ("iova", "alloc_iova_fast + free_iova_fast (private IOVA domain)"),
]
GOAL_BT_FRACTION = 1.0 / 3
GOAL_FLOOR_RATIO = 2.0
GOAL_ATTACH_MS = 1000


def load(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"type": "unparsed", "text": line[:200]})
    return out


def fmt_ns(v):
    return "-" if v is None else "{:,.0f}".format(v)


def fmt_ratio(v):
    return "-" if v is None else "{:.2f}x".format(v)


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


class Kernel:
    def __init__(self, name, d):
        self.name = name
        path = os.path.join(d, "results.jsonl")
        self.res = load(path) if os.path.exists(path) else []
        st = os.path.join(d, "status")
        self.status = open(st).read().split("\n", 1) if os.path.exists(st) else ["?", ""]
        self.env = next((r for r in self.res if r["type"] == "env"), {})
        self.lines = []

    def of(self, t):
        return [r for r in self.res if r.get("type") == t]

    def loop_samples(self, op, conf):
        return [r["ns"] / r["n"] for r in self.of("loop") if r["op"] == op and r["config"] == conf]

    def loop_summary(self, op):
        """conf -> (best, median, count)"""
        s = {}
        for conf, _ in CONFIGS:
            v = self.loop_samples(op, conf)
            if v:
                s[conf] = (min(v), statistics.median(v), len(v))
        return s


def added(s, conf, i):
    if conf not in s or "bare" not in s:
        return None
    return s[conf][i] - s["bare"][i]


def loop_section(k, goals):
    out = []
    for op, title in OPS:
        s = k.loop_summary(op)
        if not s:
            out.append("**%s**: not measured (no samples)." % title)
            continue
        rows = []
        for conf, label in CONFIGS:
            if conf not in s:
                continue
            best, med, n = s[conf]
            ab, am = added(s, conf, 0), added(s, conf, 1)
            rows.append([label, fmt_ns(best), fmt_ns(med), fmt_ns(ab) if conf != "bare" else "",
                         fmt_ns(am) if conf != "bare" else "",
                         fmt_ratio(best / s["bare"][0]) if "bare" in s else "-", n])
        out.append("**%s**, ns per pair:\n" % title)
        out.append(table(["configuration", "best", "median", "added (best)", "added (median)",
                          "ratio to bare (best)", "samples"], rows))
        at, ab = added(s, "top", 0), added(s, "bpftrace", 0)
        if at is not None and ab is not None and ab > 0:
            frac = at / ab
            ok = frac < GOAL_BT_FRACTION
            goals.append((k.name, "%s: iommutrace top adds < 1/3 of what bpftrace adds" % op,
                          ok, "%s vs %s ns per pair added: %.2f of bpftrace's" %
                          (fmt_ns(at), fmt_ns(ab), frac)))
        out.append("")
    return "\n".join(out)


def hook_symbols(k):
    """iommutrace hook key -> kernel symbol (tracepoints: the event name), from the probe."""
    pr = k.of("probe")
    out = {}
    for h in (pr[0]["hooks"] if pr else []):
        sym = h.get("symbol") or ""
        out[h["hook"]] = sym.split(":")[-1]
    return out


def it_prog_symbol(name, syms):
    """The kernel symbol an iommutrace program is attached to: programs are fentry_HOOK,
    fexit_HOOK, kprobe_HOOK, kretprobe_HOOK, or HOOK for tracepoints."""
    for pre in ("fentry_", "fexit_", "kprobe_", "kretprobe_", ""):
        if name.startswith(pre) and name[len(pre):] in syms:
            return syms[name[len(pre):]]
    return None


def floor_by_symbol(floor):
    """bpftrace names a program after its probe's target, cut at 15 characters (kfunc and
    kretfunc alike): symbol prefix -> ns per run of each matching empty program."""
    out = {}
    for p in floor:
        if p["run_cnt"]:
            out.setdefault(p["name"], []).append(p["run_time_ns"] / p["run_cnt"])
    return out


def stats_section(k, goals):
    ps = k.of("prog_stats")
    if not ps:
        return "Not measured on this kernel (no BPF statistics were collected).\n"
    by = {}
    for p in ps:
        by.setdefault(p["set"], []).append(p)
    syms = hook_symbols(k)
    floors = floor_by_symbol(by.get("floor", []))
    out = []
    for s in ("top", "check", "check_nostacks", "bpftrace", "floor"):
        if s not in by:
            continue
        rows = []
        for p in sorted(by[s], key=lambda p: (-p["run_cnt"], p["name"])):
            avg = p["run_time_ns"] / p["run_cnt"]
            sym = it_prog_symbol(p["name"], syms) if s in ("top", "check", "check_nostacks") else p["name"]
            fl = floors.get((sym or "")[:15]) if s != "floor" else None
            floor_ns = statistics.median(fl) if fl else None
            ratio = avg / floor_ns if floor_ns else None
            rows.append(["`%s`" % p["name"], sym or "?", p["prog_type"],
                         "{:,}".format(p["run_cnt"]), fmt_ns(avg), fmt_ns(floor_ns),
                         fmt_ratio(ratio), p.get("recursion_misses", 0)])
            if s == "top" and ratio is not None and p["run_cnt"] >= 100:
                goals.append((k.name, "per hook: `%s` within 2x the empty program" % p["name"],
                              ratio <= GOAL_FLOOR_RATIO,
                              "%s ns vs floor %s ns per run" % (fmt_ns(avg), fmt_ns(floor_ns))))
        label = dict(CONFIGS).get(s, s)
        out.append("%s:\n" % label)
        out.append(table(["program", "hook", "type", "runs", "ns per run",
                          "empty program, same hook", "vs floor", "recursion misses"], rows))
        out.append("")
    fs = k.of("floor_script")
    if fs:
        out.append("<details><summary>floor script</summary>\n\n```\n%s\n```\n</details>\n" %
                   fs[0]["text"])
    return "\n".join(out)


def startup_section(k, goals):
    st = k.of("startup")
    if not st:
        return "Not measured.\n"
    by = {}
    for r in st:
        by.setdefault(r["tool"], []).append(r["ms"])
    what = {
        "iommutrace probe": "`iommutrace probe --json`: detect, load, attach every source, "
                            "print, detach (process start to exit)",
        "top": "`iommutrace top --batch -i 1s` until its first interval is printed "
               "(includes the 1 s interval)",
        "check": "`iommutrace check` until it says it is watching",
        "check_nostacks": "the same with `--no-stacks`",
        "bpftrace": "bpftrace `bench/iommu.bt` until its BEGIN probe ran (after attaching)",
        "floor": "bpftrace floor script until BEGIN",
        "perf": "`perf record` until it acknowledged enabling its events (control FIFO)",
    }
    rows = []
    for tool, v in by.items():
        rows.append([what.get(tool, tool), fmt_ns(min(v)), fmt_ns(statistics.median(v)), len(v)])
    out = [table(["what", "best ms", "median ms", "runs"], rows),
           "\nUnder TCG every start-up here is CPU-bound emulation (process start over 9p, BTF "
           "parsing, the verifier, kernel text patching for each trampoline or kprobe) on a "
           "shared, loaded host: compare the tools with each other; the 1 s goal is about "
           "real hardware and is evaluated here only as measured."]
    probe = by.get("iommutrace probe")
    hooks = next((r.get("hooks") for r in st if r["tool"] == "iommutrace probe"), None)
    if probe:
        goals.append((k.name, "attaches everything in under a second", min(probe) < GOAL_ATTACH_MS,
                      "`iommutrace probe`: %s ms for %s hooks" % (fmt_ns(min(probe)), hooks)))
    return "\n".join(out) + "\n"


def storm_section(k, goals):
    st = k.of("storm")
    if not st:
        return "Not measured on this kernel.\n"
    rows = []
    for r in st:
        lost = r["n"] - r["counted"] if r["counted"] >= 0 else None
        rate = r["n"] / (r["ns"] / 1e9) if r["ns"] else 0
        cpu = r["collector_cpu_s"]
        bare = r["n"] / (r["bare_ns"] / 1e9) if r.get("bare_ns") else None
        rows.append(["{:,}".format(r["n"]), "-" if bare is None else "{:,.0f}".format(bare),
                     "{:,.0f}".format(rate),
                     "{:,}".format(r["counted"]) if r["counted"] >= 0 else "not found",
                     "-" if lost is None else "{:,}".format(lost),
                     "%.2f s (%.1f us per fault)" % (cpu, 1e6 * cpu / r["n"] if r["n"] else 0)])
        goals.append((k.name, "storm: no fault counts lost", lost == 0,
                      "%s faults at %s/s, %s counted" %
                      ("{:,}".format(r["n"]), "{:,.0f}".format(rate), r["counted"])))
    return table(["faults raised", "faults/s bare", "faults/s (with iommutrace)", "counted by iommutrace", "lost",
                  "collector CPU (user+sys), storm + 2.5 s"], rows) + "\n"


def scale_section(k):
    sc = k.of("scale")
    if not sc:
        return "Not measured on this kernel.\n"
    by = {}
    for r in sc:
        by.setdefault(r["live"], {})[r["config"]] = r
    rows = []
    for live in sorted(by):
        b, t = by[live].get("bare"), by[live].get("top")
        nb = b["ns"] / b["n"] if b else None
        nt = t["ns"] / t["n"] if t else None
        rows.append(["{:,}".format(live),
                     fmt_ns(b["hold"]["ns"] / b["hold"]["n"]) if b else "-",
                     fmt_ns(t["hold"]["ns"] / t["hold"]["n"]) if t else "-",
                     fmt_ns(nb), fmt_ns(nt),
                     fmt_ns(nt - nb) if nb is not None and nt is not None else "-",
                     "{:,.1f}".format(t["memlock_bytes"] / 2**20) if t else "-",
                     "{:,.1f}".format(t["rss_kb"] / 1024) if t else "-"])
    return table(["live mappings", "hold: ns per map, bare", "hold: ns per map, top",
                  "loop ns/pair, bare", "loop ns/pair, top", "added", "BPF maps MiB (memlock)",
                  "collector RSS MiB"], rows) + "\n"


def perf_section(k):
    pr = k.of("perf_record")
    ev = k.of("perf_events")
    out = []
    if ev:
        out.append("perf events: `%s`." % ev[0]["events"])
    for r in pr:
        out.append("Round %s: %s; %.1f MB of perf.data; per event: %s." %
                   (r["round"], r["stats"] or "no stats", r["data_bytes"] / 1e6,
                    r["events"] or "-"))
    return "\n".join(out) + "\n" if out else ""


def raw_section(k):
    rows = [[r["config"], r["op"], r["round"], r["rep"], r["n"], "{:,}".format(r["ns"]),
             fmt_ns(r["ns"] / r["n"])] for r in k.of("loop")]
    return table(["config", "op", "round", "rep", "n", "ns total", "ns per pair"], rows)


def summary_table(kernels):
    rows = []
    for k in kernels:
        for op, _ in OPS:
            s = k.loop_summary(op)
            if "bare" not in s:
                continue
            row = [k.name, op, fmt_ns(s["bare"][0])]
            for conf, _ in CONFIGS[1:]:
                a = added(s, conf, 0)
                row.append("-" if a is None else "%s (%s)" % (fmt_ns(a),
                                                            fmt_ratio(s[conf][0] / s["bare"][0])))
            rows.append(row)
    if not rows:
        return "No loop results."
    return table(["kernel", "loop", "bare ns"] + [c for c, _ in CONFIGS[1:]], rows)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    d = sys.argv[1]
    try:
        host = json.load(open(os.path.join(d, "host.json")))
    except (OSError, ValueError) as e:
        print("report: %s: %s" % (d, e), file=sys.stderr)
        return 1
    kernels = [Kernel(n, os.path.join(d, n)) for n in sorted(os.listdir(d))
               if os.path.isdir(os.path.join(d, n))]
    goals = []
    o = []
    o.append("# Benchmarks: what iommutrace costs, side by side\n")
    o.append("Generated by `make bench` (`bench/run`) on %s from the raw results in `%s` — "
             "every number below comes from that run. Regenerate with `make bench` (about 15 "
             "minutes); timings are never asserted in `make test`.\n" % (host.get("date"), d))
    o.append("## Conditions\n")
    o.append("- Build host: %s, %s CPUs, kernel %s; %s. Load average (1/5/15 min) %s at the "
             "start and %s at the end of the run (%s s wall)." %
             (host.get("cpu"), host.get("ncpu"), host.get("host_kernel"),
              (host.get("qemu") or ["QEMU ?"])[0], "/".join(host.get("loadavg_start", [])),
              "/".join(host.get("loadavg_end", [])), host.get("wall_s")))
    o.append("- Guest: the lab VM (`scripts/labvm`): QEMU TCG (no KVM on this machine), 2 vCPUs, "
             "q35 with an emulated Intel VT-d (`caching-mode=on`, so strict invalidation), "
             "QEMU's `edu` device bound to `iommutrace_bench` (`bench/dma_bench.c`).")
    o.append("- **Under TCG every absolute number is inflated** (a kprobe or a trampoline costs "
             "microseconds, not nanoseconds). What carries over to hardware is the comparison: "
             "all configurations run in one boot, one after the other, in alternating order "
             "(even rounds run them in reverse; the fault storm runs between rounds 1 and 2), and the tables give the best and the median of all "
             "samples. Other work on the same 2 cores (see the load average) adds noise that hits "
             "every configuration alike only on average.")
    o.append("- Method: the bench module times N back-to-back pairs in the kernel "
             "(`ktime_get_ns`), from a debugfs write, so one module load serves every round. "
             "Tracers are started, waited for until attached, measured, and stopped, per "
             "configuration and round.\n")
    o.append("## Summary: added ns per pair (best sample), and ratio to bare\n")
    o.append(summary_table(kernels))
    o.append("")
    o.append("How to read it: *added* is what a configuration costs each map+unmap pair (or "
             "IOVA alloc+free pair) over the bare loop in the same boot. *floor* is the price of "
             "just having programs attached on iommutrace's hooks (empty bodies), so "
             "`top` minus `floor` is what iommutrace's own logic costs. `top` (like `export`) "
             "shows no stacks and walks none; `check` walks the kernel stack once per map call "
             "(what lets `check` and `faults` name the driver that mapped), and "
             "`check --no-stacks` shows how much of its cost that is. The goals are evaluated "
             "at the end.\n")
    for k in kernels:
        e = k.env
        o.append("## Kernel %s\n" % (e.get("kernel") or k.name))
        if k.status[0].strip() != "0":
            o.append("**The run on this kernel did not finish cleanly** (labvm exit %s: %s); "
                     "what it measured before that is below.\n" %
                     (k.status[0].strip(), k.status[1].strip() or "see console.log"))
        if e:
            o.append("Guest CPU `%s` x %s, %s MiB; %s; %s; %s. Loops: %s map pairs and %s IOVA "
                     "pairs per sample, %s rounds x %s samples per configuration. Taken %s.\n" %
                     (e["cpu"], e["ncpu"], e["mem_kb"] // 1024, e["iommutrace"], e["bpftrace"],
                      e["perf"], e["map_n"], e["iova_n"], e["rounds"], e["reps"], e["date"]))
        pr = k.of("probe")
        if pr:
            srcs = {}
            for h in pr[0]["hooks"]:
                srcs[h["source"]] = srcs.get(h["source"], 0) + 1
            o.append("iommutrace attached %d hooks here: %s (fentry: %s%s).\n" %
                     (len(pr[0]["hooks"]),
                      ", ".join("%d %s" % (n, s) for s, n in sorted(srcs.items())),
                      pr[0].get("fentry") or "not reported",
                      "; " + pr[0]["note"] if pr[0].get("note") else ""))
        o.append("### Map/unmap and IOVA loops\n")
        o.append(loop_section(k, goals))
        o.append(perf_section(k))
        o.append("### Per-program cost (kernel BPF statistics)\n")
        o.append("`kernel.bpf_stats_enabled=1` during one extra map loop and IOVA loop per "
                 "configuration (round 1 only, after its timed samples); run time / run count "
                 "per program. Only the program body is counted, not the trampoline or kprobe "
                 "that calls it. The floor programs are bpftrace's: classic tracepoints where "
                 "iommutrace uses raw tracepoints (bpftrace 0.17 has none).\n")
        o.append(stats_section(k, goals))
        o.append("### Start-up\n")
        o.append(startup_section(k, goals))
        o.append("### Fault storm\n")
        o.append("`report_iommu_fault()` called back to back for the edu device (what AMD-Vi and "
                 "ARM SMMU drivers do per fault; it fires the real `iommu:io_page_fault`), with "
                 "`iommutrace top --json` running; its last per-device total is compared with "
                 "the number raised.\n")
        o.append(storm_section(k, goals))
        o.append("### Scaling with live mappings\n")
        o.append("The module maps one page N times and keeps every mapping (while iommutrace "
                 "watches, so they are all in its live-mapping table, sized N+65536), then runs "
                 "the map loop. Memory is what `bpftool map show` reports for iommutrace's maps "
                 "(`bytes_memlock`) and the collector's RSS.\n")
        o.append(scale_section(k))
        un = k.of("unavailable")
        if un:
            o.append("### Not measured on this kernel\n")
            o.extend("- %s: %s" % (u["config"], u["why"]) for u in un)
            o.append("")
        notes = k.of("note")
        if notes:
            o.append("### Notes from the run\n")
            o.extend("- %s" % n["what"] for n in notes)
            o.append("")
        o.append("<details><summary>raw loop samples</summary>\n")
        o.append(raw_section(k))
        o.append("\n</details>\n")
    o.append("## Goals\n")
    if goals:
        o.append(table(["kernel", "goal", "met", "numbers"],
                       [[g[0], g[1], "yes" if g[2] else "**no**", g[3]] for g in goals]))
    else:
        o.append("No goal could be evaluated (no results).")
    o.append("")
    o.append("## Not measured, and why\n")
    o.append("- Cost vs number of devices: the default lab topology has one edu device; the "
             "bench module binds one device.")
    o.append("- Cost vs event rate: the loops run as fast as the kernel goes; the storm is the "
             "only rate point for faults.")
    o.append("- `perf trace`: it formats every event as it arrives (a pretty-printer, not a "
             "collector); `perf record` into a buffer is the comparable perf mode.")
    o.append("- Anything listed per kernel above under \"Not measured on this kernel\".")
    print("\n".join(o))
    return 0


if __name__ == "__main__":
    sys.exit(main())
