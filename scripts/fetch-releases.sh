#!/usr/bin/env bash
# Fetch a fixed list of consecutive releases of a real npm package and turn
# each one into an uncompressed, reproducible tar file. `make demo` stores
# these tars in sec-cs one after another to show how much of each release is
# deduplicated against the earlier ones, on real third-party input.
#
# Usage: scripts/fetch-releases.sh [CACHE_DIR]
#   CACHE_DIR defaults to demo-cache/ at the top of the repository.
#
# Layout of CACHE_DIR:
#   downloads/NAME-VERSION.tgz   the package as `npm pack` fetched it
#   releases/NAME-VERSION.tar    the same files, unpacked and re-tarred
#   .gitignore                   contains "*", so git ignores the whole folder
#
# Both steps are skipped when their output file already exists, so a second
# run downloads nothing. Outputs are written under a temporary name and
# renamed when complete, so an interrupted run leaves no half-written file.
#
# Progress goes to stderr, one line per release. stdout carries only the
# absolute paths of the release tars, one per line, oldest first.

set -euo pipefail

# The releases to fetch, oldest first, pinned (never "latest") so every run
# of the demo gets the same input. The registry has no lodash 4.17.6 to
# 4.17.8 (npm view lodash versions), so they are left out.
# Measured: most releases unpack to about 1.4 MB in about 1,050 files. The
# registry's 4.17.16 (628 files), 4.17.17 and 4.17.18 lack some files that
# the releases before and after them contain, so the sizes dip there.
PACKAGE=lodash
VERSIONS=(
    4.17.0 4.17.1 4.17.2 4.17.3 4.17.4 4.17.5
    4.17.9 4.17.10 4.17.11 4.17.12 4.17.13 4.17.14 4.17.15
    4.17.16 4.17.17 4.17.18 4.17.19 4.17.20 4.17.21
)

PROG=fetch-releases

die() {
    printf '%s: %s\n' "$PROG" "$*" >&2
    exit 1
}

# Pin the locale and umask so that messages and the permission bits of the
# unpacked files do not depend on who runs the script.
export LC_ALL=C
umask 022

command -v npm >/dev/null 2>&1 \
    || die "npm not found: install Node.js/npm (Debian package npm)"
command -v tar >/dev/null 2>&1 \
    || die "tar not found: install GNU tar (Debian package tar)"
tar --version 2>/dev/null | head -n 1 | grep -q 'GNU tar' \
    || die "tar is not GNU tar (needed for --sort=name and --mtime): install GNU tar (Debian package tar)"

if [[ $# -gt 1 ]]; then
    die "usage: scripts/fetch-releases.sh [CACHE_DIR]"
fi
if [[ $# -eq 1 ]]; then
    cache_dir=$1
else
    repo_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    cache_dir=$repo_top/demo-cache
fi

mkdir -p "$cache_dir/downloads" "$cache_dir/releases" 2>/dev/null \
    || die "failed to create $cache_dir: choose a writable CACHE_DIR"
cache_dir=$(cd "$cache_dir" && pwd)
[[ -e $cache_dir/.gitignore ]] || printf '*\n' >"$cache_dir/.gitignore"

# Keep scratch files inside the cache so that the final rename stays on one
# filesystem. The trap removes them when the script exits.
work=$(mktemp -d "$cache_dir/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Make a file-name stem from the package name: @scope/name becomes
# scope-name.
stem_name=${PACKAGE#@}
stem_name=${stem_name//\//-}

# Print the size of file $1 in decimal units, for example "1.4 MB".
size_of() {
    local bytes
    bytes=$(stat -c %s "$1")
    awk -v b="$bytes" 'BEGIN {
        if (b >= 1000000) printf "%.1f MB", b / 1000000;
        else printf "%.0f KB", b / 1000 }'
}

total=${#VERSIONS[@]}
tars=()
i=0
for version in "${VERSIONS[@]}"; do
    i=$((i + 1))
    spec=$PACKAGE@$version
    tgz=$cache_dir/downloads/$stem_name-$version.tgz
    tarfile=$cache_dir/releases/$stem_name-$version.tar

    if [[ -f $tgz ]]; then
        got="tgz cached"
    else
        # Only the files are wanted, so --ignore-scripts is a precaution
        # against npm running any package script.
        dest=$work/pack
        rm -rf "$dest"
        mkdir -p "$dest"
        if ! (cd "$dest" && npm pack "$spec" --pack-destination "$dest" \
                --ignore-scripts --loglevel=error) \
                >"$work/npm.out" 2>"$work/npm.err"; then
            # Reduce npm's "npm error" lines to "CODE: first message line",
            # dropping the syscall, errno and debug-log lines.
            why=$(sed -n 's/^npm error //p' "$work/npm.err" | awk '
                $1 == "code" { code = $2; next }
                $1 == "syscall" || $1 == "errno" || /complete log/ { next }
                msg == "" { msg = $0 }
                END {
                    if (code != "" && msg != "") print code ": " msg
                    else print code msg
                }' | cut -c1-200)
            die "npm pack $spec failed (${why:-no message from npm}): check that the version exists (npm view $PACKAGE versions) and that the npm registry is reachable"
        fi
        shopt -s nullglob
        packed=("$dest"/*.tgz)
        shopt -u nullglob
        [[ ${#packed[@]} -eq 1 ]] \
            || die "npm pack $spec did not leave exactly one .tgz in $dest: check the npm version (npm --version)"
        mv "${packed[0]}" "$tgz"
        got="downloaded $(size_of "$tgz")"
    fi

    if [[ -f $tarfile ]]; then
        made="tar cached"
    else
        unpack=$work/unpack
        rm -rf "$unpack"
        mkdir -p "$unpack"
        tar -xzf "$tgz" -C "$unpack" --no-same-owner --no-same-permissions \
            || die "failed to unpack $tgz: delete it and run again to fetch it afresh"
        # npm tarballs contain one top folder, normally package/. Name the
        # top entries explicitly so that member names have no leading "./".
        shopt -s nullglob dotglob
        top=("$unpack"/*)
        shopt -u nullglob dotglob
        [[ ${#top[@]} -gt 0 ]] \
            || die "$tgz unpacked to nothing: delete it and run again to fetch it afresh"
        top=("${top[@]#"$unpack"/}")
        # Sorted names, zero mtimes and root ownership make the tar depend
        # only on the package contents. The posix format would add atime and
        # ctime records per file, so the format is pinned to gnu.
        tar -cf "$work/release.tar" -C "$unpack" \
            --format=gnu --sort=name --mtime=@0 \
            --owner=0 --group=0 --numeric-owner \
            -- "${top[@]}" \
            || die "failed to write $tarfile: check free space in $cache_dir"
        mv "$work/release.tar" "$tarfile"
        made="tar made"
    fi

    printf '%s: [%d/%d] %s: %s, %s (%s)\n' \
        "$PROG" "$i" "$total" "$spec" "$got" "$made" "$(size_of "$tarfile")" >&2
    tars+=("$tarfile")
done

printf '%s\n' "${tars[@]}"
