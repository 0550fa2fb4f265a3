//! `ronda hash` and `ronda match` through the real binary, each test in a fresh temp dir.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn ronda(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ronda"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ronda");
    // The program may exit before reading its input (a bad bank file): a broken pipe is fine.
    if let Err(error) = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
    {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    child.wait_with_output().expect("wait for ronda")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A 24-bit BMP of a smooth gradient, written by hand so the test needs no encoder.
fn write_bmp(path: &Path, width: u32, height: u32) {
    let row = (width * 3).div_ceil(4) * 4;
    let size = 54 + row * height;
    let mut bytes = Vec::with_capacity(size as usize);
    bytes.extend_from_slice(b"BM");
    bytes.extend_from_slice(&size.to_le_bytes());
    bytes.extend_from_slice(&[0; 4]);
    bytes.extend_from_slice(&54u32.to_le_bytes());
    bytes.extend_from_slice(&40u32.to_le_bytes());
    bytes.extend_from_slice(&width.to_le_bytes());
    bytes.extend_from_slice(&height.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&24u16.to_le_bytes());
    bytes.extend_from_slice(&[0; 24]);
    for y in 0..height {
        for x in 0..width {
            let v = (
                (x * 255 / width) as u8,
                (y * 255 / height) as u8,
                ((x + y) % 256) as u8,
            );
            bytes.extend_from_slice(&[v.2, v.1, v.0]);
        }
        bytes.resize(bytes.len() + (row - width * 3) as usize, 0);
    }
    std::fs::write(path, bytes).expect("write bmp");
}

/// The PDQ reference images and hashes (`tests/data/pdq`, BSD: its `LICENSE`).
fn reference_pdq() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/pdq")
}

#[test]
fn hash_prints_reference_format_and_reports_failures_at_the_end() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write_bmp(&tmp.path().join("a.bmp"), 80, 60);
    write_bmp(&tmp.path().join("b.bmp"), 33, 47);
    std::fs::write(tmp.path().join("notes.txt"), "not an image").expect("write");
    let out = ronda(
        tmp.path(),
        &["hash", "a.bmp", "missing.png", "notes.txt", "b.bmp"],
        "",
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for (line, name) in lines.iter().zip(["a.bmp", "b.bmp"]) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[0].len(), 64);
        assert!(fields[0].bytes().all(|b| b.is_ascii_hexdigit()));
        let quality: u8 = fields[1].parse().expect("quality");
        assert!(quality <= 100);
        assert_eq!(fields[2], name);
    }
    let err = stderr(&out);
    assert!(err.contains("missing.png"), "{err}");
    assert!(
        err.contains("notes.txt") && err.contains("not a supported image"),
        "{err}"
    );
}

#[test]
fn hash_reads_paths_from_stdin_and_prints_dihedral_hashes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write_bmp(&tmp.path().join("a.bmp"), 80, 60);
    write_bmp(&tmp.path().join("b.bmp"), 64, 64);
    let out = ronda(tmp.path(), &["hash", "-"], "a.bmp\nb.bmp\n");
    assert!(out.status.success(), "{}", stderr(&out));
    let plain = stdout(&out);
    assert_eq!(plain.lines().count(), 2);

    let out = ronda(tmp.path(), &["hash", "--dihedral", "a.bmp"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let dihedral = stdout(&out);
    assert_eq!(dihedral.lines().count(), 8);
    assert!(dihedral.lines().all(|l| l.ends_with(",a.bmp")));
    // The first dihedral line is the plain hash.
    assert_eq!(dihedral.lines().next(), plain.lines().next());
}

#[test]
fn hash_matches_the_reference_vectors() {
    let dir = reference_pdq();
    let out = ronda(
        &dir,
        &["hash", "images/L.png", "images/random_image_from_test.png"],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,images/L.png\n\
         ad64cd9875e131a177b1f2a0d6b38ae1de9ea80421e4c51dde1b0363deba3466,100,images/random_image_from_test.png\n"
    );
}

const A: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const A2: &str = "f8f8f0cee0f4a84f06370a22038f67f0b36e2ed596221e1d33e6b39c4e9c9b22";
const B: &str = "30a10efd71cc3d429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af";

#[test]
fn match_prints_matches_nearest_first_with_labels() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("bank.csv"),
        format!("pdq,quality,label\n# a comment\n{A2},100,near copy\n{B},90,other\n{A},,exact\n"),
    )
    .expect("write bank");
    let queries = format!("{A},from-report-1\nnot a hash\n\n{}\n", "0".repeat(64));
    let out = ronda(
        tmp.path(),
        &["match", "--bank", "bank.csv", "--radius", "31"],
        &queries,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "bad query line makes the exit code non-zero"
    );
    assert_eq!(
        stdout(&out),
        format!("{A},{A},0,exact\n{A},{A2},2,near copy\n")
    );
    assert!(stderr(&out).contains("line 2"), "{}", stderr(&out));

    // From a file, a radius of 1 keeps only the exact copy; all lines good: exit 0.
    std::fs::write(tmp.path().join("q.txt"), format!("{A}\n{B}\n")).expect("write");
    let out = ronda(
        tmp.path(),
        &["match", "--bank", "bank.csv", "--radius", "1", "q.txt"],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{A},{A},0,exact\n{B},{B},0,other\n"));
}

#[test]
fn match_rejects_a_bad_bank_with_its_line_number() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("bank.txt"), format!("{A}\n{B}\nxyz\n")).expect("write");
    let out = ronda(
        tmp.path(),
        &["match", "--bank", "bank.txt"],
        &format!("{A}\n"),
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("line 3"), "{}", stderr(&out));
}
