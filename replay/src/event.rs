//! The events of a log — everything that crosses from the outside world
//! into the guest, plus the checkpoints and digests that prove a replay is
//! on track — and their encoding inside a chunk payload.
//!
//! Each event is tied to an icount: the number of guest instructions
//! retired when the guest saw it. On disk an event is a tag byte, the
//! icount as a varint delta from the previous event's, and the fields of
//! its kind (see `docs/replay-format.md`).

use std::fmt;

use crate::digest::StateDigest;
use crate::escape;
use crate::format::{MAX_EVENT_BYTES, MAX_STRING_LEN};
use crate::wire::{self, Decoder, WireError};
use crate::{Checkpoint, CheckpointKind};

/// One entry of a replay log. The icount it belongs to travels beside it
/// (`(u64, Event)` pairs, [`crate::Record`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Bytes a UART accepted from the host, in the order the guest can
    /// read them.
    SerialInput {
        /// Which UART (machine-defined index).
        device: u8,
        /// The bytes, at most [`MAX_EVENT_BYTES`].
        bytes: Vec<u8>,
    },
    /// A read of the host's wall clock (an RTC's time of day).
    ClockRead {
        /// Which clock device.
        device: u8,
        /// Nanoseconds since the Unix epoch, as the host reported them.
        unix_ns: u64,
    },
    /// Random bytes handed to the guest (virtio-rng).
    Entropy {
        /// Which entropy device.
        device: u8,
        /// The bytes, at most [`MAX_EVENT_BYTES`].
        bytes: Vec<u8>,
    },
    /// An EXCEPTION or INTERRUPT checkpoint. Its `icount` field always
    /// equals the event's icount.
    Checkpoint(Checkpoint),
    /// A periodic digest of guest state.
    Digest(StateDigest),
    /// The guest (or the host) ended the run.
    Shutdown {
        /// Why.
        cause: ShutdownCause,
    },
    /// The guest's main registers where a digest was taken (logged with
    /// each digest, so a replay whose digest differs can name the registers
    /// that differ). Machine-defined order; for 32-bit ARM r0–r15, CPSR.
    Registers {
        /// The register values, at most [`MAX_REGISTERS`].
        words: Vec<u32>,
    },
    /// The last record of a complete log; its icount is the run's final
    /// icount. Written only by [`LogWriter::finish`](crate::LogWriter::finish).
    End {
        /// Guest state when the recording stopped.
        digest: StateDigest,
    },
}

/// Why a run ended.
///
/// Decision: a reset is one of the causes rather than an event of its own.
/// A reset that the machine carries out and runs on from is deterministic
/// guest behaviour and needs no log entry; a reset that ends the run (the
/// way `-no-reboot` makes it) is a shutdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShutdownCause {
    /// The guest powered the machine off (PSCI SYSTEM_OFF, ACPI, …).
    PowerOff,
    /// The guest asked for a reset, and the machine stops on reset.
    Reset,
    /// The guest exited with a status (semihosting exit, test device).
    GuestExit {
        /// The status the guest reported.
        status: i32,
    },
    /// The instruction limit given on the command line was reached.
    InstructionLimit,
    /// The host stopped the run (a signal, the user, the monitor).
    HostRequest,
    /// The emulator stopped on an error.
    Error {
        /// What went wrong, at most [`MAX_STRING_LEN`] bytes.
        message: String,
    },
}

/// The kinds of event, as counted by [`stats`](crate::stats()) and named by
/// [`dump`](crate::dump()). Checkpoints count as two kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// [`Event::SerialInput`].
    SerialInput,
    /// [`Event::ClockRead`].
    ClockRead,
    /// [`Event::Entropy`].
    Entropy,
    /// [`Event::Checkpoint`] of an exception.
    Exception,
    /// [`Event::Checkpoint`] of an interrupt.
    Interrupt,
    /// [`Event::Digest`].
    Digest,
    /// [`Event::Shutdown`].
    Shutdown,
    /// [`Event::End`].
    End,
    /// [`Event::Registers`].
    Registers,
}

/// Most register words a [`Event::Registers`] carries.
pub const MAX_REGISTERS: usize = 256;

impl EventKind {
    /// Every kind, in tag order.
    pub const ALL: [EventKind; 9] = [
        EventKind::SerialInput,
        EventKind::ClockRead,
        EventKind::Entropy,
        EventKind::Exception,
        EventKind::Interrupt,
        EventKind::Digest,
        EventKind::Shutdown,
        EventKind::End,
        EventKind::Registers,
    ];

    /// The tag byte that starts an event of this kind on disk.
    pub const fn tag(self) -> u8 {
        match self {
            EventKind::SerialInput => 1,
            EventKind::ClockRead => 2,
            EventKind::Entropy => 3,
            EventKind::Exception => 4,
            EventKind::Interrupt => 5,
            EventKind::Digest => 6,
            EventKind::Shutdown => 7,
            EventKind::End => 8,
            EventKind::Registers => 9,
        }
    }

    /// The kind a tag byte stands for, if any.
    pub fn from_tag(tag: u8) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.tag() == tag)
    }

    /// The kind's name in dumps and statistics (`serial-in`, `clock`, …).
    pub const fn name(self) -> &'static str {
        match self {
            EventKind::SerialInput => "serial-in",
            EventKind::ClockRead => "clock",
            EventKind::Entropy => "entropy",
            EventKind::Exception => "exception",
            EventKind::Interrupt => "interrupt",
            EventKind::Digest => "digest",
            EventKind::Shutdown => "shutdown",
            EventKind::End => "end",
            EventKind::Registers => "registers",
        }
    }

    /// Position in [`EventKind::ALL`].
    pub const fn index(self) -> usize {
        self.tag() as usize - 1
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const CAUSE_POWER_OFF: u8 = 0;
const CAUSE_RESET: u8 = 1;
const CAUSE_GUEST_EXIT: u8 = 2;
const CAUSE_INSTRUCTION_LIMIT: u8 = 3;
const CAUSE_HOST_REQUEST: u8 = 4;
const CAUSE_ERROR: u8 = 5;

impl ShutdownCause {
    /// A short name (`power-off`, `reset`, `guest-exit`, …).
    pub const fn name(&self) -> &'static str {
        match self {
            ShutdownCause::PowerOff => "power-off",
            ShutdownCause::Reset => "reset",
            ShutdownCause::GuestExit { .. } => "guest-exit",
            ShutdownCause::InstructionLimit => "instruction-limit",
            ShutdownCause::HostRequest => "host-request",
            ShutdownCause::Error { .. } => "error",
        }
    }
}

impl fmt::Display for ShutdownCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            ShutdownCause::GuestExit { status } => write!(f, " status={status}"),
            ShutdownCause::Error { message } => {
                write!(f, " message=\"{}\"", escape::text(message.as_bytes()))
            }
            _ => Ok(()),
        }
    }
}

impl Event {
    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::SerialInput { .. } => EventKind::SerialInput,
            Event::ClockRead { .. } => EventKind::ClockRead,
            Event::Entropy { .. } => EventKind::Entropy,
            Event::Checkpoint(Checkpoint {
                kind: CheckpointKind::Exception { .. },
                ..
            }) => EventKind::Exception,
            Event::Checkpoint(Checkpoint {
                kind: CheckpointKind::Interrupt { .. },
                ..
            }) => EventKind::Interrupt,
            Event::Digest(_) => EventKind::Digest,
            Event::Shutdown { .. } => EventKind::Shutdown,
            Event::End { .. } => EventKind::End,
            Event::Registers { .. } => EventKind::Registers,
        }
    }

    /// Checks that the event can be written at `icount`: byte strings and
    /// messages within their bounds, a checkpoint's own icount equal to
    /// `icount`.
    pub(crate) fn validate(&self, icount: u64) -> Result<(), String> {
        match self {
            Event::SerialInput { bytes, .. } | Event::Entropy { bytes, .. }
                if bytes.len() > MAX_EVENT_BYTES =>
            {
                Err(format!(
                    "{} event of {} bytes exceeds the limit of {MAX_EVENT_BYTES}",
                    self.kind(),
                    bytes.len()
                ))
            }
            Event::Registers { words } if words.len() > MAX_REGISTERS => Err(format!(
                "registers event of {} words exceeds the limit of {MAX_REGISTERS}",
                words.len()
            )),
            Event::Checkpoint(checkpoint) if checkpoint.icount != icount => Err(format!(
                "checkpoint icount {} differs from the event icount {icount}",
                checkpoint.icount
            )),
            Event::Shutdown {
                cause: ShutdownCause::Error { message },
            } if message.len() > MAX_STRING_LEN => Err(format!(
                "shutdown message of {} bytes exceeds the limit of {MAX_STRING_LEN}",
                message.len()
            )),
            _ => Ok(()),
        }
    }

    /// Appends the event's encoding, its icount given as `delta` from the
    /// previous event's. The event must have passed [`Event::validate`].
    pub(crate) fn encode(&self, delta: u64, out: &mut Vec<u8>) {
        out.push(self.kind().tag());
        wire::put_varint(out, delta);
        match self {
            Event::SerialInput { device, bytes } | Event::Entropy { device, bytes } => {
                out.push(*device);
                wire::put_bytes(out, bytes);
            }
            Event::ClockRead { device, unix_ns } => {
                out.push(*device);
                wire::put_u64(out, *unix_ns);
            }
            Event::Checkpoint(checkpoint) => {
                let vector = match checkpoint.kind {
                    CheckpointKind::Exception { vector } | CheckpointKind::Interrupt { vector } => {
                        vector
                    }
                };
                wire::put_varint(out, u64::from(vector));
                wire::put_varint(out, checkpoint.pc);
            }
            Event::Digest(digest) | Event::End { digest } => put_digest(out, digest),
            Event::Registers { words } => {
                wire::put_varint(out, words.len() as u64);
                for w in words {
                    out.extend_from_slice(&w.to_le_bytes());
                }
            }
            Event::Shutdown { cause } => match cause {
                ShutdownCause::PowerOff => out.push(CAUSE_POWER_OFF),
                ShutdownCause::Reset => out.push(CAUSE_RESET),
                ShutdownCause::GuestExit { status } => {
                    out.push(CAUSE_GUEST_EXIT);
                    out.extend_from_slice(&status.to_le_bytes());
                }
                ShutdownCause::InstructionLimit => out.push(CAUSE_INSTRUCTION_LIMIT),
                ShutdownCause::HostRequest => out.push(CAUSE_HOST_REQUEST),
                ShutdownCause::Error { message } => {
                    out.push(CAUSE_ERROR);
                    wire::put_bytes(out, message.as_bytes());
                }
            },
        }
    }

    /// Decodes one event whose icount is a delta from `previous`.
    pub(crate) fn decode(d: &mut Decoder<'_>, previous: u64) -> Result<(u64, Event), WireError> {
        let tag_pos = d.pos();
        let tag = d.u8("event tag")?;
        let kind = EventKind::from_tag(tag)
            .ok_or_else(|| WireError::new(tag_pos, format!("unknown event tag {tag:#04x}")))?;
        let delta_pos = d.pos();
        let delta = d.varint("icount delta")?;
        let icount = previous.checked_add(delta).ok_or_else(|| {
            WireError::new(
                delta_pos,
                format!("icount delta {delta} after icount {previous} overflows 64 bits"),
            )
        })?;
        let event = match kind {
            EventKind::SerialInput => Event::SerialInput {
                device: d.u8("serial-in device")?,
                bytes: d.bytes(MAX_EVENT_BYTES, "serial-in bytes")?.to_vec(),
            },
            EventKind::ClockRead => Event::ClockRead {
                device: d.u8("clock device")?,
                unix_ns: d.u64("clock time")?,
            },
            EventKind::Entropy => Event::Entropy {
                device: d.u8("entropy device")?,
                bytes: d.bytes(MAX_EVENT_BYTES, "entropy bytes")?.to_vec(),
            },
            EventKind::Exception | EventKind::Interrupt => {
                let vector = d.varint_u32("checkpoint vector")?;
                let pc = d.varint("checkpoint pc")?;
                let kind = if kind == EventKind::Exception {
                    CheckpointKind::Exception { vector }
                } else {
                    CheckpointKind::Interrupt { vector }
                };
                Event::Checkpoint(Checkpoint { icount, kind, pc })
            }
            EventKind::Digest => Event::Digest(get_digest(d)?),
            EventKind::End => Event::End {
                digest: get_digest(d)?,
            },
            EventKind::Registers => {
                let count_pos = d.pos();
                let n = d.varint("register count")?;
                if n > MAX_REGISTERS as u64 {
                    return Err(WireError::new(
                        count_pos,
                        format!("{n} registers exceed the limit of {MAX_REGISTERS}"),
                    ));
                }
                let mut words = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    words.push(d.u32("register value")?);
                }
                Event::Registers { words }
            }
            EventKind::Shutdown => {
                let cause_pos = d.pos();
                let cause = match d.u8("shutdown cause")? {
                    CAUSE_POWER_OFF => ShutdownCause::PowerOff,
                    CAUSE_RESET => ShutdownCause::Reset,
                    CAUSE_GUEST_EXIT => ShutdownCause::GuestExit {
                        status: d.u32("guest exit status")? as i32,
                    },
                    CAUSE_INSTRUCTION_LIMIT => ShutdownCause::InstructionLimit,
                    CAUSE_HOST_REQUEST => ShutdownCause::HostRequest,
                    CAUSE_ERROR => ShutdownCause::Error {
                        message: d.string(MAX_STRING_LEN, "shutdown message")?,
                    },
                    other => {
                        return Err(WireError::new(
                            cause_pos,
                            format!("unknown shutdown cause {other}"),
                        ))
                    }
                };
                Event::Shutdown { cause }
            }
        };
        Ok((icount, event))
    }
}

fn put_digest(out: &mut Vec<u8>, digest: &StateDigest) {
    wire::put_u64(out, digest.cpu);
    wire::put_u64(out, digest.ram);
    wire::put_u64(out, digest.console);
}

fn get_digest(d: &mut Decoder<'_>) -> Result<StateDigest, WireError> {
    Ok(StateDigest {
        cpu: d.u64("cpu digest")?,
        ram: d.u64("ram digest")?,
        console: d.u64("console digest")?,
    })
}

/// Human-readable, one line, as `dump` prints it after the icount:
/// `serial-in device=0 bytes="ls\r"`.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind())?;
        match self {
            Event::SerialInput { device, bytes } => {
                write!(f, " device={device} bytes=\"{}\"", escape::text(bytes))
            }
            Event::ClockRead { device, unix_ns } => {
                write!(f, " device={device} unix_ns={unix_ns}")
            }
            Event::Registers { words } => {
                for w in words {
                    write!(f, " {w:08x}")?;
                }
                Ok(())
            }
            Event::Entropy { device, bytes } => {
                write!(
                    f,
                    " device={device} len={} bytes={}",
                    bytes.len(),
                    escape::hex(bytes)
                )
            }
            Event::Checkpoint(checkpoint) => {
                let vector = match checkpoint.kind {
                    CheckpointKind::Exception { vector } | CheckpointKind::Interrupt { vector } => {
                        vector
                    }
                };
                write!(f, " vector={vector} pc={:#x}", checkpoint.pc)
            }
            Event::Digest(digest) | Event::End { digest } => write!(f, " {digest}"),
            Event::Shutdown { cause } => write!(f, " cause={cause}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_of_each(icount: u64) -> Vec<Event> {
        vec![
            Event::SerialInput {
                device: 0,
                bytes: b"ls\r".to_vec(),
            },
            Event::ClockRead {
                device: 1,
                unix_ns: 1_700_000_000_123_456_789,
            },
            Event::Entropy {
                device: 2,
                bytes: vec![0, 0xff, 0x80, 7],
            },
            Event::Checkpoint(Checkpoint {
                icount,
                kind: CheckpointKind::Exception { vector: 2 },
                pc: 0x4000_1000,
            }),
            Event::Checkpoint(Checkpoint {
                icount,
                kind: CheckpointKind::Interrupt { vector: 0x1f },
                pc: u64::MAX,
            }),
            Event::Digest(StateDigest {
                cpu: 1,
                ram: u64::MAX,
                console: 0x1234,
            }),
            Event::Shutdown {
                cause: ShutdownCause::GuestExit { status: -3 },
            },
            Event::Shutdown {
                cause: ShutdownCause::Error {
                    message: "bus error at 0x0".into(),
                },
            },
            Event::End {
                digest: StateDigest::default(),
            },
        ]
    }

    #[test]
    fn every_event_decodes_to_itself() {
        for event in one_of_each(1000) {
            event.validate(1000).unwrap();
            let mut out = Vec::new();
            event.encode(400, &mut out);
            let mut d = Decoder::new(&out);
            assert_eq!(Event::decode(&mut d, 600), Ok((1000, event.clone())));
            assert_eq!(d.remaining(), 0, "{event}");
            // Every strict prefix fails cleanly.
            for cut in 0..out.len() {
                assert!(Event::decode(&mut Decoder::new(&out[..cut]), 600).is_err());
            }
        }
    }

    #[test]
    fn tags_and_names_are_consistent() {
        for (i, kind) in EventKind::ALL.into_iter().enumerate() {
            assert_eq!(kind.index(), i);
            assert_eq!(EventKind::from_tag(kind.tag()), Some(kind));
        }
        assert_eq!(EventKind::from_tag(0), None);
        assert_eq!(EventKind::from_tag(10), None);
    }

    #[test]
    fn validation_rejects_oversized_and_inconsistent_events() {
        let big = Event::Entropy {
            device: 0,
            bytes: vec![0; MAX_EVENT_BYTES + 1],
        };
        assert!(big.validate(0).is_err());
        let checkpoint = Event::Checkpoint(Checkpoint {
            icount: 5,
            kind: CheckpointKind::Exception { vector: 1 },
            pc: 0,
        });
        assert!(checkpoint.validate(6).is_err());
        assert!(checkpoint.validate(5).is_ok());
    }

    #[test]
    fn overflowing_icount_is_an_error() {
        let mut out = Vec::new();
        Event::Digest(StateDigest::default()).encode(2, &mut out);
        assert!(Event::decode(&mut Decoder::new(&out), u64::MAX - 1).is_err());
    }

    #[test]
    fn display_escapes_bytes() {
        let event = Event::SerialInput {
            device: 0,
            bytes: b"ls\r\"\\\x01\xff".to_vec(),
        };
        assert_eq!(
            event.to_string(),
            r#"serial-in device=0 bytes="ls\r\"\\\x01\xff""#
        );
        let event = Event::Entropy {
            device: 3,
            bytes: vec![0xde, 0xad],
        };
        assert_eq!(event.to_string(), "entropy device=3 len=2 bytes=dead");
    }
}
