//! The interactive console: the host terminal in raw mode while a guest
//! runs, restored on every way out (normal exit, error, panic, SIGTERM,
//! SIGINT, SIGHUP), and QEMU's Ctrl-A escapes: `Ctrl-A x` quits,
//! `Ctrl-A h` prints help, `Ctrl-A Ctrl-A` sends a Ctrl-A to the guest.
//!
//! Only the terminal's input side is made raw (no line editing, no echo,
//! no signals from Ctrl-C or Ctrl-Z: those keys go to the guest); output
//! processing is left alone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// The terminal settings to restore, shared with the signal handler.
static SAVED: Mutex<Option<libc::termios>> = Mutex::new(None);
/// Whether the raw mode is on (the handler must not lock then wait).
static RAW: AtomicBool = AtomicBool::new(false);

fn restore() {
    if !RAW.swap(false, Ordering::SeqCst) {
        return;
    }
    if let Ok(saved) = SAVED.try_lock() {
        if let Some(t) = saved.as_ref() {
            // SAFETY: tcsetattr on fd 0 with settings tcgetattr returned.
            unsafe { libc::tcsetattr(0, libc::TCSANOW, t) };
        }
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    restore();
    // SAFETY: back to the default action and raise again, so the process
    // ends the way the signal asked.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// The terminal in raw mode for as long as this value lives.
pub struct RawTerminal {
    _private: (),
}

impl RawTerminal {
    /// Puts standard input's terminal in raw mode; `None` when standard
    /// input is not a terminal (a pipe, a file: nothing to change).
    pub fn enter() -> Option<RawTerminal> {
        // SAFETY: isatty and tcgetattr only read the descriptor's state.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::isatty(0) } != 1 || unsafe { libc::tcgetattr(0, &mut t) } != 0 {
            return None;
        }
        *SAVED.lock().unwrap_or_else(|e| e.into_inner()) = Some(t);
        let mut raw = t;
        raw.c_iflag &= !(libc::IGNBRK
            | libc::BRKINT
            | libc::PARMRK
            | libc::ISTRIP
            | libc::INLCR
            | libc::IGNCR
            | libc::ICRNL
            | libc::IXON);
        raw.c_lflag &= !(libc::ECHO | libc::ECHONL | libc::ICANON | libc::ISIG | libc::IEXTEN);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        // SAFETY: installing handlers that only restore the terminal and
        // re-raise; setting attributes on fd 0.
        unsafe {
            for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGQUIT] {
                libc::signal(sig, on_signal as *const () as libc::sighandler_t);
            }
            if libc::tcsetattr(0, libc::TCSANOW, &raw) != 0 {
                return None;
            }
        }
        RAW.store(true, Ordering::SeqCst);
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            hook(info);
        }));
        Some(RawTerminal { _private: () })
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        restore();
    }
}

/// Ctrl-A.
pub const ESCAPE: u8 = 0x01;

/// The help `Ctrl-A h` prints.
pub const HELP: &str =
    "\nC-a h    print this help\nC-a x    exit the emulator\nC-a C-a  send C-a to the guest\n";

/// What a key (after the escape logic) means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// Bytes for the guest.
    Data(Vec<u8>),
    /// The user asked to quit.
    Quit,
    /// The user asked for help.
    Help,
}

/// Splits terminal input into guest bytes and Ctrl-A commands; keeps
/// state across reads (an escape may end one read and its command start
/// the next).
#[derive(Debug, Default)]
pub struct EscapeParser {
    pending: bool,
}

impl EscapeParser {
    /// Parses `bytes`.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Key> {
        let mut out = Vec::new();
        let mut data = Vec::new();
        for &b in bytes {
            if self.pending {
                self.pending = false;
                match b {
                    b'x' | b'X' => {
                        if !data.is_empty() {
                            out.push(Key::Data(std::mem::take(&mut data)));
                        }
                        out.push(Key::Quit);
                        return out;
                    }
                    b'h' | b'H' | b'?' => {
                        if !data.is_empty() {
                            out.push(Key::Data(std::mem::take(&mut data)));
                        }
                        out.push(Key::Help);
                    }
                    ESCAPE => data.push(ESCAPE),
                    // Unknown commands are dropped, as QEMU does.
                    _ => {}
                }
            } else if b == ESCAPE {
                self.pending = true;
            } else {
                data.push(b);
            }
        }
        if !data.is_empty() {
            out.push(Key::Data(data));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_split_across_reads() {
        let mut p = EscapeParser::default();
        assert_eq!(p.feed(b"ls\r"), vec![Key::Data(b"ls\r".to_vec())]);
        assert_eq!(p.feed(b"a\x01"), vec![Key::Data(b"a".to_vec())]);
        assert_eq!(p.feed(b"\x01b"), vec![Key::Data(b"\x01b".to_vec())]);
        assert_eq!(
            p.feed(b"\x01hq\x01x!"),
            vec![Key::Help, Key::Data(b"q".to_vec()), Key::Quit]
        );
        assert_eq!(p.feed(b"\x01z"), vec![]);
    }
}
