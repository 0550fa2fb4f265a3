//! Opening the store from configuration and the first-start duties: default platforms and the
//! initial admin token.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ronda_core::clock::Clock;
use ronda_core::model::Role;
use ronda_store::seal::{Sealer, load_or_create_key};
use ronda_store::{Store, StoreOptions};

use crate::config::Config;

/// Opens (and migrates) the configured store; a new one gets the default platforms.
pub fn open_store(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Store> {
    private_dir(&config.data_dir)
        .map_err(|e| anyhow::anyhow!("the data directory {}: {e}", config.data_dir.display()))?;
    let location = config.db_location();
    let key_path = config.secret_key_path();
    let key = load_or_create_key(&key_path)
        .map_err(|e| anyhow::anyhow!("reading the data key {}: {e}", key_path.display()))?;
    let store = Store::open(
        StoreOptions {
            location: location.clone(),
            max_readers: config.read_connections,
            sealer: Sealer::new(&key),
            link: config.link_config(),
            deadlines: config.deadline_policy(),
            lock_timeout_ms: config.db_lock_timeout_ms,
        },
        clock,
    )
    .map_err(|e| anyhow::anyhow!("opening the database {}: {e}", location.display()))?;
    // The embedded database holds reports and cases: its files are the owner's only (SQLite
    // gives its WAL and shared-memory files the database file's mode).
    if let ronda_store::DbLocation::Sqlite(path) = &location {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.clone().into_os_string();
            name.push(suffix);
            owner_only(Path::new(&name), 0o600)
                .map_err(|e| anyhow::anyhow!("{}: {e}", Path::new(&name).display()))?;
        }
    }
    // A new database starts with the common platforms, whichever command opens it first.
    if store.list_platforms()?.is_empty() {
        store.seed_platforms_blocking("system:first-start")?;
    }
    Ok(store)
}

/// The instance's Ed25519 signing key (a 32-byte seed) for evidence bundles, created with mode
/// 0600 when absent (first start, or the first CLI command that needs it).
pub fn signing_key(config: &Config) -> anyhow::Result<[u8; 32]> {
    let path = config.signing_key_path();
    load_or_create_key(&path)
        .map_err(|e| anyhow::anyhow!("reading the signing key {}: {e}", path.display()))
}

pub fn admin_token_path(data_dir: &Path) -> PathBuf {
    data_dir.join("admin.token")
}

/// On a store without an admin token: creates an admin token and writes it to `<data_dir>/admin.token` with mode 0600.
/// Returns the new secret (to be printed once), or `None` when an admin token already exists.
pub fn first_start(store: &Store, config: &Config) -> anyhow::Result<Option<String>> {
    if store.has_admin_token()? {
        return Ok(None);
    }
    let token = store.create_token_blocking(
        "system:first-start",
        "admin (first start)",
        Role::Admin,
        None,
    )?;
    std::fs::create_dir_all(&config.data_dir)?;
    write_secret_file(&admin_token_path(&config.data_dir), &token.secret)?;
    Ok(Some(token.secret))
}

/// Creates the data directory if needed and makes it the owner's only (0700).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    owner_only(dir, 0o700)
}

/// Sets `mode` on an existing file or directory (nothing when it does not exist; nothing off
/// Unix).
fn owner_only(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(_) => std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Writes a secret readable by the owner only.
pub fn write_secret_file(path: &Path, secret: &str) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    writeln!(f, "{secret}")?;
    f.sync_all()
}
