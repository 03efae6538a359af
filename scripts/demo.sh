#!/usr/bin/env bash
# Demonstrate seccs on real input: store consecutive lodash releases (as tar files)
# one after another in a fresh store, and show per release how much the store grew
# compared with the raw size. Then read every release back and compare it byte for
# byte, delete them all, and show that the store is empty again.
#
# Usage: scripts/demo.sh [SECCS_BINARY]   (run by `make demo`)
#   SECCS_BINARY defaults to build/seccs. The store goes to build/demo/.
#
# Sizes: "raw" is the size of the tar file. "grew" is what the store grew by, as
# `seccs put` reports it: node keys and ciphertexts plus reference count entries.
# "tgz" is the gzip-compressed package that npm downloads. It serves as a
# baseline that compresses each release on its own.

set -euo pipefail
export LC_ALL=C

repo_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seccs=$(realpath "${1:-$repo_top/build/seccs}")
demo_dir=$repo_top/build/demo
store=$demo_dir/releases.db

die() {
    printf 'demo: %s\n' "$*" >&2
    exit 1
}

[[ -x $seccs ]] || die "$seccs not found: run 'make cli' first"

now() {
    date +%s.%N
}

seconds_since() {
    awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1f", end - start }'
}

# ---- fetch ----

start=$(now)
mapfile -t tars < <("$repo_top/scripts/fetch-releases.sh")
[[ ${#tars[@]} -gt 0 ]] || die "scripts/fetch-releases.sh listed no releases"
fetch_seconds=$(seconds_since "$start")

rm -rf "$demo_dir"
mkdir -p "$demo_dir"
"$seccs" init "$store" >/dev/null

# ---- put ----

echo
echo "Storing ${#tars[@]} releases in $store (AES_SIV_256, chunk size 256, Rabin-Karp):"
echo
printf '%-16s %10s %10s %6s %12s %12s %7s %12s\n' \
    release raw grew grew% "total raw" "total store" store% "total tgz"
printf '%-16s %10s %10s %6s %12s %12s %7s %12s\n' \
    ---------------- ---------- ---------- ------ ------------ ------------ ------- ------------

total_raw=0
total_stored=0
total_tgz=0
references=()
start=$(now)
for tar in "${tars[@]}"; do
    release=$(basename "$tar" .tar)
    raw=$(stat -c %s "$tar")
    tgz=$(dirname "$(dirname "$tar")")/downloads/$release.tgz
    [[ -f $tgz ]] && total_tgz=$((total_tgz + $(stat -c %s "$tgz")))

    line=$("$seccs" put "$store" "$tar")
    IFS=$'\t' read -r reference _status growth _name <<<"$line"
    references+=("$reference")

    total_raw=$((total_raw + raw))
    total_stored=$((total_stored + growth))
    awk -v name="$release" -v raw="$raw" -v grew="$growth" -v traw="$total_raw" \
        -v tstored="$total_stored" -v ttgz="$total_tgz" 'BEGIN {
        printf "%-16s %10d %10d %5.1f%% %12d %12d %6.1f%% %12d\n",
            name, raw, grew, 100 * grew / raw, traw, tstored, 100 * tstored / traw, ttgz }'
done
put_seconds=$(seconds_since "$start")

echo
total_bytes=$("$seccs" stats "$store" | sed -n 's/^total bytes: //p')
[[ $total_bytes -eq $total_stored ]] \
    || die "seccs stats reports $total_bytes bytes, but the puts added up to $total_stored"
awk -v raw="$total_raw" -v stored="$total_stored" -v tgz="$total_tgz" 'BEGIN {
    printf "The store holds %d bytes for %d raw bytes: %.1f%% of the raw size", stored, raw, 100 * stored / raw
    if (tgz > 0) printf ", %.2fx the size of the %d bytes of gzip-compressed packages", stored / tgz, tgz
    printf ".\n" }'

# ---- get ----

start=$(now)
for i in "${!tars[@]}"; do
    "$seccs" get "$store" "${references[$i]}" -o "$demo_dir/restored.tar"
    cmp -s "$demo_dir/restored.tar" "${tars[$i]}" \
        || die "release ${tars[$i]} read back differently: the store is broken"
done
rm -f "$demo_dir/restored.tar"
get_seconds=$(seconds_since "$start")
echo "Read back all ${#tars[@]} releases: each is byte-identical to its tar file (cmp)."

# ---- delete ----

start=$(now)
"$seccs" delete "$store" "${references[@]}" >/dev/null
delete_seconds=$(seconds_since "$start")
stats=$("$seccs" stats "$store")
nodes=$(sed -n 's/^nodes: //p' <<<"$stats")
counts=$(sed -n 's/^reference counts: //p' <<<"$stats")
bytes=$(sed -n 's/^total bytes: //p' <<<"$stats")
echo "Deleted all releases: the store has $nodes nodes, $counts reference counts, $bytes bytes left."
[[ $nodes -eq 0 && $counts -eq 0 && $bytes -eq 0 ]] || die "the store is not empty after deleting every release"

echo
echo "Times: fetch ${fetch_seconds}s, put ${put_seconds}s, get and compare ${get_seconds}s, delete ${delete_seconds}s."
