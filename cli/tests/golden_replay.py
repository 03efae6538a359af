#!/usr/bin/env python3
"""Replay the store scenarios of the Python package seccs 0.0.5 through the seccs program.

Usage: golden_replay.py GOLDEN_DIR SECCS_COMMAND...

Each scenario of GOLDEN_DIR/store.jsonl starts with `seccs init` on a fresh store with
the scenario's wrapper, key, chunk size and chunking. Every put and delete runs through
the program, and after each step the SQLite entries table must hold exactly the node and
reference count entries that the Python package left in its backend. This checks that
the program hands its configuration and key to libseccs unchanged and that the SQLite
backend stores what libseccs gives it.

Steps with ignore_rc have no command-line equivalent, so a scenario stops at its first
such step. Prints one line per failure and a summary; exits 1 if anything differed.
"""

import hashlib
import json
import os
import sqlite3
import struct
import subprocess
import sys
import tempfile

CHUNKING = {
    "rabin_karp_48_0": "rabin-karp:48:0",
    "rabin_karp_48_alt": "rabin-karp:48:12345",
    "rabin_karp_16_7": "rabin-karp:16:7",
    "static": "static",
}


def digest_size(wrapper):
    return 16 if wrapper.startswith("AES_SIV") else 32


def fingerprint(db_path, node_key_size):
    """Returns the backend summary in the vectors' terms for the store at db_path."""
    with sqlite3.connect(db_path) as db:
        rows = sorted(db.execute("SELECT key, value FROM entries"))
    nodes = [(k, v) for k, v in rows if len(k) == node_key_size]
    counts = [(k, v) for k, v in rows if len(k) == node_key_size + 1]

    node_hash = hashlib.sha256()
    for key, value in nodes:
        node_hash.update(struct.pack("<I", len(key)) + key + struct.pack("<I", len(value)) + value)
    count_hash = hashlib.sha256()
    for key, value in counts:
        count_hash.update(struct.pack("<I", len(key)) + key + struct.pack("<Q", int(value)))

    return {
        "node_count": len(nodes),
        "node_bytes": sum(len(k) + len(v) for k, v in nodes),
        "nodes_sha256": node_hash.hexdigest(),
        "refcount_count": len(counts),
        "refcounts_sha256": count_hash.hexdigest(),
        "other_entries": len(rows) - len(nodes) - len(counts),
    }


def run(command, *args):
    result = subprocess.run(command + list(args), capture_output=True, text=True)
    return result.returncode, result.stdout, result.stderr


def replay(scenario, golden_dir, seccs, work):
    """Replays one scenario; returns (steps checked, steps skipped, failure messages)."""
    name = f"{scenario['name']}/{scenario['crypto_wrapper']}"
    store = os.path.join(work, "store")
    init_args = ["init", store, "--wrapper", scenario["crypto_wrapper"],
                 "--chunk-size", str(scenario["chunk_size"]),
                 "--chunking", CHUNKING[scenario["chunking"]]]
    # Every command names the key file, which exercises --key-file over STORE.key.
    key_args = []
    if scenario["key"] is not None:
        key_path = os.path.join(work, "key")
        with open(key_path, "wb") as key_file:
            key_file.write(bytes.fromhex(scenario["key"]))
        key_args = ["--key-file", key_path]
    init_args += key_args

    code, _, err = run(seccs, *init_args)
    if code != 0:
        return 0, 0, [f"{name}: init failed with exit code {code}: {err.strip()}"]

    references = {}
    failures = []
    checked = 0
    steps = scenario["steps"]
    for index, step in enumerate(steps):
        where = f"{name} step {index} ({step['op']} {step.get('label', '')})"
        if step.get("ignore_rc"):
            return checked, len(steps) - index, failures

        if step["op"] == "put":
            content = os.path.join(golden_dir, "contents", step["content"])
            code, out, err = run(seccs, "put", store, content, *key_args)
            if code != 0:
                failures.append(f"{where}: exit code {code}: {err.strip()}")
                return checked, 0, failures
            reference, status, _growth, _file = out.rstrip("\n").split("\t")
            references[step["label"]] = reference
            if reference != step["digest"]:
                failures.append(f"{where}: reference {reference}, expected {step['digest']}")
            expected_status = "new" if step["is_new"] else "existing"
            if status != expected_status:
                failures.append(f"{where}: {status}, expected {expected_status}")
        else:
            code, _, err = run(seccs, "delete", store, references[step["label"]], *key_args)
            if code != 0:
                failures.append(f"{where}: exit code {code}: {err.strip()}")
                return checked, 0, failures

        actual = fingerprint(store, digest_size(scenario["crypto_wrapper"]))
        expected = {key: step["db"][key] for key in
                    ("node_count", "node_bytes", "nodes_sha256", "refcount_count",
                     "refcounts_sha256")}
        expected["other_entries"] = 0
        if actual != expected:
            failures.append(f"{where}: backend {actual}, expected {expected}")
        checked += 1
    return checked, 0, failures


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: golden_replay.py GOLDEN_DIR SECCS_COMMAND...")
    golden_dir = sys.argv[1]
    seccs = sys.argv[2:]

    with open(os.path.join(golden_dir, "store.jsonl")) as vectors:
        scenarios = [json.loads(line) for line in vectors if line.strip()]

    checked = skipped = 0
    failures = []
    for scenario in scenarios:
        with tempfile.TemporaryDirectory(prefix="seccs-golden-") as work:
            scenario_checked, scenario_skipped, scenario_failures = replay(
                scenario, golden_dir, seccs, work)
        checked += scenario_checked
        skipped += scenario_skipped
        failures += scenario_failures

    for failure in failures:
        print(failure)
    print(f"golden: {len(scenarios)} scenarios, {checked} steps matched the Python package "
          f"seccs 0.0.5, {skipped} ignore_rc steps skipped, {len(failures)} mismatches")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
