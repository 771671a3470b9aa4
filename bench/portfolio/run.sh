#!/usr/bin/env bash
# Benchmark of the portfolio store ('sovcheck portfolio').
#
# For each portfolio size (generated CycloneDX SBOMs of $PER_SBOM
# components, bench/sbom/gen) it measures, process start included (GNU
# time for ingestion and report, bash's time keyword for the starts and
# the where questions):
#   - ingestion into a fresh SQLite store, $RUNS times up to BATCH SBOMs
#     (the median and every run printed): SBOMs/s, peak RSS (the memory
#     curve over the sizes must stay flat), store bytes per component;
#   - a second add of the same SBOMs (all skipped: the resume cost);
#   - 'portfolio where --upstream' for one widely shared upstream, best of
#     $RUNS runs; then, for that upstream and a narrow one, the best and
#     the median of $WHERE_RUNS runs of 'sovcheck portfolio where' and of
#     sovcheck-where (the same question without the verifier's start), by
#     turns, their answers compared byte for byte;
# and, on the smallest size, 'portfolio report' from the store against
# 'sbom labels --portfolio' re-reading the same SBOMs: same upstream
# shares (the JSON is compared byte for byte) and the time ratio.
#
# Targets on 2 cores: >= 200 SBOMs/s into SQLite; peak RSS < 1 GiB at
# 100,000 SBOMs; where < 1 s at 100,000 SBOMs and < 50 ms at 1,000.
# Dependency-Track, the peer, needs a Java server and a database and
# cannot run here: the ratios are against the targets (x_target: SBOMs/s
# over 200; where_ms is printed beside the 50 ms / 1 s targets), and,
# with BASELINE (another sovcheck binary), against that binary.
#
# Environment: SIZES (comma list, default 1000,10000; add 100000 when the
# machine has an hour: a size over BATCH (default 20000) is generated and
# added BATCH SBOMs at a time, each batch deleted once stored, with the
# peak memory of each batch printed), PER_SBOM (300), RUNS (3), WORK
# (kept when set), WHERE_RUNS (15), SOVCHECK (a sovcheck binary; default:
# built from this checkout), SOVCHECK_WHERE (a sovcheck-where binary;
# default: built from this checkout), BASELINE (a sovcheck binary to compare ingestion and where
# with), REUSE (set: a size whose store WORK already holds, from an
# earlier run with the same WORK, is not generated nor added again; only
# where is measured on it, beside BASELINE's where when set).
#
#   apt-get install time
set -euo pipefail
# Decimal points, not commas, from $EPOCHREALTIME, time and awk.
export LC_ALL=C

cd "$(dirname "$0")/../.."
SIZES=${SIZES:-1000,10000}
PER_SBOM=${PER_SBOM:-300}
RUNS=${RUNS:-3}
WHERE_RUNS=${WHERE_RUNS:-15}
if [ -z "${WORK:-}" ]; then
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"

die() {
	echo "run.sh: error: $1" >&2
	[ -n "${2:-}" ] && echo "run.sh: hint: $2" >&2
	exit 2
}

[ -x /usr/bin/time ] || die "GNU time is missing" "apt-get install time"
if [ -z "${SOVCHECK:-}" ]; then
	# The release build: the tags of the Makefile's build target.
	CGO_ENABLED=0 go build -trimpath -tags "$(sed -n 's/^TAGS *:= *//p' Makefile)" -o "$WORK/sovcheck" ./cmd/sovcheck
	SOVCHECK=$WORK/sovcheck
fi
if [ -z "${SOVCHECK_WHERE:-}" ]; then
	CGO_ENABLED=0 go build -trimpath -tags "$(sed -n 's/^TAGS *:= *//p' Makefile)" -o "$WORK/sovcheck-where" ./cmd/sovcheck-where
	SOVCHECK_WHERE=$WORK/sovcheck-where
fi
"$SOVCHECK" portfolio add --help >/dev/null 2>&1 ||
	die "$SOVCHECK has no 'portfolio add' command" "register portfolioCommand() in cmd/sovcheck/main.go, or set SOVCHECK"

# calc EXPR prints the value of an arithmetic expression.
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

# timed OUT CMD... runs CMD once, prints "WALL_SECONDS RSS_MIB CPU_SECONDS";
# stdout to OUT. CPU seconds (user + system) say what the run costs when
# other work shares the cores.
timed() {
	local out=$1 t0 t1
	shift
	# Wall time from bash's microsecond clock: /usr/bin/time's %e counts
	# hundredths, too coarse for a where of 50 ms.
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%M %U %S' -o "$WORK/time" "$@" >"$out"
	t1=$EPOCHREALTIME
	awk -v wall="$(calc "$t1 - $t0")" '{ printf "%.4f %.0f %.2f\n", wall, $1 / 1024, $2 + $3 }' "$WORK/time"
}

# quick OUT CMD... runs CMD once, prints "WALL_SECONDS CPU_SECONDS" as
# bash's time keyword reads them off the child itself: no /usr/bin/time
# between, whose own start (5 ms on this machine) would count in a where
# of 50 ms. For the starts and the where questions; stdout to OUT.
quick() {
	local out=$1 t0 t1 TIMEFORMAT='%3U %3S'
	shift
	t0=$EPOCHREALTIME
	{ time "$@" >"$out" 2>&3; } 3>&2 2>"$WORK/time"
	t1=$EPOCHREALTIME
	awk -v wall="$(calc "$t1 - $t0")" '{ printf "%.4f %.3f\n", wall, $1 + $2 }' "$WORK/time"
}

# best TIMER OUT CMD... prints the fastest of $RUNS runs, each timed by
# TIMER (timed: "WALL RSS CPU"; quick: "WALL CPU").
best() {
	local timer=$1 out=$2
	shift 2
	for _ in $(seq "$RUNS"); do "$timer" "$out" "$@"; done | sort -n | head -1
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
# Every figure below includes starting the binary, a cost of the machine
# (page faults of a large static binary and its packages' init) that no
# store layout changes: printed so that where's own time can be read off.
read -r start_s _ < <(RUNS=$((RUNS * 3)) best quick /dev/null "$SOVCHECK" --version)
start_ms=$(calc "$start_s * 1000")
printf 'starting the binary (sovcheck --version, best of %d): %.0f ms; where_ms and the where figures include it\n' "$((RUNS * 3))" "$start_ms"
# The machine's floor: the start of a Go program that prints one line,
# built the same way. Page faults set most of a start on a virtual machine;
# transparent huge pages for every mapping ("always") take most of them away.
mkdir -p "$WORK/hello"
printf 'package main\n\nimport "os"\n\nfunc main() { os.Stdout.WriteString("hello\\n") }\n' >"$WORK/hello/main.go"
(cd "$WORK/hello" && CGO_ENABLED=0 GOFLAGS= GO111MODULE=off go build -trimpath -o hello main.go)
read -r hello_s _ < <(RUNS=$((RUNS * 3)) best quick /dev/null "$WORK/hello/hello")
thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)
printf 'the machine: a Go program that prints one line starts in %.1f ms (best of %d); transparent huge pages: %s\n' \
	"$(calc "$hello_s * 1000")" "$((RUNS * 3))" "${thp:-unknown}"
printf '%-8s %8s %8s %8s %8s %12s %9s %10s %12s %8s %9s\n' SBOMS add_s SBOMs/s x_target cpu_s SBOMs/cpu_s peak_MiB comps B/component readd_s where_ms
# store_figures N STORE sets comps and bytes (the store's size, its WAL
# included) and the fastest where of $RUNS for the upstream in nearly
# every product, src:src-0000 (the most popular Debian packages of the
# generator: where_s, hits matches) and the narrow src:src-0019
# (narrow_s, nhits).
store_figures() {
	local n=$1 store=$2
	comps=$((n * PER_SBOM))
	bytes=$(($(stat -c %s "$store") + $(stat -c %s "$store-wal" 2>/dev/null || echo 0)))
	read -r where_s _ < <(best quick "$WORK/where.json" "$SOVCHECK" portfolio where --store "$store" --upstream src:src-0000 --format json)
	hits=$(grep -c '"product":' "$WORK/where.json" || true)
	read -r narrow_s _ < <(best quick "$WORK/narrow.json" "$SOVCHECK" portfolio where --store "$store" --upstream src:src-0019 --format json)
	nhits=$(grep -c '"product":' "$WORK/narrow.json" || true)
}

# where_only N STORE measures where on a store: for the upstream in
# nearly every product and the narrow one, the fastest and the median of
# $WHERE_RUNS runs of 'sovcheck portfolio where' (this), of
# sovcheck-where (where-bin) and of BASELINE's when set, run by turns
# (this, where-bin, baseline, this, ...) so that a change in the
# machine's speed reaches all; sovcheck-where's answer must be this one's,
# byte for byte.
where_only() {
	local n=$1 store=$2 label upstream mid target=""
	mid=$(((WHERE_RUNS + 1) / 2))
	case $n in
	1000) target=" (target: under 50 ms)" ;;
	100000) target=" (target: under 1 s)" ;;
	esac
	for upstream in src:src-0000 src:src-0019; do
		for label in this where-bin baseline; do : >"$WORK/wheres-$label"; done
		for _ in $(seq "$WHERE_RUNS"); do
			quick "$WORK/where-only-this.json" "$SOVCHECK" portfolio where --store "$store" --upstream "$upstream" --format json >>"$WORK/wheres-this"
			quick "$WORK/where-only-where-bin.json" "$SOVCHECK_WHERE" --store "$store" --upstream "$upstream" --format json >>"$WORK/wheres-where-bin"
			if [ -n "${BASELINE:-}" ]; then
				quick "$WORK/where-only-baseline.json" "$BASELINE" portfolio where --store "$store" --upstream "$upstream" --format json >>"$WORK/wheres-baseline"
			fi
		done
		cmp -s "$WORK/where-only-this.json" "$WORK/where-only-where-bin.json" ||
			die "sovcheck-where and 'sovcheck portfolio where' answer --upstream $upstream differently" "diff $WORK/where-only-this.json $WORK/where-only-where-bin.json"
		for label in this where-bin ${BASELINE:+baseline}; do
			sort -n -o "$WORK/wheres-$label" "$WORK/wheres-$label"
			printf '  %s SBOMs, where --upstream %s, %-9s: best %3.0f ms, median %3.0f ms%s, %s CPU s (median), %s matches; runs (ms): %s\n' \
				"$n" "$upstream" "$label" "$(calc "$(head -1 "$WORK/wheres-$label" | cut -d' ' -f1) * 1000")" \
				"$(calc "$(sed -n "${mid}p" "$WORK/wheres-$label" | cut -d' ' -f1) * 1000")" "$target" \
				"$(sed -n "${mid}p" "$WORK/wheres-$label" | cut -d' ' -f2)" "$(grep -c '"product":' "$WORK/where-only-$label.json" || true)" \
				"$(awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 * 1000 }' "$WORK/wheres-$label")"
		done
		printf '  %s SBOMs, where --upstream %s: sovcheck-where answers in %.2fx the median time of sovcheck portfolio where (same JSON)\n' \
			"$n" "$upstream" "$(calc "$(sed -n "${mid}p" "$WORK/wheres-where-bin" | cut -d' ' -f1) / $(sed -n "${mid}p" "$WORK/wheres-this" | cut -d' ' -f1)")"
	done
}

IFS=, read -ra sizes <<<"$SIZES"
first=""
BATCH=${BATCH:-20000}
for n in "${sizes[@]}"; do
	data=$WORK/data-$n
	if [ -n "${REUSE:-}" ] && [ -s "$WORK/store-$n.db" ]; then
		where_only "$n" "$WORK/store-$n.db"
		continue
	fi
	if [ "$n" -gt "$BATCH" ]; then
		# A portfolio larger than BATCH is generated and added BATCH SBOMs
		# at a time (products numbered on, so every one is new), each batch
		# deleted once stored: 100,000 SBOMs need 16 GB otherwise. Peak
		# memory is printed per batch: the curve as the store grows.
		store=$WORK/store-$n.db
		rm -f "$store" "$store-wal" "$store-shm"
		total_s=0 total_cpu=0 peak=0
		for ((b = 0; b < n; b += BATCH)); do
			rm -rf "$data"
			go run ./bench/sbom/gen -dir "$data" -sizes 1 -sboms "$BATCH" -first "$b" -per-sbom "$PER_SBOM" -advisories 1 >&2
			read -r s mib cpu < <(timed "$WORK/add.out" "$SOVCHECK" portfolio add --store "$store" --as-of 2026-12-01 "$data/portfolio")
			grep -q "^Added $BATCH SBOMs" "$WORK/add.out" || die "batch $b: $(head -1 "$WORK/add.out")"
			total_s=$(calc "$total_s + $s") total_cpu=$(calc "$total_cpu + $cpu")
			[ "$mib" -gt "$peak" ] && peak=$mib
			printf '  batch %6d-%6d: add %7ss (%6.0f SBOMs/s), %7s CPU s, peak %5s MiB, store %s\n' "$b" "$((b + BATCH))" "$s" "$(calc "$BATCH / $s")" "$cpu" "$mib" "$(du -h "$store" | cut -f1)"
		done
		rm -rf "$data"
		store_figures "$n" "$store"
		printf '%-8s %8s %8.0f %8.2f %8s %12.0f %9s %10s %12.0f %8s %9.0f   (%s matches; %.0f ms without the start; src:src-0019 %.0f ms, %s matches)\n' "$n" "$total_s" "$(calc "$n / $total_s")" "$(calc "$n / $total_s / 200")" \
			"$total_cpu" "$(calc "$n / $total_cpu")" "$peak" "$comps" "$(calc "$bytes / $comps")" "-" "$(calc "$where_s * 1000")" "$hits" "$(calc "$where_s * 1000 - $start_ms")" "$(calc "$narrow_s * 1000")" "$nhits"
		where_only "$n" "$store"
		continue
	fi
	if [ ! -d "$data/portfolio" ]; then
		go run ./bench/sbom/gen -dir "$data" -sizes 1 -sboms "$n" -per-sbom "$PER_SBOM" -advisories 1 >&2
	fi
	store=$WORK/store-$n.db
	# Read once first, as a batch just generated is: the add is timed,
	# not the disk.
	cat "$data"/portfolio/* >/dev/null
	# The add into a new store, $RUNS times (this machine's speed varies
	# by a fifth from run to run): the median is the figure, the range is
	# printed beside it.
	for _ in $(seq "$RUNS"); do
		rm -f "$store" "$store-wal" "$store-shm"
		timed "$WORK/add.out" "$SOVCHECK" portfolio add --store "$store" --as-of 2026-12-01 "$data/portfolio"
		grep -q "^Added $n SBOMs" "$WORK/add.out" || die "add did not store $n SBOMs: $(head -1 "$WORK/add.out")"
	done | sort -n >"$WORK/adds"
	read -r add_s add_mib add_cpu < <(sed -n "$(((RUNS + 1) / 2))p" "$WORK/adds")
	printf '  add of %d SBOMs, %d runs: %s s (median %s s); %s SBOMs/s\n' "$n" "$RUNS" "$(cut -d' ' -f1 "$WORK/adds" | paste -sd' ')" "$add_s" \
		"$(awk -v n="$n" '{ printf "%s%.0f", (NR > 1 ? " " : ""), n / $1 }' "$WORK/adds")"
	read -r readd_s _ _ < <(timed "$WORK/readd.out" "$SOVCHECK" portfolio add --store "$store" --as-of 2026-12-01 "$data/portfolio")
	grep -q "skipped $n already" "$WORK/readd.out" || die "second add did not skip $n SBOMs: $(head -1 "$WORK/readd.out")"
	store_figures "$n" "$store"
	printf '%-8s %8s %8.0f %8.2f %8s %12.0f %9s %10s %12.0f %8s %9.0f   (%s matches; %.0f ms without the start; src:src-0019 %.0f ms, %s matches)\n' "$n" "$add_s" "$(calc "$n / $add_s")" "$(calc "$n / $add_s / 200")" \
		"$add_cpu" "$(calc "$n / $add_cpu")" "$add_mib" \
		"$comps" "$(calc "$bytes / $comps")" "$readd_s" "$(calc "$where_s * 1000")" "$hits" "$(calc "$where_s * 1000 - $start_ms")" "$(calc "$narrow_s * 1000")" "$nhits"
	where_only "$n" "$store"
	if [ -n "${BASELINE:-}" ]; then
		rm -f "$store.base" "$store.base-wal" "$store.base-shm"
		read -r base_s _ base_cpu < <(timed "$WORK/base.out" "$BASELINE" portfolio add --store "$store.base" --as-of 2026-12-01 "$data/portfolio")
		printf '  baseline %s: add %ss (%s CPU s); this sovcheck is %.2fx faster (wall), %.2fx (CPU)\n' "$n" "$base_s" "$base_cpu" \
			"$(calc "$base_s / $add_s")" "$(calc "$base_cpu / $add_cpu")"
		rm -f "$store.base" "$store.base-wal" "$store.base-shm"
	fi
	[ -z "$first" ] && first=$n
done

n=$first
[ -z "$n" ] && exit 0
echo
echo "portfolio report from the store against sbom labels --portfolio re-reading $n SBOMs:"
read -r rep_s rep_mib _ < <(best timed "$WORK/report.json" "$SOVCHECK" portfolio report --store "$WORK/store-$n.db" --format json --top 0)
read -r lab_s lab_mib _ < <(best timed "$WORK/labels.json" "$SOVCHECK" sbom labels --portfolio --as-of 2026-12-01 --format json --top 0 "$WORK/data-$n/portfolio")
if cmp -s "$WORK/report.json" "$WORK/labels.json"; then same="identical JSON (same upstream shares)"; else same="DIFFERENT JSON"; fi
printf '  portfolio report      %6ss %6s MiB\n  sbom labels --portf.  %6ss %6s MiB\n  ratio (labels/report) %6.1fx   %s\n' \
	"$rep_s" "$rep_mib" "$lab_s" "$lab_mib" "$(calc "$lab_s / $rep_s")" "$same"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
