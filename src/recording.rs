//! What a recording says about the run it holds, and how a replay rebuilds
//! the machine from it.
//!
//! The log's header carries the full machine configuration and command
//! line, and the size and SHA-256 of every image the guest sees. A replay
//! takes the machine from the header alone (the images' paths may be
//! overridden when files moved) and refuses any image whose hash differs:
//! a replay against other bytes would diverge anyway, later and less
//! clearly.

use crate::machine::MachineConfig;
use anyhow::{bail, Context};
use lockstep_jit::engine::{ExecMode, TraceOptions};
use lockstep_replay::{Header, ImageInfo};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Instructions between periodic state digests. A digest costs a hash
/// of the pages written since the last one (see `Bus::ram_digest`); at
/// this interval a Linux boot takes a few dozen.
pub const DIGEST_INTERVAL: u64 = 1 << 27;

/// The SHA-256 and size of a file.
pub fn sha256_file(path: &Path) -> anyhow::Result<([u8; 32], u64)> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((h.finalize().into(), size))
}

fn image(role: &str, path: &Path) -> anyhow::Result<ImageInfo> {
    let (sha256, size) = sha256_file(path)?;
    Ok(ImageInfo {
        role: role.into(),
        path: path.display().to_string(),
        size,
        sha256,
    })
}

fn hex(h: &[u8; 32]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// The header of a recording of `cfg`, started by `argv`.
pub fn header_for(cfg: &MachineConfig, argv: &[String]) -> anyhow::Result<Header> {
    let mut config = vec![
        ("machine".to_string(), cfg.machine.clone()),
        ("memory".to_string(), cfg.memory.to_string()),
        ("kernel".to_string(), cfg.kernel.display().to_string()),
        (
            "semihosting".to_string(),
            if cfg.semihosting { "on" } else { "off" }.to_string(),
        ),
        ("exec".to_string(), format!("{:?}", cfg.exec).to_lowercase()),
    ];
    let mut images = vec![image("kernel", &cfg.kernel)?];
    if let Some(p) = &cfg.initrd {
        config.push(("initrd".into(), p.display().to_string()));
        images.push(image("initrd", p)?);
    }
    if let Some(p) = &cfg.dtb {
        config.push(("dtb".into(), p.display().to_string()));
        images.push(image("dtb", p)?);
    }
    if let Some(a) = &cfg.append {
        config.push(("append".into(), a.clone()));
    }
    for (i, d) in cfg.drives.iter().enumerate() {
        // A disk the guest may write changes between runs: its hash is
        // that of the image the recording started from.
        images.push(image(&format!("drive{i}"), d)?);
    }
    if cfg.drives_writable {
        config.push(("drives_writable".into(), "on".into()));
    }
    if cfg.no_reboot {
        config.push(("no_reboot".into(), "on".into()));
    }
    Ok(Header {
        lockstep_version: env!("CARGO_PKG_VERSION").to_string(),
        config,
        argv: argv.to_vec(),
        icount_shift: lockstep_runtime::env::ICOUNT_SHIFT,
        digest_interval: DIGEST_INTERVAL,
        images,
    })
}

/// Image paths a replay should use instead of the recorded ones.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// The kernel.
    pub kernel: Option<PathBuf>,
    /// The initrd.
    pub initrd: Option<PathBuf>,
    /// The device tree.
    pub dtb: Option<PathBuf>,
}

/// Rebuilds the machine configuration from a log's header, checking that
/// every image (at its recorded path, or the override) is the one the
/// recording used.
pub fn config_from_header(
    h: &Header,
    log: &Path,
    overrides: &Overrides,
    exec: ExecMode,
    trace: TraceOptions,
) -> anyhow::Result<MachineConfig> {
    let get = |k: &str| h.config_value(k);
    let machine = get("machine").unwrap_or("?");
    let Some(board) = crate::machine::lookup(machine) else {
        bail!(
            "{}: recorded on machine '{machine}', which this Lockstep cannot replay (it has: {})",
            log.display(),
            crate::machine::board_names()
        );
    };
    if h.icount_shift != lockstep_runtime::env::ICOUNT_SHIFT {
        bail!(
            "{}: recorded with icount shift {}, this Lockstep runs with {}",
            log.display(),
            h.icount_shift,
            lockstep_runtime::env::ICOUNT_SHIFT
        );
    }
    let memory: u64 = get("memory")
        .and_then(|m| m.parse().ok())
        .with_context(|| format!("{}: the header has no valid memory size", log.display()))?;
    let checked = |role: &str, over: &Option<PathBuf>| -> anyhow::Result<Option<PathBuf>> {
        let Some(info) = h.image(role) else {
            return Ok(None);
        };
        let path = over.clone().unwrap_or_else(|| PathBuf::from(&info.path));
        let (sha, size) = sha256_file(&path).with_context(|| {
            format!(
                "the recording needs its {role} (recorded as {}); give its new place with --{role}",
                info.path
            )
        })?;
        if sha != info.sha256 || size != info.size {
            bail!(
                "{}: this {role} differs from the one recorded ({} bytes, sha256 {}; the file has {} bytes, sha256 {}): a replay needs the same bytes",
                path.display(),
                info.size,
                hex(&info.sha256),
                size,
                hex(&sha)
            );
        }
        Ok(Some(path))
    };
    let mut drives = Vec::new();
    while let Some(p) = checked(&format!("drive{}", drives.len()), &None)? {
        drives.push(p);
    }
    let kernel = checked("kernel", &overrides.kernel)?
        .with_context(|| format!("{}: the header names no kernel image", log.display()))?;
    Ok(MachineConfig {
        machine: board.name.to_string(),
        memory,
        kernel,
        initrd: checked("initrd", &overrides.initrd)?,
        append: get("append").map(str::to_string),
        dtb: checked("dtb", &overrides.dtb)?,
        drives,
        // A replay never writes the images: the overlay holds the writes.
        drives_writable: false,
        no_reboot: get("no_reboot") == Some("on"),
        semihosting: get("semihosting") == Some("on"),
        exec,
        trace,
        jit_code_bytes: lockstep_jit::clif::CODE_ARENA_BYTES,
    })
}
