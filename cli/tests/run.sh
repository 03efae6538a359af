#!/usr/bin/env bash
# End-to-end tests of the seccs command-line program on real SQLite stores.
#
# Usage: cli/tests/run.sh [SECCS_BINARY]
#   SECCS_BINARY   defaults to build/seccs
# Environment:
#   SECCS_RUNNER   command prefix for every seccs run, for example
#                  "valgrind --error-exitcode=99 --leak-check=full"
#   SECCS_GOLDEN_DIR  vectors of the Python package seccs 0.0.5 (default
#                  ../shared/golden beside the repository); the golden test is
#                  skipped when they are absent
#   SECCS_TESTS    space-separated test names to run (default: all)
#
# Needs bash, python3 (standard library: sqlite3 to alter stores, data files),
# cmp and stat. Prints one line per test and a final "N passed, N failed" line;
# exits non-zero if a test failed.

set -u
export LC_ALL=C

tests_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_top=$(cd "$tests_dir/../.." && pwd)
seccs_bin=$(realpath "${1:-$repo_top/build/seccs}")
runner=${SECCS_RUNNER:-}
golden_dir=${SECCS_GOLDEN_DIR:-$repo_top/../shared/golden}

[[ -x $seccs_bin ]] || { echo "run.sh: $seccs_bin not found: run 'make cli' first" >&2; exit 2; }
command -v python3 >/dev/null || { echo "run.sh: python3 not found: install Python 3" >&2; exit 2; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/seccs-cli-tests.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

passed=0
failed=0
skipped=0
test_failures=0

# ---- helpers ----

# Runs seccs with the given arguments; sets $status, and $out and $err to the
# files that hold its standard output and standard error.
seccs() {
    out=$PWD/.out
    err=$PWD/.err
    # shellcheck disable=SC2086 # $runner is a word list on purpose
    $runner "$seccs_bin" "$@" >"$out" 2>"$err" </dev/null
    status=$?
}

# Like seccs, with standard input from the file $1.
seccs_stdin() {
    local input=$1
    shift
    out=$PWD/.out
    err=$PWD/.err
    # shellcheck disable=SC2086
    $runner "$seccs_bin" "$@" >"$out" 2>"$err" <"$input"
    status=$?
}

fail() {
    echo "    $*"
    test_failures=$((test_failures + 1))
}

# expect_status CODE: the last run exited with CODE.
expect_status() {
    if [[ $status -ne $1 ]]; then
        fail "exit code $status, expected $1; stderr: $(head -c 600 "$err")"
    fi
}

# expect_stdout TEXT: the last run printed exactly TEXT (plus a final newline).
expect_stdout() {
    local actual
    actual=$(cat "$out")
    if [[ $actual != "$1" ]]; then
        fail "stdout differs; expected:"$'\n'"$1"$'\n'"    got:"$'\n'"$actual"
    fi
}

# expect_stderr TEXT: the last run printed exactly TEXT on stderr.
expect_stderr() {
    local actual
    actual=$(cat "$err")
    if [[ $actual != "$1" ]]; then
        fail "stderr differs; expected:"$'\n'"$1"$'\n'"    got:"$'\n'"$actual"
    fi
}

# expect_stderr_has TEXT: stderr of the last run contains TEXT.
expect_stderr_has() {
    if ! grep -qF -- "$1" "$err"; then
        fail "stderr lacks '$1'; got: $(head -c 600 "$err")"
    fi
}

# expect_stderr_lines N: stderr of the last run has exactly N lines.
expect_stderr_lines() {
    local lines
    lines=$(wc -l <"$err")
    if [[ $lines -ne $1 ]]; then
        fail "stderr has $lines lines, expected $1: $(head -c 600 "$err")"
    fi
}

# expect_same_file A B: files A and B are byte-identical.
expect_same_file() {
    if ! cmp -s "$1" "$2"; then
        fail "$1 and $2 differ"
    fi
}

expect_equal() {
    if [[ $1 != "$2" ]]; then
        fail "$3: got '$1', expected '$2'"
    fi
}

# Writes N pseudo-random bytes from SEED to FILE: make_data FILE N SEED.
make_data() {
    python3 -c '
import random, sys
rng = random.Random(int(sys.argv[3]))
open(sys.argv[1], "wb").write(rng.randbytes(int(sys.argv[2])))' "$1" "$2" "$3"
}

# Runs SQL on the store database: sql STORE STATEMENT [PARAMETER...]; blob
# parameters are given in hex as x:HEX. Prints the rows, one per line, with
# blobs in hex.
sql() {
    python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
params = [bytes.fromhex(p[2:]) if p.startswith("x:") else p for p in sys.argv[3:]]
for row in db.execute(sys.argv[2], params):
    print("|".join(v.hex() if isinstance(v, bytes) else str(v) for v in row))
db.commit()
db.close()' "$@"
}

# Prints the first field (the reference) of line N of the last stdout.
ref_of_line() {
    sed -n "${1}p" "$out" | cut -f1
}

# Stats with only the entry lines, for comparing store states.
entry_stats() {
    seccs stats "$1"
    grep -E '^(nodes|node bytes|reference counts|reference count bytes|other entries|total bytes):' "$out"
}

# ---- tests ----

test_help_and_usage() {
    seccs --help
    expect_status 0
    grep -q '^Exit codes:' "$out" || fail "--help lacks the exit codes"

    for command in init put get delete verify check stats; do
        seccs "$command" --help
        expect_status 0
        [[ $(head -n 1 "$out") == "Usage: seccs $command "* ]] || fail "$command --help: $(head -n 1 "$out")"
    done

    seccs
    expect_status 1
    expect_stderr "seccs: no command given: run 'seccs --help' for the list"

    seccs help get
    expect_status 0
    [[ $(head -n 1 "$out") == "Usage: seccs get STORE REF [-o OUT] [OPTION]..." ]] || fail "help get: $(head -n 1 "$out")"

    seccs help frobnicate
    expect_status 1
    expect_stderr "seccs: unknown command 'frobnicate': run 'seccs --help' for the list"

    seccs frobnicate x
    expect_status 1
    expect_stderr "seccs: unknown command 'frobnicate': run 'seccs --help' for the list"

    seccs put --nope s f
    expect_status 1
    expect_stderr "seccs: unknown option --nope for 'seccs put': see 'seccs put --help'"

    seccs get s -o
    expect_status 1
    expect_stderr "seccs: option -o of 'seccs get' needs a value: see 'seccs get --help'"

    seccs put s f --repair
    expect_status 1
    expect_stderr_has "unknown option --repair for 'seccs put'"

    seccs --version
    expect_status 0
    grep -qE '^seccs [0-9.]+ \(libseccs [0-9.]+' "$out" || fail "--version: $(cat "$out")"
}

test_init_defaults() {
    seccs init s
    expect_status 0
    expect_stdout "created store s: wrapper AES_SIV_256, chunk size 256, chunking rabin-karp:48:0
wrote a new key to s.key: keep a copy in a safe place, without it the contents cannot be read"
    expect_equal "$(stat -c %a s.key)" 600 "key file mode"
    expect_equal "$(stat -c %s s.key)" 32 "key file size"

    seccs stats s
    expect_status 0
    local version
    version=$(sed -n 's/^created with: //p' "$out")
    expect_stdout "store: s
wrapper: AES_SIV_256
chunk size: 256
chunking: rabin-karp:48:0
reference counting: key-suffix
created with: $version
nodes: 0
node bytes: 0
reference counts: 0
reference count bytes: 0
other entries: 0
total bytes: 0"

    expect_equal "$(sql s "PRAGMA journal_mode")" wal "journal mode"
    expect_equal "$(sql s "SELECT name, value FROM config WHERE name IN ('chunk_size', 'wrapper', 'chunking', 'window_size', 'seed') ORDER BY name")" \
        "chunk_size|256
chunking|rabin-karp
seed|0
window_size|48
wrapper|AES_SIV_256" "config rows"
    # The key check value is a 16-byte digest, never the key itself.
    local check key_hex
    check=$(sql s "SELECT value FROM config WHERE name = 'key_check'")
    key_hex=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().hex())' s.key)
    expect_equal "${#check}" 32 "key check length"
    [[ $check != "$key_hex" && $key_hex != *"$check"* ]] || fail "key check value contains the key"
}

test_init_refuses_existing() {
    seccs init s
    expect_status 0
    cp s.key key.before

    seccs init s
    expect_status 1
    expect_stderr "seccs: store s already exists: choose another path, or delete it (with s-wal and s-shm) to start over"
    expect_same_file s.key key.before

    # A key file without its store is not replaced either.
    seccs init t --key-file s.key
    expect_status 0
    expect_stdout "created store t: wrapper AES_SIV_256, chunk size 256, chunking rabin-karp:48:0
using the key in s.key"
    cp s.key u.key
    seccs init u
    expect_status 1
    expect_stderr "seccs: key file u.key already exists: pass --key-file u.key to use that key, or delete it"
    [[ ! -e u ]] || fail "init created u despite the error"
    expect_same_file u.key key.before
}

test_init_invalid_options() {
    seccs init s --chunk-size 0
    expect_status 1
    expect_stderr "seccs: invalid --chunk-size '0': give a positive number of bytes, for example 256 (the default)"

    seccs init s --chunk-size 12x
    expect_status 1
    expect_stderr_has "invalid --chunk-size '12x'"

    seccs init s --chunk-size 31
    expect_status 1
    expect_stderr "seccs: invalid --chunk-size 31: wrapper AES_SIV_256 needs a chunk size of at least 32 bytes (twice its 16-byte digest); choose 32 or more, for example 256 (the default)"

    seccs init s --wrapper AES_SIV_512
    expect_status 1
    expect_stderr_has "invalid --wrapper 'AES_SIV_512': choose one of SHA_256,"

    seccs init s --chunking rabin-karp:48
    expect_status 1
    expect_stderr "seccs: invalid --chunking 'rabin-karp:48': use rabin-karp (window 48, seed 0), rabin-karp:WINDOW:SEED or static"

    seccs init s --chunking rabin-karp:0:1
    expect_status 1
    expect_stderr "seccs: invalid store configuration: invalid Rabin-Karp window size 0: use a window of 1 to 1048576 bytes (the default is 48)"

    seccs init s --wrapper SHA_256 --key-file k
    expect_status 1
    expect_stderr "seccs: --key-file k given, but wrapper SHA_256 takes no key: drop --key-file, or choose a keyed --wrapper"

    printf 'short' >short.key
    seccs init s --key-file short.key
    expect_status 1
    expect_stderr_has "seccs: invalid key for AES_SIV_256: invalid key length 5 for AES_SIV_256"

    for leftover in s s.key s-wal; do
        [[ ! -e $leftover ]] || fail "failed init left $leftover behind"
    done
    compgen -G 's.init-*' >/dev/null && fail "failed init left a temporary database behind"
    return 0
}

test_round_trip() {
    seccs init s
    make_data small.bin 100 1
    make_data big.bin 300000 2

    seccs put s small.bin big.bin
    expect_status 0
    cp "$out" put.out
    local small_ref big_ref
    small_ref=$(ref_of_line 1)
    big_ref=$(ref_of_line 2)
    # One leaf: a 16-byte key with 100 bytes of ciphertext, and the count entry
    # (17-byte key, value "1").
    expect_equal "$(sed -n 1p "$out")" "$small_ref	new	134	small.bin" "small put line"
    [[ $small_ref =~ ^[0-9a-f]{32}0{14}64$ ]] || fail "small reference $small_ref does not end in length 100"
    [[ $(sed -n 2p "$out") =~ ^[0-9a-f]{32}00000000000493e0$'\t'new$'\t'[0-9]+$'\t'big.bin$ ]] \
        || fail "big put line: $(sed -n 2p "$out")"

    seccs get s "$small_ref"
    expect_status 0
    expect_same_file "$out" small.bin

    seccs get s "$big_ref" -o big.out
    expect_status 0
    expect_same_file big.out big.bin
    expect_stdout ""

    seccs verify s "$small_ref" "$big_ref"
    expect_status 0
    expect_stdout "$small_ref	ok
$big_ref	ok"

    # The growth that put printed adds up to the total bytes of the store, and
    # deleting frees it again.
    local big_growth total
    big_growth=$(sed -n 2p put.out | cut -f3)
    seccs stats s
    total=$(sed -n 's/^total bytes: //p' "$out")
    expect_equal "$total" "$((134 + big_growth))" "total bytes after two puts"

    seccs delete s "$small_ref" "$big_ref"
    expect_status 0
    expect_stdout "$small_ref	deleted	134
$big_ref	deleted	$((total - 134))"

    seccs stats s
    grep -qx 'nodes: 0' "$out" || fail "nodes left after deleting everything"
    grep -qx 'reference counts: 0' "$out" || fail "counts left after deleting everything"
    grep -qx 'total bytes: 0' "$out" || fail "bytes left after deleting everything"
}

test_put_stdin_and_empty() {
    seccs init s
    make_data a.bin 5000 3
    : >empty.bin

    seccs_stdin a.bin put s - empty.bin
    expect_status 0
    local a_ref empty_ref
    a_ref=$(ref_of_line 1)
    empty_ref=$(ref_of_line 2)
    [[ $(sed -n 1p "$out") == "$a_ref	new	"*"	-" ]] || fail "stdin put line: $(sed -n 1p "$out")"
    # The empty content is one empty node under 16 zero bytes.
    expect_equal "$(sed -n 2p "$out")" "000000000000000000000000000000000000000000000000	new	34	empty.bin" "empty put line"

    seccs get s "$a_ref"
    expect_same_file "$out" a.bin
    seccs get s "$empty_ref"
    expect_status 0
    expect_equal "$(stat -c %s "$out")" 0 "empty content size"

    seccs put s - -
    expect_status 1
    expect_stderr "seccs: '-' (standard input) is named 2 times: name it once"
}

test_dedup_second_put() {
    seccs init s
    make_data f.bin 200000 4

    seccs put s f.bin
    expect_status 0
    local ref first_line
    ref=$(ref_of_line 1)
    first_line=$(cat "$out")
    entry_stats s >stats.before

    seccs put s f.bin
    expect_status 0
    expect_stdout "$ref	existing	0	f.bin"
    entry_stats s >stats.after
    expect_same_file stats.after stats.before

    # A second copy that shares most of its chunks grows the store by far less.
    { head -c 100000 f.bin; printf 'inserted'; tail -c +100001 f.bin; } >g.bin
    seccs put s g.bin
    expect_status 0
    local growth_f growth_g
    growth_f=$(cut -f3 <<<"$first_line")
    growth_g=$(cut -f3 "$out")
    (( growth_g * 10 < growth_f )) || fail "edited copy grew the store by $growth_g bytes, the original by $growth_f"

    seccs delete s "$ref"
    expect_status 0
    expect_stdout "$ref	still-stored	0"
    seccs get s "$ref" -o f.out
    expect_status 0
    expect_same_file f.out f.bin

    seccs delete s "$ref"
    expect_status 0
    [[ $(cut -f2 "$out") == deleted ]] || fail "second delete: $(cat "$out")"
    seccs delete s "$ref"
    expect_status 2
    expect_stderr "seccs: cannot delete content $ref: it is not stored in s (deleted already, or never stored), and the store is unchanged; if a references file lists it, remove it there"
}

test_wrong_key_file() {
    seccs init s
    make_data f.bin 1000 5
    seccs put s f.bin
    local ref
    ref=$(ref_of_line 1)
    make_data other.key 32 6

    seccs get s "$ref" --key-file other.key
    expect_status 3
    expect_stderr "seccs: wrong key file other.key: it does not hold the key that store s was created with (the key check value differs); pass the store's key file with --key-file"
    expect_stdout ""

    seccs put s f.bin --key-file other.key
    expect_status 3
    expect_stderr_has "wrong key file other.key"

    make_data long.key 48 7
    seccs verify s "$ref" --key-file long.key
    expect_status 3
    expect_stderr "seccs: wrong key file long.key: it holds 48 bytes, but store s uses AES_SIV_256 with a 32-byte key; pass the store's key file with --key-file"

    mv s.key moved.key
    seccs get s "$ref"
    expect_status 2
    expect_stderr "seccs: key file s.key not found: pass the store's key file with --key-file"
    # --key-file overrides STORE.key.
    seccs get s "$ref" --key-file moved.key -o f.out
    expect_status 0
    expect_same_file f.out f.bin

    # stats needs no key, but checks one that is given.
    seccs stats s
    expect_status 0
    seccs stats s --key-file other.key
    expect_status 3
}

test_tampered_rows() {
    # A fixed key makes the tree, and so the node picked below, the same on every run:
    # with a random key the first non-root node in key order is a superchunk about one
    # time in sixteen.
    printf '%032d' 7 >s.key
    seccs init s --key-file s.key
    make_data f.bin 50000 8
    seccs put s f.bin
    local ref root
    ref=$(ref_of_line 1)
    root=${ref:0:32}

    # Flip the first byte of one leaf, not the root.
    local leaf
    leaf=$(sql s "SELECT key FROM entries WHERE length(key) = 16 AND key != ? ORDER BY key LIMIT 1" "x:$root")
    python3 - s "$leaf" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
key = bytes.fromhex(sys.argv[2])
(value,) = db.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
db.execute("UPDATE entries SET value = ? WHERE key = ?", (bytes([value[0] ^ 1]) + value[1:], key))
db.commit()
EOF
    seccs get s "$ref" -o f.out
    expect_status 3
    expect_stderr_has "seccs: cannot read content $ref: authenticity check failed for node $leaf at height 0"
    [[ ! -e f.out ]] || fail "get wrote f.out from a tampered store"
    expect_stderr_lines 1

    seccs verify s "$ref"
    expect_status 3
    expect_stderr_has "seccs: content $ref failed verification: authenticity check failed for node $leaf"

    # Swapping the root for another stored node is caught as well.
    sql s "UPDATE entries SET value = (SELECT value FROM entries WHERE length(key) = 16 AND key != ?1 ORDER BY key DESC LIMIT 1) WHERE key = ?1" "x:$root"
    seccs get s "$ref"
    expect_status 3
    expect_stderr_has "authenticity check failed for node $root at height"

    # Deleting the tampered content stops at the altered root and changes nothing.
    entry_stats s >stats.before
    seccs delete s "$ref"
    expect_status 3
    expect_stderr_has "the store is unchanged"
    entry_stats s >stats.after
    expect_same_file stats.after stats.before
}

test_unknown_reference() {
    seccs init s
    local unknown=00112233445566778899aabbccddeeff0000000000000010
    seccs get s "$unknown"
    expect_status 2
    expect_stderr "seccs: cannot read content $unknown: node 00112233445566778899aabbccddeeff at height 0 not found in the backend: the content was deleted, never stored here, or the backend lost data"

    seccs verify s "$unknown"
    expect_status 2

    seccs delete s "$unknown"
    expect_status 2
    expect_stderr "seccs: cannot delete content $unknown: it is not stored in s (deleted already, or never stored), and the store is unchanged; if a references file lists it, remove it there"

    seccs get s abc
    expect_status 1
    expect_stderr "seccs: invalid content reference 'abc': store s takes references of 48 hex digits, as 'seccs put' prints them"

    seccs get s "${unknown:0:46}zz"
    expect_status 1
    expect_stderr_has "invalid content reference"
}

test_missing_files() {
    seccs init s
    make_data a.bin 100 9
    entry_stats s >stats.before

    seccs put s a.bin missing.bin
    expect_status 2
    expect_stderr "seccs: input file missing.bin not found: check the path"
    [[ $(wc -l <"$out") -eq 1 ]] || fail "put printed $(wc -l <"$out") lines, expected the one for a.bin"

    seccs put s missing.bin
    expect_status 2
    mkdir dir
    seccs put s dir
    expect_status 1
    expect_stderr_has "input dir is a directory"

    seccs get nostore 00
    expect_status 2
    expect_stderr "seccs: store nostore not found: check the path, or create it with 'seccs init nostore'"
    [[ ! -e nostore ]] || fail "get created a store"

    printf 'not a database, just text that is long enough to fill a header....................................................' >text.txt
    seccs stats text.txt
    expect_status 4
    expect_stderr_has "seccs: text.txt is not a seccs store"

    python3 -c 'import sqlite3; sqlite3.connect("other.db").execute("CREATE TABLE t (x)")'
    seccs stats other.db
    expect_status 4
    expect_stderr "seccs: other.db is an SQLite database but not a seccs store: pass the path of a store that 'seccs init' created"
}

test_contradicting_options() {
    seccs init s --chunk-size 512 --chunking rabin-karp:32:7
    expect_status 0
    make_data a.bin 100 10

    seccs put s a.bin --chunk-size 256
    expect_status 1
    expect_stderr "seccs: --chunk-size 256 contradicts the chunk size 512 of store s: drop the option, the store records its configuration"

    seccs put s a.bin --wrapper HMAC_SHA_256
    expect_status 1
    expect_stderr "seccs: --wrapper HMAC_SHA_256 contradicts the wrapper AES_SIV_256 of store s: drop the option, the store records its configuration"

    seccs put s a.bin --chunking rabin-karp
    expect_status 1
    expect_stderr "seccs: --chunking rabin-karp:48:0 contradicts the chunking rabin-karp:32:7 of store s: drop the option, the store records its configuration"

    seccs stats s --chunking static
    expect_status 1
    expect_stderr_has "--chunking static contradicts the chunking rabin-karp:32:7"

    # Options that agree with the store are accepted, in any spelling of the wrapper.
    seccs put s a.bin --chunk-size 512 --wrapper aes-siv-256 --chunking rabin-karp:32:7
    expect_status 0
    expect_equal "$(cut -f2 "$out")" new "put with matching options"
}

test_exact_counts() {
    # One random 16 KiB block twice: the second half repeats superchunks of the first.
    # The fixed key makes the tree, and so the count entries, the same on every run.
    python3 -c '
import random, sys
block = random.Random(12).randbytes(16384)
open(sys.argv[1], "wb").write(block + block)' twice.bin
    printf '%032d' 7 >s.key

    seccs init exact --key-file s.key --exact-counts
    expect_status 0
    expect_stdout "created store exact: wrapper AES_SIV_256, chunk size 256, chunking rabin-karp:48:0, exact reference counts
using the key in s.key"
    expect_equal "$(sql exact "SELECT value FROM config WHERE name = 'reference_counting'")" \
        key-suffix-exact "reference_counting row"
    seccs put exact twice.bin --key-file s.key --exact-counts
    expect_status 0
    local ref
    ref=$(ref_of_line 1)
    seccs delete exact "$ref" --key-file s.key
    expect_status 0
    expect_stdout "$ref	deleted	21671"
    seccs stats exact
    expect_status 0
    grep -qx 'reference counting: key-suffix-exact' "$out" || fail "stats lacks the exact counting"
    grep -qx 'nodes: 0' "$out" || fail "exact counts left nodes: $(grep '^nodes' "$out")"
    grep -qx 'reference counts: 0' "$out" || fail "exact counts left count entries"

    # Counting as the Python package seccs 0.0.5 does leaves 8 nodes of this content
    # behind, each with its count entry.
    seccs init compat --key-file s.key
    expect_status 0
    seccs put compat twice.bin --key-file s.key
    expect_equal "$(ref_of_line 1)" "$ref" "reference in the default store"
    seccs delete compat "$ref" --key-file s.key
    expect_status 0
    seccs stats compat
    grep -qx 'reference counting: key-suffix' "$out" || fail "stats lacks the default counting"
    grep -qx 'nodes: 8' "$out" || fail "default counting: $(grep '^nodes' "$out"), expected 8"
    grep -qx 'reference counts: 8' "$out" || fail "default counting left $(grep '^reference counts' "$out")"

    seccs put compat twice.bin --key-file s.key --exact-counts
    expect_status 1
    expect_stderr "seccs: --exact-counts (reference counting key-suffix-exact) contradicts the reference counting key-suffix of store compat: drop the option, the store records its configuration"
}

test_other_wrappers() {
    make_data f.bin 70000 11

    seccs init sha --wrapper SHA_256 --chunk-size 128 --chunking static
    expect_status 0
    expect_stdout "created store sha: wrapper SHA_256, chunk size 128, chunking static"
    [[ ! -e sha.key ]] || fail "SHA_256 store got a key file"
    seccs put sha f.bin
    expect_status 0
    local ref
    ref=$(ref_of_line 1)
    expect_equal "${#ref}" 80 "SHA_256 reference length"
    seccs get sha "$ref" -o f.out
    expect_same_file f.out f.bin
    seccs get sha "$ref" --key-file x
    expect_status 1
    expect_stderr "seccs: --key-file x given, but store sha uses wrapper SHA_256, which takes no key: drop --key-file"
    # Without a key, altering a node is caught by the hash check.
    local leaf
    leaf=$(sql sha "SELECT key FROM entries WHERE length(key) = 32 AND key != ? ORDER BY key LIMIT 1" "x:${ref:0:64}")
    sql sha "UPDATE entries SET value = zeroblob(length(value)) WHERE key = ?" "x:$leaf"
    seccs get sha "$ref"
    expect_status 3
    expect_stderr_has "integrity check failed for node $leaf at height 0"

    for wrapper in HMAC_SHA_256 HMAC_SHA_256_DISTINGUISHED_ROOT AES_SIV_256_DISTINGUISHED_ROOT; do
        seccs init "$wrapper.db" --wrapper "$wrapper"
        expect_status 0
        seccs put "$wrapper.db" f.bin
        expect_status 0
        ref=$(ref_of_line 1)
        seccs get "$wrapper.db" "$ref" -o "$wrapper.out"
        expect_status 0
        expect_same_file "$wrapper.out" f.bin
        seccs stats "$wrapper.db"
        grep -qx "wrapper: $wrapper" "$out" || fail "stats of $wrapper store: $(head -n 3 "$out")"
    done
}

test_get_output_atomic() {
    seccs init s
    make_data a.bin 3000 12
    seccs put s a.bin
    local ref
    ref=$(ref_of_line 1)
    printf 'old contents\n' >out.txt

    seccs get s 00112233445566778899aabbccddeeff0000000000000010 -o out.txt
    expect_status 2
    expect_equal "$(cat out.txt)" "old contents" "output after a failed get"

    seccs get s "$ref" --output out.txt
    expect_status 0
    expect_same_file out.txt a.bin
    compgen -G 'out.txt.tmp-*' >/dev/null && fail "get left a temporary file behind"

    seccs get s "$ref" -o missing-dir/out.txt
    expect_status 4
    expect_stderr_has "cannot create a temporary file next to missing-dir/out.txt"
}

test_put_killed_midway() {
    seccs init s
    make_data a.bin 20000 13
    make_data b.bin 300000 14
    seccs put s a.bin b.bin
    expect_status 0
    cp "$out" refs.txt
    entry_stats s >stats.before

    # 64 MiB through a pipe: reading takes a moment, storing much longer. Kill the
    # put once its transaction has spilled pages into the WAL, that is, mid-way.
    # This put runs without $SECCS_RUNNER: under valgrind it would take minutes.
    make_data big.bin 67108864 15
    cat big.bin | "$seccs_bin" put s - >killed.out 2>killed.err &
    local pid=$!
    local waited=0
    while kill -0 "$pid" 2>/dev/null && (( $(stat -c %s s-wal 2>/dev/null || echo 0) < 4000000 )); do
        sleep 0.05
        waited=$((waited + 1))
        (( waited < 1200 )) || break
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"
        wait "$pid" 2>/dev/null
    else
        wait "$pid"
        fail "the put finished (exit $?) before it could be killed; use a larger input"
    fi
    expect_equal "$(cat killed.out)" "" "output of the killed put"
    [[ -s s-wal ]] || fail "no WAL left by the killed put: it did not get to write"

    # SQLite discards the uncommitted transaction on the next open.
    local line
    while IFS=$'\t' read -r ref _ _ name; do
        seccs get s "$ref" -o restored
        expect_status 0
        expect_same_file restored "$name"
    done <refs.txt
    entry_stats s >stats.after
    expect_same_file stats.after stats.before

    seccs check s --refs refs.txt
    expect_status 0
    expect_equal "$(tail -n 1 "$out")" "result: clean" "check after the killed put"
}

test_check_and_repair() {
    seccs init s
    make_data a.bin 40000 16
    make_data b.bin 40000 17
    seccs put s a.bin b.bin a.bin
    expect_status 0
    cp "$out" refs.txt
    local a_ref b_ref
    a_ref=$(ref_of_line 1)
    b_ref=$(ref_of_line 2)
    seccs stats s
    local nodes
    nodes=$(sed -n 's/^nodes: //p' "$out")

    seccs check s --refs refs.txt
    expect_status 0
    expect_stdout "nodes: $nodes
reachable nodes: $nodes
orphan nodes: 0
wrong counts: 0
orphan counts: 0
missing nodes: 0
corrupt nodes: 0
repaired entries: 0
result: clean"

    # An orphan node, a wrong count and an orphan count entry, as an interrupted
    # put or delete by another program could leave them.
    local any_count
    any_count=$(sql s "SELECT key FROM entries WHERE length(key) = 17 AND value = CAST('1' AS BLOB) ORDER BY key LIMIT 1")
    [[ -n $any_count ]] || fail "no count entry of 1 found"
    sql s "INSERT INTO entries VALUES (?, ?)" "x:ffeeddccbbaa99887766554433221100" "x:0102030405"
    sql s "UPDATE entries SET value = CAST('5' AS BLOB) WHERE key = ?" "x:$any_count"
    sql s "INSERT INTO entries VALUES (?, CAST('2' AS BLOB))" "x:00000000000000000000000000000001""72"

    seccs check s --refs refs.txt
    expect_status 3
    expect_stdout "nodes: $((nodes + 1))
reachable nodes: $nodes
orphan nodes: 1
wrong counts: 1
orphan counts: 1
missing nodes: 0
corrupt nodes: 0
repaired entries: 0
result: repairable"
    expect_stderr "seccs: store s does not match the held references (orphan nodes: 1, wrong counts: 1, orphan counts: 1): run the check again with --repair if the references file lists every content you hold"

    seccs check s --repair
    expect_status 1
    expect_stderr "seccs: --repair needs --refs FILE listing every content you hold: without it, repair would delete every node"

    seccs check s --refs refs.txt --repair
    expect_status 0
    expect_equal "$(tail -n 2 "$out")" "repaired entries: 3
result: repaired" "repair result"

    seccs check s --refs refs.txt
    expect_status 0
    expect_equal "$(tail -n 1 "$out")" "result: clean" "check after repair"
    seccs verify s "$a_ref" "$b_ref"
    expect_status 0

    # Held references only once each: a_ref was put twice, so its root count is 1 too high.
    cut -f1 refs.txt | sort -u >once.txt
    seccs check s --refs once.txt
    expect_status 3
    grep -qx 'wrong counts: 1' "$out" || fail "check with one put of a.bin missing: $(cat "$out")"

    # Without --refs nothing is held, so every node is an orphan.
    seccs check s
    expect_status 3
    expect_stderr_has "seccs: no --refs given, so no content counts as held and every node is an orphan"
    grep -qx "orphan nodes: $nodes" "$out" || fail "check without --refs: $(cat "$out")"

    # A lost leaf cannot be repaired.
    local leaf
    leaf=$(sql s "SELECT key FROM entries WHERE length(key) = 16 AND key NOT IN (?, ?) ORDER BY key LIMIT 1" "x:${a_ref:0:32}" "x:${b_ref:0:32}")
    sql s "DELETE FROM entries WHERE key = ?" "x:$leaf"
    seccs check s --refs refs.txt --repair
    expect_status 3
    grep -qx 'missing nodes: 1' "$out" || fail "check after losing a leaf: $(cat "$out")"
    expect_equal "$(tail -n 1 "$out")" "result: damaged" "check after losing a leaf"
    expect_stderr "seccs: store s is damaged (missing nodes: 1, corrupt nodes: 0): held contents that use these nodes cannot be read, and repair cannot bring them back; restore the database from a backup"

    printf '%s\nnot-a-reference\n' "$a_ref" >bad-refs.txt
    seccs check s --refs bad-refs.txt
    expect_status 1
    expect_stderr "seccs: invalid content reference 'not-a-reference' on line 2 of bad-refs.txt: store s takes references of 48 hex digits, as 'seccs put' prints them"
}

# The "First steps" of cli/README-section.md, with the removal of the deleted
# reference from refs.txt that keeps the last check clean.
test_readme_first_steps() {
    seccs init notes.db
    expect_status 0
    printf 'Hello, sec-cs!\n' >hello.txt
    seq 1 200000 >numbers.txt
    sed 's/^100000$/one hundred thousand/' numbers.txt >numbers-v2.txt

    seccs put notes.db hello.txt numbers.txt numbers-v2.txt
    expect_status 0
    cat "$out" >>refs.txt
    local hello_ref
    hello_ref=$(ref_of_line 1)
    expect_equal "$(cut -f2,4 "$out")" "new	hello.txt
new	numbers.txt
new	numbers-v2.txt" "put lines"

    seccs get notes.db "$hello_ref"
    expect_status 0
    expect_stdout "Hello, sec-cs!"

    seccs check notes.db --refs refs.txt
    expect_status 0
    expect_equal "$(tail -n 1 "$out")" "result: clean" "check after the puts"

    seccs delete notes.db "$hello_ref"
    expect_status 0
    expect_stdout "$hello_ref	deleted	49"

    # Before the line is removed, the check names it.
    seccs check notes.db --refs refs.txt
    expect_status 3
    expect_equal "$(tail -n 2 "$out")" "not stored: $hello_ref (line 1 of refs.txt)
result: refs-not-stored" "check before removing the deleted reference"

    grep -v "$hello_ref" refs.txt >refs.tmp && mv refs.tmp refs.txt
    seccs check notes.db --refs refs.txt
    expect_status 0
    expect_equal "$(tail -n 1 "$out")" "result: clean" "check after the delete"
    expect_stderr ""
}

# A references file that still lists a deleted content names the stale lines and
# what to do, instead of calling the store damaged.
test_check_deleted_reference() {
    seccs init s
    make_data a.bin 40000 18
    make_data b.bin 40000 19
    seccs put s a.bin b.bin
    expect_status 0
    cp "$out" refs.txt
    local a_ref b_ref
    a_ref=$(ref_of_line 1)
    b_ref=$(ref_of_line 2)
    seccs delete s "$a_ref"
    expect_status 0
    entry_stats s >stats.before

    seccs check s --refs refs.txt
    expect_status 3
    expect_equal "$(tail -n 5 "$out")" "missing nodes: 1
corrupt nodes: 0
repaired entries: 0
not stored: $a_ref (line 1 of refs.txt)
result: refs-not-stored" "check with a deleted reference"
    expect_stderr "seccs: 1 held reference in refs.txt is not stored in s (deleted, or never stored): remove it from refs.txt (see the 'not stored' lines) and run the check again"

    # Repair leaves the remaining contents alone: the stale line holds no node.
    seccs check s --refs refs.txt --repair
    expect_status 3
    expect_equal "$(tail -n 1 "$out")" "result: refs-not-stored" "repair with a deleted reference"
    entry_stats s >stats.after
    expect_same_file stats.after stats.before

    grep -v "$a_ref" refs.txt >refs.tmp && mv refs.tmp refs.txt
    seccs check s --refs refs.txt
    expect_status 0
    expect_equal "$(tail -n 1 "$out")" "result: clean" "check after removing the line"

    # Two stale lines on standard input, and a wrong count besides.
    printf '%s\n%s\n%s\n' "$a_ref" "$b_ref" "$a_ref" >stdin-refs.txt
    sql s "UPDATE entries SET value = CAST('5' AS BLOB) WHERE key = ?" "x:${b_ref:0:32}72"
    seccs_stdin stdin-refs.txt check s --refs -
    expect_status 3
    expect_equal "$(tail -n 3 "$out")" "not stored: $a_ref (line 1 of standard input)
not stored: $a_ref (line 3 of standard input)
result: refs-not-stored" "check with stale lines on standard input"
    expect_stderr "seccs: 2 held references on standard input are not stored in s (deleted, or never stored): remove them from that list (see the 'not stored' lines) and run the check again
seccs: store s also does not match the held references (orphan nodes: 0, wrong counts: 1, orphan counts: 0): once the references are fixed, run the check again, with --repair if they list every content you hold"
    sql s "UPDATE entries SET value = CAST('1' AS BLOB) WHERE key = ?" "x:${b_ref:0:32}72"

    # A lost leaf of a held content is damage, reported after the stale line.
    local leaf
    leaf=$(sql s "SELECT key FROM entries WHERE length(key) = 16 AND key != ? ORDER BY key LIMIT 1" "x:${b_ref:0:32}")
    sql s "DELETE FROM entries WHERE key = ?" "x:$leaf"
    printf '%s\n%s\n' "$b_ref" "$a_ref" >refs.txt
    seccs check s --refs refs.txt
    expect_status 3
    expect_equal "$(tail -n 5 "$out")" "missing nodes: 2
corrupt nodes: 0
repaired entries: 0
not stored: $a_ref (line 2 of refs.txt)
result: damaged" "check with a stale line and a lost leaf"
    expect_stderr "seccs: 1 held reference in refs.txt is not stored in s (deleted, or never stored): remove it from refs.txt (see the 'not stored' lines) and run the check again
seccs: store s is damaged (missing nodes: 1, corrupt nodes: 0): held contents that use these nodes cannot be read, and repair cannot bring them back; restore the database from a backup"
}

# Messages of libseccs that name its C API options (ignore_rc, custom level-size
# functions) are replaced by ones in the terms of the seccs command.
test_errors_in_cli_terms() {
    seccs init w.db --chunk-size 16
    expect_status 1
    expect_stderr "seccs: invalid --chunk-size 16: wrapper AES_SIV_256 needs a chunk size of at least 32 bytes (twice its 16-byte digest); choose 32 or more, for example 256 (the default)"

    seccs init w.db --wrapper HMAC_SHA_256 --chunk-size 63
    expect_status 1
    expect_stderr "seccs: invalid --chunk-size 63: wrapper HMAC_SHA_256 needs a chunk size of at least 64 bytes (twice its 32-byte digest); choose 64 or more, for example 256 (the default)"
    [[ ! -e w.db && ! -e w.db.key ]] || fail "a rejected init left w.db or w.db.key behind"

    seccs init w.db --chunk-size 32
    expect_status 0
    make_data f.bin 5000 20
    seccs put w.db f.bin
    expect_status 0
    local ref
    ref=$(ref_of_line 1)
    printf '%s\n' "$ref" >refs.txt

    # A root without its count entry: something other than seccs altered the store.
    sql w.db "DELETE FROM entries WHERE key = ?" "x:${ref:0:32}72"
    seccs delete w.db "$ref"
    expect_status 3
    expect_stderr "seccs: cannot delete content $ref from w.db: its root node has no reference count entry, so the database was altered; the store is unchanged. Run 'seccs check w.db --refs FILE --repair' with FILE listing every content you hold to restore the count"
    seccs check w.db --refs refs.txt --repair
    expect_status 0
    seccs delete w.db "$ref"
    expect_status 0
    expect_equal "$(cut -f2 "$out")" deleted "delete after the repair"

    seccs delete w.db "$ref"
    expect_status 2
    expect_stderr "seccs: cannot delete content $ref: it is not stored in w.db (deleted already, or never stored), and the store is unchanged; if a references file lists it, remove it there"

    # A chunk size that init rejects can only come from an altered configuration row.
    sql w.db "UPDATE config SET value = '16' WHERE name = 'chunk_size'"
    seccs get w.db "$ref"
    expect_status 3
    expect_stderr "seccs: store w.db has an invalid chunk_size '16' in its configuration: the database was altered; restore it from a backup"
}

# make install puts the program beside the library, and it loads the installed
# library, not the one in the build tree.
test_make_install() {
    if [[ ! -f $repo_top/cli/cli.mk ]] || ! command -v make >/dev/null; then
        echo "    make or cli/cli.mk not found"
        return 77
    fi
    local prefix=$PWD/prefix
    # The variables of an outer make (make cli-test PREFIX=...) must not reach this one.
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$repo_top" --no-print-directory install \
        PREFIX="$prefix" DESTDIR= >make.out 2>&1
    local code=$?
    if (( code != 0 )); then
        fail "make install failed (exit $code): $(tail -n 5 make.out)"
        return
    fi
    [[ -x $prefix/bin/seccs ]] || fail "make install did not install $prefix/bin/seccs"

    # shellcheck disable=SC2086
    env -u LD_LIBRARY_PATH $runner "$prefix/bin/seccs" --version >version.out 2>version.err
    expect_equal "$?" 0 "exit code of the installed seccs --version"
    grep -qE '^seccs [0-9.]+ \(libseccs [0-9.]+' version.out \
        || fail "installed seccs --version: $(cat version.out version.err)"
    env -u LD_LIBRARY_PATH ldd "$prefix/bin/seccs" >ldd.out
    grep -qF "$prefix/lib/libseccs.so.0 " ldd.out \
        || fail "installed seccs does not load $prefix/lib/libseccs.so.0: $(grep libseccs ldd.out)"

    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$repo_top" --no-print-directory uninstall \
        PREFIX="$prefix" DESTDIR= >make.out 2>&1
    expect_equal "$?" 0 "exit code of make uninstall"
    [[ ! -e $prefix/bin/seccs ]] || fail "make uninstall left $prefix/bin/seccs"
    [[ ! -e $prefix/lib/libseccs.so.0 ]] || fail "make uninstall left $prefix/lib/libseccs.so.0"
}

test_golden_vectors() {
    if [[ ! -f $golden_dir/store.jsonl ]]; then
        echo "    golden vectors not found in $golden_dir"
        return 77
    fi
    # shellcheck disable=SC2086
    python3 "$tests_dir/golden_replay.py" "$golden_dir" $runner "$seccs_bin" >golden.out 2>&1
    local code=$?
    sed 's/^/    /' golden.out
    (( code == 0 )) || fail "golden replay failed (exit $code)"
}

# ---- runner ----

all_tests=(
    test_help_and_usage
    test_init_defaults
    test_init_refuses_existing
    test_init_invalid_options
    test_round_trip
    test_put_stdin_and_empty
    test_dedup_second_put
    test_wrong_key_file
    test_tampered_rows
    test_unknown_reference
    test_missing_files
    test_contradicting_options
    test_exact_counts
    test_other_wrappers
    test_get_output_atomic
    test_put_killed_midway
    test_check_and_repair
    test_readme_first_steps
    test_check_deleted_reference
    test_errors_in_cli_terms
    test_make_install
    test_golden_vectors
)
selected=(${SECCS_TESTS:-${all_tests[@]}})

for name in "${selected[@]}"; do
    dir=$scratch/$name
    mkdir -p "$dir"
    test_failures=0
    start=$(date +%s.%N)
    (
        cd "$dir" || exit 1
        "$name"
        (( $? == 77 )) && exit 77
        (( test_failures == 0 ))
    ) >"$dir/.log" 2>&1
    code=$?
    elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    if (( code == 77 )); then
        echo "skip $name (${elapsed}s)"
        cat "$dir/.log"
        skipped=$((skipped + 1))
    elif (( code == 0 )); then
        echo "ok   $name (${elapsed}s)"
        passed=$((passed + 1))
    else
        echo "FAIL $name (${elapsed}s)"
        cat "$dir/.log"
        failed=$((failed + 1))
    fi
done

if (( skipped > 0 )); then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
(( failed == 0 ))
