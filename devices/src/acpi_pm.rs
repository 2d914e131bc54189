//! The ACPI fixed-hardware power-management registers of the `pc`
//! board (a PIIX4-like layout at I/O port 0x600): PM1a event block
//! (status and enable, 0x600-0x603), PM1a control (0x604-0x605) and the
//! PM timer (0x608-0x60b).
//!
//! - PM1 control: SCI_EN reads as set (the system is in ACPI mode from
//!   the start: there is no SMI command port), and writing SLP_EN with the
//!   sleep type the DSDT's `\_S5` names ([`S5_SLP_TYP`]) powers the machine
//!   off. Other sleep states are not offered by the tables, so their
//!   writes change nothing.
//! - PM1 status: write-1-to-clear; the timer's overflow status (TMR_STS)
//!   follows the timer's bit 23. No SCI is raised: nothing here enables
//!   one (no power button, no GPEs).
//! - The PM timer counts at 3.579545 MHz of virtual time, 24 bits wide,
//!   so reading it is exact in every run.

use lockstep_runtime::bus::{IoCtx, MmioDevice};
use std::cell::Cell;
use std::rc::Rc;

/// The PM timer's frequency.
pub const PM_TIMER_HZ: u64 = 3_579_545;
/// The sleep type value `\_S5` gives (the DSDT must say the same).
pub const S5_SLP_TYP: u16 = 5;

const SCI_EN: u16 = 1;
const SLP_EN: u16 = 1 << 13;

/// The PM register block.
pub struct AcpiPm {
    off: Rc<Cell<bool>>,
    sts: u16,
    en: u16,
    cnt: u16,
}

impl AcpiPm {
    /// Registers that set `off` when the guest enters S5.
    pub fn new(off: Rc<Cell<bool>>) -> Self {
        AcpiPm {
            off,
            sts: 0,
            en: 0,
            cnt: SCI_EN,
        }
    }

    fn timer(now_ns: u64) -> u32 {
        ((u128::from(now_ns) * u128::from(PM_TIMER_HZ) / 1_000_000_000) as u32) & 0x00ff_ffff
    }
}

impl MmioDevice for AcpiPm {
    fn name(&self) -> &'static str {
        "acpi-pm"
    }

    fn read(&mut self, ctx: &IoCtx, offset: u64, size: u8) -> u64 {
        let bytes: [u8; 12] = {
            let mut b = [0u8; 12];
            let sts = self.sts
                | if Self::timer(ctx.now_ns) & 0x80_0000 != 0 {
                    1
                } else {
                    0
                };
            b[0..2].copy_from_slice(&sts.to_le_bytes());
            b[2..4].copy_from_slice(&self.en.to_le_bytes());
            b[4..6].copy_from_slice(&self.cnt.to_le_bytes());
            b[8..12].copy_from_slice(&Self::timer(ctx.now_ns).to_le_bytes());
            b
        };
        let o = offset as usize;
        (0..usize::from(size))
            .map(|i| u64::from(*bytes.get(o + i).unwrap_or(&0)) << (8 * i))
            .sum()
    }

    fn write(&mut self, _ctx: &IoCtx, offset: u64, size: u8, value: u64) {
        for i in 0..u64::from(size) {
            let b = (value >> (8 * i)) as u8;
            let (reg, shift) = match offset + i {
                0 => (0, 0),
                1 => (0, 8),
                2 => (1, 0),
                3 => (1, 8),
                4 => (2, 0),
                5 => (2, 8),
                _ => continue,
            };
            let v = u16::from(b) << shift;
            let mask = 0xffu16 << shift;
            match reg {
                0 => self.sts &= !v,
                1 => self.en = self.en & !mask | v,
                _ => {
                    let new = (self.cnt & !mask | v) | SCI_EN;
                    if new & SLP_EN != 0 && (new >> 10) & 7 == S5_SLP_TYP {
                        self.off.set(true);
                    }
                    self.cnt = new & !SLP_EN;
                }
            }
        }
    }

    fn reset(&mut self) {
        self.sts = 0;
        self.en = 0;
        self.cnt = SCI_EN;
    }
}

/// The ACPI tables of the `pc` board, for a direct kernel boot: RSDP,
/// RSDT, FADT (revision 1, the PM registers above, SCI on IRQ 9, the RTC
/// century at CMOS 0x32, an 8042), FACS, and a DSDT that defines only
/// `\_S5` — so an operating system can power off; there is no PCI, no
/// APIC and no other device to describe.
///
/// Decision: the tables are written here rather than with rust-vmm's
/// `acpi_tables` crate: five fixed tables and one 14-byte AML package are
/// less code than adapting its writers, and need no dependency.
pub mod tables {
    /// Where the tables go (inside the BIOS area, where an OS scans for
    /// the RSDP).
    pub const BASE: u32 = 0xe_0000;
    /// The PM register block's port.
    pub const PM_BASE: u16 = 0x600;

    fn checksum(t: &mut [u8], at: usize) {
        t[at] = 0;
        let sum = t.iter().fold(0u8, |s, b| s.wrapping_add(*b));
        t[at] = 0u8.wrapping_sub(sum);
    }

    fn header(sig: &[u8; 4], len: usize, rev: u8) -> Vec<u8> {
        let mut t = vec![0u8; len];
        t[0..4].copy_from_slice(sig);
        t[4..8].copy_from_slice(&(len as u32).to_le_bytes());
        t[8] = rev;
        t[10..16].copy_from_slice(b"LCKSTP");
        t[16..24].copy_from_slice(b"LOCKSTEP");
        t[24..28].copy_from_slice(&1u32.to_le_bytes());
        t[28..32].copy_from_slice(b"LKST");
        t[32..36].copy_from_slice(&1u32.to_le_bytes());
        t
    }

    /// The tables as bytes to place at [`BASE`], and the RSDP's address.
    pub fn build() -> (Vec<u8>, u32) {
        // Layout: RSDP at +0 (20 bytes), RSDT at +0x20 (40), FADT at
        // +0x50 (116), FACS at +0x100 (64, 64-byte aligned), DSDT at +0x140.
        let (rsdt_at, fadt_at, facs_at, dsdt_at) = (0x20, 0x50, 0x100, 0x140);
        let addr = |off: usize| BASE + off as u32;
        // DSDT: Name (_S5, Package (4) { 5, 5, 0, 0 }).
        let typ = super::S5_SLP_TYP as u8;
        let aml: [u8; 14] = [
            0x08, b'_', b'S', b'5', b'_', 0x12, 0x08, 0x04, 0x0a, typ, 0x0a, typ, 0x00, 0x00,
        ];
        let mut dsdt = header(b"DSDT", 36 + aml.len(), 1);
        dsdt[36..].copy_from_slice(&aml);
        checksum(&mut dsdt, 9);
        let mut facs = vec![0u8; 64];
        facs[0..4].copy_from_slice(b"FACS");
        facs[4..8].copy_from_slice(&64u32.to_le_bytes());
        let mut fadt = header(b"FACP", 116, 1);
        let w32 = |t: &mut Vec<u8>, o: usize, v: u32| t[o..o + 4].copy_from_slice(&v.to_le_bytes());
        w32(&mut fadt, 36, addr(facs_at));
        w32(&mut fadt, 40, addr(dsdt_at));
        fadt[46..48].copy_from_slice(&9u16.to_le_bytes()); // SCI_INT
        let pm = u32::from(PM_BASE);
        w32(&mut fadt, 56, pm); // PM1a_EVT_BLK
        w32(&mut fadt, 64, pm + 4); // PM1a_CNT_BLK
        w32(&mut fadt, 76, pm + 8); // PM_TMR_BLK
        fadt[88] = 4; // PM1_EVT_LEN
        fadt[89] = 2; // PM1_CNT_LEN
        fadt[91] = 4; // PM_TMR_LEN
        fadt[96..98].copy_from_slice(&101u16.to_le_bytes()); // no C2
        fadt[98..100].copy_from_slice(&1001u16.to_le_bytes()); // no C3
        fadt[108] = 0x32; // CENTURY
        fadt[109..111].copy_from_slice(&3u16.to_le_bytes()); // legacy devices, 8042
                                                             // WBINVD, PROC_C1, no fixed power or sleep button.
        w32(&mut fadt, 112, 1 | 1 << 2 | 1 << 4 | 1 << 5);
        checksum(&mut fadt, 9);
        let mut rsdt = header(b"RSDT", 40, 1);
        w32(&mut rsdt, 36, addr(fadt_at));
        checksum(&mut rsdt, 9);
        let mut rsdp = vec![0u8; 20];
        rsdp[0..8].copy_from_slice(b"RSD PTR ");
        rsdp[9..15].copy_from_slice(b"LCKSTP");
        rsdp[15] = 0; // ACPI 1.0
        rsdp[16..20].copy_from_slice(&addr(rsdt_at).to_le_bytes());
        checksum(&mut rsdp, 8);
        let mut out = vec![0u8; dsdt_at + dsdt.len()];
        out[..20].copy_from_slice(&rsdp);
        out[rsdt_at..rsdt_at + rsdt.len()].copy_from_slice(&rsdt);
        out[fadt_at..fadt_at + fadt.len()].copy_from_slice(&fadt);
        out[facs_at..facs_at + 64].copy_from_slice(&facs);
        out[dsdt_at..].copy_from_slice(&dsdt);
        (out, BASE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: IoCtx = IoCtx {
        icount: 0,
        now_ns: 1_000_000_000,
    };

    #[test]
    fn s5_powers_off_and_the_timer_counts_virtual_time() {
        let off = Rc::new(Cell::new(false));
        let mut pm = AcpiPm::new(Rc::clone(&off));
        assert_eq!(pm.read(&CTX, 4, 2) & 1, 1, "SCI_EN");
        assert_eq!(pm.read(&CTX, 8, 4), 3_579_545 & 0xff_ffff);
        pm.write(&CTX, 4, 2, u64::from(1u16 << 13 | 1 << 10));
        assert!(!off.get(), "S1 is not offered");
        pm.write(&CTX, 4, 2, u64::from(1u16 << 13 | S5_SLP_TYP << 10));
        assert!(off.get());
    }

    #[test]
    fn tables_have_valid_checksums() {
        let (t, base) = tables::build();
        assert_eq!(base, tables::BASE);
        let sum = |b: &[u8]| b.iter().fold(0u8, |s, x| s.wrapping_add(*x));
        assert_eq!(sum(&t[..20]), 0, "RSDP");
        for (off, len) in [(0x20, 40), (0x50, 116), (0x140, 50)] {
            assert_eq!(sum(&t[off..off + len]), 0, "table at {off:#x}");
        }
        assert_eq!(&t[0x140..0x144], b"DSDT");
    }
}
