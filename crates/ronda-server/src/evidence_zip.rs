//! Evidence bundles as zip files: the edge between [`ronda_core::evidence`] (entries as bytes)
//! and the archive a court or the police receive. Entries are deflated, in the bundle's order
//! (`manifest.json`, `manifest.sig`, then the listed files), with a fixed timestamp so the same
//! bundle always zips to the same bytes.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// Largest entry read back when verifying (a guard against zip bombs): bundles hold JSON
/// files of cases, reports and content snapshots, far below this.
pub const MAX_ENTRY_BYTES: u64 = 64 << 20;
/// Largest total of all entries read back.
pub const MAX_TOTAL_BYTES: u64 = 512 << 20;
/// Most entries read back.
pub const MAX_ENTRIES: usize = 200_000;

/// Zips a bundle's files.
pub fn write_zip(files: &[(String, Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, bytes) in files {
        w.start_file(name.as_str(), options)
            .map_err(std::io::Error::other)?;
        w.write_all(bytes)?;
    }
    Ok(w.finish().map_err(std::io::Error::other)?.into_inner())
}

/// Reads every entry of a zip, in archive order, within [`MAX_ENTRIES`], [`MAX_ENTRY_BYTES`]
/// and [`MAX_TOTAL_BYTES`] (counted on the bytes inflated, never on the sizes the archive
/// claims). Directory entries are returned too, with whatever data they carry: a bundle has
/// none, so verification reports one as a file that is not in the manifest.
pub fn read_zip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut archive =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not a readable zip: {e}"))?;
    if archive.len() > MAX_ENTRIES {
        return Err(format!(
            "the zip has {} entries; a bundle has at most {MAX_ENTRIES}",
            archive.len()
        ));
    }
    let mut out = Vec::with_capacity(archive.len());
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| format!("zip entry {i}: {e}"))?;
        let name = entry
            .name()
            .map_err(|e| format!("zip entry {i}: {e}"))?
            .into_owned();
        let budget = MAX_ENTRY_BYTES.min(MAX_TOTAL_BYTES - total);
        let mut data = Vec::new();
        entry
            .take(budget + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("zip entry {name}: {e}"))?;
        if data.len() as u64 > budget {
            return Err(if budget == MAX_ENTRY_BYTES {
                format!("zip entry {name} is larger than {MAX_ENTRY_BYTES} bytes")
            } else {
                format!("the zip's entries add up to more than {MAX_TOTAL_BYTES} bytes")
            });
        }
        total += data.len() as u64;
        out.push((name, data));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_round_trip_through_zip_byte_for_byte() {
        let files = vec![
            ("manifest.json".to_string(), b"{}\n".to_vec()),
            ("cases/1/case.json".to_string(), vec![b'x'; 10_000]),
        ];
        let zipped = write_zip(&files).unwrap();
        assert!(zipped.len() < 2_000, "deflated");
        assert_eq!(write_zip(&files).unwrap(), zipped, "deterministic");
        assert_eq!(read_zip(&zipped).unwrap(), files);
        assert!(read_zip(b"not a zip").is_err());
    }

    /// Zip bombs stop at the caps, counted on inflated bytes; directory entries come back so
    /// that data hidden under one is seen.
    #[test]
    fn bombs_stop_at_the_caps_and_directories_are_read() {
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("big.json", options).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..(MAX_ENTRY_BYTES >> 20) + 1 {
            w.write_all(&chunk).unwrap();
        }
        let bomb = w.finish().unwrap().into_inner();
        assert!(bomb.len() < 1 << 20, "a small file: {}", bomb.len());
        assert!(read_zip(&bomb).unwrap_err().contains("larger than"));

        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..(MAX_TOTAL_BYTES / MAX_ENTRY_BYTES) + 1 {
            w.start_file(format!("f{i}.json"), options).unwrap();
            for _ in 0..(MAX_ENTRY_BYTES >> 20) {
                w.write_all(&chunk).unwrap();
            }
        }
        let many = w.finish().unwrap().into_inner();
        assert!(read_zip(&many).unwrap_err().contains("add up to"));

        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        w.add_directory("smuggled_dir/", options).unwrap();
        let dir = w.finish().unwrap().into_inner();
        let entries = read_zip(&dir).unwrap();
        assert_eq!(entries[0].0, "smuggled_dir/");
    }
}
