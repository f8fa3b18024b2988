#!/usr/bin/env python3
"""Print a bpftrace script with an empty program on the hooks iommutrace attached.

    bench/floor_bt.py PROBE_JSON [PROGS_JSON]

PROBE_JSON is `iommutrace probe --json`. PROGS_JSON is `bpftool prog show --json` taken while
iommutrace ran: its programs (fentry_HOOK, fexit_HOOK, kprobe_HOOK, kretprobe_HOOK, or HOOK for
a tracepoint) say which function hooks also have an exit program and, if the kernel's BPF
statistics were on (run_cnt), which hooks fired at all: only those get a floor program then.
The result is the floor: what the same attachments cost with nothing in them. bpftrace 0.17 has
no raw tracepoints, so tracepoint hooks get a classic tracepoint program.
"""
import json
import sys

PREFIXES = ("fentry_", "fexit_", "kprobe_", "kretprobe_")


class Progs:
    """iommutrace's programs by name; kernel names are cut at 15 characters unless bpftool
    found the full name in BTF."""

    def __init__(self, progs):
        self.names = {p.get("name", "") for p in progs}
        self.full = any(len(n) > 15 for n in self.names)
        self.ran = {p.get("name", "") for p in progs if p.get("run_cnt")}

    def _match(self, name, names):
        return name in names if self.full else name[:15] in names

    def has(self, name):
        return self._match(name, self.names)

    def hook_ran(self, key):
        if not self.ran:
            return True  # no statistics: every attached hook
        return any(self._match(p + key, self.ran) for p in PREFIXES) or self._match(key, self.ran)


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1]) as f:
            probe = json.load(f)
        progs = []
        if len(sys.argv) == 3:
            with open(sys.argv[2]) as f:
                progs = json.load(f)
    except (OSError, ValueError) as e:
        print("floor_bt: %s" % e, file=sys.stderr)
        return 1
    p = Progs(progs)
    lines = ['BEGIN { printf("ready\\n"); }']
    for h in probe.get("hooks", []):
        if not h.get("attached") or not h.get("symbol") or not p.hook_ran(h["hook"]):
            continue
        sym, src, key = h["symbol"], h["source"], h["hook"]
        # Without a program list, assume an exit program on every function hook.
        exit_too = not progs
        if h["kind"] == "tracepoint":
            lines.append("tracepoint:%s {}" % sym)
        elif src == "fentry":
            lines.append("kfunc:%s {}" % sym)
            if exit_too or p.has("fexit_" + key):
                lines.append("kretfunc:%s {}" % sym)
        elif src == "kprobe":
            lines.append("kprobe:%s {}" % sym)
            if exit_too or p.has("kretprobe_" + key):
                lines.append("kretprobe:%s {}" % sym)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
