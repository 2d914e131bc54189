//! A seeded generator of random, valid Thumb (T32) instruction sequences
//! for the random-instruction tester, in the same harness as the A32
//! generator (tests/guest/randharness.S, see [`super::randgen`]).
//!
//! The code region starts with one ARM instruction (BLX to the Thumb code
//! after it); each segment calls the harness's ARM `load_state` and
//! `dump_state` with BLX (they return with BX LR / POP into Thumb state),
//! and the program leaves for `harness_exit` with BLX. Segments hold
//! random instruction groups: 16- and 32-bit data processing, multiplies,
//! media, status register access, loads and stores of every form (base
//! registers pointed into the scratch area first), exclusives, PUSH/POP
//! pairs, IT blocks of one to four instructions with random conditions
//! (and a branch as the last one now and then), and forward branches of
//! every kind: B/B<c> in both sizes, BL, CBZ/CBNZ, BX/BLX to a Thumb
//! address, TBB/TBH through a jump table. Encodings the architecture
//! calls UNPREDICTABLE are avoided.

use super::randgen::{Program, Rng, CODE_BASE, SCRATCH_BASE, SCRATCH_SIZE};

/// Emits a halfword (the value is computed before `self` is borrowed).
macro_rules! h {
    ($g:expr, $v:expr) => {{
        let v = $v;
        $g.h(v)
    }};
}

/// Emits a 32-bit instruction.
macro_rules! w {
    ($g:expr, $v:expr) => {{
        let v = $v;
        $g.w(v)
    }};
}

/// A branch whose offset is fixed up once the groups are laid out.
#[derive(Clone, Copy, Debug)]
enum Fix {
    /// 16-bit B<c>.
    B16Cond,
    /// 16-bit B.
    B16,
    /// B<c>.W.
    B32Cond,
    /// B.W.
    B32,
    /// BL.
    Bl,
    /// CBZ/CBNZ.
    Cbz,
    /// MOVW/MOVT of the target (Thumb) into a register, for BX/BLX.
    Address,
    /// A TBB table of `n` byte entries (the next `n` group starts).
    Tbb(usize),
    /// A TBH table of `n` halfword entries.
    Tbh(usize),
}

/// A group of halfwords that stay together; `fix` names a halfword index
/// and a branch to `skip` groups further on.
struct Group {
    hws: Vec<u16>,
    fix: Option<(usize, Fix, u32)>,
}

struct Gen<'a> {
    rng: &'a mut Rng,
    hws: Vec<u16>,
    /// Inside an IT block: the 16-bit ALU forms do not set flags.
    in_it: bool,
}

pub fn movw32(rd: u32, v: u32) -> u32 {
    0xf240_0000
        | (v >> 11 & 1) << 26
        | (v >> 12 & 0xf) << 16
        | (v >> 8 & 7) << 12
        | rd << 8
        | (v & 0xff)
}

pub fn movt32(rd: u32, v: u32) -> u32 {
    movw32(rd, v >> 16) | 0x0080_0000
}

impl Gen<'_> {
    fn h(&mut self, hw: u32) {
        debug_assert!(hw < 0x10000);
        self.hws.push(hw as u16);
    }
    fn w(&mut self, w: u32) {
        self.hws.push((w >> 16) as u16);
        self.hws.push(w as u16);
    }
    /// r0-r12.
    fn reg(&mut self) -> u32 {
        self.rng.below(13)
    }
    fn reg_except(&mut self, not: &[u32]) -> u32 {
        loop {
            let r = self.reg();
            if !not.contains(&r) {
                return r;
            }
        }
    }
    /// r0-r7.
    fn low(&mut self) -> u32 {
        self.rng.below(8)
    }
    fn low_except(&mut self, not: &[u32]) -> u32 {
        loop {
            let r = self.low();
            if !not.contains(&r) {
                return r;
            }
        }
    }
    fn set_reg(&mut self, rd: u32, v: u32) {
        w!(self, movw32(rd, v));
        w!(self, movt32(rd, v));
    }
    /// A scratch address with `margin` bytes free on both sides, aligned.
    fn scratch_addr(&mut self, align: u32, margin: u32) -> u32 {
        let span = SCRATCH_SIZE as u32 - 2 * margin;
        (SCRATCH_BASE + margin + self.rng.below(span)) & !(align - 1)
    }

    // -----------------------------------------------------------------
    // 16-bit data processing.

    fn alu16(&mut self) {
        let (d, n, m) = (self.low(), self.low(), self.low());
        match self.rng.below(8) {
            0 => {
                // LSL #0 (MOVS) is not allowed inside an IT block.
                let op = self.rng.below(3);
                let imm = if op == 0 && self.in_it {
                    1 + self.rng.below(31)
                } else {
                    self.rng.below(32)
                };
                h!(self, op << 11 | imm << 6 | m << 3 | d);
            }
            1 => h!(self, 0x1800 | self.rng.bit() << 9 | m << 6 | n << 3 | d),
            2 => h!(
                self,
                0x1c00 | self.rng.bit() << 9 | self.rng.below(8) << 6 | n << 3 | d
            ),
            3 => h!(
                self,
                0x2000 | self.rng.below(4) << 11 | d << 8 | self.rng.below(256)
            ),
            4 | 5 => h!(self, 0x4000 | self.rng.below(16) << 6 | m << 3 | d),
            6 => {
                // ADD, CMP, MOV with high registers (never SP or PC).
                let (dn, rm) = (self.reg(), self.reg());
                match self.rng.below(3) {
                    0 => h!(self, 0x4400 | (dn >> 3) << 7 | rm << 3 | (dn & 7)),
                    1 => {
                        let rm = if dn < 8 && rm < 8 {
                            8 + self.rng.below(5)
                        } else {
                            rm
                        };
                        h!(self, 0x4500 | (dn >> 3) << 7 | rm << 3 | (dn & 7));
                    }
                    _ => h!(self, 0x4600 | (dn >> 3) << 7 | rm << 3 | (dn & 7)),
                }
            }
            _ => {
                // SXTH/SXTB/UXTH/UXTB, REV/REV16/REVSH, ADR, ADD Rd, SP.
                match self.rng.below(4) {
                    0 => h!(self, 0xb200 | self.rng.below(4) << 6 | m << 3 | d),
                    1 => h!(self, 0xba00 | self.rng.pick(&[0, 1, 3]) << 6 | m << 3 | d),
                    2 => h!(self, 0xa000 | d << 8 | self.rng.below(256)),
                    _ => h!(self, 0xa800 | d << 8 | self.rng.below(256)),
                }
            }
        }
    }

    // -----------------------------------------------------------------
    // 32-bit data processing.

    /// A valid 12-bit modified immediate (i:imm3:imm8 spread as T32 has it).
    fn modimm(&mut self) -> u32 {
        loop {
            let imm12 = self.rng.below(4096);
            let reserved = imm12 >> 10 == 0 && imm12 >> 8 & 3 != 0 && imm12 & 0xff == 0;
            if !reserved {
                return (imm12 >> 11) << 26 | (imm12 >> 8 & 7) << 12 | (imm12 & 0xff);
            }
        }
    }

    fn dp32(&mut self) {
        let op = self.rng.pick(&[0, 1, 2, 3, 4, 8, 10, 11, 13, 14]);
        let s = self.rng.bit();
        let (mut d, mut n) = (self.reg(), self.reg());
        // Compares (Rd = PC with S) and moves (Rn = PC).
        let (s, compare) = if matches!(op, 0 | 4 | 8 | 13) && self.rng.one_in(4) {
            d = 15;
            (1, true)
        } else {
            (s, false)
        };
        if !compare && matches!(op, 2 | 3) && self.rng.one_in(3) {
            n = 15;
        }
        match self.rng.below(3) {
            0 => {
                let imm = self.modimm();
                w!(
                    self,
                    0xf000_0000 | op << 21 | s << 20 | n << 16 | d << 8 | imm
                );
            }
            1 => {
                let (ty, imm) = (self.rng.below(4), self.rng.below(32));
                let m = self.reg();
                w!(
                    self,
                    0xea00_0000
                        | op << 21
                        | s << 20
                        | n << 16
                        | (imm >> 2) << 12
                        | d << 8
                        | (imm & 3) << 6
                        | ty << 4
                        | m
                );
            }
            _ => {
                // LSL/LSR/ASR/ROR (register).
                let d = self.reg();
                w!(
                    self,
                    0xfa00_f000
                        | self.rng.below(4) << 21
                        | s << 20
                        | n.min(12) << 16
                        | d << 8
                        | self.reg()
                );
            }
        }
    }

    fn plain_imm(&mut self) {
        let (d, n) = (self.reg(), self.reg());
        let imm12 = self.rng.below(4096);
        let spread = (imm12 >> 11) << 26 | (imm12 >> 8 & 7) << 12 | (imm12 & 0xff);
        match self.rng.below(8) {
            0 => {
                let n = if self.rng.one_in(4) { 15 } else { n };
                let op = if self.rng.bit() == 1 {
                    0xf2a0_0000
                } else {
                    0xf200_0000
                };
                w!(self, op | n << 16 | d << 8 | spread);
            }
            1 => {
                let v = self.rng.next() as u32;
                let w = if self.rng.bit() == 1 {
                    movw32(d, v)
                } else {
                    movt32(d, v)
                };
                w!(self, w);
            }
            2 | 3 => {
                // SSAT, USAT (LSL or ASR #1-31); SSAT16, USAT16.
                let u = self.rng.bit();
                if self.rng.one_in(3) {
                    w!(
                        self,
                        0xf320_0000 | u << 23 | n << 16 | d << 8 | self.rng.below(16)
                    );
                } else {
                    let sh = self.rng.bit();
                    let imm5 = self.rng.below(32).max(sh);
                    let spread5 = (imm5 >> 2) << 12 | (imm5 & 3) << 6;
                    w!(
                        self,
                        0xf300_0000
                            | u << 23
                            | sh << 21
                            | n << 16
                            | d << 8
                            | spread5
                            | self.rng.below(32)
                    );
                }
            }
            4 | 5 => {
                let lsb = self.rng.below(32);
                let width = 1 + self.rng.below(32 - lsb);
                let spread5 = (lsb >> 2) << 12 | (lsb & 3) << 6;
                w!(
                    self,
                    0xf340_0000 | self.rng.bit() << 23 | n << 16 | d << 8 | spread5 | (width - 1)
                );
            }
            _ => {
                let lsb = self.rng.below(32);
                let msb = lsb + self.rng.below(32 - lsb);
                let spread5 = (lsb >> 2) << 12 | (lsb & 3) << 6;
                let n = if self.rng.one_in(3) { 15 } else { n };
                w!(self, 0xf360_0000 | n << 16 | d << 8 | spread5 | msb);
            }
        }
    }

    fn multiply32(&mut self) {
        let (d, n, m, a) = (self.reg(), self.reg(), self.reg(), self.reg());
        let a = if self.rng.one_in(3) { 15 } else { a };
        let lo = self.reg();
        let hi = self.reg_except(&[lo]);
        let x = self.rng.bit();
        match self.rng.below(14) {
            0 => w!(self, 0xfb00_0000 | n << 16 | a << 12 | d << 8 | m),
            1 => w!(self, 0xfb00_0010 | n << 16 | a.min(12) << 12 | d << 8 | m),
            2 => w!(
                self,
                0xfb10_0000 | n << 16 | a << 12 | d << 8 | self.rng.below(4) << 4 | m
            ),
            3 => w!(self, 0xfb20_0000 | n << 16 | a << 12 | d << 8 | x << 4 | m),
            4 => w!(self, 0xfb40_0000 | n << 16 | a << 12 | d << 8 | x << 4 | m),
            5 => w!(self, 0xfb30_0000 | n << 16 | a << 12 | d << 8 | x << 4 | m),
            6 => w!(self, 0xfb50_0000 | n << 16 | a << 12 | d << 8 | x << 4 | m),
            7 => w!(
                self,
                0xfb60_0000 | n << 16 | a.min(12) << 12 | d << 8 | x << 4 | m
            ),
            8 => w!(self, 0xfb70_0000 | n << 16 | a << 12 | d << 8 | m),
            9 => w!(
                self,
                0xfb80_0000 | self.rng.pick(&[0, 2, 4, 6]) << 20 | n << 16 | lo << 12 | hi << 8 | m
            ),
            10 => w!(
                self,
                0xfb90_f0f0 | self.rng.bit() << 21 | n << 16 | d << 8 | m
            ),
            11 => w!(
                self,
                0xfbc0_0080 | n << 16 | lo << 12 | hi << 8 | self.rng.below(4) << 4 | m
            ),
            12 => w!(
                self,
                0xfbc0_00c0 | self.rng.bit() << 20 | n << 16 | lo << 12 | hi << 8 | x << 4 | m
            ),
            _ => w!(self, 0xfbe0_0060 | n << 16 | lo << 12 | hi << 8 | m),
        }
    }

    fn media32(&mut self) {
        let (d, n, m) = (self.reg(), self.reg(), self.reg());
        match self.rng.below(8) {
            0 | 1 => {
                let op1 = self.rng.pick(&[0, 1, 2, 4, 5, 6]);
                w!(
                    self,
                    0xfa80_f000
                        | op1 << 20
                        | n << 16
                        | d << 8
                        | self.rng.bit() << 6
                        | self.rng.below(3) << 4
                        | m
                );
            }
            2 => w!(
                self,
                0xfa80_f080 | n << 16 | d << 8 | self.rng.below(4) << 4 | m
            ),
            3 => w!(
                self,
                0xfa90_f080 | m << 16 | d << 8 | self.rng.below(4) << 4 | m
            ),
            4 => w!(self, 0xfaa0_f080 | n << 16 | d << 8 | m),
            5 => w!(self, 0xfab0_f080 | m << 16 | d << 8 | m),
            6 => {
                let n = if self.rng.bit() == 1 { 15 } else { n };
                w!(
                    self,
                    0xfa00_f080
                        | self.rng.below(6) << 20
                        | n << 16
                        | d << 8
                        | self.rng.below(4) << 4
                        | m
                );
            }
            _ => {
                let imm = self.rng.below(32);
                w!(
                    self,
                    0xeac0_0000
                        | n << 16
                        | (imm >> 2) << 12
                        | d << 8
                        | (imm & 3) << 6
                        | self.rng.bit() << 5
                        | m
                );
            }
        }
    }

    fn status(&mut self) {
        if self.rng.bit() == 1 {
            w!(self, 0xf3ef_8000 | self.reg() << 8);
        } else {
            w!(
                self,
                0xf380_8000 | self.reg() << 16 | self.rng.pick(&[4, 8, 12]) << 8
            );
        }
    }

    // -----------------------------------------------------------------
    // Loads and stores.

    fn load_store(&mut self) {
        let t = self.reg();
        let n = self.reg_except(&[t]);
        match self.rng.below(8) {
            0 => {
                // 16-bit, register offset (Rm small).
                let (t, n) = (self.low(), self.low_except(&[]));
                let m = self.low_except(&[n]);
                let base = self.scratch_addr(4, 0x400);
                self.set_reg(n, base);
                let off = self.rng.below(0x100) & !3;
                self.set_reg(m, off);
                h!(self, 0x5000 | self.rng.below(8) << 9 | m << 6 | n << 3 | t);
            }
            1 => {
                // 16-bit, immediate offset: word, byte, halfword.
                let (t, n) = (self.low(), self.low());
                let base = self.scratch_addr(4, 0x100);
                self.set_reg(n, base);
                let kind = self.rng.pick(&[0x6000, 0x7000, 0x8000]);
                h!(
                    self,
                    kind | self.rng.bit() << 11 | self.rng.below(32) << 6 | n << 3 | t
                );
            }
            2 => {
                // 32-bit, 12-bit offset; literals now and then.
                let l = self.rng.bit();
                let (s, size) = self.size(l);
                if l == 1 && self.rng.one_in(6) {
                    w!(
                        self,
                        0xf81f_0000
                            | s << 24
                            | self.rng.bit() << 23
                            | size << 21
                            | t << 12
                            | self.rng.below(0x400)
                    );
                    return;
                }
                let base = self.scratch_addr(1, 0x1000);
                self.set_reg(n, base);
                w!(
                    self,
                    0xf880_0000
                        | s << 24
                        | size << 21
                        | l << 20
                        | n << 16
                        | t << 12
                        | self.rng.below(0x1000)
                );
            }
            3 => {
                // 32-bit, 8-bit offset: pre/post-indexed, writeback, T forms.
                let l = self.rng.bit();
                let (s, size) = self.size(l);
                let (p, u, w) = loop {
                    let (p, u, w) = (self.rng.bit(), self.rng.bit(), self.rng.bit());
                    if p == 1 || w == 1 {
                        break (p, u, w);
                    }
                };
                let base = self.scratch_addr(1, 0x100);
                self.set_reg(n, base);
                w!(
                    self,
                    0xf800_0800
                        | s << 24
                        | size << 21
                        | l << 20
                        | n << 16
                        | t << 12
                        | p << 10
                        | u << 9
                        | w << 8
                        | self.rng.below(256)
                );
            }
            4 => {
                // 32-bit, register offset shifted left 0-3.
                let l = self.rng.bit();
                let (s, size) = self.size(l);
                let m = self.reg_except(&[t, n]);
                let base = self.scratch_addr(4, 0x1000);
                self.set_reg(n, base);
                let off = self.rng.below(0x100);
                self.set_reg(m, off);
                w!(
                    self,
                    0xf800_0000
                        | s << 24
                        | size << 21
                        | l << 20
                        | n << 16
                        | t << 12
                        | self.rng.below(4) << 4
                        | m
                );
            }
            5 => {
                // LDRD/STRD.
                let t2 = self.reg_except(&[t]);
                let n = self.reg_except(&[t, t2]);
                let l = self.rng.bit();
                let (p, u, w) = loop {
                    let (p, u, w) = (self.rng.bit(), self.rng.bit(), self.rng.bit());
                    if p == 1 || w == 1 {
                        break (p, u, w);
                    }
                };
                let base = self.scratch_addr(4, 0x400);
                self.set_reg(n, base);
                w!(
                    self,
                    0xe840_0000
                        | p << 24
                        | u << 23
                        | w << 21
                        | l << 20
                        | n << 16
                        | t << 12
                        | t2 << 8
                        | self.rng.below(256)
                );
            }
            6 => {
                // LDM/STM, 16- and 32-bit.
                let base = self.scratch_addr(4, 0x100);
                if self.rng.bit() == 1 {
                    let n = self.low();
                    self.set_reg(n, base);
                    let l = self.rng.bit();
                    let mut list = self.rng.below(256) | 1 << self.low();
                    if l == 0 && list & (1 << n) != 0 {
                        // A stored base must be the lowest register.
                        list &= !((1 << n) - 1);
                    }
                    h!(self, 0xc000 | l << 11 | n << 8 | list);
                } else {
                    let (l, w, db) = (self.rng.bit(), self.rng.bit(), self.rng.bit());
                    let mut list = self.rng.below(0x2000) & !(1 << n);
                    while list.count_ones() < 2 {
                        list |= 1 << self.reg_except(&[n]);
                    }
                    self.set_reg(n, base);
                    let op = if db == 1 { 0xe900_0000 } else { 0xe880_0000 };
                    w!(self, op | w << 21 | l << 20 | n << 16 | list);
                }
            }
            _ => self.exclusive(),
        }
    }

    /// (S, size) of a load (signed forms) or store.
    fn size(&mut self, load: u32) -> (u32, u32) {
        let size = self.rng.below(3);
        let s = if load == 1 && size < 2 {
            self.rng.bit()
        } else {
            0
        };
        (s, size)
    }

    fn exclusive(&mut self) {
        let t = self.reg();
        let t2 = self.reg_except(&[t]);
        let n = self.reg_except(&[t, t2]);
        let kind = self.rng.below(4);
        let align = [4, 1, 2, 8][kind as usize];
        let base = self.scratch_addr(align, 0x100);
        self.set_reg(n, base);
        if self.rng.one_in(4) {
            w!(self, 0xf3bf_8f2f); // CLREX
        }
        match kind {
            0 => w!(self, 0xe850_0f00 | n << 16 | t << 12),
            1 => w!(self, 0xe8d0_0f4f | n << 16 | t << 12),
            2 => w!(self, 0xe8d0_0f5f | n << 16 | t << 12),
            _ => w!(self, 0xe8d0_007f | n << 16 | t << 12 | t2 << 8),
        }
        if self.rng.one_in(5) {
            w!(self, 0xf3bf_8f2f); // CLREX: the store must fail
        }
        if self.rng.one_in(5) {
            return;
        }
        let s = self.reg_except(&[n]);
        let s2 = self.reg_except(&[n, s]);
        let d = self.reg_except(&[n, s, s2]);
        match kind {
            0 => w!(self, 0xe840_0000 | n << 16 | s << 12 | d << 8),
            1 => w!(self, 0xe8c0_0f40 | n << 16 | s << 12 | d),
            2 => w!(self, 0xe8c0_0f50 | n << 16 | s << 12 | d),
            _ => w!(self, 0xe8c0_0070 | n << 16 | s << 12 | s2 << 8 | d),
        }
    }

    /// PUSH then POP of as many registers (16- or 32-bit forms).
    fn push_pop(&mut self) {
        let count = 1 + self.rng.below(4);
        let mut a = 0u32;
        let mut b = 0u32;
        while a.count_ones() < count {
            a |= 1 << self.low();
        }
        while b.count_ones() < count {
            b |= 1 << self.low();
        }
        if count >= 2 && self.rng.bit() == 1 {
            w!(self, 0xe92d_0000 | a);
            if self.rng.bit() == 1 {
                self.alu16();
            }
            w!(self, 0xe8bd_0000 | b);
        } else {
            h!(self, 0xb400 | a);
            if self.rng.bit() == 1 {
                self.alu16();
            }
            h!(self, 0xbc00 | b);
        }
    }

    /// An instruction allowed anywhere in an IT block.
    fn it_body(&mut self) {
        match self.rng.below(6) {
            0..=2 => self.alu16(),
            3 => self.dp32(),
            4 => self.multiply32(),
            _ => self.media32(),
        }
    }

    fn group(&mut self) -> Group {
        self.hws.clear();
        self.in_it = false;
        let fix = match self.rng.below(24) {
            0..=4 => {
                self.alu16();
                None
            }
            5..=7 => {
                self.dp32();
                None
            }
            8 => {
                self.plain_imm();
                None
            }
            9 | 10 => {
                self.multiply32();
                None
            }
            11 | 12 => {
                self.media32();
                None
            }
            13 => {
                self.status();
                None
            }
            14..=16 => {
                self.load_store();
                None
            }
            17 => {
                self.push_pop();
                None
            }
            18 | 19 => self.it_block(),
            20 => {
                // 16- or 32-bit B<c>, B.
                let cond = self.rng.below(14);
                let at = self.hws.len();
                let fix = match self.rng.below(4) {
                    0 => {
                        h!(self, 0xd000 | cond << 8);
                        Fix::B16Cond
                    }
                    1 => {
                        h!(self, 0xe000);
                        Fix::B16
                    }
                    2 => {
                        w!(self, 0xf000_8000 | cond << 22);
                        Fix::B32Cond
                    }
                    _ => {
                        w!(self, 0xf000_9000);
                        Fix::B32
                    }
                };
                Some((at, fix, self.rng.below(4)))
            }
            21 => {
                // BL, CBZ/CBNZ.
                let at = self.hws.len();
                if self.rng.bit() == 1 {
                    w!(self, 0xf000_d000);
                    Some((at, Fix::Bl, self.rng.below(4)))
                } else {
                    // An instruction it may skip: the target is never
                    // the CBZ's own next instruction.
                    h!(self, 0xb100 | self.rng.bit() << 11 | self.low());
                    self.alu16();
                    Some((at, Fix::Cbz, self.rng.below(2)))
                }
            }
            22 => {
                // BX/BLX to a later group.
                let r = self.reg();
                let at = self.hws.len();
                w!(self, movw32(r, 0));
                w!(self, movt32(r, 0));
                let op = if self.rng.bit() == 1 { 0x4700 } else { 0x4780 };
                h!(self, op | r << 3);
                Some((at, Fix::Address, self.rng.below(4)))
            }
            _ => {
                // TBB/TBH through a table right after it.
                let r = self.reg();
                let entries = 1 + self.rng.below(4) as usize;
                w!(self, movw32(r, self.rng.below(entries as u32)));
                w!(self, movt32(r, 0));
                let at;
                let fix = if self.rng.bit() == 1 {
                    w!(self, 0xe8df_f000 | r);
                    at = self.hws.len();
                    for _ in 0..entries.div_ceil(2) {
                        h!(self, 0);
                    }
                    Fix::Tbb(entries)
                } else {
                    w!(self, 0xe8df_f010 | r);
                    at = self.hws.len();
                    for _ in 0..entries {
                        h!(self, 0);
                    }
                    Fix::Tbh(entries)
                };
                Some((at, fix, 0))
            }
        };
        Group {
            hws: self.hws.clone(),
            fix,
        }
    }

    /// IT with one to four instructions; the last may branch.
    fn it_block(&mut self) -> Option<(usize, Fix, u32)> {
        let firstcond = self.rng.below(14);
        let count = 1 + self.rng.below(4);
        let mut mask = 1 << (4 - count);
        for k in 0..count - 1 {
            let then = self.rng.bit() ^ 1;
            let bit = if then == 1 {
                firstcond & 1
            } else {
                (firstcond & 1) ^ 1
            };
            mask |= bit << (3 - k);
        }
        h!(self, 0xbf00 | firstcond << 4 | mask);
        self.in_it = true;
        for _ in 0..count - 1 {
            self.it_body();
        }
        let fix = if self.rng.one_in(4) {
            let at = self.hws.len();
            if self.rng.bit() == 1 {
                h!(self, 0xe000);
                Some((at, Fix::B16, self.rng.below(3)))
            } else {
                w!(self, 0xf000_9000);
                Some((at, Fix::B32, self.rng.below(3)))
            }
        } else {
            self.it_body();
            None
        };
        self.in_it = false;
        fix
    }
}

/// Writes branch `fix` at halfword `at` of `code` (whose first halfword
/// is at `base`) to reach `target`; the table forms get `targets`.
fn fix_up(code: &mut [u16], base: u32, at: usize, fix: Fix, targets: &[u32]) {
    let pc = base + 2 * at as u32;
    let target = targets[0];
    let off = target.wrapping_sub(pc + 4);
    match fix {
        Fix::B16Cond => code[at] |= (off >> 1 & 0xff) as u16,
        Fix::B16 => code[at] |= (off >> 1 & 0x7ff) as u16,
        Fix::B32Cond => {
            let (s, j2, j1) = (off >> 20 & 1, off >> 19 & 1, off >> 18 & 1);
            code[at] |= (s << 10 | (off >> 12 & 0x3f)) as u16;
            code[at + 1] |= (j1 << 13 | j2 << 11 | (off >> 1 & 0x7ff)) as u16;
        }
        Fix::B32 | Fix::Bl => {
            let s = off >> 24 & 1;
            let j1 = (!(off >> 23) & 1) ^ s;
            let j2 = (!(off >> 22) & 1) ^ s;
            code[at] |= (s << 10 | (off >> 12 & 0x3ff)) as u16;
            code[at + 1] |= (j1 << 13 | j2 << 11 | (off >> 1 & 0x7ff)) as u16;
        }
        Fix::Cbz => {
            assert!(off < 128, "CBZ reaches 126 bytes, not {off:#x}");
            code[at] |= ((off >> 6 & 1) << 9 | (off >> 1 & 0x1f) << 3) as u16;
        }
        Fix::Address => {
            let t = target | 1;
            let (w1, w2) = (movw32(0, t), movt32(0, t));
            for (k, w) in [(0, w1), (2, w2)] {
                code[at + k] |= ((w >> 16) as u16) & 0x040f;
                code[at + k + 1] |= (w as u16) & 0x70ff;
            }
        }
        Fix::Tbb(n) | Fix::Tbh(n) => {
            // The table starts right after the TB instruction: PC is its
            // address + 4, which is the table's first halfword.
            let table_pc = base + 2 * at as u32;
            for (k, &t) in targets.iter().take(n).enumerate() {
                let entry = (t - table_pc) / 2;
                if let Fix::Tbb(_) = fix {
                    assert!(entry < 256, "TBB reaches 510 bytes");
                    code[at + k / 2] |= (entry << (8 * (k % 2))) as u16;
                } else {
                    code[at + k] = entry as u16;
                }
            }
        }
    }
}

/// BLX (T32, immediate) at `from` to the ARM address `to`.
pub fn blx_arm(from: u32, to: u32) -> [u16; 2] {
    let off = to.wrapping_sub((from + 4) & !3);
    let s = off >> 24 & 1;
    let j1 = (!(off >> 23) & 1) ^ s;
    let j2 = (!(off >> 22) & 1) ^ s;
    [
        (0xf000 | s << 10 | (off >> 12 & 0x3ff)) as u16,
        (0xc000 | j1 << 13 | j2 << 11 | (off >> 1 & 0x7fe)) as u16,
    ]
}

/// Generates a Thumb program of `segments` segments of `per_segment`
/// random instruction groups each.
pub fn generate(seed: u64, segments: usize, per_segment: usize) -> Program {
    const LOAD_STATE: u32 = 0x4010_0004;
    const DUMP_STATE: u32 = 0x4010_0008;
    const HARNESS_EXIT: u32 = 0x4010_000c;
    let mut rng = Rng::new(seed);
    // The code region starts in ARM state: BLX to the Thumb code after it.
    let mut code: Vec<u16> = vec![0xffff, 0xfaff];
    let base = CODE_BASE;
    let mut states = Vec::new();
    let mut random_insns = 0;
    for _ in 0..segments {
        let call = |code: &mut Vec<u16>, to: u32| {
            let here = base + 2 * code.len() as u32;
            code.extend_from_slice(&blx_arm(here, to));
        };
        call(&mut code, LOAD_STATE);
        let mut g = Gen {
            rng: &mut rng,
            hws: Vec::new(),
            in_it: false,
        };
        let groups: Vec<Group> = (0..per_segment).map(|_| g.group()).collect();
        let mut starts = Vec::new();
        for grp in &groups {
            starts.push(code.len());
            code.extend_from_slice(&grp.hws);
        }
        let end = code.len();
        let addr = |i: usize| base + 2 * starts.get(i).copied().unwrap_or(end) as u32;
        for (i, grp) in groups.iter().enumerate() {
            if let Some((at, fix, skip)) = grp.fix {
                let targets: Vec<u32> = match fix {
                    Fix::Tbb(n) | Fix::Tbh(n) => (0..n).map(|k| addr(i + 1 + k)).collect(),
                    _ => vec![addr(i + 1 + skip as usize)],
                };
                fix_up(&mut code, base, starts[i] + at, fix, &targets);
            }
            random_insns += count_insns(&grp.hws, grp.fix);
        }
        call(&mut code, DUMP_STATE);
        states.extend(super::randgen::core_record(&mut rng));
    }
    let here = base + 2 * code.len() as u32;
    code.extend_from_slice(&blx_arm(here, HARNESS_EXIT));
    if !code.len().is_multiple_of(2) {
        code.push(0xbf00);
    }
    let words: Vec<u32> = code
        .chunks(2)
        .map(|c| u32::from(c[0]) | u32::from(c[1]) << 16)
        .collect();
    super::randgen::finish(words, states, &mut rng, random_insns)
}

/// Instructions in a group (a jump table's entries are data).
fn count_insns(hws: &[u16], fix: Option<(usize, Fix, u32)>) -> usize {
    let table = match fix {
        Some((at, Fix::Tbb(n), _)) => Some((at, n.div_ceil(2))),
        Some((at, Fix::Tbh(n), _)) => Some((at, n)),
        _ => None,
    };
    let mut i = 0;
    let mut n = 0;
    while i < hws.len() {
        if let Some((at, len)) = table {
            if i == at {
                i += len;
                continue;
            }
        }
        i += if hws[i] >> 11 >= 0b11101 { 2 } else { 1 };
        n += 1;
    }
    n
}
