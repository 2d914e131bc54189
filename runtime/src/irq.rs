//! Interrupt lines between devices and an interrupt controller.
//!
//! A device holds an [`IrqLine`] and drives its level; the interrupt
//! controller holds the shared [`IrqLines`] and samples them whenever it
//! decides what to signal to the CPU. Everything runs on the one guest
//! thread, so the lines are plain shared cells: a level changes only inside
//! a device access or an event the run loop delivers, at an exact
//! instruction count, and the controller sees it at the next instruction
//! boundary where the run loop asks.
//!
//! Rising edges are latched as well as levels, so an edge-triggered input
//! that is raised and lowered again between two samples is not lost.

use std::cell::RefCell;
use std::rc::Rc;

/// The state of every input line of one interrupt controller.
#[derive(Debug)]
pub struct IrqLines {
    state: RefCell<LineState>,
}

#[derive(Debug)]
struct LineState {
    /// Current level, one bit per line.
    level: Vec<u64>,
    /// Rising edges not yet taken by the controller, one bit per line.
    rising: Vec<u64>,
}

impl IrqLines {
    /// `count` lines, all low.
    pub fn new(count: u32) -> Rc<Self> {
        let words = (count as usize).div_ceil(64);
        Rc::new(IrqLines {
            state: RefCell::new(LineState {
                level: vec![0; words],
                rising: vec![0; words],
            }),
        })
    }

    /// The number of lines (a multiple of 64 at least as large as asked).
    pub fn count(&self) -> u32 {
        (self.state.borrow().level.len() * 64) as u32
    }

    /// A handle a device drives line `n` with.
    ///
    /// # Panics
    /// If `n` is not a line of this set (a machine wiring error).
    pub fn line(self: &Rc<Self>, n: u32) -> IrqLine {
        assert!(n < self.count(), "interrupt line {n} does not exist");
        IrqLine {
            lines: Rc::clone(self),
            n,
        }
    }

    /// The level of line `n` (low for a line that does not exist).
    pub fn level(&self, n: u32) -> bool {
        let s = self.state.borrow();
        s.level
            .get(n as usize / 64)
            .is_some_and(|w| w >> (n % 64) & 1 != 0)
    }

    /// Whether line `n` rose since the last call for it, and forgets it.
    pub fn take_rising(&self, n: u32) -> bool {
        let mut s = self.state.borrow_mut();
        let Some(w) = s.rising.get_mut(n as usize / 64) else {
            return false;
        };
        let bit = 1u64 << (n % 64);
        let was = *w & bit != 0;
        *w &= !bit;
        was
    }

    fn set(&self, n: u32, high: bool) {
        let mut s = self.state.borrow_mut();
        let (i, bit) = (n as usize / 64, 1u64 << (n % 64));
        let was = s.level[i] & bit != 0;
        if high {
            s.level[i] |= bit;
            if !was {
                s.rising[i] |= bit;
            }
        } else {
            s.level[i] &= !bit;
        }
    }
}

/// One interrupt line, as the device that drives it holds it.
#[derive(Clone, Debug)]
pub struct IrqLine {
    lines: Rc<IrqLines>,
    n: u32,
}

impl IrqLine {
    /// Drives the line to `high`.
    pub fn set(&self, high: bool) {
        self.lines.set(self.n, high);
    }

    /// Drives the line high.
    pub fn raise(&self) {
        self.set(true);
    }

    /// Drives the line low.
    pub fn lower(&self) {
        self.set(false);
    }

    /// The line's number at its controller.
    pub fn number(&self) -> u32 {
        self.n
    }

    /// The line's current level.
    pub fn is_high(&self) -> bool {
        self.lines.level(self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_latched_edges() {
        let lines = IrqLines::new(96);
        assert_eq!(lines.count(), 128);
        let l = lines.line(70);
        assert!(!lines.level(70));
        l.raise();
        assert!(lines.level(70) && l.is_high());
        l.lower();
        assert!(!lines.level(70));
        // The pulse was shorter than any sample, but its edge was kept.
        assert!(lines.take_rising(70));
        assert!(!lines.take_rising(70));
        // Raising a line that is already high is not an edge.
        l.raise();
        assert!(lines.take_rising(70));
        l.raise();
        assert!(!lines.take_rising(70));
        assert!(!lines.level(1000) && !lines.take_rising(1000));
    }
}
