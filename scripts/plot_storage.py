#!/usr/bin/env python3
"""Plot cumulative bytes stored against raw bytes, per release, from benches/storage.rs.

Usage: scripts/plot_storage.py STORAGE_CSV OUTPUT_PNG

STORAGE_CSV is the file that `cargo bench --bench storage -- STORAGE_CSV` writes (as
`make bench-storage` does): one row per release with the cumulative raw bytes and, per
chunk size S, the bytes the backend holds. The plot has one line for the raw bytes and
one per chunk size. Needs matplotlib (for example `python3 -m pip install matplotlib`);
the script installs nothing itself.
"""

import csv
import re
import sys


def read_rows(path):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        sys.exit(f"{path}: no rows; run `make bench-storage` to produce it")
    return rows


def chunk_sizes(header):
    """Returns the chunk sizes named by the stored_bytes_sN columns, in column order."""
    sizes = []
    for column in header:
        match = re.fullmatch(r"stored_bytes_s(\d+)", column)
        if match:
            sizes.append(int(match.group(1)))
    return sizes


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: scripts/plot_storage.py STORAGE_CSV OUTPUT_PNG")
    csv_path, png_path = sys.argv[1], sys.argv[2]

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot
    except ImportError:
        sys.exit("matplotlib is missing: install it with `python3 -m pip install matplotlib`")

    rows = read_rows(csv_path)
    sizes = chunk_sizes(rows[0].keys())
    if not sizes:
        sys.exit(f"{csv_path}: no stored_bytes_sN columns; is it the output of benches/storage.rs?")

    releases = [row["release"] for row in rows]
    positions = range(len(releases))
    mib = 1024 * 1024

    figure, axes = pyplot.subplots(figsize=(10, 5.5))
    raw = [int(row["cumulative_raw_bytes"]) / mib for row in rows]
    axes.plot(positions, raw, color="black", linestyle="--", marker="o", markersize=3, label="raw (cumulative)")
    for size in sizes:
        stored = [int(row[f"stored_bytes_s{size}"]) / mib for row in rows]
        axes.plot(positions, stored, marker="o", markersize=3, label=f"stored, S = {size}")

    axes.set_xticks(list(positions))
    axes.set_xticklabels(releases, rotation=60, ha="right", fontsize=8)
    axes.set_ylabel("MiB")
    axes.set_title("sec-cs (AES_SIV_256): cumulative bytes stored vs raw, releases stored in order")
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(png_path, dpi=110)
    print(f"wrote {png_path}")


if __name__ == "__main__":
    main()
