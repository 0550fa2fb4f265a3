"""Radius-search peers: FAISS IndexBinaryFlat and IndexBinaryMultiHash on the bank and queries
that `index_bench gen` wrote, one thread, checked against ronda-media's results.

FAISS's binary range_search keeps distances strictly below the radius it is given, so radius
r is asked as r + 1. Recall is measured against IndexBinaryFlat (exact) on the queries both ran.

usage: faiss_peer.py DIR RADIUS FLAT_QUERIES MULTIHASH_QUERIES RONDA_RESULTS
prints one JSON object per index.
"""

import json
import sys
import time

import faiss
import numpy as np


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def results(lims, ids):
    return [sorted(ids[lims[i] : lims[i + 1]].tolist()) for i in range(len(lims) - 1)]


def run(name, index, bank, queries, radius, rounds):
    before = rss_mib()
    started = time.perf_counter()
    index.add(bank)
    build = time.perf_counter() - started
    memory = rss_mib() - before
    best = None
    for _ in range(rounds):
        started = time.perf_counter()
        lims, _, ids = index.range_search(queries, radius + 1)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    found = results(lims, ids)
    return found, {
        "impl": name,
        "n": int(bank.shape[0]),
        "queries": int(queries.shape[0]),
        "radius": radius,
        "build_s": round(build, 3),
        "qps": round(queries.shape[0] / best, 1),
        "index_mib_rss_delta": round(memory, 1),
        "bytes_per_hash_rss": round(memory * 2**20 / bank.shape[0], 1),
        "matches": sum(len(f) for f in found),
    }


def main() -> None:
    directory, radius, flat_queries, mh_queries, ronda_path = sys.argv[1:6]
    radius, flat_queries, mh_queries = int(radius), int(flat_queries), int(mh_queries)
    faiss.omp_set_num_threads(1)
    bank = np.fromfile(f"{directory}/bank.bin", dtype=np.uint8).reshape(-1, 32)
    queries = np.fromfile(f"{directory}/queries.bin", dtype=np.uint8).reshape(-1, 32)
    with open(ronda_path) as f:
        ronda = [sorted(int(x) for x in line.split()) for line in f]

    flat_found, flat = run(
        "faiss IndexBinaryFlat", faiss.IndexBinaryFlat(256), bank, queries[:flat_queries], radius, 1
    )
    agree = sum(a == b for a, b in zip(flat_found, ronda))
    flat["ronda_agrees_on_queries"] = f"{agree}/{len(flat_found)}"
    flat["ronda_recall"] = round(
        sum(len(set(a) & set(b)) for a, b in zip(flat_found, ronda))
        / max(1, sum(len(a) for a in flat_found)),
        6,
    )
    print(json.dumps(flat), flush=True)

    mh = faiss.IndexBinaryMultiHash(256, 16, 16)
    mh.nflip = 1  # 16 tables x 16 bits: radius 31 needs one flip per table to be exact
    mh_found, multi = run("faiss IndexBinaryMultiHash(16x16, nflip=1)", mh, bank, queries[:mh_queries], radius, 1)
    multi["recall_vs_flat"] = round(
        sum(len(set(a) & set(b)) for a, b in zip(mh_found, flat_found))
        / max(1, sum(len(a) for a in flat_found)),
        6,
    )
    multi["agrees_with_ronda"] = f"{sum(a == b for a, b in zip(mh_found, ronda))}/{len(mh_found)}"
    print(json.dumps(multi), flush=True)


if __name__ == "__main__":
    main()
