//! The one door through which the outside world reaches the guest.
//!
//! Everything nondeterministic — bytes typed at the console, the host's
//! wall clock — comes through [`HostIo`], on the guest thread, at an
//! instruction boundary the machine chooses. A host thread only reads
//! standard input into a channel; the machine takes the bytes when the UART
//! has room. When recording, what was delivered is logged with its
//! instruction count, with every EXCEPTION/INTERRUPT checkpoint and a
//! periodic state digest; when replaying, the log is the only source of
//! input, and every checkpoint and digest is compared with the log as the
//! guest reaches it, so a divergence is reported where it happens.

use lockstep_replay::{
    Checkpoint, Event, LogEnd, LogWriter, ReplayCursor, ShutdownCause, StateDigest,
};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What the standard-input thread hands the guest thread.
enum Msg {
    /// Bytes for the guest.
    Data(Vec<u8>),
    /// The user asked to quit (Ctrl-A x).
    Quit,
}

/// Reads the host's standard input on a thread of its own.
pub struct StdinReader {
    rx: Receiver<Msg>,
}

impl StdinReader {
    /// Starts the reader thread. Bytes arrive in the order read; the
    /// channel closes at end of file. On an interactive terminal the
    /// Ctrl-A escapes are interpreted (see [`crate::console`]).
    pub fn spawn(interactive: bool) -> Self {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                let mut stdin = std::io::stdin().lock();
                let mut buf = [0u8; 256];
                let mut escapes = crate::console::EscapeParser::default();
                loop {
                    let n = match stdin.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let keys = if interactive {
                        escapes.feed(&buf[..n])
                    } else {
                        vec![crate::console::Key::Data(buf[..n].to_vec())]
                    };
                    for k in keys {
                        let msg = match k {
                            crate::console::Key::Data(d) => Msg::Data(d),
                            crate::console::Key::Quit => Msg::Quit,
                            crate::console::Key::Help => {
                                eprint!("{}", crate::console::HELP);
                                continue;
                            }
                        };
                        if tx.send(msg).is_err() {
                            return;
                        }
                    }
                }
            })
            .expect("the host can start a thread");
        StdinReader { rx }
    }
}

/// How often, in guest instructions, a machine with a live input source
/// looks for host input while the guest is busy.
const POLL_INSTRUCTIONS: u64 = 1 << 22;
/// How often a recording machine looks at its log's flush timer (a few
/// milliseconds of guest time even on the JIT's best code).
const RECORD_POLL_INSTRUCTIONS: u64 = 1 << 24;

/// Device numbers in the log's input events.
pub mod device {
    /// The console UART.
    pub const UART: u8 = 0;
    /// The PL031 RTC.
    pub const RTC: u8 = 1;
    /// The virtio-rng device.
    pub const RNG: u8 = 2;
}

/// A recording in progress.
pub struct Recording {
    log: Option<LogWriter<File>>,
    path: PathBuf,
    /// Instructions between periodic digests.
    interval: u64,
    next_digest: u64,
    digests: u64,
    checkpoints: u64,
}

/// A replay in progress.
pub struct Replaying {
    cursor: ReplayCursor<BufReader<File>>,
    digests: u64,
    checkpoints: u64,
    /// The last checkpoint that matched, for divergence reports.
    last_match: Option<(u64, String)>,
}

/// Live, recording or replaying.
enum Mode {
    Live,
    Record(Box<Recording>),
    Replay(Box<Replaying>),
}

/// How a replay compared with its log, at the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Digests compared and found equal.
    pub digests: u64,
    /// Checkpoints compared and found equal.
    pub checkpoints: u64,
    /// Whether the log was complete (else it was cut short or damaged,
    /// and the replay went as far as it reached).
    pub complete: bool,
    /// How the log ended, in words.
    pub ending: String,
}

fn describe(icount: u64, e: &Event) -> String {
    format!("{e} at instruction {icount}")
}

/// The outside world as the guest sees it.
pub struct HostIo {
    mode: Mode,
    stdin: Option<StdinReader>,
    /// A fixed time of day for the RTC instead of the host clock.
    rtc_base_ns: Option<u64>,
    /// Bytes read from the host and not yet taken by the guest.
    buffered: VecDeque<u8>,
    /// The user asked to quit.
    quit: bool,
    /// Host time at the start, for pacing an idle guest.
    started: Instant,
}

impl HostIo {
    /// A live run: host input from `stdin` (if any), the host clock.
    pub fn live(stdin: Option<StdinReader>) -> Self {
        HostIo {
            mode: Mode::Live,
            quit: false,
            stdin,
            rtc_base_ns: None,
            buffered: VecDeque::new(),
            started: Instant::now(),
        }
    }

    fn drain(&mut self) {
        let Some(s) = &self.stdin else { return };
        loop {
            match s.rx.try_recv() {
                Ok(Msg::Data(bytes)) => self.buffered.extend(bytes),
                Ok(Msg::Quit) => {
                    self.quit = true;
                    break;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.stdin = None;
                    break;
                }
            }
        }
    }

    /// A recording to `log` (already started with its header), taking a
    /// digest every `interval` instructions; host input from `stdin`.
    pub fn record(
        log: LogWriter<File>,
        path: &Path,
        interval: u64,
        stdin: Option<StdinReader>,
    ) -> Self {
        let mut io = HostIo::live(stdin);
        io.mode = Mode::Record(Box::new(Recording {
            log: Some(log),
            path: path.to_path_buf(),
            interval: interval.max(1),
            next_digest: interval.max(1),
            digests: 0,
            checkpoints: 0,
        }));
        io
    }

    /// A replay of `cursor`'s log (its header already checked against the
    /// images); no host input is read.
    pub fn replay(cursor: ReplayCursor<BufReader<File>>) -> Self {
        let mut io = HostIo::live(None);
        io.mode = Mode::Replay(Box::new(Replaying {
            cursor,
            digests: 0,
            checkpoints: 0,
            last_match: None,
        }));
        io
    }

    /// Whether this is a replay.
    pub fn replaying(&self) -> bool {
        matches!(self.mode, Mode::Replay(_))
    }

    /// Logs `event` at `icount` (recording); a failed write ends the
    /// recording with a message, but the run goes on.
    fn log(&mut self, icount: u64, event: Event) {
        if let Mode::Record(r) = &mut self.mode {
            if let Some(log) = &mut r.log {
                if let Err(e) = log.push(icount, event) {
                    eprintln!(
                        "lockstep: cannot write the recording {}: {e}; recording stops here",
                        r.path.display()
                    );
                    r.log = None;
                }
            }
        }
    }

    /// In a replay, takes the next event if it is due at `icount` and
    /// `want` accepts it; reports a divergence if the log has an event
    /// the guest went past.
    fn take_due(
        &mut self,
        icount: u64,
        want: impl Fn(&Event) -> bool,
    ) -> Result<Option<Event>, String> {
        let Mode::Replay(r) = &mut self.mode else {
            return Ok(None);
        };
        match r.cursor.peek() {
            Some((at, e)) if at < icount => Err(format!(
                "the log expects {} but the guest is already at instruction {icount} without it{}",
                describe(at, e),
                last_match(r)
            )),
            Some((at, e)) if at == icount && want(e) => Ok(r.cursor.next_event().map(|(_, e)| e)),
            _ => Ok(None),
        }
    }

    /// Makes the RTC start at `unix_secs` instead of the host clock.
    pub fn with_rtc_base(mut self, unix_secs: Option<u64>) -> Self {
        self.rtc_base_ns = unix_secs.map(|s| s.saturating_mul(1_000_000_000));
        self
    }

    /// The host's wall clock, in nanoseconds since the Unix epoch (read
    /// once per run, for the RTC).
    pub fn clock_read(&mut self, icount: u64) -> anyhow::Result<u64> {
        if self.replaying() {
            return match self.take_due(icount, |e| matches!(e, Event::ClockRead { .. })) {
                Ok(Some(Event::ClockRead { unix_ns, .. })) => Ok(unix_ns),
                Ok(_) => anyhow::bail!(
                    "the log has no clock reading for the RTC at instruction {icount}"
                ),
                Err(m) => anyhow::bail!("{m}"),
            };
        }
        let ns = match self.rtc_base_ns {
            Some(ns) => ns,
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_err(|_| anyhow::anyhow!("the host clock is before 1970"))?
                .as_nanos() as u64,
        };
        self.log(
            icount,
            Event::ClockRead {
                device: device::RTC,
                unix_ns: ns,
            },
        );
        Ok(ns)
    }

    /// Random bytes for a guest entropy device (virtio-rng).
    pub fn entropy(&mut self, icount: u64, buf: &mut [u8]) -> Result<(), String> {
        if self.replaying() {
            return match self.take_due(icount, |e| matches!(e, Event::Entropy { .. }))? {
                Some(Event::Entropy { bytes, .. }) if bytes.len() == buf.len() => {
                    buf.copy_from_slice(&bytes);
                    Ok(())
                }
                other => Err(format!(
                    "the guest asked for {} random bytes at instruction {icount}; the log has {}",
                    buf.len(),
                    other.map_or("nothing there".to_string(), |e| e.to_string())
                )),
            };
        }
        fill_random(buf);
        self.log(
            icount,
            Event::Entropy {
                device: device::RNG,
                bytes: buf.to_vec(),
            },
        );
        Ok(())
    }

    /// An EXCEPTION/INTERRUPT checkpoint the guest just passed: logged
    /// when recording, compared with the log when replaying.
    pub fn checkpoint(&mut self, cp: Checkpoint) -> Result<(), String> {
        match &mut self.mode {
            Mode::Live => Ok(()),
            Mode::Record(r) => {
                r.checkpoints += 1;
                self.log(cp.icount, Event::Checkpoint(cp));
                Ok(())
            }
            Mode::Replay(_) => {
                let got = Event::Checkpoint(cp);
                match self.take_due(cp.icount, |e| matches!(e, Event::Checkpoint(_)))? {
                    Some(e) if e == got => {
                        if let Mode::Replay(r) = &mut self.mode {
                            r.checkpoints += 1;
                            r.last_match = Some((cp.icount, got.to_string()));
                        }
                        Ok(())
                    }
                    other => Err(self.mismatch(cp.icount, &got, other)),
                }
            }
        }
    }

    fn mismatch(&self, icount: u64, got: &Event, expected: Option<Event>) -> String {
        let Mode::Replay(r) = &self.mode else {
            return String::new();
        };
        let expected = match expected {
            Some(e) => describe(icount, &e),
            None => match r.cursor.peek() {
                Some((at, e)) => describe(at, e),
                None => "nothing more".to_string(),
            },
        };
        format!(
            "at instruction {icount} the guest produced {got}; the log expects {expected}{}",
            last_match(r)
        )
    }

    /// Whether a periodic digest is due at `icount` (recording: every
    /// interval; replaying: where the log has one).
    pub fn digest_due(&self, icount: u64) -> bool {
        match &self.mode {
            Mode::Live => false,
            Mode::Record(r) => icount >= r.next_digest,
            Mode::Replay(r) => matches!(
                r.cursor.peek(),
                Some((at, Event::Digest(_) | Event::Registers { .. })) if at == icount
            ),
        }
    }

    /// A state digest at `icount`, with the registers it covers (named
    /// by `names`): logged, or compared with the log.
    pub fn digest(
        &mut self,
        icount: u64,
        d: StateDigest,
        regs: &[u32],
        names: &[&str],
    ) -> Result<(), String> {
        match &mut self.mode {
            Mode::Live => Ok(()),
            Mode::Record(r) => {
                r.digests += 1;
                r.next_digest = icount.saturating_add(r.interval);
                self.log(
                    icount,
                    Event::Registers {
                        words: regs.to_vec(),
                    },
                );
                self.log(icount, Event::Digest(d));
                Ok(())
            }
            Mode::Replay(_) => {
                let expected_regs =
                    match self.take_due(icount, |e| matches!(e, Event::Registers { .. }))? {
                        Some(Event::Registers { words }) => Some(words),
                        _ => None,
                    };
                let differing = expected_regs.map(|want| {
                    want.iter()
                        .zip(regs)
                        .enumerate()
                        .filter(|(_, (a, b))| a != b)
                        .map(|(i, (a, b))| {
                            format!(
                                "{} recorded {a:#010x} replayed {b:#010x}",
                                names.get(i).unwrap_or(&"?")
                            )
                        })
                        .collect::<Vec<_>>()
                });
                let got = Event::Digest(d);
                match self.take_due(icount, |e| matches!(e, Event::Digest(_)))? {
                    Some(Event::Digest(want)) if want == d => {
                        if let Mode::Replay(r) = &mut self.mode {
                            r.digests += 1;
                        }
                        Ok(())
                    }
                    Some(Event::Digest(want)) => {
                        let mut parts = Vec::new();
                        if want.cpu != d.cpu {
                            parts.push("CPU registers");
                        }
                        if want.ram != d.ram {
                            parts.push("guest RAM");
                        }
                        if want.console != d.console {
                            parts.push("console output");
                        }
                        let regs = match &differing {
                            Some(list) if !list.is_empty() => {
                                format!("; registers that differ: {}", list.join(", "))
                            }
                            Some(_) => "; the logged registers agree".to_string(),
                            None => String::new(),
                        };
                        Err(format!(
                            "state digest differs at instruction {icount} ({} differ): recorded {want}, replayed {d}{regs}{}",
                            parts.join(", "),
                            match &self.mode {
                                Mode::Replay(r) => last_match(r),
                                _ => String::new(),
                            }
                        ))
                    }
                    other => Err(self.mismatch(icount, &got, other)),
                }
            }
        }
    }

    /// The run ended at `icount` for `cause` with final state `d`:
    /// writes SHUTDOWN and END (recording) or compares them (replay).
    pub fn finish(
        &mut self,
        icount: u64,
        cause: ShutdownCause,
        d: StateDigest,
    ) -> Result<Option<ReplaySummary>, String> {
        match &mut self.mode {
            Mode::Live => Ok(None),
            Mode::Record(r) => {
                let path = r.path.clone();
                let log = r.log.take();
                if let Some(mut log) = log {
                    log.push(icount, Event::Shutdown { cause })
                        .and_then(|()| log.finish(icount, d).map(|_| ()))
                        .map_err(|e| {
                            format!("cannot finish the recording {}: {e}", path.display())
                        })?;
                }
                Ok(None)
            }
            Mode::Replay(_) => {
                let got = Event::Shutdown { cause };
                match self.take_due(icount, |e| matches!(e, Event::Shutdown { .. }))? {
                    Some(e) if e == got => {}
                    other => return Err(self.mismatch(icount, &got, other)),
                }
                let Mode::Replay(r) = &mut self.mode else {
                    unreachable!()
                };
                if let Some((at, Event::End { digest })) = r.cursor.peek() {
                    if at != icount || *digest != d {
                        return Err(format!(
                            "the run ended at instruction {icount} with {d}; the log's END is at {at} with {digest}"
                        ));
                    }
                    r.cursor.next_event();
                }
                match r.cursor.end() {
                    Some(LogEnd::Complete {
                        final_icount,
                        digest,
                    }) => {
                        if *final_icount != icount || *digest != d {
                            return Err(format!(
                                "the run ended at instruction {icount} with {d}; the log's END is at {final_icount} with {digest}"
                            ));
                        }
                        Ok(Some(ReplaySummary {
                            digests: r.digests + 1,
                            checkpoints: r.checkpoints,
                            complete: true,
                            ending: "complete".into(),
                        }))
                    }
                    Some(end) => Ok(Some(r.summary_of(end))),
                    None => Err(format!(
                        "the run ended at instruction {icount}, but the log goes on: {}",
                        r.cursor
                            .peek()
                            .map(|(at, e)| describe(at, e))
                            .unwrap_or_default()
                    )),
                }
            }
        }
    }

    /// Whether the user asked to quit (live or recording), or the
    /// recorded run was stopped from outside here (replay): an
    /// instruction limit or the user quitting, so the replay stops too.
    pub fn stopped_here(&mut self, icount: u64) -> Option<ShutdownCause> {
        match &self.mode {
            Mode::Replay(r) => match r.cursor.peek() {
                Some((
                    at,
                    Event::Shutdown {
                        cause: c @ (ShutdownCause::InstructionLimit | ShutdownCause::HostRequest),
                    },
                )) if at == icount => Some(c.clone()),
                _ => None,
            },
            _ => {
                self.drain();
                self.quit.then_some(ShutdownCause::HostRequest)
            }
        }
    }

    /// In a replay of a log that was cut short or damaged: the
    /// instruction count up to which it is known, once every event has
    /// been taken (the run stops there).
    pub fn replay_horizon(&self) -> Option<u64> {
        match &self.mode {
            Mode::Replay(r) => match r.cursor.end() {
                Some(end) if !end.is_complete() => Some(end.last_icount()),
                _ => None,
            },
            _ => None,
        }
    }

    /// How a replay that stopped at its log's horizon compares.
    pub fn partial_summary(&self) -> Option<ReplaySummary> {
        match &self.mode {
            Mode::Replay(r) => r.cursor.end().map(|e| r.summary_of(e)),
            _ => None,
        }
    }

    /// Periodic housekeeping between runs: lets the recorder flush.
    pub fn tick(&mut self) {
        if let Mode::Record(r) = &mut self.mode {
            if let Some(log) = &mut r.log {
                if let Err(e) = log.poll_flush() {
                    eprintln!(
                        "lockstep: cannot write the recording {}: {e}; recording stops here",
                        r.path.display()
                    );
                    r.log = None;
                }
            }
        }
    }

    /// Bytes for the UART now, at most `room` of them.
    pub fn serial_input(&mut self, icount: u64, room: usize) -> Result<Vec<u8>, String> {
        if self.replaying() {
            return match self.take_due(icount, |e| matches!(e, Event::SerialInput { .. }))? {
                Some(Event::SerialInput { bytes, .. }) => Ok(bytes),
                _ => Ok(Vec::new()),
            };
        }
        if room == 0 {
            return Ok(Vec::new());
        }
        self.drain();
        let n = room.min(self.buffered.len());
        let bytes: Vec<u8> = self.buffered.drain(..n).collect();
        if !bytes.is_empty() {
            self.log(
                icount,
                Event::SerialInput {
                    device: device::UART,
                    bytes: bytes.clone(),
                },
            );
        }
        Ok(bytes)
    }

    /// Whether input is waiting to be delivered at `icount` with `room`
    /// bytes free in the UART (an idle guest then wakes at once).
    pub fn input_due_now(&mut self, icount: u64, room: usize) -> bool {
        if let Mode::Replay(r) = &self.mode {
            return matches!(r.cursor.peek(), Some((at, Event::SerialInput { .. })) if at == icount);
        }
        self.drain();
        room > 0 && !self.buffered.is_empty()
    }

    /// The guest is idle until virtual time `deadline_ns` (now `now_ns`):
    /// with a live input source, keep virtual time from running ahead of
    /// host time, so an interactive guest's timers tick at human speed and
    /// typed input can arrive. Host time decides only when input arrives,
    /// which a recording logs.
    pub fn pace(&mut self, _now_ns: u64, deadline_ns: u64) {
        if self.stdin.is_none() {
            return;
        }
        let host = self.started.elapsed();
        let virt = Duration::from_nanos(deadline_ns);
        if virt > host {
            self.wait(Some((virt - host).min(Duration::from_millis(100))));
        }
    }

    /// Whether input could still arrive (so waiting for it makes sense).
    pub fn can_wait_for_input(&self) -> bool {
        self.stdin.is_some() || !self.buffered.is_empty()
    }

    /// Blocks until host input arrives or the source closes.
    pub fn wait_for_input(&mut self) {
        self.wait(None);
    }

    fn wait(&mut self, timeout: Option<Duration>) {
        if !self.buffered.is_empty() {
            return;
        }
        let Some(s) = &self.stdin else { return };
        let got = match timeout {
            Some(t) => s.rx.recv_timeout(t),
            None => s.rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match got {
            Ok(Msg::Data(bytes)) => self.buffered.extend(bytes),
            Ok(Msg::Quit) => self.quit = true,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                self.stdin = None;
            }
        }
    }

    /// Instructions between looks for host input while the guest runs:
    /// often while input waits for room in the UART (a guest without
    /// FIFOs takes a byte at a time), rarely otherwise.
    pub fn poll_interval(&self) -> u64 {
        if let Mode::Record(_) = self.mode {
            // A recorder stops now and then even in a busy guest, so its
            // log is flushed within a fraction of a second.
            if self.buffered.is_empty() {
                return RECORD_POLL_INSTRUCTIONS;
            }
        }
        if !self.buffered.is_empty() {
            POLL_INSTRUCTIONS >> 8
        } else if self.stdin.is_some() {
            POLL_INSTRUCTIONS
        } else {
            u64::MAX
        }
    }

    /// The instruction count at which the next logged event is due
    /// (replay), so the run stops exactly there; and the next digest
    /// (recording).
    pub fn next_due(&self) -> Option<u64> {
        match &self.mode {
            Mode::Live => None,
            Mode::Record(r) => Some(r.next_digest),
            Mode::Replay(r) => r.cursor.peek_icount(),
        }
    }
}

impl Replaying {
    fn summary_of(&self, end: &LogEnd) -> ReplaySummary {
        let ending = match end {
            LogEnd::Complete { .. } => "complete".to_string(),
            LogEnd::Truncated {
                offset,
                last_icount,
            } => format!(
                "the log is cut short at byte {offset}: replayed up to instruction {last_icount}, where it ends"
            ),
            LogEnd::Corrupt {
                chunk,
                offset,
                what,
                last_icount,
            } => format!(
                "the log is damaged in chunk {chunk} at byte {offset} ({what}): replayed up to instruction {last_icount}"
            ),
            LogEnd::Unreadable {
                offset,
                message,
                last_icount,
            } => format!(
                "the log could not be read at byte {offset} ({message}): replayed up to instruction {last_icount}"
            ),
        };
        ReplaySummary {
            digests: self.digests,
            checkpoints: self.checkpoints,
            complete: end.is_complete(),
            ending,
        }
    }
}

fn last_match(r: &Replaying) -> String {
    match &r.last_match {
        Some((at, what)) => {
            format!("; the last checkpoint that matched: {what} at instruction {at}")
        }
        None => "; no checkpoint matched before".to_string(),
    }
}

/// Fills `buf` from the host's random source (recorded, so a replay never
/// needs it).
fn fill_random(buf: &mut [u8]) {
    if let Ok(mut f) = File::open("/dev/urandom") {
        if f.read_exact(buf).is_ok() {
            return;
        }
    }
    // No random device: derive bytes from the clock (still logged).
    let mut x = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
        | 1;
    for b in buf {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
}
