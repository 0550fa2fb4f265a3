#!/usr/bin/env python3
"""Ronda training corpus generator (deterministic).

Writes JSONL lines {"text", "label"} with labels prostitution | pornography | gambling | clear:
templated solicitation, pornography and gambling promotion in Indonesian slang with every
obfuscation of docs/domain.md; hard negatives (shops, massage, lodging, dating safety, health
campaigns, raid news, scam warnings, insults); and benign Indonesian text sampled from the
licensed corpora copied into data/corpora (indonlu Apache-2.0, nlp-id MIT).

    python3 data/gen_corpus.py --out data/train.jsonl            # training corpus
    python3 data/gen_corpus.py --bench 100000 --out bench/out/posts.jsonl   # speed corpus

Never writes content involving minors: adult ads mention ages 21 and up only.
"""

import argparse
import csv
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_common as g  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SEED = 20261129
CORPORA = os.environ.get("RONDA_CORPORA", os.path.join(HERE, "corpora"))

CITIES = ["jakarta", "jaksel", "jakbar", "jaktim", "bekasi", "depok", "tangerang", "bogor", "bandung",
          "jogja", "solo", "semarang", "surabaya", "malang", "bali", "denpasar", "medan", "batam",
          "makassar", "palembang", "pekanbaru", "balikpapan", "samarinda", "pontianak", "manado",
          "cirebon", "tegal", "kediri", "madiun", "lampung", "padang", "banjarmasin"]
NAMES = ["Sari", "Nadia", "Bella", "Tasya", "Maya", "Rina", "Dewi", "Citra", "Vina", "Anggi", "Keyla",
         "Siska", "Putri", "Amel", "Jessy", "Lala", "Mira", "Nina", "Ayu", "Dinda"]
HOTELS = ["hotel", "apartemen", "kos", "penginapan", "homestay", "guest house"]


def price(rng):
    return rng.choice(["300k", "350k", "400", "500k", "600rb", "750k", "800", "1jt", "1,2jt", "1.5jt",
                       "Rp 500.000", "Rp 1.000.000", "250k", "450k", "700rb", "2jt"])


def contact(rng):
    nsn = g.random_phone(rng)
    kind = rng.random()
    if kind < 0.55:
        pre = rng.choice(["WA", "wa", "Wa:", "WA :", "hub", "call/wa", "chat", "📲", "☎️", "Wa ", "wa.", "No:", "kontak"])
        return pre + " " + g.format_phone(nsn, rng)
    if kind < 0.75:
        return rng.choice(["tele", "telegram", "tg", "dm tele"]) + " @" + rng.choice(["sari", "bella", "vip", "manis", "cantik", "nadia"]) + rng.choice(["_bo", "99", "_real", "official", "_jkt", "xx"]) 
    if kind < 0.85:
        return "t.me/" + rng.choice(["bookingan", "open_bo", "availnow", "vipcewek", "realpict"]) + str(rng.randrange(100))
    return "DM aja kak"


# ---------------------------------------------------------------- positives

def prostitution(rng):
    opener = rng.choice(["open BO", "OPEN BO", "Open bo", "ready BO", "avail BO", "open booking", "BO",
                         "ready", "avail", "open BO dadakan", "terima BO", "open BO an", "avail malam ini",
                         "ready sekarang", "open vcs", "ready vcs", "VCS real", "open BO & VCS",
                         "booking out", "escort available", "available for booking", "ready booking out"])
    city = rng.choice(CITIES)
    parts = [opener + " " + (city if rng.random() < 0.7 else "area " + city)]
    pool = [
        lambda: rng.choice(["ST", "st", "short time"]) + " " + price(rng) + (" / " + rng.choice(["LT", "lt", "long time"]) + " " + price(rng) if rng.random() < 0.6 else ""),
        lambda: rng.choice(["include room", "exclude room", "inc room", "exc room", "incl room", "in room"]),
        lambda: rng.choice(["real pict", "real pic", "100% real", "foto asli", "realpict"]),
        lambda: rng.choice(["no tipu", "anti tipu", "no tipu tipu", "trusted", "amanah"]),
        lambda: rng.choice(["no DP", "bisa COD", "COD aja", "tanpa DP", "DP dulu baru jalan", "bayar di tempat"]),
        lambda: rng.choice(["rate", "tarif", "harga"]) + " " + price(rng) + rng.choice(["", " nego", " nett", " bisa nego tipis"]),
        lambda: rng.choice(["testi banyak", "ada testi", "cek testi", "testi no hoax"]),
        lambda: rng.choice(["pap dulu boleh", "bisa pap", "minta pap chat aja"]),
        lambda: rng.choice(["slot terbatas", "slot malam ini tinggal 2", "sisa slot 3", "ambil slot cepet"]),
        lambda: rng.choice(["full service", "all service", "bisa 2 shoot", "free kondom", "wajib kondom", "no anal",
                            "incall/outcall", "incall only", "outcall hotel", "GFE", "escort", "FS"]),
        lambda: rng.choice(["cewek panggilan", "ayam kampus", "bispak", "bisyar", "mahasiswi", "ladies bo",
                            "cewe bo", "tante girang", "janda muda"]) + " " + rng.choice(["", city, "real", "cantik"]),
        lambda: rng.choice(["umur", "usia"]) + " " + str(rng.randint(21, 34)) + rng.choice([" th", " tahun", "", "thn"]),
        lambda: rng.choice(["tinggi 160", "body mulus", "putih bersih", "ramah", "manja", "bisa diajak ngobrol", "kulit sawo matang"]),
        lambda: rng.choice(["serius only", "no php", "no basa basi", "gercep", "fast respon", "yang serius aja"]),
        lambda: rng.choice(HOTELS) + " " + rng.choice(["sekitar", "area", "dekat"]) + " " + rng.choice(CITIES),
        lambda: "#" + rng.choice(["bo", "openbo", "avail", "ready", "bispak"]) + city,
        lambda: rng.choice(["mami", "germo"]) + " " + rng.choice(["ready", "punya anak baru", "open", "sediakan"]),
        lambda: rng.choice(["pijat plus plus", "pijat ++", "pijat plus", "massage plus plus", "pijat sensual", "happy ending"]),
        lambda: rng.choice(["vcs", "VCS", "video call sex"]) + " " + rng.choice(["durasi 15 menit", "30 menit", "real no record", "berbayar", "murah"]) + " " + price(rng),
        lambda: rng.choice(["wisata lendir", "esek esek", "esek-esek", "kencan semalam", "teman tidur"]) + " " + city,
        lambda: rng.choice(["jam", "start"]) + " " + rng.choice(["19.00", "20.00", "21.00", "22.00", "10 malam", "siang", "sekarang"]),
        lambda: rng.choice(NAMES) + " " + rng.choice(["ready", "avail", "stay", "open"]),
        lambda: rng.choice(["bank", "tf"]) + " " + rng.choice(["bca", "bri", "mandiri", "bni", "dana", "ovo"]) + " " + "".join(str(rng.randrange(10)) for _ in range(10)),
    ]
    k = rng.randint(2, 7)
    for f in rng.sample(pool, k):
        parts.append(f())
    if rng.random() < 0.7:
        parts.append(contact(rng))
    rng.shuffle(parts[1:]) if rng.random() < 0.3 else None
    sep = rng.choice([" ", ", ", ". ", "\n", " | ", " ✅ ", " 🔥 "])
    text = sep.join(p for p in parts if p)
    keys = ["open BO", "OPEN BO", "Open bo", "BO", "VCS", "vcs", "avail", "ready", "bispak", "bisyar", "ayam kampus",
            "cewek panggilan", "real pict", "no tipu", "include room", "exclude room", "ST", "LT", "pijat plus plus",
            "open booking", "full service", "esek esek"]
    text = g.maybe_obfuscate_terms(text, keys, rng, p=0.45)
    if rng.random() < 0.15:
        text = g.obfuscate(text, rng, rng.choice(["lookalike", "zero_width", "upper", "fullwidth", "math", "upper_all"]))
    if rng.random() < 0.35:
        text = g.sprinkle_emoji(text, rng)
    return text


def pornography(rng):
    head = rng.choice(["jual video bokep", "video bokep", "link bokep", "bokep indo", "vidio bokep viral",
                       "film porno", "video syur", "video mesum", "konten dewasa", "koleksi bokep", "grup bokep",
                       "streaming bokep", "bokep jav", "video bugil", "foto bugil", "konten 18+", "link viral full",
                       "video 21+", "koleksi video dewasa", "bokep terbaru", "hentai", "bokep barat", "colmek"])
    pool = [
        lambda: rng.choice(["full durasi", "durasi panjang", "no sensor", "tanpa sensor", "HD", "kualitas jernih", "no blur"]),
        lambda: rng.choice(["link di bio", "cek bio", "klik link di bio", "link ada di profil", "cek highlight"]),
        lambda: rng.choice(["join grup vip", "grup vip", "member vip", "masuk grup telegram", "join channel"]) + " " + rng.choice(["", price(rng), "sekali bayar", "seumur hidup"]),
        lambda: rng.choice(["10rb dapat 1000 video", "paket 50k 5000 video", "harga " + price(rng), "murah meriah", "bayar sekali akses selamanya"]),
        lambda: rng.choice(["update tiap hari", "ribuan video", "koleksi lengkap", "viral terbaru", "yang lagi viral", "indo terbaru"]),
        lambda: rng.choice(["via dana", "tf dana", "bayar pakai ovo", "gopay bisa"]),
        lambda: rng.choice(["dijamin puas", "no tipu", "trusted seller", "testi banyak"]),
        lambda: rng.choice(["ngewe", "ngentot", "sange", "crot", "toket gede", "bugil"]) + " " + rng.choice(["", "full", "indo", "viral"]),
        lambda: contact(rng),
        lambda: "#" + rng.choice(["bokep", "bokepindo", "videoviral", "bokepviral", "sange", "colmek"]),
        lambda: rng.choice(["onlyfans leak", "OF leak", "konten OF", "premium content", "video pribadi artis"]),
    ]
    parts = [head] + [f() for f in rng.sample(pool, rng.randint(2, 5))]
    text = rng.choice([" ", ", ", " | ", "\n", " 🔥 "]).join(p for p in parts if p)
    text = g.maybe_obfuscate_terms(text, ["bokep", "porno", "bugil", "mesum", "syur", "ngewe", "sange", "colmek"], rng, p=0.45)
    if rng.random() < 0.3:
        text = g.sprinkle_emoji(text, rng)
    return text


def gambling(rng):
    site = rng.choice(["GACOR88", "MAXWIN77", "SLOT4D", "JPWIN", "ZEUS138", "BOLA99", "TOGEL123", "HOKI4D",
                       "CUAN88", "RAJA99", "DEWA4D", "MEGA77", "KAKEK SLOT", "SULTAN138"])
    head = rng.choice(["slot gacor hari ini", "situs slot gacor", "slot online terpercaya", "bandar togel online",
                       "agen judi bola", "judi online", "link slot gacor", "slot88 gacor", "togel hongkong",
                       "live casino", "poker online", "sabung ayam online", "situs judi terpercaya", "slot thailand",
                       "rtp slot live", "pola gacor malam ini", "bocoran slot gacor", "toto macau", "parlay bola"])
    pool = [
        lambda: rng.choice(["maxwin", "max win", "anti rungkad", "gampang menang", "pasti jp", "jp paus", "scatter hitam", "x500", "x1000"]),
        lambda: rng.choice(["depo", "deposit", "minimal depo", "depo pulsa"]) + " " + rng.choice(["10k", "5k", "20rb", "25k", "50k"]) + rng.choice(["", " tanpa potongan", " via dana", " via qris"]),
        lambda: rng.choice(["bonus new member 100%", "bonus deposit 50%", "bonus member baru", "cashback 10%", "rollingan 1%", "freebet 20k"]),
        lambda: rng.choice(["wd berapapun dibayar", "wd cepat", "auto wd", "pasti wd", "proses wd 1 menit"]),
        lambda: rng.choice(["rtp live", "rtp 98%", "bocoran rtp", "pola gacor", "jam gacor"]) + " " + rng.choice(["", "hari ini", "malam ini"]),
        lambda: rng.choice(["gates of olympus", "mahjong ways", "starlight princess", "sweet bonanza", "zeus", "pragmatic play", "pg soft"]),
        lambda: rng.choice(["daftar sekarang", "daftar di", "login", "link alternatif", "klik link", "link di bio"]) + " " + site,
        lambda: rng.choice(["modal receh", "modal 10rb jadi jutaan", "cuan tiap hari", "jutaan rupiah", "sultan"]),
        lambda: rng.choice(["togel", "4D", "toto", "colok bebas", "shio"]) + " " + rng.choice(["sgp", "hk", "sydney", "macau", ""]) + rng.choice(["", " diskon 66%"]),
        lambda: contact(rng),
        lambda: "#" + rng.choice(["slotgacor", "slotonline", "judionline", "maxwin", "togel", "gacor"]),
        lambda: rng.choice(["terpercaya", "resmi", "no 1 di indonesia", "terbaik 2024", "24 jam nonstop"]),
    ]
    parts = [head] + [f() for f in rng.sample(pool, rng.randint(2, 6))]
    text = rng.choice([" ", ", ", " | ", "\n", " 🎰 ", " 💰 "]).join(p for p in parts if p)
    text = g.maybe_obfuscate_terms(text, ["slot", "gacor", "maxwin", "judi", "togel", "depo", "casino"], rng, p=0.4)
    if rng.random() < 0.3:
        text = g.sprinkle_emoji(text, rng)
    return text


# ---------------------------------------------------------------- hard negatives

def shop(rng):
    item = rng.choice(["kue kering", "brownies", "kaos polos", "hijab voal", "gamis", "sepatu sneakers", "skincare",
                       "frozen food", "nastar", "hampers lebaran", "sambal roa", "keripik pedas", "tas rajut",
                       "baju anak", "mukena", "parfum", "casing hp", "madu murni", "kopi bubuk", "bolu pandan",
                       "risol mayo", "dimsum", "sprei", "kemeja batik", "jilbab", "tanaman hias"])
    pool = [
        lambda: rng.choice(["open order", "OPEN ORDER", "open PO", "Open PO", "pre order", "PO batch 2", "open order lagi"]),
        lambda: rng.choice(["ready stock", "ready stok", "READY", "ready ya kak", "stok terbatas", "restock"]),
        lambda: rng.choice(["bisa COD", "COD seluruh indonesia", "bisa COD area " + rng.choice(CITIES), "COD/transfer"]),
        lambda: rng.choice(["DP 50%", "DP 30% dulu", "sistem DP", "pelunasan saat barang jadi", "no DP langsung kirim"]),
        lambda: rng.choice(["harga", "mulai", "cuma"]) + " " + rng.choice(["35rb", "50k", "Rp 75.000", "120rb", "15k", "99rb"]) + rng.choice(["", "/pcs", "/toples", "/box"]),
        lambda: rng.choice(["free ongkir", "gratis ongkir", "ongkir murah", "kirim ke seluruh indonesia", "bisa kirim luar kota"]),
        lambda: rng.choice(["cek keranjang kuning", "checkout di shopee", "ada di tokopedia", "link di bio ya", "katalog di highlight"]),
        lambda: rng.choice(["varian", "ukuran", "warna", "size"]) + " " + rng.choice(["lengkap", "S M L XL", "coklat keju", "hitam putih navy"]),
        lambda: rng.choice(["reseller welcome", "terima dropship", "harga grosir", "minimal order 3"]),
        lambda: rng.choice(["WA", "wa", "order via wa", "pesan di"]) + " " + g.format_phone(g.random_phone(rng), rng, rng.choice(["plain0", "dash", "space", "plus"])),
        lambda: rng.choice(["slot PO terbatas", "tinggal 5 slot", "slot pengiriman minggu ini penuh"]),
        lambda: rng.choice(["testi banyak", "cek testi pembeli", "real pict produk", "foto asli produk", "no tipu, amanah"]),
        lambda: rng.choice(["avail warna baru", "available size M", "ready & avail"]),
        lambda: rng.choice(["rek bca", "transfer ke bca", "bayar via dana"]) + " " + "".join(str(rng.randrange(10)) for _ in range(10)),
    ]
    parts = [item] + [f() for f in rng.sample(pool, rng.randint(2, 6))]
    rng.shuffle(parts) if rng.random() < 0.3 else None
    text = rng.choice([" ", ", ", ". ", "\n", " | ", " ✨ "]).join(parts)
    if rng.random() < 0.25:
        text = g.sprinkle_emoji(text, rng, 0.2)
    if rng.random() < 0.1:
        text = g.obfuscate(text, rng, rng.choice(["upper_all", "fullwidth", "math"]))
    return text


def massage(rng):
    return rng.choice([
        "Pijat refleksi {c}, terapis berpengalaman, {p} per jam, buka jam 10 pagi sampai 9 malam",
        "Terima pijat panggilan keluarga area {c}: pijat capek, kerokan, bekam. Terapis pria untuk pria, wanita untuk wanita",
        "Spa & reflexology {c} promo {p}, lulur, creambath, totok wajah. Reservasi {ph}",
        "Pijat bayi dan ibu hamil oleh bidan bersertifikat, area {c}. Hubungi {ph}",
        "Urut tradisional untuk keseleo dan pegal-pegal, ready setiap hari di {c}",
        "Fisioterapi dan pijat olahraga, cocok setelah lari. Lokasi {c}, harga {p}",
        "Open terapis pijat refleksi, gaji UMR + bonus, lowongan di {c}",
        "Massage keluarga {c} avail hari minggu, pijat kaki 60 menit {p}",
    ]).format(c=rng.choice(CITIES), p=price(rng), ph=g.format_phone(g.random_phone(rng), rng, "dash"))


def lodging(rng):
    return rng.choice([
        "Sewa kamar harian dan bulanan di {c}, short stay bisa, wifi, AC, kamar mandi dalam. {ph}",
        "Homestay {c} dekat stasiun, check in jam 2 siang, parkir luas, harga {p} per malam",
        "Guest house {c} terima transit dan short stay, booking lewat aplikasi atau WA {ph}",
        "Kost putri {c} eksklusif, {p}/bulan, include listrik, dekat kampus",
        "Villa keluarga di {c} kapasitas 15 orang, ready tanggal merah, DP 50% untuk booking",
        "Hotel murah {c} open booking untuk rombongan, sarapan gratis",
        "Penginapan syariah di {c}, hanya untuk pasangan suami istri, bawa buku nikah",
        "Apartemen studio {c} sewa harian, avail weekend ini, {p} per malam",
    ]).format(c=rng.choice(CITIES), p=price(rng), ph=g.format_phone(g.random_phone(rng), rng, "plain0"))


def news(rng):
    c = rng.choice(CITIES)
    return rng.choice([
        "Polres {c} membongkar praktik prostitusi online yang menawarkan jasa open BO lewat aplikasi MiChat, tiga tersangka diamankan",
        "Polisi menggerebek sebuah hotel di {c} dan mengamankan seorang mucikari yang menjajakan perempuan lewat media sosial",
        "Kominfo memblokir ribuan akun yang mempromosikan prostitusi online dan situs judi sepanjang tahun ini",
        "Seorang germo di {c} ditangkap setelah polisi menyamar sebagai pelanggan open BO, pelaku dijerat UU TPPO",
        "Satpol PP {c} menggelar razia di sejumlah tempat hiburan malam dan panti pijat yang diduga menyediakan layanan plus-plus",
        "Bareskrim menangkap admin grup penyebar video porno dengan ribuan anggota, tersangka terancam UU Pornografi",
        "Polda {c} menangkap bandar judi online yang mempromosikan slot gacor lewat influencer, barang bukti rekening disita",
        "Pemerintah memblokir 800 ribu situs judi online, Komdigi minta masyarakat melapor konten judol",
        "Kasus prostitusi online di {c}: polisi menyebut tarif yang dipasang mucikari mencapai jutaan rupiah",
        "Pelaku penyebaran konten asusila di {c} divonis dua tahun penjara oleh pengadilan negeri",
        "Kapolres {c} mengatakan modus pelaku adalah menawarkan jasa VCS lalu memeras korban",
        "Tim patroli siber menurunkan ribuan konten pornografi dan perjudian dari platform media sosial",
        "Warga {c} resah dengan maraknya iklan judi online di spanduk dan grup WhatsApp, polisi turun tangan",
    ]).format(c=c.title())


def warning(rng):
    return rng.choice([
        "Hati-hati penipuan modus open BO: korban disuruh transfer DP dulu lalu nomornya diblokir",
        "Awas! Banyak akun open BO palsu yang minta DP, jangan mau transfer, itu scam",
        "Waspada modus penipuan VCS, pelaku merekam lalu memeras korban. Laporkan ke aduankonten",
        "Jangan tertipu iklan slot gacor, judi online bikin bangkrut, banyak keluarga hancur karena judol",
        "Stop judi online! Uang habis, utang menumpuk, pinjol di mana-mana. Yuk berhenti sekarang",
        "Teman saya kena tipu akun BO di MiChat, sudah transfer 300k tapi tidak ada yang datang. Hati hati guys",
        "Modus baru: akun mengaku ayam kampus minta DP lewat dana, setelah transfer langsung hilang. Jangan percaya",
        "Tolong laporkan akun yang jual video bokep, banyak yang ternyata penipuan dan mencuri data pribadi",
        "Jangan klik link video viral yang dikirim orang tak dikenal, isinya malware pencuri akun",
        "Awas link situs judi yang menyamar jadi situs pemerintah, laporkan ke aduankonten.id",
    ])


def health(rng):
    return rng.choice([
        "Puskesmas {c} mengadakan tes HIV gratis dan konseling, rahasia terjamin, datang saja hari Sabtu",
        "Penyuluhan kesehatan reproduksi untuk remaja di {c}: kenali infeksi menular seksual dan cara pencegahannya",
        "Dinas kesehatan {c} membagikan kondom gratis dalam kampanye pencegahan HIV/AIDS",
        "Sosialisasi bahaya pornografi dan literasi digital untuk orang tua di sekolah {c}",
        "Kampanye internet sehat: ajari anak melaporkan konten negatif dan menjaga data pribadi",
        "Edukasi tentang IMS oleh dokter puskesmas, gejala, pengobatan, dan pentingnya pemeriksaan rutin",
        "Seminar kecanduan judi online: konseling gratis bagi keluarga yang terdampak di {c}",
    ]).format(c=rng.choice(CITIES).title())


def dating(rng):
    return rng.choice([
        "Tips aman kencan online: bertemu di tempat umum, kabari teman, jangan transfer uang ke orang yang baru dikenal",
        "Sebelum ketemuan pertama dari aplikasi kencan, cek profilnya dan jangan bagikan alamat rumah",
        "Buat yang lagi cari jodoh online, hati-hati dengan yang minta pap atau uang, itu red flag",
        "Cerita kencan pertama: ketemu di kafe, ngobrol tiga jam, ternyata satu kampus dulu",
        "Kencan aman itu penting, share live location ke sahabat dan pilih tempat yang ramai",
    ])


def insult(rng):
    return rng.choice([
        "dasar jablay, kerjaannya cuma update status galau", "jablay banget sih lu, chat gak dibales",
        "mulut kayak lonte, kasar banget ngomongnya", "dia dikatain bispak sama mantannya, jahat banget",
        "kok kamu ngomong gitu, kayak cewek murahan aja", "jangan panggil orang jablay, itu merendahkan",
        "netizen suka ngatain artis itu ayam kampus padahal gak ada bukti",
    ])


def misc_lookalike(rng):
    """Everyday posts that reuse ad words innocently (open, ready, avail, slot, rate, COD, DP)."""
    c = rng.choice(CITIES)
    return rng.choice([
        "Barbershop {c} open jam 9, ready potong rambut anak dan dewasa, bisa booking slot via WA",
        "Slot parkir motor di kantor penuh terus, harus datang jam 7 pagi",
        "Rate kamera mirrorless ini gimana? mau beli buat vlog",
        "Open recruitment panitia 17 Agustus, yang avail hari Sabtu bisa ikut rapat",
        "Ready to go! Liburan ke {c} bareng keluarga",
        "Jasa desain logo, open commission, DP 50% sisanya setelah revisi",
        "Slot antrean vaksin di puskesmas {c} sudah dibuka",
        "Les privat matematika SD SMP, guru avail sore hari area {c}",
        "Kajian rutin malam Jumat di masjid, terbuka untuk umum",
        "Bimbel open pendaftaran tahun ajaran baru, kuota terbatas",
        "Tarif ojek online naik mulai minggu depan",
        "Jasa titip barang dari {c}, open jastip sampai Jumat",
        "Main game slot di HP cuma buat hiburan? hati-hati, itu judi dan bikin ketagihan",
        "Rental mobil {c} lepas kunci, bisa harian, DP dulu untuk booking",
    ]).format(c=rng.choice(CITIES).title())


# ---------------------------------------------------------------- conversational (compositional)

GREET = ["hai", "halo", "hallo kak", "hi om", "permisi", "malam", "selamat malam guys", "hai sayang", "", "", "hey",
         "pagi semua", "misi kak"]
ADJ = ["manis", "cantik", "imut", "ramah", "putih", "seksi", "mungil", "berisi", "langsing", "sopan"]


def _who(rng):
    n = rng.choice(NAMES)
    return rng.choice(["{n} di sini", "aku {n}", "kenalin aku {n}", "namaku {n}", "", "",
                       "cewek {a} dari {c}", "{n} {a}", "janda {a}", "mahasiswi semester akhir"]).format(
        n=n, a=rng.choice(ADJ), c=rng.choice(CITIES))


def _where(rng):
    c = rng.choice(CITIES)
    return rng.choice(["lagi di {c}", "stay di {c} sampai besok", "baru sampai {c}", "posisi {c}",
                       "area {c} dan sekitarnya", "free malam ini", "kosong hari ini", "bisa siang atau malam",
                       "di {c} cuma 3 hari", "sekitar {c}", "weekend ini di {c}"]).format(c=c)


def _rate(rng):
    return rng.choice(["{r} sekali main", "{r}/jam", "{r} short", "{r} sampai pagi", "{r} all in",
                       "{r} udah sama kamar", "tarif mulai {r}", "{r} nego dikit", "sekali ketemu {r}",
                       "{r} 1 jam", "{r} dua jam", "harga {r}"]).format(r=price(rng))


def prostitution_chat(rng):
    offer = rng.choice(["bisa nemenin", "bisa temenin", "bisa diajak jalan dan nginep", "siap menemani",
                        "cari teman kencan", "open jasa teman tidur", "mau ditemenin?", "butuh teman malam ini?",
                        "bisa dipanggil ke hotel", "bisa ke apartemen kamu", "cari om yang serius", "terima tamu",
                        "layanan sampai pagi", "bisa diajak check in", "jasa pacar sewaan plus", "bisa main",
                        "siap melayani", "bisa nginep bareng", "temenin tidur", "yang kesepian sini aku temenin",
                        "kencan berbayar", "teman kencan semalam", "bisa ketemuan di hotel", "sewa pacar",
                        "jasa kencan", "open jasa temen tidur", "cewek bayaran", "bisa diajak ke kamar",
                        "nemenin ngamar", "ready dipanggil", "buka layanan dewasa", "melayani tamu hotel",
                        "available buat nemenin sampe pagi", "malam minggu sepi? sini aku temenin",
                        "yang butuh hiburan malam chat aku"])
    logi = rng.choice(["kamar dari aku", "kamu yang siapin kamar", "ketemu di lobby", "bayar pas ketemu", "no dp",
                       "dp 50% biar gak hoax", "wajib pakai pengaman", "mandi dulu ya", "durasi 1 jam", "2 ronde",
                       "bisa di hotel kamu", "kondom dari aku", ""])
    close = rng.choice(["serius aja", "no php ya", "yang iseng skip", "chat sekarang", "siapa cepat dia dapat", "😘",
                        "", "dijamin puas", "ga bakal nyesel"])
    parts = [rng.choice(GREET), _who(rng), _where(rng), offer, _rate(rng), logi,
             contact(rng) if rng.random() < 0.7 else "", close]
    if rng.random() < 0.4:
        mid = parts[2:7]
        rng.shuffle(mid)
        parts[2:7] = mid
    text = rng.choice([", ", " ", ". ", "\n", " ~ "]).join(p for p in parts if p)
    text = g.maybe_obfuscate_terms(text, ["nemenin", "temenin", "kencan", "hotel", "kamar", "tidur", "nginep", "main"], rng, p=0.25)
    return g.sprinkle_emoji(text, rng, 0.15) if rng.random() < 0.4 else text


def pimp_ad(rng):
    """Ads posted by a pimp (mami / germo) offering several women."""
    parts = [
        rng.choice(["mami", "mamih", "germo", "agency", "manajemen", "admin"]) + " " + rng.choice(
            ["punya stok baru", "ada anak baru", "sediakan cewek", "ready banyak pilihan", "ada yang fresh",
             "open order cewek", "siapkan teman kencan", "pegang anak-anak cantik"]),
        rng.choice(["tinggal pilih", "pilih sendiri dari katalog", "katalog foto via dm", "list cewek di highlight",
                    "kirim foto dulu baru pilih", "ada 10 pilihan malam ini", "bisa request tipe"]),
        rng.choice(["area " + rng.choice(CITIES), "antar ke hotel " + rng.choice(CITIES), "dalam kota " + rng.choice(CITIES),
                    "bisa luar kota"]),
        rng.choice(["mulai " + price(rng), "harga " + price(rng) + " per jam", "ST " + price(rng), price(rng) + " all in",
                    "tarif beda-beda tiap anak"]),
        rng.choice(["dijamin real", "no tipu", "aman rapi", "langganan banyak", "tamu puas", ""]),
        contact(rng) if rng.random() < 0.6 else "",
        rng.choice(["mau jalan sama cewek cantik?", "kesepian malam ini?", "butuh hiburan?", "om butuh teman?",
                    "malam minggu sepi?", ""]),
    ]
    rng.shuffle(parts)
    text = rng.choice([", ", ". ", " ", "\n"]).join(p for p in parts if p)
    return g.maybe_obfuscate_terms(text, ["mami", "germo", "cewek", "hotel"], rng, p=0.3)


def service_chat(rng):
    """Legitimate services written like the ads above: greeting, who, where, offer, price, contact."""
    offer = rng.choice(["open jasa MUA wisuda dan nikahan", "les privat matematika", "les bahasa inggris anak",
                        "jasa foto prewedding", "terima pesanan catering", "jasa cleaning service rumah",
                        "tour guide keliling kota", "driver harian lepas kunci", "jasa pijat refleksi panggilan",
                        "jasa titip belanja", "bisa nemenin jalan-jalan keliling kota sebagai guide",
                        "jasa desain undangan", "jasa potong rambut ke rumah", "terima jahitan", "jasa servis AC",
                        "bisa temenin belajar online", "open jasa ketik skripsi", "jasa angkut pindahan",
                        "cari teman kos cewek", "cari teman main badminton", "jasa ART harian", "jasa baby sitter",
                        "open jasa nail art", "les gitar", "jasa fotografer event", "jasa rias pengantin"])
    price_ = rng.choice(["{r}/jam", "mulai {r}", "{r} per sesi", "{r} sekali datang", "harga {r}", "{r} per hari",
                         "{r} sudah termasuk transport", "tarif {r}"]).format(r=rng.choice(["50rb", "75k", "100rb", "150k", "250rb", "300k", "500k", "Rp 200.000", "1jt"]))
    logi = rng.choice(["bisa datang ke rumah", "DP 50% untuk booking tanggal", "bayar setelah selesai", "bisa COD",
                       "slot minggu ini tinggal 2", "ready setiap hari", "avail weekend", "booking H-3", "", "real pict hasil kerja di highlight",
                       "testi ada di IG", "no tipu, sudah 5 tahun"])
    parts = [rng.choice(GREET), _who(rng), _where(rng), offer, price_, logi,
             contact(rng) if rng.random() < 0.7 else "", rng.choice(["makasih", "serius aja ya", "chat aja", "", "🙏"])]
    if rng.random() < 0.4:
        mid = parts[2:7]
        rng.shuffle(mid)
        parts[2:7] = mid
    text = rng.choice([", ", " ", ". ", "\n", " ~ "]).join(p for p in parts if p)
    return g.sprinkle_emoji(text, rng, 0.15) if rng.random() < 0.3 else text


def pornography_chat(rng):
    parts = [rng.choice(GREET),
             rng.choice(["yang mau video full nya", "ada yang mau link", "jual konten eksklusif", "jual foto pribadi",
                         "18+ only", "video panas terbaru", "video hot full", "konten dewasa premium", "koleksi video viral no sensor",
                         "video ranjang pasangan", "rekaman pribadi", "foto tanpa busana", "video telanjang",
                         "konten panas selebgram", "video dewasa lokal"]),
             rng.choice(["kirim link via dm", "link di bio", "dm aja", "cek telegram", "link drive dikirim setelah bayar", "join channel vip", ""]),
             rng.choice(["harga " + price(rng), "cuma 10rb", "20rb dapat 1000 video", "bayar sekali", "", "murah"]),
             contact(rng) if rng.random() < 0.5 else ""]
    text = rng.choice([", ", " ", ". ", "\n"]).join(p for p in parts if p)
    return g.maybe_obfuscate_terms(text, ["panas", "hot", "dewasa", "telanjang", "viral", "porno"], rng, p=0.3)


def gambling_chat(rng):
    parts = [rng.choice(GREET + ["bosku", "gaes", "halo bos"]),
             rng.choice(["main di sini pasti cuan", "baru wd 5jt dari modal 50rb", "gampang menang banget", "JP terus hari ini",
                         "lagi rame jackpot", "situs paling gacor", "withdraw lancar jaya", "modal kecil untung besar",
                         "yang mau cuan gabung sini", "rezeki nomplok tiap malam", "cari situs yang bayar? di sini tempatnya",
                         "pecah scatter", "menang terus pakai pola ini", "angka jitu malam ini", "winrate tinggi",
                         "kalah terus? coba situs ini", "pindah ke situs yang gacor", "odds terbaik", "taruhan aman"]),
             rng.choice(["depo 10rb", "deposit via dana", "minimal depo 20k", "bonus 100%", "bonus harian", "", "cashback mingguan",
                         "deposit pulsa tanpa potongan", "wd berapapun dibayar"]),
             rng.choice(["link di bio", "daftar sekarang", "klik link", "cek link", "login di " + rng.choice(["JP99", "SLOTKU", "GAS77", "RAJA4D"]), ""]),
             contact(rng) if rng.random() < 0.3 else ""]
    text = rng.choice([", ", " ", ". ", "\n", " 💰 "]).join(p for p in parts if p)
    return g.maybe_obfuscate_terms(text, ["cuan", "wd", "jackpot", "gacor", "scatter", "depo"], rng, p=0.3)


def game_talk(rng):
    """Gaming and money talk that is not gambling: top-up, jokes, e-sport, investment warnings."""
    return rng.choice([
        "Top up diamond ML murah, 86 diamond cuma 20rb, proses 1 menit, bisa via dana",
        "Jual akun Mobile Legends mythic, skin lengkap, harga nego, COD di {c}",
        "Jasa joki rank ML sampai mythic, bayar setelah selesai, aman no cheat",
        "Turnamen e-sport antar sekolah di {c}, hadiah total 10jt, daftar gratis",
        "Menang giveaway pulsa 50rb dari toko, makasih kak!",
        "Deposito bank bunganya kecil banget sekarang, mending nabung emas?",
        "Main monopoli sama keluarga, adikku menang terus",
        "Kemarin nonton bola bareng, timnas menang 2-0, mantap",
        "Investasi bodong berkedok trading, jangan tergiur untung cepat",
        "Gacha genshin dapat bintang 5, hoki banget hari ini",
        "Withdraw saldo e-wallet ke rekening kena biaya admin 2.500",
        "Cuan jualan takjil bulan puasa lumayan banget",
        "Slot waktu wawancara kerja saya jam 10 pagi",
        "Bonus akhir tahun dari kantor cair, alhamdulillah",
    ]).format(c=rng.choice(CITIES).title())


def media_talk(rng):
    """Talk about videos, links and films that is not pornography."""
    return rng.choice([
        "Video viral kecelakaan di tol {c} pagi ini, semoga korban selamat",
        "Link zoom webinar literasi digital dikirim lewat email peserta",
        "Join grup telegram belajar bahasa jepang, gratis untuk pemula",
        "Film horor terbaru tayang minggu depan, rating 17+ karena banyak adegan sadis",
        "Review film romantis: ceritanya manis, pemainnya cocok banget",
        "Video tutorial masak rendang full durasi ada di channel kami",
        "Konten edukasi kesehatan reproduksi untuk remaja dari dinas kesehatan",
        "Link pendaftaran lomba foto dibuka sampai akhir bulan, cek bio",
        "Dokumenter tentang bahaya pornografi bagi otak remaja, tonton bareng keluarga",
        "Jual video pernikahan cinematic, paket lengkap dengan foto",
        "Viral! kucing lucu main piano, full videonya di tiktok",
        "Anime ini ratingnya dewasa karena kekerasan, bukan buat anak",
    ]).format(c=rng.choice(CITIES).title())


def everyday(rng):
    """Short everyday posts: opening hours, price lists, replies, calls to action of legit sites."""
    c = rng.choice(CITIES).title()
    return rng.choice([
        "Jam buka: {h1}.00-{h2}.00 WIB", "Buka setiap hari jam {h1}.00 - {h2}.00", "Jam operasional {h1}.00 sampai {h2}.00 WIB",
        "Harga emas hari ini: 1 gram Rp {p1}.000, 5 gram Rp {p2}.000", "Harga cabai rawit di pasar {c} naik jadi Rp {p1}.000/kg",
        "Kurs dolar hari ini Rp 15.{p1}", "Harga BBM: pertalite Rp 10.000, pertamax Rp 12.{p1}",
        "ok", "siap", "terus", "1", "2", "noted", "mantap", "makasih kak", "wkwkwk", "oke siap", "done", "sip",
        "Ayo daftar di sini untuk lomba 17an", "Klik di sini untuk info beasiswa", "Daftar sekarang, kuota seminar terbatas",
        "Alamat: Jl. {c} Raya No. {h1}", "No. {h1}", "Lantai {h1}, ruang {h2}", "Lihat videonya di sini", "Foto dan video: dokumentasi acara",
        "Resolusi layar 1080 x 2400 pixel, kamera 50 MP", "Ukuran 20 x 30 cm", "Skor akhir 3 - 1",
        "Malam ini senang bisa hadir di {c}", "Sampai jumpa minggu depan", "Terima kasih sudah datang",
    ]).format(h1=rng.randint(7, 12), h2=rng.randint(17, 23), p1=rng.randint(100, 999), p2=rng.randint(100, 999), c=c)


def meta_talk(rng):
    """Talk about the slang and the ads themselves: questions, complaints, jokes. Not ads."""
    term = rng.choice(["open BO", "BO", "VCS", "bispak", "ayam kampus", "slot gacor", "judol", "link bokep", "pijat plus plus"])
    return rng.choice([
        "apa sih artinya {t}? sering liat di twitter", "arti {t} itu apa ya guys", "kenapa sih timeline penuh iklan {t}",
        "sebel banget tiap buka michat isinya {t} semua", "{t} itu singkatan dari apa?", "baru tau ternyata {t} itu maksudnya begitu",
        "tolong report akun {t} yang follow aku", "kok bisa ya akun {t} gak diblokir", "ngakak baca komentar soal {t} di thread ini",
        "thread: istilah-istilah {t} yang perlu orang tua tahu", "admin grup tolong hapus postingan {t} tadi",
        "jangan asal tuduh orang {t}, itu fitnah", "skripsi aku tentang fenomena {t} di media sosial",
    ]).format(t=term)


def shop_reply(rng):
    """Short replies of sellers that reuse ad words (ready, avail, chat aja)."""
    return rng.choice([
        "ready kak, silakan order", "ready stok kak, chat aja", "masih ready kak, mau warna apa?", "avail kak, langsung checkout ya",
        "ready sekarang kak, bisa kirim hari ini", "ready ya kak, mau berapa pcs?", "slot pengiriman hari ini masih ada kak",
        "bisa COD kak, chat aja", "DM aja kak untuk pricelist", "ready kak, harga 50rb", "open order kak, chat aja",
        "sold out kak, restock minggu depan", "ready kak, DP dulu ya untuk PO",
    ])


# ---------------------------------------------------------------- benign corpora

# ---------------------------------------------------------------- implicit offers and comment spam
# Offers that never say "open BO": company or a service, a session and a price, a place, a call to
# action; and their look-alikes, the trades that quote a price by the hour. Gambling as it is
# written in comments: a disguised site brand praised or credited with a payout; and the talk
# around gambling that is not promotion (campaigns, news, jokes, products with model numbers).

COMPANY = ["menerima tamu", "nerima tamu", "terima tamu", "temenin", "nemenin", "temani kamu", "siap menemani",
           "temenin ngobrol", "temenin jalan", "temenin nginep", "teman tidur", "bisa extra", "extra nego",
           "layanan plus", "karaoke plus", "pijat panggilan khusus pria", "pijat ++", "full service",
           "ready nemenin", "bisa nemenin", "sekali main"]
SESSION = ["1 jam", "2 jam", "sejam", "short time", "long time", "ST", "LT", "all in", "include room",
           "sudah sama kamar", "full night", "sekali main"]
VENUE = ["ke hotel", "di hotel", "di apartemen", "di kos", "ke tempat kamu", "di tempatku", "hotel sekitar {c}",
         "apart daerah {c}", "area {c}", "ke kos"]
CTA = ["konfirmasi ke {p}", "chat aja", "wa {p}", "dm", "pm aja", "japri", "serius chat", "minat chat",
       "hubungi {p}", "konfirmasi lewat wa", ""]


def implicit_offer(rng):
    c = rng.choice(CITIES)
    ph = g.format_phone(g.random_phone(rng), rng)
    company = rng.choice(COMPANY)
    if rng.random() < 0.35:
        company = g.disguise(company, rng) if rng.random() < 0.5 else g.dotted(company.upper(), rng)
    session = rng.choice(SESSION)
    parts = [company, f"{session} {price(rng)}", rng.choice(VENUE).format(c=c), rng.choice(CTA).format(p=ph)]
    if rng.random() < 0.3:
        parts.insert(1, rng.choice(["malam ini", "hari ini", "sampai pagi", "dadakan", "free kondom", "real pict"]))
    if rng.random() < 0.3:
        rng.shuffle(parts)
    text = rng.choice([", ", " ", ". ", "\n", " | "]).join(x for x in parts if x)
    return g.sprinkle_emoji(text, rng, 0.2) if rng.random() < 0.3 else text


def hourly_trade(rng):
    c = rng.choice(CITIES)
    ph = g.format_phone(g.random_phone(rng), rng)
    return rng.choice([
        f"Les privat {rng.choice(['matematika', 'bahasa inggris', 'fisika', 'ngaji', 'piano'])} ke rumah, 1 jam {price(rng)}, chat {ph}",
        f"Guru privat SD-SMP area {c}, 2 jam {price(rng)}, konfirmasi ke {ph}",
        f"Sewa mobil + sopir 12 jam {price(rng)} all in bensin, {rng.choice(['chat aja', 'wa ' + ph])}",
        f"Jasa fotografer wisuda 2 jam {price(rng)}, datang ke tempat, konfirmasi lewat WA",
        f"Pijat refleksi {rng.choice(['tradisional', 'keluarga', 'kaki'])} 1 jam {price(rng)}, terapis bersertifikat, {c}",
        f"Spa & body massage 1 jam {price(rng)}, reservasi di {ph}",
        f"Hotel dekat stasiun {c}, kamar {price(rng)} per malam include sarapan, hubungi resepsionis",
        f"Kos putri {c}, {price(rng)} per bulan, wifi, kamar mandi dalam, hubungi {ph}",
        f"Villa {c} {price(rng)} per malam, muat 10 orang, all in sarapan",
        f"Daftar harga salon: potong rambut 35k, creambath 1 jam {price(rng)}, smoothing {price(rng)}",
        f"Polisi menggerebek hotel di {c} yang menerima tamu untuk prostitusi, tarif {price(rng)} per jam",
        f"Hati-hati modus penipuan: ngaku bisa nemenin, minta DP {price(rng)} lalu menghilang",
        f"Temenin aku belajar buat ujian besok yuk, 2 jam aja di perpus",
        f"Cleaning service panggilan 3 jam {price(rng)}, alat dibawa sendiri, wa {ph}",
        f"Sewa ruang meeting 2 jam {price(rng)} include snack di {c}",
        f"MC dan band untuk nikahan, 3 jam {price(rng)}, konfirmasi ke {ph}",
        f"Hotel kami menerima tamu rombongan, 1 malam {price(rng)}, reservasi online",
        f"Ojek antar jemput sekolah, per bulan {price(rng)}, area {c}",
    ])


# Second round, written against heldout/offers_dev2.jsonl: offers that name a session and a room
# without any of the words above, and the look-alikes that sink precision — places rented by the
# hour, trades that come to you, and "temenin" in everyday life.
OFFER_OPEN = ["open slot malam ini", "tinggal datang aja", "kamar ada, tinggal bawa diri", "bisa dipanggil",
              "sedia teman malam", "yang mau ditemani tidur", "butuh teman tidur?",
              "om om yang kesepian", "bisa dikelonin", "siap nemenin staycation",
              "ada yang mau ditemenin malam ini?", "open tamu"]
OFFER_SESSION = ["1 sesi", "sesi singkat", "sesi panjang", "1x main", "inap", "semalam", "sampai pagi",
                 "short", "long", "90 menit", "3 jam"]
OFFER_ROOM = ["udah termasuk kamar", "termasuk kamar", "kamar dari aku", "free kamar", "sama kamar",
              "kamar udah aku siapin", "di apartemenku", "di kosku", "ke hotel kamu", "hotel atau kos kamu",
              "inc room"]
OFFER_CTA = ["japri", "wa aku", "chat aja", "dm serius", "pm", "no tipu", "foto real", "bayar di tempat", "cek dm"]


def implicit_offer_2(rng):
    c = rng.choice(CITIES)
    opener = rng.choice(OFFER_OPEN)
    if rng.random() < 0.25:
        opener = g.disguise(opener, rng) if rng.random() < 0.5 else g.dotted(opener, rng)
    parts = [opener, f"{rng.choice(OFFER_SESSION)} {price(rng)}", rng.choice(OFFER_ROOM)]
    if rng.random() < 0.6:
        parts.append(rng.choice(["area " + c, "daerah " + c, "sekitar " + c, "hotel dekat " + c]))
    parts.append(rng.choice(OFFER_CTA) if rng.random() < 0.7 else "wa " + g.format_phone(g.random_phone(rng), rng))
    if rng.random() < 0.4:
        rng.shuffle(parts)
    text = rng.choice([", ", " ", ". ", " | "]).join(parts)
    return g.sprinkle_emoji(text, rng, 0.2) if rng.random() < 0.3 else text


HOURLY_PLACE = ["sewa lapangan futsal", "sewa lapangan badminton",
                "sewa lapangan mini soccer", "rental PS", "rental PS5", "biliar", "karaoke keluarga", "studio musik",
                "escape room", "ruang meeting", "coworking",
                "sewa perahu", "trampolin park", "bowling", "sewa gazebo", "parkir inap", "wahana bermain anak",
                "paintball", "sewa aula", "panahan", "kolam renang", "lapangan golf mini",
                "sewa mobil lepas kunci", "sewa motor"]
HOURLY_TRADE = ["les privat", "guru les", "pelatih renang privat", "make up wisuda", "cleaning service panggilan",
                "pendamping lansia", "pemandu wisata", "jasa supir", "fotografer",
                "barbershop home service", "fisioterapi panggilan", "pijat bayi",
                "tukang pijat urut tradisional", "terapis refleksi", "guru ngaji", "jasa MC", "les gitar",
                "kelas yoga", "montir AC panggilan"]
HOURLY_UNIT = ["1 jam", "2 jam", "3 jam", "per jam", "/jam", "sejam", "1 sesi", "per sesi", "12 jam", "24 jam",
               "1 hari", "semalam"]
HOURLY_EXTRA = ["buka sampai jam {h} malam", "pagi lebih murah", "weekend tambah {p}", "minimal 2 jam",
                "ruangan ber-AC", "alat lengkap", "area {c}", "dekat stasiun {c}", "bisa ke rumah atau kos",
                "datang ke tempat", "datang ke hotel atau rumah", "terapis bersertifikat", "berpengalaman",
                "khusus keluarga", "per orang", "syarat KTP", "ambil di toko", "termasuk snack"]
HOURLY_CTA = ["booking via WA {ph}", "chat aja", "dm untuk booking", "reservasi lewat WA", "datang aja",
              "hubungi {ph}", "wa {ph}", "konfirmasi lewat WA", "chat admin", ""]


def by_the_hour(rng):
    c = rng.choice(CITIES)
    ph = g.format_phone(g.random_phone(rng), rng)
    what = rng.choice(HOURLY_PLACE if rng.random() < 0.55 else HOURLY_TRADE)
    parts = [f"{what[0].upper()}{what[1:]} {rng.choice(HOURLY_UNIT)} {price(rng)}"]
    for _ in range(rng.randint(0, 2)):
        parts.append(rng.choice(HOURLY_EXTRA).format(h=rng.randint(9, 12), p=price(rng), c=c))
    cta = rng.choice(HOURLY_CTA).format(ph=ph)
    if cta:
        parts.append(cta)
    return ", ".join(parts)


TEMENIN_WHO = ["aku", "ibu", "adikku", "nenek", "kakak", "aku sama temen-temen", "mama", "ayah", "anakku"]
TEMENIN_WHAT = ["nonton konser", "nonton bioskop", "ke pasar", "lari pagi", "belanja bulanan",
                "makan malam", "ke dokter", "ke bandara", "kondangan",
                "ngerjain tugas", "ke gym", "mancing", "ke pameran", "ke rumah sakit", "jalan sore",
                "cari kado", "bersepeda", "nonton bola", "ke acara wisuda", "ngopi"]
TEMENIN_WHEN = ["besok pagi", "Sabtu depan", "sore ini", "minggu pagi", "jam 7", "nanti malam", "habis magrib",
                "weekend ini", "pulang kerja", "besok siang"]


def everyday_temenin(rng):
    who, what, when = rng.choice(TEMENIN_WHO), rng.choice(TEMENIN_WHAT), rng.choice(TEMENIN_WHEN)
    verb = rng.choice(["temenin", "Temenin", "nemenin", "temani", "anterin"])
    return rng.choice([
        f"{verb} {who} {what} {when} ya",
        f"Ada yang mau {verb.lower()} aku {what} {when}? ketemuan di {rng.choice(CITIES)}",
        f"{verb} {who} {what} dong, tiketnya {price(rng)} aku yang bayar",
        f"siapa yang bisa {verb.lower()} {who} {what} {when}",
        f"makasih udah {verb.lower()} aku {what} kemarin",
        f"{verb} {who} {what} {when}, nanti aku jemput jam {rng.randint(5, 9)}",
        f"kak bisa {verb.lower()} {who} {what}? {rng.randint(1, 3)} jam aja kok",
    ])


BRAND_WORDS = ["mawar", "pantai", "raja", "kudahoki", "bintang", "naga", "langit", "merpati", "garuda", "dewa",
               "sultan", "macan", "elang", "rajawali", "mutiara", "permata", "intan", "samudra", "bulan",
               "matahari", "petir", "kilat", "api", "naga emas", "singa", "harimau", "koin", "emas", "jaya",
               "hoki", "cuan", "mega", "super", "top", "bos", "juragan", "kakek", "nenek", "ratu", "pangeran"]


def brand(rng):
    w = rng.choice(BRAND_WORDS).replace(" ", "")
    tail = rng.choice([str(rng.randint(10, 999)), str(rng.randint(10, 99)) * 2, "4d", "88", "77", "99", "138",
                       "303", "777", "999", "168", "365"])
    return w.upper() + tail if rng.random() < 0.8 else w + tail


def gambling_comment(rng):
    b = g.disguise(brand(rng), rng)
    praise = rng.choice(["Sungguh luar biasa!", "Keren banget", "Mantap", "Mantul", "Gila sih", "Recommended banget",
                         "Fix paling top", "Serius", "Gak nyangka", "Alhamdulillah", "Makasih", "Paling juara",
                         "Cobain deh", "Pindah ke", "Main di", "Gabung di", "Udah coba"])
    payout = rng.choice(["bikin ketagihan", "cuan terus", "hoki terus", "langsung jp", "udah di kasih WD",
                         "member baru langsung di kasih WD", "wede lancar", "maxwin terus", "jeipe gede",
                         "dijamin jepe", "auto sultan", "modal receh wd jutaan", "gacor parah", "gampang menang",
                         "gak pernah rungkad", "JP mulu", "depo dikit langsung maxwin", "bocoran paling akurat",
                         "wd berapapun dibayar", "scatter terus"])
    shape = rng.randrange(5)
    if shape == 0:
        text = f"{praise} {b} {payout}"
    elif shape == 1:
        text = f"{payout} di {b}, {praise.lower()}"
    elif shape == 2:
        text = f"{praise} {payout}, makasih {b}"
    elif shape == 3:
        text = f"{b} {payout} {rng.choice(['bosku', 'gaes', 'bro', '🔥🔥', '💰', ''])}"
    else:
        text = rng.choice(["member baru langsung di kasih WD", "Jeipe gede", "baru depo 20 langsung maxwin",
                           "wede lancar jaya hari ini", "depo 10 wd 2jt", "udah di kasih wd lagi"]) + rng.choice(["", f" di {b}", "!!"])
    return g.sprinkle_emoji(text, rng, 0.2) if rng.random() < 0.3 else text


def gambling_talk(rng):
    b = rng.choice(["iPhone15", "Galaxy S24", "Redmi13", "PS5", "Avanza2024", "Covid19", "Windows11", "Timnas U23",
                    "RX7600", "Honda PCX160", "Vario125", "Persib", "Garuda Indonesia"])
    return rng.choice([
        "STOP JUDOL SDM RENDAH", "Judol bikin miskin, udah banyak keluarga hancur, jauhi",
        "stop judi online, kasihan anak istri di rumah", "Tolak judol! Lapor kalau lihat promosinya",
        "judol itu haram dan merusak, jangan pernah coba", "gara-gara judol tetangga saya kehilangan rumah",
        f"Pemerintah blokir {rng.randint(2, 9)}.000 situs judi online bulan ini, kata Menkominfo",
        "Polisi tangkap selebgram yang promosi situs judi, ancaman 6 tahun penjara",
        "wkwk jackpot banget hari ini dapet diskon 50% di supermarket",
        "hoki banget dapet parkir depan pintu mall", "dapet jackpot: bos traktir makan siang sekantor",
        f"{b} emang luar biasa, bikin ketagihan", f"{b} mantap, keren banget", f"makasih {b}, recommended",
        f"{b} bikin ekonomi rungkad tapi kita bangkit lagi" if b == "Covid19" else f"{b} gak pernah ngecewain",
        "Saham BBCA lagi cuan, portofolio hijau semua", "Alhamdulillah jualan laris, cuan terus",
        "rungkad total hari ini, motor mogok hujan deras", "Timnas menang 3-0, luar biasa Garuda!",
        "gaji baru cair, langsung wd di atm buat bayar kos", "depo tabungan di bank dapet bunga 3%",
        "kecanduan judi itu penyakit, ada layanan konseling gratis", "main game offline aja, lebih aman daripada judol",
    ])


def benign(rng, limits):
    out = []
    path = os.path.join(CORPORA, "nlp-id", "sentences.txt")
    with open(path, encoding="utf-8") as f:
        lines = [l.strip() for l in f if l.strip()]
    out += rng.sample(lines, min(limits[0], len(lines)))
    with open(os.path.join(CORPORA, "indonlu", "smsa_train.tsv"), encoding="utf-8") as f:
        lines = [l.split("\t")[0].strip() for l in f if l.strip()]
    out += rng.sample(lines, min(limits[1], len(lines)))
    with open(os.path.join(CORPORA, "indonlu", "emot_train.csv"), encoding="utf-8") as f:
        rows = [r[1] for r in csv.reader(f) if len(r) == 2 and r[0] != "label"]
    out += rng.sample(rows, min(limits[2], len(rows)))
    with open(os.path.join(CORPORA, "indonlu", "hoasa_train.csv"), encoding="utf-8") as f:
        rows = [r[0] for r in csv.reader(f) if r and r[0] != "review"]
    out += rng.sample(rows, min(limits[3], len(rows)))
    return out


def build_rows(rng):
    """All (text, label) rows of the training corpus, before shuffling."""
    rows = []
    gens = [(prostitution, "prostitution", 9000), (pornography, "pornography", 3500), (gambling, "gambling", 3500),
            (shop, "clear", 4500), (massage, "clear", 700), (lodging, "clear", 700), (news, "clear", 1500),
            (warning, "clear", 900), (health, "clear", 500), (dating, "clear", 300), (insult, "clear", 250),
            (misc_lookalike, "clear", 900), (prostitution_chat, "prostitution", 5000), (pimp_ad, "prostitution", 1500),
            (service_chat, "clear", 4000), (pornography_chat, "pornography", 1500), (gambling_chat, "gambling", 1500),
            (game_talk, "clear", 1200), (media_talk, "clear", 1200), (everyday, "clear", 2000),
            (meta_talk, "clear", 1200), (shop_reply, "clear", 1200)]
    for fn, label, n in gens:
        for _ in range(n):
            rows.append((fn(rng), label))
    for t in benign(rng, (7000, 5000, 2000, 1500)):
        rows.append((t, "clear"))
    # Drawn after everything above, so the older rows stay as they were.
    for fn, label, n in [(implicit_offer, "prostitution", 3000), (hourly_trade, "clear", 1500),
                         (gambling_comment, "gambling", 3000), (gambling_talk, "clear", 2000),
                         (implicit_offer_2, "prostitution", 1500), (by_the_hour, "clear", 2500),
                         (everyday_temenin, "clear", 1200)]:
        for _ in range(n):
            rows.append((fn(rng), label))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--bench", type=int, default=0, help="write N unlabelled posts {id,text} for speed tests")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    rows = build_rows(rng)
    rng.shuffle(rows)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        if args.bench:
            for i in range(args.bench):
                t, _ = rows[i % len(rows)]
                f.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
        else:
            for t, label in rows:
                f.write(json.dumps({"text": t, "label": label}, ensure_ascii=False) + "\n")
    print(f"wrote {args.bench or len(rows)} lines to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
