//! The one door through which the outside world reaches the guest.
//!
//! Everything nondeterministic — bytes typed at the console, the host's
//! wall clock — comes through [`HostIo`], on the guest thread, at an
//! instruction boundary the machine chooses. A host thread only reads
//! standard input into a channel; the machine takes the bytes when the UART
//! has room. When recording, what was delivered is logged with its
//! instruction count; when replaying, the log is the only source.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Reads the host's standard input on a thread of its own.
pub struct StdinReader {
    rx: Receiver<Vec<u8>>,
}

impl StdinReader {
    /// Starts the reader thread. Bytes arrive in the order read; the
    /// channel closes at end of file.
    pub fn spawn() -> Self {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                let mut stdin = std::io::stdin().lock();
                let mut buf = [0u8; 256];
                loop {
                    match stdin.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if tx.send(buf[..n].to_vec()).is_err() {
                                break;
                            }
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

/// The outside world as the guest sees it.
pub struct HostIo {
    stdin: Option<StdinReader>,
    /// A fixed time of day for the RTC instead of the host clock.
    rtc_base_ns: Option<u64>,
    /// Bytes read from the host and not yet taken by the guest.
    buffered: VecDeque<u8>,
    /// Standard input reached its end.
    eof: bool,
    /// Host time at the start, for pacing an idle guest.
    started: Instant,
}

impl HostIo {
    /// A live run: host input from `stdin` (if any), the host clock.
    pub fn live(stdin: Option<StdinReader>) -> Self {
        HostIo {
            eof: stdin.is_none(),
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
                Ok(bytes) => self.buffered.extend(bytes),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.eof = true;
                    self.stdin = None;
                    break;
                }
            }
        }
    }

    /// Makes the RTC start at `unix_secs` instead of the host clock.
    pub fn with_rtc_base(mut self, unix_secs: Option<u64>) -> Self {
        self.rtc_base_ns = unix_secs.map(|s| s.saturating_mul(1_000_000_000));
        self
    }

    /// The host's wall clock, in nanoseconds since the Unix epoch (read
    /// once per run, for the RTC).
    pub fn clock_read(&mut self, _icount: u64) -> anyhow::Result<u64> {
        if let Some(ns) = self.rtc_base_ns {
            return Ok(ns);
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| anyhow::anyhow!("the host clock is before 1970"))?;
        Ok(now.as_nanos() as u64)
    }

    /// Bytes for the UART now, at most `room` of them.
    pub fn serial_input(&mut self, _icount: u64, room: usize) -> Result<Vec<u8>, String> {
        if room == 0 {
            return Ok(Vec::new());
        }
        self.drain();
        let n = room.min(self.buffered.len());
        Ok(self.buffered.drain(..n).collect())
    }

    /// Whether input is waiting to be delivered at `icount` with `room`
    /// bytes free in the UART (an idle guest then wakes at once).
    pub fn input_due_now(&mut self, _icount: u64, room: usize) -> bool {
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
            Ok(bytes) => self.buffered.extend(bytes),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                self.eof = true;
                self.stdin = None;
            }
        }
    }

    /// Instructions between looks for host input while the guest runs.
    pub fn poll_interval(&self) -> u64 {
        if self.stdin.is_some() {
            POLL_INSTRUCTIONS
        } else {
            u64::MAX
        }
    }

    /// The instruction count at which the next logged input is due
    /// (replay), so the run stops exactly there.
    pub fn next_due(&self) -> Option<u64> {
        None
    }
}
