//! The header: what a replay needs to rebuild the machine that was
//! recorded (configuration, command line, images and their hashes), framed
//! by the magic bytes, the format version, and the header's own length and
//! CRC.

use std::fmt;
use std::io::Read;

use crate::crc::crc32;
use crate::error::ReadError;
use crate::escape;
use crate::format::{FORMAT_VERSION, MAGIC, MAX_HEADER_LEN, MAX_STRING_LEN, PREAMBLE_LEN};
use crate::io_util::read_full;
use crate::wire::{self, Decoder, WireError};

/// The first record of a log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Version string of the Lockstep build that recorded the log.
    pub lockstep_version: String,
    /// The machine configuration as ordered `(key, value)` pairs
    /// (`machine=arm-virt`, `ram=128M`, `exec=jit`, …). The machine decides
    /// the keys; order is kept as given.
    pub config: Vec<(String, String)>,
    /// The full command line of the recording run, `argv[0]` included.
    pub argv: Vec<String>,
    /// The icount shift: virtual ns = (icount << shift) + idle ns.
    pub icount_shift: u32,
    /// Instructions between two periodic [`Event::Digest`](crate::Event::Digest)s
    /// (0: none).
    pub digest_interval: u64,
    /// The images the machine loaded, in the order given.
    pub images: Vec<ImageInfo>,
}

/// One image the recorded machine loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    /// What the image is for: `kernel`, `initrd`, `dtb`, `drive0`, …
    pub role: String,
    /// The path as given on the command line.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its contents, computed by the recorder; a replay
    /// compares it with the image it is given.
    pub sha256: [u8; 32],
}

impl Header {
    /// The value of the first configuration entry named `key`.
    pub fn config_value(&self, key: &str) -> Option<&str> {
        self.config
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first image with the given role.
    pub fn image(&self, role: &str) -> Option<&ImageInfo> {
        self.images.iter().find(|image| image.role == role)
    }

    /// The header as written to the file: preamble and body. Fails when a
    /// string or the whole body exceeds the format's bounds.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, String> {
        let mut body = Vec::new();
        put_string(&mut body, &self.lockstep_version, "lockstep version")?;
        wire::put_varint(&mut body, self.config.len() as u64);
        for (key, value) in &self.config {
            put_string(&mut body, key, "configuration key")?;
            put_string(&mut body, value, "configuration value")?;
        }
        wire::put_varint(&mut body, self.argv.len() as u64);
        for arg in &self.argv {
            put_string(&mut body, arg, "command-line argument")?;
        }
        wire::put_u32(&mut body, self.icount_shift);
        wire::put_u64(&mut body, self.digest_interval);
        wire::put_varint(&mut body, self.images.len() as u64);
        for image in &self.images {
            put_string(&mut body, &image.role, "image role")?;
            put_string(&mut body, &image.path, "image path")?;
            wire::put_u64(&mut body, image.size);
            body.extend_from_slice(&image.sha256);
        }
        if body.len() > MAX_HEADER_LEN as usize {
            return Err(format!(
                "header of {} bytes exceeds the limit of {MAX_HEADER_LEN}",
                body.len()
            ));
        }
        let mut out = Vec::with_capacity(PREAMBLE_LEN as usize + body.len());
        out.extend_from_slice(&MAGIC);
        wire::put_u32(&mut out, FORMAT_VERSION);
        wire::put_u32(&mut out, body.len() as u32);
        wire::put_u32(&mut out, crc32(&body));
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Reads and checks the header from the start of `input`; returns it
    /// and its length in bytes (preamble included).
    pub(crate) fn read_from(input: &mut impl Read) -> Result<(Header, u64), ReadError> {
        let mut magic = [0u8; 8];
        let got = read_full(input, &mut magic)?;
        if magic[..got] != MAGIC[..got] {
            return Err(ReadError::NotALog);
        }
        if got < MAGIC.len() {
            return Err(cut_short(got as u64, "the magic bytes"));
        }
        let mut fixed = [0u8; 12];
        let got = read_full(input, &mut fixed)?;
        let field =
            |i: usize| u32::from_le_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
        if got < 4 {
            return Err(cut_short(8 + got as u64, "the format version"));
        }
        let version = field(0);
        if version != FORMAT_VERSION {
            return Err(ReadError::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if got < fixed.len() {
            return Err(cut_short(8 + got as u64, "the header length and CRC"));
        }
        let (len, crc) = (field(4), field(8));
        if len > MAX_HEADER_LEN {
            return Err(ReadError::CorruptHeader {
                offset: 12,
                what: format!("header length {len} exceeds the limit of {MAX_HEADER_LEN}"),
            });
        }
        let mut body = Vec::new();
        input.take(u64::from(len)).read_to_end(&mut body)?;
        if body.len() < len as usize {
            return Err(cut_short(
                PREAMBLE_LEN + body.len() as u64,
                &format!("the header body ({} of {len} bytes)", body.len()),
            ));
        }
        if crc32(&body) != crc {
            return Err(ReadError::CorruptHeader {
                offset: PREAMBLE_LEN,
                what: format!(
                    "header CRC mismatch (stored {crc:#010x}, computed {:#010x})",
                    crc32(&body)
                ),
            });
        }
        let header = Header::decode_body(&body).map_err(|e| ReadError::CorruptHeader {
            offset: PREAMBLE_LEN + e.pos as u64,
            what: e.what,
        })?;
        Ok((header, PREAMBLE_LEN + u64::from(len)))
    }

    fn decode_body(body: &[u8]) -> Result<Header, WireError> {
        let mut d = Decoder::new(body);
        let lockstep_version = d.string(MAX_STRING_LEN, "lockstep version")?;
        let count = d.varint("configuration count")?;
        let mut config = Vec::new();
        for _ in 0..count {
            // Each entry takes at least two bytes, so a huge count fails
            // here long before memory runs out.
            let key = d.string(MAX_STRING_LEN, "configuration key")?;
            let value = d.string(MAX_STRING_LEN, "configuration value")?;
            config.push((key, value));
        }
        let count = d.varint("argument count")?;
        let mut argv = Vec::new();
        for _ in 0..count {
            argv.push(d.string(MAX_STRING_LEN, "command-line argument")?);
        }
        let icount_shift = d.u32("icount shift")?;
        let digest_interval = d.u64("digest interval")?;
        let count = d.varint("image count")?;
        let mut images = Vec::new();
        for _ in 0..count {
            images.push(ImageInfo {
                role: d.string(MAX_STRING_LEN, "image role")?,
                path: d.string(MAX_STRING_LEN, "image path")?,
                size: d.u64("image size")?,
                sha256: d.array32("image sha256")?,
            });
        }
        if d.remaining() != 0 {
            return Err(WireError::new(
                d.pos(),
                format!("{} unexpected bytes after the image list", d.remaining()),
            ));
        }
        Ok(Header {
            lockstep_version,
            config,
            argv,
            icount_shift,
            digest_interval,
            images,
        })
    }
}

fn put_string(out: &mut Vec<u8>, s: &str, what: &str) -> Result<(), String> {
    if s.len() > MAX_STRING_LEN {
        return Err(format!(
            "{what} of {} bytes exceeds the limit of {MAX_STRING_LEN}",
            s.len()
        ));
    }
    wire::put_bytes(out, s.as_bytes());
    Ok(())
}

fn cut_short(offset: u64, inside: &str) -> ReadError {
    ReadError::CorruptHeader {
        offset,
        what: format!("file ends inside {inside}"),
    }
}

/// Several lines, as `dump` prints them: `header …`, then one `config`
/// line per entry, an `argv` line and one `image` line per image.
impl fmt::Display for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "header format={FORMAT_VERSION} lockstep=\"{}\" icount_shift={} digest_interval={}",
            escape::text(self.lockstep_version.as_bytes()),
            self.icount_shift,
            self.digest_interval
        )?;
        for (key, value) in &self.config {
            writeln!(
                f,
                "config \"{}\"=\"{}\"",
                escape::text(key.as_bytes()),
                escape::text(value.as_bytes())
            )?;
        }
        write!(f, "argv")?;
        for arg in &self.argv {
            write!(f, " \"{}\"", escape::text(arg.as_bytes()))?;
        }
        for image in &self.images {
            write!(
                f,
                "\nimage \"{}\" path=\"{}\" size={} sha256={}",
                escape::text(image.role.as_bytes()),
                escape::text(image.path.as_bytes()),
                image.size,
                escape::hex(&image.sha256)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample_header;

    fn read(bytes: &[u8]) -> Result<(Header, u64), ReadError> {
        Header::read_from(&mut &bytes[..])
    }

    #[test]
    fn round_trips() {
        let header = sample_header();
        let bytes = header.encode().unwrap();
        let (back, len) = read(&bytes).unwrap();
        assert_eq!(back, header);
        assert_eq!(len, bytes.len() as u64);
        assert_eq!(back.config_value("machine"), Some("arm-virt"));
        assert_eq!(back.image("kernel").unwrap().size, 5_000_000);
    }

    #[test]
    fn every_cut_is_a_header_error() {
        let bytes = sample_header().encode().unwrap();
        for cut in 0..bytes.len() {
            match read(&bytes[..cut]) {
                Err(ReadError::CorruptHeader { offset, .. }) => {
                    assert!(offset <= cut as u64, "cut {cut} offset {offset}")
                }
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn oversized_strings_are_refused_by_the_writer() {
        let mut header = sample_header();
        header.argv.push("x".repeat(MAX_STRING_LEN + 1));
        assert!(header.encode().is_err());
    }

    #[test]
    fn display_lists_everything() {
        let text = sample_header().to_string();
        assert!(text.starts_with("header format=1 lockstep=\"0.1.0-test\""));
        assert!(text.contains("config \"machine\"=\"arm-virt\""));
        assert!(text.contains("image \"kernel\" path=\"vmlinuz\" size=5000000 sha256=0101"));
    }
}
