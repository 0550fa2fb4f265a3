#!/usr/bin/env python3
"""The peer a user would otherwise pick: scikit-learn HashingVectorizer(char_wb, 2-5) + SGDClassifier.

Trains on the same generated corpus (not timed), then times, on the bench posts, JSON decoding plus
transform + predict_proba, in one process (scikit-learn's transform is single-threaded).
Prints one JSON line: {"posts": N, "wall": [...s...], "cpu": [...s...], "median_wall_s", "median_cpu_s"}
(CPU time of this process, all threads, is the fair per-core measure on a shared machine).
"""

import argparse
import json
import statistics
import time

from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--posts", required=True)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    texts, labels = [], []
    with open(args.train, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            texts.append(d["text"])
            labels.append(d["label"])
    vec = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=2**18, alternate_sign=False)
    clf = SGDClassifier(loss="log_loss", random_state=0, max_iter=5, tol=None)
    clf.fit(vec.transform(texts), labels)
    with open(args.posts, encoding="utf-8") as f:
        raw = f.read().splitlines()
    wall, cpu = [], []
    for _ in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        posts = [json.loads(l)["text"] for l in raw]
        X = vec.transform(posts)
        clf.predict_proba(X)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(json.dumps({"posts": len(raw), "wall": wall, "cpu": cpu,
                      "median_wall_s": statistics.median(wall), "median_cpu_s": statistics.median(cpu)}))


if __name__ == "__main__":
    main()
