#!/usr/bin/env python3
"""Ronda held-out evaluation set generator (deterministic), written apart from gen_corpus.py.

Different templates, phrasings, cities, names and prices from the training generator; the same
obfuscation techniques (gen_common.py), since the held-out set must exercise every one of them.
Benign corpus lines are drawn only from lines the training corpus did not use.

    python3 data/gen_heldout.py          # writes data/heldout/generated.jsonl and data/heldout/phones.jsonl

No content involves minors; adult ads mention ages 21 and up only.
"""

import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_common as g  # noqa: E402
import gen_corpus  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 777_2026

TOWNS = ["Purwokerto", "Jember", "Kupang", "Mataram", "Serang", "Karawang", "Cikarang", "Sidoarjo", "Gresik",
         "Tasikmalaya", "Garut", "Sukabumi", "Magelang", "Klaten", "Banyuwangi", "Probolinggo", "Jambi", "Bengkulu",
         "Ambon", "Palu", "Kendari", "Cilegon", "Bintaro", "Serpong", "Kuta", "Ubud", "Lombok", "Tarakan"]
PEOPLE = ["Laras", "Intan", "Febby", "Wulan", "Yuni", "Tiara", "Olla", "Ratna", "Shinta", "Cindy"]
RATES = ["3ratus", "400an", "5ratus", "650", "900k", "1,5jt", "Rp 700rb", "1 juta", "450rb", "2,5jt"]


def rate(r):
    return r.choice(RATES)


def phone_text(r):
    return g.format_phone(g.random_phone(r), r)


def prost(r):
    t = r.choice([
        "Hai om, {n} disini 🥰 lagi stay di {c} sampai lusa. Yang mau ditemenin malam ini bisa langsung chat ya, {rt} sudah sama kamar",
        "Ready temenin om om kesepian area {c}, short time {rt}, long time nego, kamar dari aku. Serius aja ya",
        "{ob} {c} hari ini!! {n} 2{a}th, ramah & no ribet. {st} {rt} 🔥 {ct}",
        "Dicari yang butuh teman tidur di {c}, {rt} per jam, bisa ke hotel kamu. Real no tipu, bukan penipu DP",
        "Mau jalan sama cewek cantik di {c}? Mami punya anak baru, tinggal pilih dari katalog foto, {rt}",
        "{n} {ob} {c} • {inc} • {st} • trusted • pembayaran ditempat • {ct}",
        "Buka jasa video call dewasa (vcs) 20 menit {rt}, bayar dulu via dana, no record",
        "Yang di {c} butuh pijat ++ ke hotel? terapis cewek muda {rt}, plus plus bisa diatur",
        "Malam minggu sepi? {n} available buat nemenin sampe pagi di {c}. Rate {rt}, chat {ct}",
        "Ayang open jasa kencan berbayar {c}, minimal 2 jam, {rt}, cek testimoni di sorotan ya",
        "Wisata malam {c} 🔞 ada yang bisa nemenin full service, tarif {rt}, hub {ct}",
        "BO BO BO {c}!!! {n} avl, {inc}, no DP langsung ketemu, {ct}",
        "Lagi butuh uang, bisa diajak kencan semalam di {c}, {rt}. Serius yang mau aja",
        "{ob}\u200b {c} 💋 {st} 💋 {inc} 💋 {ct}",
        "kak mau bo? aku di {c}, {rt} udah include room, pap boleh, dm aja",
    ])
    text = t.format(n=r.choice(PEOPLE), c=r.choice(TOWNS), rt=rate(r), a=r.randint(1, 9),
                    ob=r.choice(["open BO", "Open B.O", "OPEN BO", "ready BO", "avail bo", "O P E N B O"]),
                    st=r.choice(["ST", "short time", "shortime"]) + " " + rate(r),
                    inc=r.choice(["include room", "inc kamar", "exclude room", "room dari aku"]),
                    ct=r.choice(["WA " + phone_text(r), "telegram @" + r.choice(PEOPLE).lower() + "_" + str(r.randrange(99)),
                                 "t.me/" + r.choice(PEOPLE).lower() + "real", "DM"]))
    if r.random() < 0.5:
        text = g.maybe_obfuscate_terms(text, ["open BO", "OPEN BO", "BO", "bo", "ready", "vcs", "short time", "include room", "plus plus", "kencan"], r, p=0.7)
    if r.random() < 0.15:
        text = g.obfuscate(text, r, r.choice(["lookalike", "zero_width", "math", "fullwidth", "smallcaps", "upper_all"]))
    return text


def porn(r):
    t = r.choice([
        "Koleksi video panas cewek indo terbaru, {p} sekali bayar langsung dikirim link drive",
        "Yang mau nonton full versi video viral kemarin, klik link di profil, tanpa sensor",
        "Channel telegram khusus dewasa 🔞 isinya bokep lokal & luar, join cuma {p}",
        "Jual konten pribadi 18+ foto dan video, update tiap minggu, bayar pakai gopay",
        "Video mesum selebgram yang lagi rame, full HD durasi 12 menit, DM buat link",
        "Link nonton film porno gratis tanpa iklan, cek bio sekarang juga",
        "Ribuan video s3x indo dalam satu grup, sekali join {p} seumur hidup",
        "Open jual video syur pasangan, real amatir, kirim via telegram",
    ])
    text = t.format(p=r.choice(["15rb", "20k", "Rp 25.000", "50rb", "10k"]))
    return g.maybe_obfuscate_terms(text, ["bokep", "porno", "mesum", "panas", "dewasa", "syur"], r, p=0.5)


def gamb(r):
    t = r.choice([
        "Main di {s} pasti maxwin, deposit cuma 10rb bisa WD jutaan, buktikan sendiri bosku",
        "Lagi gacor parah! RTP hari ini 97%, pola jitu mahjong ways cek di grup",
        "{s} situs judi terpercaya, bonus member baru 100%, daftar lewat link di bio",
        "Togel malam ini bocoran angka jitu sydney & hongkong, gabung di {s}",
        "Modal 20rb jadi 5jt di slot olympus, link daftar ada di bio ya guys",
        "Taruhan bola piala dunia odds terbaik, parlay mix, minimal bet 10rb di {s}",
        "Kalah terus? pindah ke {s}, winrate tinggi, deposit pulsa tanpa potongan",
        "Depo 25 bonus 25, scatter naga hitam turun terus di {s}",
    ])
    text = t.format(s=r.choice(["HOKI303", "WIN888", "GASPOL77", "BOSSLOT", "NAGA4D", "DEWA303"]))
    return g.maybe_obfuscate_terms(text, ["maxwin", "gacor", "judi", "slot", "togel", "deposit", "WD"], r, p=0.5)


def hard_negative(r):
    c = r.choice(TOWNS)
    t = r.choice([
        "Open PO risoles mayo untuk acara kantor, minimal 50 pcs, DP 50% H-3, bisa COD area {c}",
        "Ready stock sepatu anak size 25-30, bisa COD, transfer BCA juga bisa, chat {ph}",
        "Keripik kaca pedas open order lagi! pengiriman hari Senin, COD area {c} gratis ongkir",
        "Jasa jahit baju pesta, open order lebaran, DP dulu 30% sisanya saat ambil",
        "Pijat refleksi kaki 60 menit cuma 85rb di {c}, terapis bersertifikat, tempat bersih",
        "Panti pijat tradisional keluarga di {c}, buka jam 9-21, menerima pijat bayi juga",
        "Kamar transit dekat bandara {c}, bisa short stay 6 jam, cocok buat yang nunggu pesawat",
        "Homestay murah {c} bisa harian, ada dapur dan wifi, cocok untuk backpacker",
        "Polres {c} mengungkap prostitusi online via aplikasi, dua mucikari ditetapkan tersangka",
        "Kominfo: 1,2 juta konten judi online sudah diturunkan, masyarakat diminta aktif melapor",
        "Polisi menangkap pria yang menjual video asusila di grup telegram, barang bukti HP disita",
        "PSA: akun open BO di sosmed itu kebanyakan penipuan, mereka minta DP lalu hilang. Jangan transfer!",
        "Pengalaman pahit: kena scam VCS, diancam videonya disebar. Segera lapor polisi kalau kalian mengalami",
        "Sudah 3 tahun berhenti main slot, hidup jauh lebih tenang. Buat yang masih main, yuk berhenti",
        "Klinik {c} buka layanan tes IMS dan HIV gratis bulan ini, privasi terjaga",
        "Orang tua wajib tahu: cara mengaktifkan safe search agar anak tidak terpapar konten dewasa",
        "Tips kencan online: jangan pernah kirim foto pribadi, video call dulu sebelum ketemu, pilih tempat ramai",
        "Dasar jablay, kerjaan cuma nongkrong di mall sambil pamer",
        "Lu kok ngatain dia lonte sih, gak sopan banget",
        "Rate film ini 8/10, plotnya seru, ready nonton part 2",
        "Open slot konsultasi psikolog online minggu ini, avail Selasa dan Kamis",
        "Dijual rumah di {c}, harga nego, hubungi {ph}",
        "Lowongan kerja admin toko online di {c}, gaji 3jt, kirim CV ke email hrd",
        "Bank BRI buka cabang baru di {c}, layanan mulai Senin",
        "Cuaca {c} hari ini cerah berawan, suhu 31 derajat",
        "Arisan ibu-ibu RT 05 dipindah ke rumah bu Ratna hari Minggu jam 4 sore",
        "Bapak umur 45 tahun kehilangan dompet di pasar {c}, mohon dibantu sebarkan",
        "Sewa kostum karnaval anak dan dewasa, ready berbagai ukuran, DP 50%",
        "Cara daftar BPJS online, siapkan NIK dan nomor KK",
        "Main game online boleh, asal jangan judi slot yang menguras dompet",
    ])
    return t.format(c=c, ph=phone_text(r))


def phones(r):
    rows = []
    contexts = ["Info lebih lanjut hubungi {x} ya", "{x}", "CP: {x} (Bu Yanti)", "pemesanan: {x}",
                "WA saja ke {x}, fast respon", "kontak admin {x} / email di bio", "nomor baru saya {x}, tolong disimpan",
                "Hubungi kami di {x} jam kerja", "Telp/WA {x}", "yang berminat japri {x}"]
    styles = ["plain0", "dash", "space", "dot", "plus", "bare62", "paren", "wame", "apiwa", "letters",
              "fullwidth", "math", "keycap", "spaced", "words", "mixed_words", "plus_space", "zw"]
    for i in range(400):
        nsn = g.random_phone(r)
        style = styles[i % len(styles)]
        x = g.format_phone(nsn, r, style)
        rows.append({"text": r.choice(contexts).format(x=x), "phones": [g.e164(nsn)], "style": style})
    for i in range(40):
        a, b = g.random_phone(r), g.random_phone(r)
        x = g.format_phone(a, r, "dash") + " / " + g.format_phone(b, r, "plus")
        rows.append({"text": "Nomor 1: " + x, "phones": [g.e164(a), g.e164(b)], "style": "two"})
    negatives = [
        "Harga Rp 1.500.000 nego tipis", "rate 300k, 350k, 1,2jt", "Tanggal 17-08-2025 jam 08.00",
        "NIK 3174051708900002 hilang", "Nomor resi JNE 081234567890123 belum sampai", "stok 1200 pcs, harga 25.000",
        "Kode booking 0812AB", "Transfer ke BCA 1234567890 a.n. Toko Maju", "Pada tahun 2019 jumlahnya 1.203.948 situs",
        "No. rek BRI 123456789012345", "resi J&T JP1234567890 sudah dikirim", "skor akhir 3-2, penonton 45.000 orang",
    ]
    for t in negatives:
        rows.append({"text": t, "phones": [], "style": "negative"})
    return rows


def main():
    r = random.Random(SEED)
    # Rebuild the training corpus texts so that none of them lands in the held-out set.
    train_rows = {t for t, _ in gen_corpus.build_rows(random.Random(gen_corpus.DEFAULT_SEED))}
    rows = []
    for fn, label, n in [(prost, "prostitution", 500), (porn, "pornography", 150), (gamb, "gambling", 150),
                         (hard_negative, "clear", 700)]:
        for _ in range(n):
            rows.append({"text": fn(r), "label": label})
    # Benign corpus lines the training corpus did not use.
    import csv
    with open(os.path.join(gen_corpus.CORPORA, "nlp-id", "sentences.txt"), encoding="utf-8") as f:
        pool = [l.strip() for l in f if len(l.strip()) > 30]
    with open(os.path.join(gen_corpus.CORPORA, "indonlu", "smsa_train.tsv"), encoding="utf-8") as f:
        pool += [l.split("\t")[0].strip() for l in f if l.strip()]
    pool = [t for t in pool if t not in train_rows]
    for t in r.sample(pool, 500):
        rows.append({"text": t, "label": "clear"})
    rows = [x for x in rows if x["text"] not in train_rows]
    os.makedirs(os.path.join(HERE, "heldout"), exist_ok=True)
    with open(os.path.join(HERE, "heldout", "generated.jsonl"), "w", encoding="utf-8") as f:
        for x in rows:
            f.write(json.dumps(x, ensure_ascii=False) + "\n")
    with open(os.path.join(HERE, "heldout", "phones.jsonl"), "w", encoding="utf-8") as f:
        for x in phones(r):
            f.write(json.dumps(x, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} labelled lines and the phone set", file=sys.stderr)


if __name__ == "__main__":
    main()
