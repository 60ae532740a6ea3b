#!/usr/bin/env bash
# Mutation testing with gremlins (github.com/go-gremlins/gremlins): each mutant is
# one small change to a product line (a flipped condition, a moved boundary, an
# inverted sign...); the package's tests must fail for it. Prints, per package,
# mutants killed, lived, timed out and not covered, and the share killed.
#
#   scripts/mutate.sh [package dir ...]   (default: the packages holding the rules)
#
# Environment: GREMLINS (binary, default: gremlins on PATH, else installed at
# GREMLINS_VERSION), MUTATE_WORKERS (default 1: the machine is shared),
# MUTATE_TIMEOUT_COEFFICIENT (default 10: a mutant whose tests take 10x the normal
# time is counted as timed out), MUTATE_OUT (JSON results, default .mutate/).
set -euo pipefail
cd "$(dirname "$0")/.."

GREMLINS_VERSION=${GREMLINS_VERSION:-v0.6.0}
WORKERS=${MUTATE_WORKERS:-1}
COEFF=${MUTATE_TIMEOUT_COEFFICIENT:-10}
OUT=${MUTATE_OUT:-.mutate}
GO=${GO:-go}

if [ -z "${GREMLINS:-}" ]; then
	if command -v gremlins >/dev/null 2>&1; then
		GREMLINS=gremlins
	else
		GREMLINS="$($GO env GOPATH)/bin/gremlins"
		if [ ! -x "$GREMLINS" ]; then
			echo "installing gremlins $GREMLINS_VERSION" >&2
			$GO install "github.com/go-gremlins/gremlins/cmd/gremlins@$GREMLINS_VERSION"
		fi
	fi
fi

pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then
	pkgs=(internal/postback workflows internal/destinations activities)
fi
mkdir -p "$OUT"

total_k=0 total_l=0 total_t=0 total_n=0
rows=()
for p in "${pkgs[@]}"; do
	name=${p//\//_}
	echo "== gremlins unleash ./$p (workers $WORKERS, timeout coefficient $COEFF)" >&2
	"$GREMLINS" unleash "./$p" --workers "$WORKERS" --timeout-coefficient "$COEFF" \
		--output "$OUT/$name.json" 2>&1 | tee "$OUT/$name.log" >&2 || true
	if [ ! -s "$OUT/$name.json" ]; then
		rows+=("$(printf '%-24s %s' "$p" "no result (see $OUT/$name.log)")")
		continue
	fi
	# The JSON lists every mutant with its status.
	read -r k l t n < <(jq -r '[.files[].mutations[].status] as $s |
		[($s | map(select(. == "KILLED")) | length), ($s | map(select(. == "LIVED")) | length),
		 ($s | map(select(. == "TIMED OUT")) | length), ($s | map(select(. == "NOT COVERED")) | length)] | @tsv' "$OUT/$name.json")
	total_k=$((total_k + k)) total_l=$((total_l + l)) total_t=$((total_t + t)) total_n=$((total_n + n))
	rows+=("$(printf '%-24s %7d %7d %9d %12d %8s' "$p" "$k" "$l" "$t" "$n" "$(awk -v k="$k" -v l="$l" -v t="$t" 'BEGIN{d=k+l; if(d==0){print "-"}else{printf "%.1f%%", 100*k/d}}')")")
done

printf '\n%-24s %7s %7s %9s %12s %8s\n' package killed lived "timed out" "not covered" killed%
for r in "${rows[@]}"; do echo "$r"; done
printf '%-24s %7d %7d %9d %12d %8s\n' total "$total_k" "$total_l" "$total_t" "$total_n" \
	"$(awk -v k="$total_k" -v l="$total_l" -v t="$total_t" 'BEGIN{d=k+l; if(d==0){print "-"}else{printf "%.1f%%", 100*k/d}}')"
echo "killed% = killed / (killed + lived), gremlins' test efficacy; timed-out mutants are left out of it, not-covered ones are lines no test runs."
echo "Lived mutants:"
for p in "${pkgs[@]}"; do
	[ -s "$OUT/${p//\//_}.json" ] || continue
	jq -r --arg p "$p" '.files[] | .file_name as $f | .mutations[] | select(.status == "LIVED") |
		"  \($p)/\($f):\(.line):\(.column) \(.type)"' "$OUT/${p//\//_}.json"
done
