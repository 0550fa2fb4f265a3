"""End-to-end tests of the console in a real browser: Playwright driving Debian's Chromium.

Started by scripts/console_e2e.sh, which installs what it needs. This script starts `ronda
serve` on a fresh SQLite data directory, makes users with the CLI and reports with the API,
then walks the flows of the team in the browser: sign in, review and confirm a case to its
notice, see a re-created account's evidence, approve as a supervisor, switch language, and
check that a platform user cannot open the team's pages; then a citizen on a phone-sized
screen files a report with a screenshot and follows it to "removed" after the team acts, and
the public forms refuse a missing token and an oversized upload; a platform user answers a
notice and cannot open another platform's; a police investigator downloads a bundle that
verifies with `ronda evidence verify` and asks the team a question; mail goes through a real SMTP
server on 127.0.0.1 (aiosmtpd): the citizen who left an address hears of verification and of the
removal, with a link back to the status page, and a platform with a notice address hears of its
new notice; then the public pages and the portals once more in English. On every page it runs axe-core
(injected by the test) and fails on any violation of impact "serious" or "critical"; it also
fails on any Content-Security-Policy violation the browser reports. Screenshots of each page
go to target/console-shots/. Exit status: 0 when every check passed.
"""

import argparse
import email
import email.policy
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from aiosmtpd.controller import Controller
from playwright.sync_api import sync_playwright

PASSWORD = "correct horse battery staple"


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    print(f"  ok  {what}")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class MailSink:
    """The mail relay: aiosmtpd on 127.0.0.1, keeping every message it is handed."""

    def __init__(self):
        self.port = free_port()
        self.messages = []
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def wait_for(self, to, contains, timeout=20):
        """The (subject, body) of the first message to `to` whose text holds `contains`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                for rcpts, msg in self.messages:
                    if to in rcpts:
                        subject = str(msg["subject"])
                        body = msg.get_body(preferencelist=("plain",)).get_content()
                        if contains in subject + "\n" + body:
                            return subject, body
            time.sleep(0.1)
        with self.lock:
            seen = [(r, str(m["subject"])) for r, m in self.messages]
        raise Failure(f"no mail to {to} with {contains!r} within {timeout} s; the relay got {seen}")

    def count_to(self, to):
        with self.lock:
            return sum(1 for rcpts, _ in self.messages if to in rcpts)


class Server:
    def __init__(self, ronda, work, smtp_port):
        self.ronda = ronda
        self.work = work
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.config = os.path.join(work, "ronda.toml")
        with open(self.config, "w") as f:
            f.write(
                f'listen = "127.0.0.1:{self.port}"\n'
                f'data_dir = "{work}/data"\n'
                'approval_categories = ["gambling"]\n'
                "outbound_public = false\n"
                f'outbound_allow = ["127.0.0.1:9", "127.0.0.1:{smtp_port}"]\n'
                "[console]\n"
                "report_form_min_seconds = 1\n"
                "report_form_upload_kib = 64\n"
                "[mail]\n"
                f'relay = "127.0.0.1:{smtp_port}"\n'
                'security = "none"\n'
                'from = "Patroli Konten <patroli@ronda.test>"\n'
                f'public_url = "{self.base}"\n'
                "interval_ms = 200\n"
            )
        self.env = dict(os.environ, RONDA_CONFIG=self.config, RONDA_LOG="warn")
        self.proc = None

    def cli(self, *args, stdin=None):
        out = subprocess.run(
            [self.ronda, *args], env=self.env, input=stdin, capture_output=True, text=True
        )
        if out.returncode != 0:
            raise Failure(f"ronda {' '.join(args)}: {out.stderr}")
        return out.stdout.strip().splitlines()[-1]

    def start(self):
        self.admin = self.cli("token", "create", "--role", "admin", "--name", "e2e")
        self.log = open(os.path.join(self.work, "server.log"), "w")
        self.proc = subprocess.Popen([self.ronda, "serve"], env=self.env, stdout=self.log, stderr=self.log)
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=1)
                return
            except Exception:
                time.sleep(0.1)
        raise Failure("the server did not start")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)

    def api(self, method, path, body=None, token=None):
        req = urllib.request.Request(
            f"{self.base}/api/v1{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"authorization": f"Bearer {token or self.admin}", "content-type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def user(self, name, role, *extra):
        self.cli("user", "create", "--name", name, "--role", role, "--password-stdin", *extra, stdin=PASSWORD + "\n")

    def report(self, account, text, source="patrol", category=None):
        body = {"source": source, "platform": "michat", "target": {"account": account}, "text": text}
        if category:
            body["category"] = category
        return self.api("POST", "/reports", body)["case_id"]


class Run:
    """The browser side: pages, screenshots, axe, CSP violations."""

    def __init__(self, server, browser, axe_source, shots):
        self.server = server
        self.browser = browser
        self.axe = axe_source
        self.shots = shots
        self.axe_summary = {}
        self.csp_violations = []

    def context(self, locale="id-ID", phone=False):
        if phone:
            ctx = self.browser.new_context(
                locale=locale, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
            )
        else:
            ctx = self.browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        page.on(
            "console",
            lambda m: self.csp_violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        return ctx, page

    def goto(self, page, path):
        page.goto(self.server.base + path)

    def audit(self, page, name):
        """Screenshot and axe-core on the page as it is now."""
        page.screenshot(path=os.path.join(self.shots, f"{name}.png"), full_page=True)
        # Evaluated through the DevTools protocol, not as a page script: the page's CSP
        # (no inline script) stays on for everything else.
        page.evaluate(self.axe + "\n;0")
        result = page.evaluate("() => axe.run(document)")
        counts = {"rules_passed": len(result["passes"])}
        bad = []
        for v in result["violations"]:
            counts[v["impact"]] = counts.get(v["impact"], 0) + len(v["nodes"])
            if v["impact"] in ("serious", "critical"):
                bad.append(f'{v["id"]} ({v["impact"]}): {v["help"]} — {[n["target"] for n in v["nodes"]][:3]}')
        self.axe_summary[name] = counts
        check(not bad, f"axe on {name}: no serious or critical violation {bad}")

    def sign_in(self, page, name, expect_path):
        self.goto(page, "/login")
        page.get_by_label("Nama pengguna").fill(name)
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url(f"**{expect_path}")


def flows(run, s):
    # Data: a prostitution ad, a gambling ad (its confirmation needs approval), and a police
    # report of child exploitation (urgent, its text veiled).
    ad = s.report("rina22", "open BO malam ini 500rb, wa 0812-3456-7890")
    gamble = s.report("judi88", "slot gacor deposit 10rb via dana 0813-1111-2222, pasti wd")
    child = s.report("hidden1", "teks laporan polisi yang disembunyikan", source="police", category="child_exploitation")
    s.user("ana", "analyst")
    s.user("sari", "supervisor")
    s.user("mitra", "platform", "--platform", "michat")
    s.user("root", "admin")
    platform_token = s.cli("token", "create", "--role", "platform", "--platform", "michat", "--name", "michat-e2e")

    print("sign-in page")
    ctx, page = run.context()
    run.goto(page, "/login")
    for label in ("Nama pengguna", "Kata sandi"):
        check(page.get_by_label(label).count() == 1, f"the form has a field labelled {label}")
    check(page.get_by_role("button", name="Masuk").count() == 1, "the form has a 'Masuk' button")
    run.audit(page, "login")
    page.get_by_label("Nama pengguna").fill("ana")
    page.get_by_label("Kata sandi").fill("not the password")
    page.get_by_role("button", name="Masuk").click()
    check(page.locator("#login-error").inner_text() == "Nama pengguna atau kata sandi salah.", "a wrong password is refused plainly")
    run.audit(page, "login-refused")

    print("the queue, as an analyst")
    run.sign_in(page, "ana", "/queue")
    check(page.locator("h1").inner_text() == "Antrean verifikasi", "the queue opens after sign-in")
    rows = page.locator("#queue tbody tr")
    check(rows.count() == 3, "three cases wait")
    check(rows.first.get_attribute("data-href") == f"/cases/{child}", "the child-safety case is first")
    check("Disembunyikan" in rows.first.inner_text(), "its text is veiled in the queue")
    run.audit(page, "queue")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/{child}")
    check(True, "j, j, k, Enter opens the first case")

    print("a child-safety case: veiled until shown")
    check(page.locator("#veil").count() == 1, "the text is veiled")
    check("teks laporan polisi" not in page.content(), "the text is not in the page")
    run.audit(page, "case-veiled")
    page.locator("#unveil").click()
    check("teks laporan polisi" in page.content(), "'show' reveals it")

    print("start reviewing, confirm & next")
    run.goto(page, "/queue")
    page.get_by_role("button", name="Mulai meninjau").click()
    page.wait_for_url(f"**/cases/{child}")
    check("Anda menangani kasus ini" in page.locator("#claim-state").inner_text(), "start reviewing claims the first case")
    page.get_by_label("Kategori").select_option("child_exploitation")
    page.get_by_label("Dasar hukum").select_option("uu_35_2014")
    page.get_by_role("button", name="Konfirmasi & berikutnya").click()
    page.wait_for_url("**/cases/*")
    nxt = int(page.url.rsplit("/", 1)[1])
    check(nxt in (ad, gamble), f"confirm & next opens the next case (#{nxt})")
    check("Anda menangani kasus ini" in page.locator("#claim-state").inner_text(), "and claims it")

    print("a case to its notice")
    run.goto(page, f"/cases/{ad}")
    if page.locator("#claim").count():
        page.locator("#claim").click()
    marks = page.locator("blockquote.text mark")
    check(marks.count() >= 2, "the detected words are highlighted")
    check("aturan prostitution" in marks.first.get_attribute("title"), "with the rule that fired")
    check("+6281234567890" in page.content(), "the phone number in E.164")
    run.audit(page, "case")
    page.get_by_role("button", name="Konfirmasi", exact=True).click()
    check(page.locator("#decision-error").inner_text() == "Konfirmasi memerlukan dasar hukum.", "without a legal basis the refusal says why")
    page.get_by_label("Dasar hukum").select_option("uu_ite_27_1")
    page.get_by_role("button", name="Konfirmasi", exact=True).click()
    page.wait_for_url(f"**/cases/{ad}?decided=*")
    check(page.locator("#case-status").inner_text() == "surat terkirim", "the confirmation issued the notice")
    page.wait_for_function("() => document.querySelector('.countdown') && /sisa \\d+:\\d\\d:\\d\\d/.test(document.querySelector('.countdown').textContent)")
    check(True, "the deadline counts down")
    run.audit(page, "case-notice")

    print("a gambling confirmation waits for a supervisor")
    run.goto(page, f"/cases/{gamble}")
    if page.locator("#claim").count():
        page.locator("#claim").click()
    page.get_by_label("Kategori").select_option("gambling")
    page.get_by_label("Dasar hukum").select_option("uu_ite_27_2")
    page.get_by_label("Catatan").fill("slot site, dana number")
    page.get_by_role("button", name="Konfirmasi", exact=True).click()
    page.wait_for_url(f"**/cases/{gamble}?decided=*")
    check(page.locator("#case-status").inner_text() == "menunggu persetujuan", "it awaits approval")

    print("a re-created account")
    notice_id = [n for n in s.api("GET", "/notices")["notices"] if n["case_id"] == ad][0]["id"]
    s.api("POST", f"/platform/notices/{notice_id}/response", {"action": "removed"}, token=platform_token)
    s.api("POST", f"/cases/{ad}/recheck", {"result": "removed"})
    again = s.report("rina_baru", "avail malam ini, hubungi wa 0812 3456 7890")
    run.goto(page, f"/cases/{again}")
    text = page.locator("section.recreation").inner_text()
    check("Membuat ulang michat:rina22, diturunkan pada" in text and "uu_ite_27_1" in text, f"the evidence names the taken-down account: {text!r}")
    run.audit(page, "case-recreation")

    print("the other pages of the team")
    actor = s.api("GET", f"/cases/{again}")["actor"]
    run.goto(page, f"/actors/{actor}")
    check(page.locator("svg.graph line.edge").count() >= 1, "the actor's evidence is drawn as a graph")
    check("michat:rina22" in page.locator("#accounts-h + table").inner_text(), "with its taken-down account")
    run.audit(page, "actor")
    run.goto(page, "/notices")
    rows = page.locator("#notices tbody tr")
    check(rows.count() == 2, "two notices are listed")
    run.audit(page, "notices")
    run.goto(page, "/search")
    page.get_by_label("URL, akun, nomor telepon atau hash PDQ").fill("+62 812-3456-7890")
    page.get_by_role("button", name="Cari").click()
    check(page.locator("table.cases tbody tr").count() == 2, "a phone in another form finds both accounts' cases")
    run.audit(page, "search")
    run.goto(page, "/banks")
    run.audit(page, "banks")
    run.goto(page, "/stats?group_by=platform")
    check(page.locator("#stats").count() == 1 and page.locator("figure.chart rect").count() >= 2, "the statistics with a chart")
    run.audit(page, "stats")

    print("switch language")
    run.goto(page, f"/cases/{again}")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(f"**/cases/{again}")
    check(page.locator("h1").inner_text() == f"Case #{again}", "the page is in English")
    check("Re-creates michat:rina22, taken down on" in page.locator("section.recreation").inner_text(), "the evidence too")
    run.goto(page, "/queue")
    check(page.locator("h1").inner_text() == "Verification queue", "the choice is kept")
    run.audit(page, "queue-en")
    page.get_by_role("link", name="Bahasa Indonesia").click()
    check(page.locator("h1").inner_text() == "Antrean verifikasi", "and switched back")
    run.goto(page, "/account")
    run.audit(page, "account")
    run.goto(page, "/account/password")
    run.audit(page, "password")
    run.goto(page, "/account/totp")
    check(page.locator("#totp-secret").count() == 1, "the second factor can be set up")
    run.audit(page, "totp")
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url("**/login")
    check(True, "sign-out")
    ctx.close()

    print("approve as a supervisor")
    ctx, page = run.context()
    run.sign_in(page, "sari", "/queue")
    page.get_by_role("link", name="Persetujuan").click()
    check(page.locator("article").count() == 1, "one confirmation awaits approval")
    check("user:ana" in page.locator("article").inner_text(), "with who confirmed it")
    run.audit(page, "approvals")
    page.locator(f"#send-back-{gamble}").click()
    check(page.url.endswith("/approvals"), "a send-back without a reason is stopped by the browser")
    page.locator(f"#approve-{gamble}").click()
    page.wait_for_url("**/approvals?done=approved")
    check("Disetujui" in page.locator(".notice").inner_text(), "approved: the notice is issued")
    status = s.api("GET", f"/cases/{gamble}")["status"]
    check(status == "notice_sent", f"the API agrees ({status})")
    ctx.close()

    print("an admin's pages")
    ctx, page = run.context()
    run.sign_in(page, "root", "/queue")
    run.goto(page, "/admin/users")
    page.get_by_label("Nama pengguna").fill("budi")
    page.get_by_label("Peran").select_option("analyst")
    page.get_by_role("button", name="Buat").click()
    secret = page.locator("#secret-value").inner_text()
    check(len(secret) == 20, "a new user's one-time password is shown once")
    run.audit(page, "admin-users")
    run.goto(page, "/admin/tokens")
    run.audit(page, "admin-tokens")
    run.goto(page, "/admin/platforms")
    run.audit(page, "admin-platforms")
    run.goto(page, "/admin/platforms/michat")
    run.audit(page, "admin-platform")
    run.goto(page, "/patrol")
    page.get_by_label("Nama", exact=True).fill("Forum uji")
    page.get_by_label("URL awal", exact=True).fill("http://127.0.0.1:9/forum")
    page.get_by_label("Setiap", exact=True).fill("6h")
    page.get_by_role("button", name="Tambah daftar pantauan").click()
    check("Forum uji" in page.locator("#watchlists").inner_text(), "an admin adds a watch list from the patrol page")
    page.get_by_role("button", name="Abaikan robots.txt").click()
    check("diabaikan" in page.locator("#watchlists").inner_text(), "and lets it ignore robots.txt")
    run.audit(page, "patrol")
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/patrol")
    check(page.locator("h1").inner_text() == "Patrol" and "Forum uji" in page.locator("#watchlists").inner_text(), "the patrol page in English")
    run.audit(page, "patrol-en")
    page.get_by_role("link", name="Bahasa Indonesia").click()
    ctx.close()
    # The new user signs in with it and must choose a password first.
    ctx, page = run.context()
    run.goto(page, "/login")
    page.get_by_label("Nama pengguna").fill("budi")
    page.get_by_label("Kata sandi").fill(secret)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/account/password")
    check(True, "a one-time password leads to choosing one's own")
    ctx.close()

    print("a platform user cannot open the team's pages")
    ctx, page = run.context()
    run.sign_in(page, "mitra", "/platform")
    for path in ("/queue", f"/cases/{ad}", "/approvals", "/notices", "/banks", "/patrol", "/stats", "/admin/users"):
        resp = page.goto(s.base + path)
        check(resp.status == 403 and "Halaman ini bukan untuk peran Anda" in page.content(), f"{path} is refused")
    run.audit(page, "forbidden")
    ctx.close()

    print("the page's own safety")
    ctx, page = run.context()
    resp = page.goto(s.base + "/login")
    h = resp.headers
    check("script-src 'self'" in h["content-security-policy"] and "unsafe-inline" not in h["content-security-policy"], "CSP without inline script")
    check(h["x-frame-options"] == "DENY", "X-Frame-Options: DENY")
    check(h["referrer-policy"] == "same-origin", "Referrer-Policy")
    try:
        page.add_script_tag(content="window.__inline = 1")
    except Exception:
        pass
    check(page.evaluate("() => window.__inline") is None, "an inline script does not run")
    run.csp_violations = [v for v in run.csp_violations if "__inline" not in v and "inline" not in v]
    ctx.close()


def png(side, seed):
    """A small PNG made here (a gradient), for the screenshot upload."""
    import struct
    import zlib

    rows = b"".join(
        b"\x00" + bytes(((x * 7 + seed) % 256, (y * 5) % 256, (x + y + seed) % 256)[c] for x in range(side) for c in range(3))
        for y in range(side)
    )

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def public_flows(run, s):
    """A citizen on a phone reports, and follows the report to "removed" after the team acts."""
    print("the public report form, on a 390x844 phone screen")
    ctx, page = run.context(phone=True)
    run.goto(page, "/lapor")
    for label in ("Platform", "Akun atau URL", "Apa yang Anda lihat?"):
        check(page.get_by_label(label, exact=True).count() == 1, f"the form has a field labelled {label}")
    check(page.get_by_role("group", name="Kategori").count() == 1, "the categories are a group labelled Kategori")
    check(page.get_by_role("button", name="Kirim laporan").count() == 1, "the form has a 'Kirim laporan' button")
    check(page.evaluate("() => document.documentElement.scrollWidth") <= 390, "nothing is wider than the phone")
    run.audit(page, "lapor")
    page.get_by_label("Platform", exact=True).select_option("michat")
    page.get_by_label("Akun atau URL").fill("@melati_vcs")
    page.get_by_label("Prostitusi atau jual-beli seks (open BO, VCS berbayar)").check()
    page.get_by_label("Apa yang Anda lihat?").fill("Akun ini menawarkan open BO dan VCS berbayar, wa 0857-1234-5678")
    page.get_by_label("Tangkapan layar (tidak wajib)").set_input_files(
        files=[{"name": "layar.png", "mimeType": "image/png", "buffer": png(48, 3)}]
    )
    check("saat laporan diverifikasi dan saat selesai" in page.content(), "the form says an address gets mail")
    page.get_by_label("E-mail atau nomor telepon").fill("warga.satu@example.org")
    page.get_by_label("Saya menyatakan laporan ini benar sepanjang pengetahuan saya.").check()
    time.sleep(1.1)  # a person takes longer than the form's minimum
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_selector("#tracking-code")
    code = page.locator("#tracking-code").inner_text()
    check(len(code) == 14 and code.count("-") == 2, f"the report is sent and shows its tracking code {code}")
    run.audit(page, "lapor-sent")
    cases = s.api("GET", "/cases?status=new")["cases"]
    case = next(c["id"] for c in cases if "melati_vcs" in json.dumps(c["target"]))
    reports = s.api("GET", f"/cases/{case}/reports")["reports"]
    check(reports[0]["media"][0]["pdq"] and reports[0]["source"] == "public", "the screenshot arrived as hashes only")

    print("the status page follows it as the team acts")
    run.goto(page, "/lapor/status")
    check(page.get_by_label("Kode pelacakan").count() == 1, "the status form asks for the Kode pelacakan")
    run.audit(page, "lapor-status-form")
    page.get_by_label("Kode pelacakan").fill(code.lower().replace("-", ""))
    page.get_by_role("button", name="Cek").click()
    check("Tahap sekarang: Diterima" in page.content(), "lower case without dashes finds it: received")
    s.api("POST", f"/cases/{case}/claim", {})
    decided = s.api("POST", f"/cases/{case}/decision", {"decision": "confirm", "category": "prostitution", "legal_basis": "uu_ite_27_1"})
    platform = s.cli("token", "create", "--role", "platform", "--platform", "michat", "--name", "michat-public-e2e")
    print("the citizen who left an address is mailed at verification")
    subject, body = run.mail.wait_for("warga.satu@example.org", "sudah diverifikasi")
    link = f"{s.base}/lapor/status?code={code}"
    check(code in subject and "Your report" in subject, f"the subject names the code, in both languages: {subject}")
    check(link in body and "Platform diminta bertindak" in body and "-- English --" in body, "the body says the stage, both languages, and links to the status page")
    check("melati" not in body and "0857" not in body and "uu_ite" not in body, "and nothing else about the case")
    s.api("POST", f"/platform/notices/{decided['notice_id']}/response", {"action": "removed", "reason": "akun ditutup"}, token=platform)
    s.api("POST", f"/cases/{case}/recheck", {"result": "removed"})
    print("and at completion")
    subject, body = run.mail.wait_for("warga.satu@example.org", "Konten diturunkan")
    check(code in subject and "akun ditutup" not in body, f"the completion mail: {subject}")
    run.goto(page, link.replace(s.base, ""))
    check(page.get_by_label("Kode pelacakan").input_value() == code, "the mail's link fills in the tracking code")
    page.get_by_role("button", name="Cek").click()
    check("Tahap sekarang: Konten diturunkan" in page.content(), "and one press shows the report removed")
    time.sleep(0.5)
    check(run.mail.count_to("warga.satu@example.org") == 2, "two messages in all: verification and completion")
    page.get_by_label("Kode pelacakan").fill(code)
    page.get_by_role("button", name="Cek").click()
    content = page.content()
    check("Tahap sekarang: Konten diturunkan" in content, "after the team acts: removed")
    for stage in ("Diterima", "Sedang diverifikasi", "Platform diminta bertindak", "Konten diturunkan"):
        check(page.locator("ol.stages").get_by_text(stage).count() >= 1, f"the stage '{stage}' is shown with its date")
    check("akun ditutup" not in content and "melati" not in content, "nothing else about the case is shown")
    check(page.evaluate("() => document.documentElement.scrollWidth") <= 390, "the status page fits the phone")
    run.audit(page, "lapor-status")
    ctx.close()

    print("the public forms refuse a missing token and an oversized upload, plainly")
    ctx, page = run.context(phone=True)
    run.goto(page, "/lapor")
    page.locator("#platform").select_option("whatsapp")
    page.locator("#target").fill("@tanpa_token")
    page.locator("#category-gambling").check()
    page.locator("#seen").fill("slot gacor")
    page.locator("#consent").check()
    page.evaluate("() => document.querySelector('input[name=form_token]').remove()")
    time.sleep(1.1)
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_load_state()
    check("Formulir ini tidak berasal dari halaman kami" in page.content(), "the report form without its token is refused")
    run.audit(page, "lapor-refused")
    run.goto(page, "/lapor")
    page.locator("#platform").select_option("whatsapp")
    page.locator("#target").fill("@besar")
    page.locator("#category-gambling").check()
    page.locator("#seen").fill("slot gacor")
    page.locator("#consent").check()
    page.locator("#screenshot").set_input_files(
        files=[{"name": "besar.png", "mimeType": "image/png", "buffer": b"\x89PNG" + bytes(100 * 1024)}]
    )
    time.sleep(1.1)
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_load_state()
    check("Tangkapan layar paling besar 64 KB" in page.content(), "an oversized screenshot is refused with the limit")
    check(page.locator("#target").input_value() == "@besar", "what was typed is kept")
    run.audit(page, "lapor-too-large")
    run.goto(page, "/lapor/status")
    page.evaluate("() => document.querySelector('input[name=form_token]').remove()")
    page.get_by_label("Kode pelacakan").fill(code)
    page.get_by_role("button", name="Cek").click()
    page.wait_for_load_state()
    check("Formulir ini tidak berasal dari halaman kami" in page.content(), "the status form without its token is refused")
    ctx.close()


def portal_flows(run, s):
    """A platform's staff answer a notice in the portal and cannot open another platform's."""
    print("the platform portal")
    s.user("wa", "platform", "--platform", "whatsapp")
    ctx, page = run.context()
    run.sign_in(page, "mitra", "/platform")
    check(page.locator("h1").inner_text() == "Permintaan penurunan untuk michat", "a platform user lands on its notices")
    rows = page.locator("#notices tbody tr")
    check(rows.count() >= 1, "its notices are listed")
    run.audit(page, "platform")
    link = rows.first.locator("a").first
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(f"**{href}")
    check(page.get_by_role("button", name="Sudah diturunkan").count() == 1, "the notice has a 'Sudah diturunkan' button")
    check(page.get_by_role("button", name="Ditolak").count() == 1 and page.get_by_role("button", name="Dibantah").count() == 1, "and 'Ditolak', 'Dibantah'")
    run.audit(page, "platform-notice")
    page.get_by_role("button", name="Dibantah").click()
    page.wait_for_load_state()
    check("Tuliskan alasan untuk penolakan atau bantahan." in page.content(), "a dispute without its reason is refused plainly")
    page.get_by_label("Alasan atau catatan").fill("akun sudah kami tutup pukul 10.00")
    page.get_by_role("button", name="Sudah diturunkan").click()
    page.wait_for_load_state()
    check("Jawaban tercatat: sudah diturunkan." in page.content(), "the answer 'removed' is recorded")
    notice_id = int(href.rsplit("/", 1)[1])
    check(s.api("GET", f"/notices/{notice_id}")["status"] == "removal_claimed", "the team sees the removal claimed")
    with page.expect_download() as dl:
        page.goto(s.base + "/platform")
        page.get_by_role("link", name="Unduh semua sebagai CSV").click()
    csv = open(dl.value.path(), encoding="utf-8").read()
    check(csv.startswith("notice_id,status") and f"\n{notice_id},removal_claimed," in csv.replace("\r\n", "\n"), "the CSV export holds the answered notice")
    run.goto(page, "/platform/webhook")
    page.get_by_label("URL penerima (https)").fill("http://127.0.0.1:9/ronda")
    page.locator("#register-webhook").click()
    page.wait_for_selector("#secret-value")
    first = page.locator("#secret-value").inner_text()
    page.locator("#rotate-secret").click()
    page.wait_for_selector("#secret-value")
    check(page.locator("#secret-value").inner_text() not in ("", first), "the signing secret is rotated on demand")
    run.audit(page, "platform-webhook")
    print("a platform's notice address gets its new notices by mail")
    # The browser checks the address first; the server checks it again, past the browser.
    page.evaluate("() => { document.querySelector('#notice_email').type = 'text' }")
    page.get_by_label("Alamat untuk permintaan baru (kosong: tanpa surel)").fill("bukan alamat")
    page.locator("#save-notice-email").click()
    page.wait_for_load_state()
    check("Isi satu alamat surel" in page.content(), "a wrong address is refused plainly")
    page.get_by_label("Alamat untuk permintaan baru (kosong: tanpa surel)").fill("ts@michat.example")
    page.locator("#save-notice-email").click()
    page.wait_for_load_state()
    check("Permintaan baru akan dikirim ke ts@michat.example." in page.content(), "the notice address is saved")
    case = s.report("akun_surel", "open BO, chat wa")
    s.api("POST", f"/cases/{case}/claim", {})
    mailed = s.api("POST", f"/cases/{case}/decision", {"decision": "confirm", "category": "prostitution", "legal_basis": "uu_ite_27_1"})["notice_id"]
    subject, body = run.mail.wait_for("ts@michat.example", f"#{mailed} ")
    check("akun_surel" in body and "Tenggat" in body and "Deadline" in body and " WIB" in subject, f"the notice mail names the target and the deadline: {subject}")
    notice_link = re.search(r"https?://\S+/platform/notices/\d+", body)
    check(notice_link and notice_link.group(0) == f"{s.base}/platform/notices/{mailed}", "and links to the notice in the portal")
    page.goto(notice_link.group(0))
    check(page.get_by_role("button", name="Sudah diturunkan").count() == 1, "the link opens the notice, ready to answer")
    ctx.close()

    ctx, page = run.context()
    run.sign_in(page, "root", "/queue")
    run.goto(page, "/admin/platforms")
    check("Surel aktif, lewat relai 127.0.0.1:" in page.content(), "the admin sees that mail is on")
    sent = page.locator("#mail-log tbody tr", has_text="Terkirim").count()
    check(sent >= 3, f"and the mail log with the messages sent ({sent})")
    check("warga.satu@example.org" not in page.content(), "the log shows no reporter's address")
    run.audit(page, "admin-platforms-mail")
    ctx.close()

    ctx, page = run.context()
    run.sign_in(page, "wa", "/platform")
    check(f"/platform/notices/{notice_id}" not in page.content(), "another platform does not list it")
    resp = page.goto(s.base + f"/platform/notices/{notice_id}")
    check(resp.status == 404, "another platform's notice is not found")
    ctx.close()


def police_flows(run, s):
    """The team refers a case to a unit; an investigator downloads a bundle that then verifies
    with `ronda evidence verify`, and asks a question the team answers."""
    print("the police portal")
    s.user("bayu", "police", "--unit", "Ditsiber Polda Metro Jaya")
    case = s.report("@kenanga_bo", "open BO 350k wa 0812-3456-7890")
    team_ctx, team = run.context()
    run.sign_in(team, "ana", "/queue")
    run.goto(team, "/referrals")
    team.get_by_label("Nomor kasus atau pelaku").fill(str(case))
    team.get_by_label("Nomor surat permintaan").fill("B/77/XII/2026")
    team.get_by_label("Satuan kepolisian").fill("Ditsiber Polda Metro Jaya")
    team.get_by_role("button", name="Rujuk", exact=True).click()
    team.wait_for_load_state()
    check("Dirujuk dengan nomor B/77/XII/2026." in team.content(), "the team refers the case to the unit")

    ctx, page = run.context()
    run.sign_in(page, "bayu", "/police")
    check(page.locator("h1").inner_text() == "Rujukan untuk Ditsiber Polda Metro Jaya", "an investigator lands on the unit's referrals")
    run.audit(page, "police")
    page.get_by_role("link", name="B/77/XII/2026").click()
    page.wait_for_selector("#referral-cases")
    content = page.content()
    check("kenanga_bo" in content, "the referral shows its account")
    check("+62812*****890" in content and "+6281234567890" not in content, "the phone is masked as the API masks it")
    run.audit(page, "police-referral")
    work = tempfile.mkdtemp(prefix="ronda-e2e-bundle-")
    with page.expect_download() as dl:
        page.locator("#bundle").click()
    bundle = os.path.join(work, dl.value.suggested_filename)
    dl.value.save_as(bundle)
    with page.expect_download() as dl:
        page.locator("#public-key").click()
    key = open(dl.value.path(), encoding="utf-8").read().strip()
    out = subprocess.run([s.ronda, "evidence", "verify", bundle, "--public-key", key], capture_output=True, text=True)
    check(out.returncode == 0, f"the downloaded bundle verifies with ronda evidence verify ({out.stdout.strip()[-120:]})")
    forged = os.path.join(work, "forged.zip")
    data = bytearray(open(bundle, "rb").read())
    data[len(data) // 3] ^= 0xFF
    open(forged, "wb").write(bytes(data))
    out = subprocess.run([s.ronda, "evidence", "verify", forged, "--public-key", key], capture_output=True, text=True)
    check(out.returncode != 0, "a bundle altered after download does not")
    page.get_by_label("Minta informasi tambahan kepada tim").fill("Mohon log akses akun tanggal 1-3 Desember")
    page.get_by_role("button", name="Kirim pertanyaan").click()
    page.wait_for_load_state()
    check("Pertanyaan Anda telah dikirim ke tim." in page.content(), "the investigator asks the team")
    page.get_by_role("button", name="Tandai dalam penyelidikan").click()
    page.wait_for_load_state()
    check("Status rujukan sekarang: dalam penyelidikan." in page.content(), "and moves the referral forward")

    run.goto(team, "/referrals")
    check("Mohon log akses akun" in team.content(), "the team sees the question waiting")
    run.audit(team, "referrals")
    team.locator("textarea[name=answer]").first.fill("Log akses terlampir pada bundel berikutnya")
    team.get_by_role("button", name="Kirim jawaban").first.click()
    team.wait_for_load_state()
    check("Jawaban telah dikirim." in team.content(), "the team answers it")
    team_ctx.close()
    page.reload()
    check("Log akses terlampir pada bundel berikutnya" in page.content(), "the investigator reads the answer")
    run.goto(page, "/police/verify")
    check(page.locator("#key-value").inner_text() == key, "the verification page names the same key")
    run.audit(page, "police-verify")
    ctx.close()


def english_tour(run, s):
    """The portals and the public pages in English (the browser asks for it), each audited and
    photographed, so both languages are looked at."""
    print("the public pages and the portals in English")
    ctx, page = run.context(locale="en-US", phone=True)
    run.goto(page, "/lapor")
    for label in ("Platform", "Account or URL", "What did you see?"):
        check(page.get_by_label(label, exact=True).count() == 1, f"the English form has a field labelled {label}")
    check(page.get_by_role("button", name="Send report").count() == 1, "and a 'Send report' button")
    run.audit(page, "lapor-en")
    run.goto(page, "/lapor/status")
    check(page.get_by_label("Tracking code").count() == 1 and page.get_by_role("button", name="Check").count() == 1, "the status form asks for the Tracking code")
    run.audit(page, "lapor-status-form-en")
    ctx.close()
    for name, landing, paths in (
        ("bayu", "/police", ["/police", "first:/police/referrals/", "/police/verify"]),
        ("mitra", "/platform", ["/platform", "first:/platform/notices/", "/platform/webhook"]),
        ("ana", "/queue", ["/referrals"]),
    ):
        ctx, page = run.context(locale="en-US")
        run.goto(page, "/login")
        page.get_by_label("Username").fill(name)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"**{landing}")
        for path in paths:
            if path.startswith("first:"):
                href = page.locator(f'a[href^="{path[6:]}"]').first.get_attribute("href")
                run.goto(page, href)
                shot = path[6:].strip("/").replace("/", "-").rsplit("-", 1)[0] + "-detail-en"
            else:
                run.goto(page, path)
                shot = path.strip("/").replace("/", "-") + "-en"
            check(page.locator("html").get_attribute("lang") == "en", f"{page.url} is in English")
            run.audit(page, shot)
        ctx.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ronda", required=True)
    ap.add_argument("--axe", required=True)
    ap.add_argument("--shots", required=True)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    a = ap.parse_args()
    os.makedirs(a.shots, exist_ok=True)
    axe = open(a.axe).read()
    work = tempfile.mkdtemp(prefix="ronda-e2e-")
    mail = MailSink()
    mail.start()
    s = Server(os.path.abspath(a.ronda), work, mail.port)
    s.start()
    ok = False
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=a.chromium, args=["--no-sandbox"])
            run = Run(s, browser, axe, a.shots)
            run.mail = mail
            flows(run, s)
            public_flows(run, s)
            portal_flows(run, s)
            police_flows(run, s)
            english_tour(run, s)
            check(not run.csp_violations, f"no CSP violation reported {run.csp_violations}")
            browser.close()
            print("axe violations by page and impact (nodes):", json.dumps(run.axe_summary, sort_keys=True))
            ok = True
    except Failure as e:
        print(f"FAILED: {e}", file=sys.stderr)
    finally:
        s.stop()
        mail.stop()
        if not ok:
            print(open(os.path.join(work, "server.log")).read()[-4000:], file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
