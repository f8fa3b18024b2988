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
	echo mono >"$REF_INST/trace_clock" # CLOCK_MONOTONIC: iommutrace -v says when it began on it
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
# With REF_EVENTS=FILE, also copies the events themselves (with their times) to FILE.
ftrace_ref_stop() {
	echo 0 >"$REF_INST/events/itref/enable"
	[ -n "${REF_EVENTS:-}" ] && cp "$REF_INST/trace" "$REF_EVENTS"
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

# --- checks the smoke set shares with e2e_static (which runs iommutrace in an empty root) ---------
# Each takes the test's name and the command that runs iommutrace ("$IT", or chroot DIR /iommutrace).

# top --batch under nvme + ping traffic: the traffic starts once top printed its first (idle)
# interval, and top is stopped (SIGINT) only after the traffic has ended and one more interval
# passed, so that it neither attaches nor detaches while the guest is busy (multi-threaded TCG can
# lock up there: docs in scripts/labvm). At least three tables; nvme and e1000e rows with MAP/s > 0.
check_top_batch() { # name command...
	local name=$1 p rc rows tables
	shift
	"$@" top -b -i 1s >"$OUT/batch.txt" 2>&1 &
	p=$!
	if wait_for_line "$OUT/batch.txt" '^drops:' 120; then
		tests/lab/traffic --nvme 2000 --ping 1500 --delay 0 -- true
		sleep 1.5
		kill -INT $p
		wait $p
		rc=$?
	else
		kill $p
		rc=timeout
	fi
	rows=$(awk '/^DEVICE/ { n++; split($0, h) } n && /^0000:/ {
		for (i = 1; i <= NF; i++) if (h[i] == "MAP/s" && $i + 0 > 0) print n, $2 }' "$OUT/batch.txt" | sort -u | tr '\n' ' ')
	tables=$(grep -c '^DEVICE' "$OUT/batch.txt")
	if [ "$rc" = 0 ] && [ "$tables" -ge 3 ] && grep -qw nvme <<<"$rows" && grep -qw e1000e <<<"$rows"; then
		pass "$name top --batch: $tables tables, nvme and e1000e mapping (interval driver: $rows)"
	else
		fail "$name top --batch: exit $rc, $tables tables, rows with MAP/s > 0: $rows; $(tail -n 5 "$OUT/batch.txt")"
	fi
}

# The kernel's own count of VT-d fault interrupts (one per fault on QEMU's VT-d).
dmar_irqs() { awk '/DMAR/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }' /proc/interrupts; }

# faults --json while the edu test driver ($KO) makes its device write N times into a
# DMA_TO_DEVICE mapping: N faults counted exactly (the kernel's interrupt count), each decoded and
# matched to that mapping.
check_fault_storm() { # name N command...
	local name=$1 storm=$2 edu irqs p n dec inmap total late want
	shift 2
	edu=$(lspci -D -d 1234:11e8 | cut -d' ' -f1 | head -n1)
	irqs=$(dmar_irqs)
	"$@" faults --json --device "$edu" >"$OUT/faults.json" 2>"$OUT/faults.err" &
	p=$!
	if ! wait_for_line "$OUT/faults.err" watching 120; then
		kill $p 2>/dev/null
		fail "$name faults: did not start: $(tail -n 3 "$OUT/faults.err")"
		return
	fi
	insmod "$KO" mode=fault_to_device count="$storm" && sleep 1.5 && rmmod iommutrace_edu
	kill -INT $p
	wait $p
	irqs=$(($(dmar_irqs) - irqs))
	# QEMU's VT-d drops a fault while one from the same device is pending: a starved guest can see
	# fewer fault interrupts than faulting DMAs, and then the kernel's count is the one to match.
	read -r n dec inmap total <<<"$(jq -rs --arg edu "$edu" '[.[] | select(.type == "fault")] as $f
		| ([.[] | select(.type == "fault_summary")][0] // {}) as $s
		| "\($s.faults // 0) \([$f[] | select(.decoded)] | length) \([$f[] | select(.decoded and .device == $edu
			and .mapping.dir == "TO_DEVICE")] | length) \($f | length)"' "$OUT/faults.json")"
	late=$(jq -rs '[.[] | select(.type == "fault_sources") | .vtd_late // 0][0] // 0' "$OUT/faults.json")
	want=$((irqs < storm ? irqs : storm))
	if [ "$n" = "$want" ] && [ "$total" = "$want" ] && [ "$dec" = $((want - late)) ] && [ "$inmap" = "$dec" ] && [ "$late" -le 3 ]; then
		pass "$name faults: storm of $want counted exactly, $dec decoded in the DMA_TO_DEVICE mapping"
	else
		fail "$name faults: counted $n ($total records, $dec decoded, $inmap in the mapping, $late late) for $want faults ($irqs DMAR interrupts)"
	fi
}
