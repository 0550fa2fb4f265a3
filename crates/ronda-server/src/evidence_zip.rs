//! Evidence bundles as zip files: the edge between [`ronda_core::evidence`] (entries as bytes)
//! and the archive a court or the police receive. Entries are deflated, in the bundle's order
//! (`manifest.json`, `manifest.sig`, then the listed files), with a fixed timestamp so the same
//! bundle always zips to the same bytes.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// Largest entry read back when verifying (a guard against zip bombs).
pub const MAX_ENTRY_BYTES: u64 = 1 << 30;

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

/// Reads every file entry of a zip (directories skipped), in archive order.
pub fn read_zip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut archive =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not a readable zip: {e}"))?;
    let mut out = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| format!("zip entry {i}: {e}"))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map_err(|e| format!("zip entry {i}: {e}"))?
            .into_owned();
        let mut data = Vec::new();
        entry
            .take(MAX_ENTRY_BYTES + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("zip entry {name}: {e}"))?;
        if data.len() as u64 > MAX_ENTRY_BYTES {
            return Err(format!(
                "zip entry {name} is larger than {MAX_ENTRY_BYTES} bytes"
            ));
        }
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
}
