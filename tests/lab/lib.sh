# Shared helpers for the tests that run inside the lab VM (sourced).
# Results are lines "PASS: name", "FAIL: name: why", "SKIP: name: why" that tests/run counts.
set -u
IT=${IT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/iommutrace}
OUT=${LABVM_OUT:-$(mktemp -d)}
KERNEL=${LABVM_KERNEL:-$(uname -r)}
# The test modules built for this kernel: make kmod builds them per lab kernel, in a directory named
# by its major.minor (6.1.0-57-amd64: build/kmod/6.1, 6.12.95+deb12-amd64: build/kmod/6.12).
KMOD_DIR=${KMOD_DIR:-build/kmod/$(echo "$KERNEL" | cut -d. -f1,2)}

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILED=1; }
skip() { echo "SKIP: $*"; }
FAILED=0

# Wait until FILE has a line matching REGEX (or TIMEOUT seconds pass).
wait_for_line() { # file regex timeout_s
	local i
	for i in $(seq 1 $(($3 * 10))); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Start iommutrace top --json; ready once it printed its first interval.
start_iommutrace_top() { # outfile args...
	local f=$1
	shift
	"$IT" top --json -i 500ms "$@" >"$f" 2>"$f.err" &
	IT_PID=$!
	wait_for_line "$f" '"type":"summary"' 60 || { cat "$f.err" >&2; return 1; }
}

# An independent reference count with no BPF involved: ftrace kprobe events in a trace instance.
# ftrace_ref_start NAME:FUNC[:dev] ...  — "dev" records dev_name(arg0) (kobj.name is at offset 0).
TRACEFS=/sys/kernel/tracing
REF_INST=$TRACEFS/instances/iommutrace_ref
ftrace_ref_start() {
	local spec name fn withdev
	mkdir -p "$REF_INST"
	echo 16384 >"$REF_INST/buffer_size_kb"
	for spec in "$@"; do
		IFS=: read -r name fn withdev <<<"$spec"
		if [ "$withdev" = dev ]; then
			echo "p:itref/$name $fn dev=+0(+0(%di)):string" >>"$TRACEFS/kprobe_events"
		else
			echo "p:itref/$name $fn" >>"$TRACEFS/kprobe_events"
		fi
	done
	echo 1 >"$REF_INST/events/itref/enable"
}
# Prints "NAME DEV COUNT" lines (DEV "-" for probes without one), "overrun N" and "missed NAME N".
ftrace_ref_stop() {
	echo 0 >"$REF_INST/events/itref/enable"
	awk '/itref|: [a-z_]+: \(/ {
		name = $0; sub(/.* ([a-z_0-9]+): \(.*/, "", name)
		if (match($0, / ([a-z_0-9]+): \(/)) { name = substr($0, RSTART + 1, RLENGTH - 4) }
		dev = "-"
		if (match($0, /dev="[^"]*"/)) { dev = substr($0, RSTART + 5, RLENGTH - 6) }
		n[name " " dev]++
	} END { for (k in n) print k, n[k] }' "$REF_INST/trace"
	awk '/overrun/ { o += $2 } END { print "overrun", o + 0 }' "$REF_INST"/per_cpu/cpu*/stats
	# A kprobe that fires while another kprobe's handler runs on the CPU (an interrupt arriving
	# in a kprobe-attached BPF program, say) is skipped and only counted: the reference is then
	# a lower bound, by that many.
	# (Only our probes are in kprobe_profile: BPF kprobes are perf events, not kprobe_events.)
	awk 'NF == 3 { print "missed", $1, $3 }' "$TRACEFS/kprobe_profile"
	rmdir "$REF_INST"
	echo >"$TRACEFS/kprobe_events"
}
