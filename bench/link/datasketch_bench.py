"""The MinHash + LSH stage in Python `datasketch`, on the same texts as `ronda link bench-minhash`.

Per account: text = bio + posts (one piece per line); lower-case, runs of word characters,
word 2-grams (same shingling as the Rust side's `--tokens simple`); MinHash(num_perm) with
`update_batch`; insert into MinHashLSH(threshold, num_perm); then one query per account.
Prints one JSON object: n, median_s, runs_s, candidates, bands/rows chosen by datasketch.
"""
import argparse
import json
import re
import statistics
import time

from datasketch import MinHash, MinHashLSH

TOKEN = re.compile(r"[^\W_]+")


def shingles(text, words):
    out = set()
    for piece in text.split("\n"):
        toks = TOKEN.findall(piece.lower())
        if not toks:
            continue
        w = min(words, len(toks))
        for i in range(len(toks) - w + 1):
            out.add(" ".join(toks[i:i + w]).encode("utf-8"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--words", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()
    texts = []
    with open(a.input, encoding="utf-8") as f:
        for line in f:
            v = json.loads(line)
            texts.append("\n".join([v.get("bio") or ""] + list(v.get("posts") or [])))
            if a.limit and len(texts) >= a.limit:
                break
    times = []
    candidates = 0
    lsh = None
    for _ in range(a.runs):
        t0 = time.perf_counter()
        lsh = MinHashLSH(threshold=a.threshold, num_perm=a.num_perm)
        sigs = []
        with lsh.insertion_session() as session:
            for i, t in enumerate(texts):
                m = MinHash(num_perm=a.num_perm)
                sh = shingles(t, a.words)
                if sh:
                    m.update_batch(list(sh))
                session.insert(i, m, check_duplication=False)
                sigs.append(m)
        candidates = 0
        for m in sigs:
            candidates += len(lsh.query(m))
        times.append(time.perf_counter() - t0)
    print(json.dumps({"n": len(texts), "median_s": statistics.median(times), "runs_s": times,
                      "candidates": candidates, "bands": lsh.b, "rows": lsh.r}))


if __name__ == "__main__":
    main()
