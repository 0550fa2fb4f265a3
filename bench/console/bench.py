"""Console latency with a large store: a reviewer's "Confirm & next" round trip (the form post
and the next case's page) and the queue page, against the API calls doing the same work
(claim, decide, read the next case) measured side by side on the same server and store.

Usage (bench/console/run.sh sets it up): bench.py --ronda BIN --cases N --rounds R --out DIR
"""

import argparse
import http.cookiejar
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

PASSWORD = "correct horse battery staple"

TEMPLATES = [
    "open BO malam ini {p}rb, wa 08{a}-{b}-{c}",
    "ready cewek panggilan area {area}, hubungi 08{a}{b}{c}",
    "slot gacor deposit {p}rb via dana 08{a}-{b}-{c}, pasti wd",
    "jual video viral full durasi, dm @{h}",
    "promo togel 4d hari ini, transfer bca {a}{b}{c}",
]
AREAS = ["jaksel", "jakbar", "bekasi", "depok", "tangerang", "bogor", "bandung", "surabaya"]


def reports(n, seed=7):
    rnd = random.Random(seed)
    for i in range(n):
        t = rnd.choice(TEMPLATES)
        text = t.format(
            p=rnd.randint(2, 9) * 100,
            a=rnd.randint(10, 99),
            b=rnd.randint(1000, 9999),
            c=rnd.randint(1000, 9999),
            area=rnd.choice(AREAS),
            h=f"akun{i}",
        )
        yield {
            "source": rnd.choice(["patrol", "patrol", "public", "police"]),
            "platform": rnd.choice(["michat", "whatsapp", "telegram", "x"]),
            "target": {"account": f"akun_{i:07d}"},
            "text": text,
            "external_id": f"bench-{i}",
        }


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


class Client:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, method, path, form=None, json_body=None, token=None):
        data, headers = None, {}
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["content-type"] = "application/x-www-form-urlencoded"
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["content-type"] = "application/json"
        if token:
            headers["authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()


def csrf_of(body):
    b = body.decode()
    at = b.index('name="csrf" value="') + 19
    return b[at : b.index('"', at)]


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ronda", required=True)
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--out", default="bench/out/console")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="ronda-console-bench-")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    config = os.path.join(work, "ronda.toml")
    with open(config, "w") as f:
        f.write(f'listen = "127.0.0.1:{port}"\ndata_dir = "{work}/data"\n[console]\nsign_in_per_minute = 100000\n')
    env = dict(os.environ, RONDA_CONFIG=config, RONDA_LOG="warn")

    def cli(*args, stdin=None):
        out = subprocess.run([a.ronda, *args], env=env, input=stdin, capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"ronda {' '.join(args)}: {out.stderr}")
        return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""

    token = cli("token", "create", "--role", "analyst", "--name", "bench-api")
    cli("user", "create", "--name", "ana", "--role", "analyst", "--password-stdin", stdin=PASSWORD + "\n")
    jsonl = os.path.join(work, "reports.jsonl")
    with open(jsonl, "w") as f:
        for r in reports(a.cases):
            f.write(json.dumps(r) + "\n")
    t0 = time.time()
    cli("import", "reports", jsonl, "--chunk", "5000")
    load_s = time.time() - t0
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([a.ronda, "serve"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except Exception:
            time.sleep(0.1)
    try:
        c = Client(base)
        st, _, body = c.request("GET", "/login")
        st, h, _ = c.request("POST", "/login", form={"csrf": csrf_of(body), "username": "ana", "password": PASSWORD})
        assert st == 303, st
        st, _, body = c.request("GET", "/queue")
        assert st == 200
        csrf = csrf_of(body)
        counts = body.decode().split('class="counts" role="status">')[1].split("<")[0]

        # The queue page, warm.
        queue_ms = []
        for _ in range(a.rounds):
            t = time.perf_counter()
            st, _, _ = c.request("GET", "/queue")
            queue_ms.append((time.perf_counter() - t) * 1000)
            assert st == 200

        # Confirm & next: the form post (decide, claim the next) and the next case's page.
        st, h, _ = c.request("POST", "/queue/next", form={"csrf": csrf})
        assert st == 303, st
        current = h["location"]
        c.request("GET", current)
        console_ms = []
        for _ in range(a.rounds):
            t = time.perf_counter()
            st, h, _ = c.request(
                "POST",
                current + "/decision",
                form={"csrf": csrf, "action": "confirm_next", "category": "", "legal_basis": "uu_ite_27_1", "note": ""},
            )
            assert st == 303, (st, current)
            current = h["location"]
            st, _, _ = c.request("GET", current)
            console_ms.append((time.perf_counter() - t) * 1000)
            assert st == 200

        # The same work through the API: decide, read the queue's next, claim it, read it.
        api = Client(base)
        st, _, body = api.request("GET", "/api/v1/queue?limit=1", token=token)
        case = json.loads(body)["cases"][0]["id"]
        api.request("POST", f"/api/v1/cases/{case}/claim", token=token)
        api_ms = []
        for _ in range(a.rounds):
            t = time.perf_counter()
            st, _, _ = api.request(
                "POST", f"/api/v1/cases/{case}/decision", json_body={"decision": "confirm", "legal_basis": "uu_ite_27_1"}, token=token
            )
            assert st == 200, st
            st, _, body = api.request("GET", "/api/v1/queue?limit=1", token=token)
            case = json.loads(body)["cases"][0]["id"]
            st, _, _ = api.request("POST", f"/api/v1/cases/{case}/claim", token=token)
            assert st == 200, st
            st, _, _ = api.request("GET", f"/api/v1/cases/{case}", token=token)
            api_ms.append((time.perf_counter() - t) * 1000)

        api_queue_ms = []
        for _ in range(a.rounds):
            t = time.perf_counter()
            api.request("GET", "/api/v1/queue?limit=50", token=token)
            api_queue_ms.append((time.perf_counter() - t) * 1000)
    finally:
        server.terminate()
        server.wait(20)

    def summary(xs):
        return {"p50_ms": round(statistics.median(xs), 2), "p95_ms": round(pct(xs, 0.95), 2), "n": len(xs)}

    result = {
        "cases": a.cases,
        "load_s": round(load_s, 1),
        "queue_counts": counts,
        "confirm_and_next": summary(console_ms),
        "api_decide_claim_next_read": summary(api_ms),
        "queue_page": summary(queue_ms),
        "api_queue": summary(api_queue_ms),
    }
    result["ratio_confirm_next_vs_api_p50"] = round(result["confirm_and_next"]["p50_ms"] / result["api_decide_claim_next_read"]["p50_ms"], 2)
    result["ratio_queue_page_vs_api_p50"] = round(result["queue_page"]["p50_ms"] / result["api_queue"]["p50_ms"], 2)
    print(json.dumps(result, indent=2))
    with open(os.path.join(a.out, "result.json"), "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
