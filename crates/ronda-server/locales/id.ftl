# Konsol Ronda — Bahasa Indonesia (bahasa bawaan). Kuncinya sama dengan locales/en.ftl.

skip-to-content = Langsung ke isi
nav-label = Utama
nav-queue = Antrean
nav-search = Cari
language = Bahasa
sign-out = Keluar

role-admin = Admin
role-supervisor = Supervisor
role-analyst = Analis
role-intake = Penerimaan
role-police = Polisi
role-platform = Platform

login-title = Masuk
login-username = Nama pengguna
login-password = Kata sandi
login-submit = Masuk
login-refused = Nama pengguna atau kata sandi salah.
login-locked = Terlalu banyak kata sandi salah: akun ini dikunci sampai { $until }.
login-throttled = Terlalu banyak percobaan masuk dari alamat ini. Coba lagi dalam { $seconds } detik.

account-title = Akun Anda
account-role = Peran
account-platform = Platform
account-unit = Satuan
account-portal-elsewhere = Halaman tim hanya untuk staf kementerian. Portal Anda dibuka dari alamat organisasi Anda.

password-title = Ganti kata sandi
password-must-change = Pilih kata sandi Anda sendiri sebelum melanjutkan.
password-current = Kata sandi sekarang
password-new = Kata sandi baru
password-repeat = Ulangi kata sandi baru
password-hint = Minimal 12 karakter. Kalimat beberapa kata mudah diingat dan sulit ditebak.
password-submit = Ganti kata sandi
password-mismatch = Kedua kata sandi baru tidak sama.
password-wrong-current = Kata sandi sekarang tidak benar.
password-too-short = Kata sandi baru terlalu pendek (minimal 12 karakter).
password-too-long = Kata sandi baru terlalu panjang (maksimal 256 karakter).
password-same = Kata sandi baru harus berbeda dari yang sekarang.

error-back = Kembali ke awal
error-not-found = Tidak ditemukan
error-forbidden = Halaman ini bukan untuk peran Anda
error-csrf = Formulir sudah kedaluwarsa. Muat ulang halaman lalu coba lagi.
error-form = Formulir tidak dapat dibaca.
error-conflict = Ditolak:
error-transition = Status kasus tidak mengizinkan tindakan ini:
error-invalid = Sebuah nilai ditolak
error-busy = Basis data sedang sibuk. Coba lagi sebentar lagi.
error-internal = Terjadi kesalahan. Kesalahan ini sudah dicatat.

queue-title = Antrean verifikasi
queue-count = { $n } kasus menunggu
queue-urgent = { $n } mendesak
queue-child-safety = { $n } keselamatan anak
queue-held = { $n } sedang ditangani
queue-start = Mulai meninjau
queue-keys = Tombol: j dan k berpindah dalam daftar, Enter membuka kasus.
queue-empty = Tidak ada kasus yang menunggu.
queue-empty-now = Tidak ada lagi kasus untuk ditinjau dengan penyaring ini.
filter-label = Penyaring
filter-any = Semua
filter-apply = Saring
filter-unknown = Nilai { $field } tidak dikenal: penyaring itu diabaikan.
online-title = Sedang masuk
online-none = Tidak ada orang lain yang sedang masuk.
online-holds = menangani

case-title = Kasus #{ $id }
case-status = Status
case-priority = Prioritas
case-category = Kategori
case-platform = Platform
case-source = Sumber
case-target = Sasaran
case-reports = Laporan
case-first-reported = Pertama dilaporkan
case-last-reported = Terakhir dilaporkan
case-excerpt = Teks
case-detection = Deteksi
case-actor = Aktor
case-recreation = akun dibuat ulang
child-safety = Keselamatan anak
text-veiled = Disembunyikan (keselamatan anak)
text-veiled-long = Teks kasus keselamatan anak ini disembunyikan.
text-show = Tampilkan teks (dicatat dalam log audit)

claim-title = Penanganan
claim-none = Belum ada yang menangani kasus ini.
claim-yours = Anda menangani kasus ini sampai { $until }.
claim-other = { $name } menangani kasus ini sampai { $until }.
claim-button = Ambil
release-button = Lepaskan

decision-title = Keputusan
decision-category-keep = Tetap kategori kasus
decision-category-unknown = Kategori tidak dikenal.
decision-basis = Dasar hukum
decision-basis-choose = Pilih dasar hukum
decision-basis-hint = Konfirmasi menyebut dasar hukum surat permintaan penurunan; penolakan tidak memerlukannya.
decision-note = Catatan
decision-confirm = Konfirmasi
decision-confirm-next = Konfirmasi & berikutnya
decision-reject = Tolak
decision-recorded = Keputusan tercatat: status kasus sekarang { $status }.
decision-basis-required = Konfirmasi memerlukan dasar hukum.
decision-basis-unknown = Dasar hukum itu tidak ada dalam daftar yang dikonfigurasi.
decision-note-too-long = Catatan terlalu panjang (maksimal 4000 karakter).
decision-child-safety = Kasus keselamatan anak:

recreation-title = Akun yang dibuat ulang
recreation-of = Membuat ulang { $account }
recreation-of-taken-down = Membuat ulang { $account }, diturunkan pada { $date } berdasarkan { $basis }
recreation-evidence = Bukti

reports-title = Laporan
reports-more = Hanya { $n } laporan pertama yang ditampilkan.
report-claimed = dilaporkan sebagai { $category }
report-target = Sasaran sesuai laporan
report-url = Alamat
report-description = Keterangan
report-media = Media (PDQ)
report-content-removed = Konten dihapus sesuai kebijakan retensi.
highlight-rule = aturan { $rule } ({ $category })
highlight-identifier = pengenal { $kind }: { $value }
highlight-minor = menyebut anak di bawah umur

identifiers-title = Pengenal
identifier-kind = Jenis
identifier-value = Nilai
identifier-phone = Telepon (E.164)
identifier-bank_account = Rekening bank
identifier-ewallet = Dompet elektronik
identifier-url = Alamat
identifier-telegram = Telegram
identifier-email = Surel
identifier-handle = Akun
identifier-other = Lainnya

matches-title = Kecocokan bank hash
match-bank = Bank
match-distance = Jarak

notices-title = Surat permintaan penurunan
notice-heading = Surat #{ $id } kepada { $platform }
notice-status = Status
notice-deadline = Tenggat
notice-status-sent = terkirim
notice-status-acknowledged = diterima
notice-status-removal_claimed = penurunan diklaim
notice-status-refused = ditolak platform
notice-status-disputed = disanggah
notice-status-still_online = masih daring
notice-status-removed = diturunkan
notice-status-withdrawn = ditarik
notice-escalation = Eskalasi
notice-response = Jawaban platform
escalation-none = belum ada
escalation-warning_1 = teguran 1
escalation-warning_2 = teguran 2
escalation-warning_3 = teguran 3
escalation-blocking_recommended = pemutusan akses direkomendasikan

timeline-title = Riwayat

category-prostitution = Prostitusi
category-pornography = Pornografi
category-child_exploitation = Eksploitasi anak
category-gambling = Perjudian
category-other = Lainnya

priority-low = Rendah
priority-normal = Normal
priority-high = Tinggi
priority-urgent = Mendesak

source-patrol = Patroli
source-police = Polisi
source-public = Masyarakat
source-platform = Platform

status-new = baru
status-in_review = sedang ditinjau
status-awaiting_approval = menunggu persetujuan
status-confirmed = dikonfirmasi
status-rejected = ditolak
status-notice_sent = surat terkirim
status-acknowledged = diterima platform
status-removal_claimed = penurunan diklaim
status-removed = diturunkan
status-still_online = masih daring
status-escalated = dieskalasi
status-disputed = disanggah
status-closed = ditutup

child-safety-bank_match = cocok dengan bank hash
child-safety-confirmation = dikonfirmasi analis
child-safety-police_report = dilaporkan polisi
child-safety-claim = dilaporkan sebagai eksploitasi anak
child-safety-minor_signal = teksnya menyebut anak di bawah umur

nav-approvals = Persetujuan
approvals-title = Konfirmasi menunggu persetujuan
approvals-empty = Tidak ada konfirmasi yang menunggu persetujuan.
approval-approve = Setujui
approval-send-back = Kembalikan
approval-reason = Alasan pengembalian
approval-reason-required = Sebutkan alasan konfirmasi dikembalikan.
approval-approved = Disetujui: surat permintaan diterbitkan.
approval-sent-back = Dikembalikan untuk ditinjau ulang.
approval-confirmed-by = Dikonfirmasi oleh

actor-title = Aktor #{ $id }
actor-graph = { $n } akun terhubung oleh { $edges } bukti
actor-bulk-results = Keputusan sekaligus
actor-since = Dikenal sejak { $date }
actor-merged = digabung dari
actor-accounts = Akun
actor-account = Akun
actor-signal = Sinyal
actor-with = Sama dengan
actor-cases = Kasus
actor-bulk-title = Satu keputusan untuk { $n } kasusnya yang terbuka
actor-confirm-all = Konfirmasi semua
actor-reject-all = Tolak semua
account-active = aktif
account-taken_down = diturunkan
nav-notices = Surat
notices-empty = Belum ada surat.
notice-case = Kasus
notice-overdue = lewat tenggat
search-title = Cari
search-label = URL, akun, nomor telepon atau hash PDQ
search-submit = Cari
search-hint = Nomor telepon cocok dalam bentuk tulisan apa pun (0812…, +62 812…); akun juga menemukan akun yang mirip.
search-cases = { $n } kasus
search-hashes = { $n } hash bank dalam jarak 64
countdown-left = sisa { $time }
countdown-overdue = lewat { $time }
