//! A seeded generator of random i386 instruction sequences for the
//! random-instruction tester, run inside tests/guest/i386/randharness.c.
//!
//! Each segment is a function: it saves the harness's registers, loads
//! EFLAGS and seven registers from its state record (ESP stays the
//! harness's), runs random instructions, stores the registers and EFLAGS
//! into the record's second half and returns. Instructions are drawn from
//! the integer instructions of an i686 in every operand size and form:
//! arithmetic and logic, shifts and rotates (also through CL and by
//! carry), double shifts, multiplies, bit tests and scans, moves and
//! extensions, exchanges, compare-exchange, conditional moves and sets,
//! flag instructions, push/pop pairs, string instructions with and
//! without REP (ESI, EDI and ECX set up first), and forward conditional
//! branches. Memory operands go through EBP, which is pointed into the
//! scratch area right before each use.
//!
//! What the architecture leaves undefined is kept out of the comparison:
//! after an instruction that leaves flags undefined (iced's
//! `rflags_undefined`), the generated code clears exactly those flags
//! with PUSHF / AND [ESP] / POPF; division and the 16-bit double shifts
//! (undefined results) are not generated.

use super::randgen::Rng;
use iced_x86::{Decoder, DecoderOptions};

/// Where generated code goes (the harness's `.randcode`).
pub const CODE_BASE: u32 = 0x20_0000;
/// Its size.
pub const CODE_SIZE: usize = 0x8_0000;
/// State records, 64 bytes each: 32 in (EAX..EDI with ESP's slot
/// unused, then EFLAGS in ESP's place), 32 out in the same layout.
pub const STATES_BASE: u32 = 0x28_0000;
/// Space for records.
pub const STATES_SIZE: usize = 0x4_0000;
/// Scratch memory.
pub const SCRATCH_BASE: u32 = 0x2c_0000;
/// Scratch size.
pub const SCRATCH_SIZE: usize = 0x1_0000;

/// One segment's code: its prologue, each random instruction (with its
/// set-up and flag masking), its epilogue.
#[derive(Clone)]
pub struct Segment {
    /// Saves the harness's state and loads the record.
    pub head: Vec<u8>,
    /// The random instructions.
    pub insns: Vec<Vec<u8>>,
    /// Stores the state and returns.
    pub tail: Vec<u8>,
}

/// A generated program.
pub struct Program {
    /// The bytes at `CODE_BASE` (segment table first).
    pub code: Vec<u8>,
    /// The segments the code was assembled from.
    pub segments: Vec<Segment>,
    /// The state records.
    pub states: Vec<u8>,
    /// The initial scratch contents.
    pub scratch: Vec<u8>,
    /// How many random instructions the segments hold.
    pub random_insns: usize,
}

const ESP: u8 = 4;
const EBP: u8 = 5;

/// Where the saved harness ESP lives (the last word of the states area).
const SAVE_ESP: u32 = STATES_BASE + STATES_SIZE as u32 - 4;

struct Gen<'a> {
    rng: &'a mut Rng,
    out: Vec<u8>,
}

fn modrm(md: u8, reg: u8, rm: u8) -> u8 {
    md << 6 | (reg & 7) << 3 | (rm & 7)
}

impl Gen<'_> {
    fn bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }
    fn imm32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
    /// A register to write (not ESP, nor EBP, the memory base).
    fn dst(&mut self) -> u8 {
        *[0u8, 1, 2, 3, 6, 7]
            .get(self.rng.below(6) as usize)
            .unwrap()
    }
    /// Any register to read.
    fn src(&mut self) -> u8 {
        self.rng.below(8) as u8
    }
    /// `mov ebp, scratch + off`.
    fn point_ebp(&mut self) {
        let off = 0x100 + self.rng.below(SCRATCH_SIZE as u32 - 0x200);
        self.bytes(&[0xbd]);
        self.imm32(SCRATCH_BASE + off);
    }
    /// A ModRM for an operand that is a register (a destination when
    /// `write`) or `[ebp + disp8]`; returns the bytes after the opcode.
    fn rm(&mut self, reg: u8, write: bool, mem: bool) -> Vec<u8> {
        if mem {
            let d = self.rng.below(256) as u8;
            vec![modrm(1, reg, EBP), d]
        } else {
            let r = if write { self.dst() } else { self.src() };
            vec![modrm(3, reg, r)]
        }
    }

    /// One random instruction (possibly with its set-up); returns the
    /// bytes of the instruction proper, for the flag check.
    fn insn(&mut self) {
        let mem = self.rng.one_in(3);
        if mem {
            self.point_ebp();
        }
        let start = self.out.len();
        let size = self.rng.below(4); // 0: byte, 1: word, 2-3: dword
        let (w, prefix): (u8, &[u8]) = match size {
            0 => (0, &[]),
            1 => (1, &[0x66]),
            _ => (1, &[]),
        };
        let op = self.rng.below(31);
        match op {
            // ALU r/m, r and r, r/m: ADD OR ADC SBB AND SUB XOR CMP.
            0..=3 => {
                let alu = self.rng.below(8) as u8;
                let dir = self.rng.bit() as u8; // 0: r/m, r; 1: r, r/m
                let opc = alu << 3 | dir << 1 | w;
                let reg = if dir == 1 && w == 1 {
                    self.dst()
                } else {
                    self.src()
                };
                let rm = self.rm(reg, dir == 0, mem);
                self.bytes(prefix);
                self.bytes(&[opc]);
                self.bytes(&rm);
            }
            // Group 1 with an immediate.
            4..=5 => {
                let alu = self.rng.below(8);
                let form = if w == 0 {
                    0x80
                } else if self.rng.bit() == 1 {
                    0x83
                } else {
                    0x81
                };
                let rm = self.rm(alu as u8, true, mem);
                self.bytes(prefix);
                self.bytes(&[form]);
                self.bytes(&rm);
                let n = match (form, size) {
                    (0x81, 1) => 2,
                    (0x81, _) => 4,
                    _ => 1,
                };
                let v = self.rng.value();
                self.bytes(&v.to_le_bytes()[..n]);
            }
            // Accumulator with an immediate.
            6 => {
                let alu = self.rng.below(8) as u8;
                self.bytes(prefix);
                self.bytes(&[alu << 3 | 4 | w]);
                let n = match size {
                    0 => 1,
                    1 => 2,
                    _ => 4,
                };
                let v = self.rng.value();
                self.bytes(&v.to_le_bytes()[..n]);
            }
            // TEST, NOT, NEG, MUL, IMUL (group 3) and INC/DEC (FE/FF).
            7..=8 => {
                let sub = self.rng.pick(&[0u8, 2, 3, 4, 5]);
                let rm = self.rm(sub, true, mem);
                self.bytes(prefix);
                self.bytes(&[0xf6 | w]);
                self.bytes(&rm);
                if sub == 0 {
                    let n = match size {
                        0 => 1,
                        1 => 2,
                        _ => 4,
                    };
                    let v = self.rng.value();
                    self.bytes(&v.to_le_bytes()[..n]);
                }
            }
            9 => {
                let sub = self.rng.below(2) as u8;
                let rm = self.rm(sub, true, mem);
                self.bytes(prefix);
                self.bytes(&[0xfe | w]);
                self.bytes(&rm);
            }
            // Shifts and rotates: by 1, by an immediate, by CL.
            10..=12 => {
                let sub = self.rng.pick(&[0u8, 1, 2, 3, 4, 5, 7]);
                let form = self.rng.below(3);
                if form == 2 {
                    // A count in CL, sometimes beyond the width.
                    let r1 = self.rng.below(40) as u8;
                    self.bytes(&[0xb1, r1]);
                }
                let start2 = self.out.len();
                let rm = self.rm(sub, true, mem);
                self.bytes(prefix);
                match form {
                    0 => self.bytes(&[0xd0 | w]),
                    1 => self.bytes(&[0xc0 | w]),
                    _ => self.bytes(&[0xd2 | w]),
                }
                self.bytes(&rm);
                if form == 1 {
                    let r2 = self.rng.below(40) as u8;
                    self.bytes(&[r2]);
                }
                return self.check_flags(start2);
            }
            // SHLD/SHRD (32-bit only), by immediate or CL.
            13 => {
                let cl = self.rng.bit() == 1;
                if cl {
                    let r3 = self.rng.below(40) as u8;
                    self.bytes(&[0xb1, r3]);
                }
                let start2 = self.out.len();
                let right = self.rng.bit() as u8 * 8;
                let reg = self.src();
                let rm = self.rm(reg, true, mem);
                self.bytes(&[0x0f, 0xa4 + right + u8::from(cl)]);
                self.bytes(&rm);
                if !cl {
                    let r4 = self.rng.below(32) as u8;
                    self.bytes(&[r4]);
                }
                return self.check_flags(start2);
            }
            // IMUL r, r/m (, imm).
            14 => {
                let reg = self.dst();
                let p: &[u8] = if size == 1 { &[0x66] } else { &[] };
                let form = self.rng.below(3);
                let rm = self.rm(reg, false, mem);
                self.bytes(p);
                match form {
                    0 => {
                        self.bytes(&[0x0f, 0xaf]);
                        self.bytes(&rm);
                    }
                    1 => {
                        self.bytes(&[0x6b]);
                        self.bytes(&rm);
                        let r5 = self.rng.next() as u8;
                        self.bytes(&[r5]);
                    }
                    _ => {
                        self.bytes(&[0x69]);
                        self.bytes(&rm);
                        let v = self.rng.value();
                        self.bytes(&v.to_le_bytes()[..if size == 1 { 2 } else { 4 }]);
                    }
                }
            }
            // MOV forms and immediates.
            15..=16 => {
                let form = self.rng.below(3);
                self.bytes(prefix);
                match form {
                    0 => {
                        let dir = self.rng.bit() as u8;
                        let reg = if dir == 1 && w == 1 {
                            self.dst()
                        } else {
                            self.src()
                        };
                        let rm = self.rm(reg, dir == 0, mem);
                        self.bytes(&[0x88 | dir << 1 | w]);
                        self.bytes(&rm);
                    }
                    1 => {
                        let r = if w == 0 { self.src() } else { self.dst() };
                        self.bytes(&[0xb0 | w << 3 | r]);
                        let v = self.rng.value();
                        self.bytes(
                            &v.to_le_bytes()[..match size {
                                0 => 1,
                                1 => 2,
                                _ => 4,
                            }],
                        );
                    }
                    _ => {
                        let rm = self.rm(0, true, mem);
                        self.bytes(&[0xc6 | w]);
                        self.bytes(&rm);
                        let v = self.rng.value();
                        self.bytes(
                            &v.to_le_bytes()[..match size {
                                0 => 1,
                                1 => 2,
                                _ => 4,
                            }],
                        );
                    }
                }
            }
            // MOVZX/MOVSX.
            17 => {
                let reg = self.dst();
                let rm = self.rm(reg, false, mem);
                if size == 1 {
                    self.bytes(&[0x66]);
                }
                let o = self.rng.pick(&[0xb6u8, 0xb7, 0xbe, 0xbf]);
                self.bytes(&[0x0f, o]);
                self.bytes(&rm);
            }
            // XCHG, XADD, CMPXCHG.
            18 => {
                let reg = if w == 1 { self.dst() } else { self.src() };
                let rm = self.rm(reg, true, mem);
                self.bytes(prefix);
                match self.rng.below(3) {
                    0 => self.bytes(&[0x86 | w]),
                    1 => self.bytes(&[0x0f, 0xc0 | w]),
                    _ => self.bytes(&[0x0f, 0xb0 | w]),
                }
                self.bytes(&rm);
            }
            // CMOVcc, SETcc.
            19 => {
                let cc = self.rng.below(16) as u8;
                if self.rng.bit() == 1 {
                    let reg = self.dst();
                    let rm = self.rm(reg, false, mem);
                    if size == 1 {
                        self.bytes(&[0x66]);
                    }
                    self.bytes(&[0x0f, 0x40 | cc]);
                    self.bytes(&rm);
                } else {
                    let rm = self.rm(0, true, mem);
                    self.bytes(&[0x0f, 0x90 | cc]);
                    self.bytes(&rm);
                }
            }
            // BT/BTS/BTR/BTC by register or immediate; BSF/BSR.
            20 => {
                let p: &[u8] = if size == 1 { &[0x66] } else { &[] };
                match self.rng.below(3) {
                    0 => {
                        let sub = 4 + self.rng.below(4) as u8;
                        let rm = self.rm(sub, true, mem);
                        self.bytes(p);
                        self.bytes(&[0x0f, 0xba]);
                        self.bytes(&rm);
                        let r6 = self.rng.next() as u8;
                        self.bytes(&[r6]);
                    }
                    1 => {
                        // A register bit offset on memory reaches beyond
                        // the operand: keep it small.
                        let reg = if mem { self.dst() } else { self.src() };
                        if mem {
                            self.bytes(&[0xb8 | reg]);
                            let r7 = self.rng.below(256);
                            self.imm32(r7);
                        }
                        let at = self.out.len();
                        let rm = self.rm(reg, true, mem);
                        self.bytes(p);
                        let o = self.rng.pick(&[0xa3u8, 0xab, 0xb3, 0xbb]);
                        self.bytes(&[0x0f, o]);
                        self.bytes(&rm);
                        return self.check_flags(at);
                    }
                    _ => {
                        let reg = self.dst();
                        let rm = self.rm(reg, false, mem);
                        self.bytes(p);
                        let r8 = self.rng.bit() as u8;
                        self.bytes(&[0x0f, 0xbc | r8]);
                        self.bytes(&rm);
                    }
                }
            }
            // Conversions, BSWAP, flag instructions, LAHF/SAHF.
            21 => {
                let r = self.dst();
                let b = self.rng.pick(&[
                    0x98u8, 0x99, 0xf5, 0xf8, 0xf9, 0x9e, 0x9f, 0xfc, 0xfd, 0x90, 0x0f,
                ]);
                if b == 0x0f {
                    self.bytes(&[0x0f, 0xc8 | r]);
                } else {
                    if b == 0x98 || b == 0x99 {
                        self.bytes(prefix);
                    }
                    self.bytes(&[b]);
                }
            }
            // LEA with base, index and scale.
            22 => {
                let reg = self.dst();
                let base = self.src();
                let index = self.rng.pick(&[0u8, 1, 2, 3, 5, 6, 7]);
                let scale = self.rng.below(4) as u8;
                self.bytes(&[0x8d, modrm(2, reg, 4), scale << 6 | index << 3 | base]);
                let r9 = self.rng.value();
                self.imm32(r9);
            }
            // A push/pop pair.
            23 => {
                let a = self.src();
                let b = self.dst();
                self.bytes(&[0x50 | a, 0x58 | b]);
            }
            // INC/DEC of a register (short forms).
            24 => {
                let r = self.dst();
                self.bytes(prefix);
                let r10 = self.rng.bit() as u8 * 8;
                self.bytes(&[0x40 | r10 | r]);
            }
            // String instructions.
            25..=26 => {
                self.bytes(&[0xbe]);
                let r11 = self.rng.below(0x100);
                self.imm32(SCRATCH_BASE + 0x4000 + r11);
                self.bytes(&[0xbf]);
                let r12 = self.rng.below(0x100);
                self.imm32(SCRATCH_BASE + 0x8000 + r12);
                self.bytes(&[0xb9]);
                let r13 = self.rng.below(9);
                self.imm32(r13);
                let start2 = self.out.len();
                let rep = self.rng.pick(&[0u8, 0xf3, 0xf2]);
                let o = self.rng.pick(&[0xa4u8, 0xa6, 0xaa, 0xac, 0xae]);
                if rep != 0 && !(o == 0xa6 || o == 0xae) {
                    self.bytes(&[0xf3]);
                } else if rep != 0 {
                    self.bytes(&[rep]);
                }
                self.bytes(prefix);
                self.bytes(&[o | w]);
                return self.check_flags(start2);
            }
            // A forward conditional branch over 1-3 instructions.
            27 => {
                let cc = self.rng.below(16) as u8;
                let mut inner = Gen {
                    rng: &mut *self.rng,
                    out: Vec::new(),
                };
                for _ in 0..1 + inner.rng.below(3) {
                    inner.insn();
                }
                let body = inner.out;
                if body.len() < 128 {
                    self.bytes(&[0x70 | cc, body.len() as u8]);
                    self.bytes(&body);
                }
                return;
            }
            // Decimal and ASCII adjusts, SALC, ARPL between registers.
            30 => {
                let k = self.rng.below(8);
                match k {
                    0 => self.bytes(&[0x27]), // DAA
                    1 => self.bytes(&[0x2f]), // DAS
                    2 => self.bytes(&[0x37]), // AAA
                    3 => self.bytes(&[0x3f]), // AAS
                    4 => {
                        let imm = 1 + self.rng.below(255) as u8;
                        self.bytes(&[0xd4, imm]) // AAM
                    }
                    5 => {
                        let imm = self.rng.below(256) as u8;
                        self.bytes(&[0xd5, imm]) // AAD
                    }
                    6 => self.bytes(&[0xd6]), // SALC
                    _ => {
                        let (d, r) = (self.dst(), self.src());
                        self.bytes(&[0x63, modrm(3, r, d)]) // ARPL
                    }
                }
            }
            // RCL/RCR by CL with a wide count; ADC/SBB chains.
            _ => {
                let r14 = self.rng.below(70) as u8;
                self.bytes(&[0xb1, r14]);
                let start2 = self.out.len();
                let sub = 2 + self.rng.bit() as u8;
                let rm = self.rm(sub, true, mem);
                self.bytes(prefix);
                self.bytes(&[0xd2 | w]);
                self.bytes(&rm);
                return self.check_flags(start2);
            }
        }
        self.check_flags(start);
    }

    /// Clears the flags the instruction at `start` leaves undefined.
    fn check_flags(&mut self, start: usize) {
        let bytes = &self.out[start..];
        let mut d = Decoder::new(
            32,
            bytes,
            DecoderOptions::NO_MPFX_0FBC | DecoderOptions::NO_MPFX_0FBD,
        );
        let insn = d.decode();
        assert!(
            !insn.is_invalid(),
            "generated an invalid instruction: {bytes:02x?}"
        );
        // iced's RflagsBits and EFLAGS: OF 1, SF 2, ZF 4, AF 8, CF 16, PF 32.
        let u = insn.rflags_undefined();
        let map = [
            (1u32, 0x800u32),
            (2, 0x80),
            (4, 0x40),
            (8, 0x10),
            (16, 0x01),
            (32, 0x04),
        ];
        let mask: u32 = map.iter().filter(|(b, _)| u & b != 0).map(|(_, e)| e).sum();
        if mask != 0 {
            // pushf; and dword [esp], ~mask; popf
            self.bytes(&[0x9c, 0x81, 0x24, 0x24]);
            self.imm32(!mask);
            self.bytes(&[0x9d]);
        }
    }
}

/// Generates `segments` segments of `per_segment` random instructions.
pub fn generate(seed: u64, segments: usize, per_segment: usize) -> Program {
    let mut rng = Rng::new(seed);
    let mut states = Vec::new();
    let mut parts = Vec::new();
    for s in 0..segments {
        let rec = STATES_BASE + 64 * s as u32;
        let mut g = Gen {
            rng: &mut rng,
            out: Vec::new(),
        };
        // pushad; pushfd; mov [SAVE_ESP], esp
        g.bytes(&[0x60, 0x9c, 0x89, 0x25]);
        g.imm32(SAVE_ESP);
        // push dword [rec + 16]; popfd (EFLAGS in ESP's slot)
        g.bytes(&[0xff, 0x35]);
        g.imm32(rec + 16);
        g.bytes(&[0x9d]);
        // mov r, [rec + 4r] for every register but ESP.
        for r in 0..8u8 {
            if r != ESP {
                g.bytes(&[0x8b, modrm(0, r, 5)]);
                g.imm32(rec + 4 * u32::from(r));
            }
        }
        let head = std::mem::take(&mut g.out);
        let mut insns = Vec::with_capacity(per_segment);
        for _ in 0..per_segment {
            g.insn();
            insns.push(std::mem::take(&mut g.out));
        }
        // Store the registers and EFLAGS into the record's second half.
        for r in 0..8u8 {
            if r != ESP {
                g.bytes(&[0x89, modrm(0, r, 5)]);
                g.imm32(rec + 32 + 4 * u32::from(r));
            }
        }
        // pushfd; pop dword [rec + 48]
        g.bytes(&[0x9c, 0x8f, 0x05]);
        g.imm32(rec + 48);
        // mov esp, [SAVE_ESP]; popfd; popad; ret
        g.bytes(&[0x8b, 0x25]);
        g.imm32(SAVE_ESP);
        g.bytes(&[0x9d, 0x61, 0xc3]);
        parts.push(Segment {
            head,
            insns,
            tail: g.out,
        });
        // The record: random registers, random arithmetic flags and DF.
        let mut record = Vec::with_capacity(64);
        for r in 0..8 {
            let v = if r == 4 {
                0x2 | (rng.next() as u32 & 0xcd5)
            } else {
                rng.value()
            };
            record.extend_from_slice(&v.to_le_bytes());
        }
        record.extend_from_slice(&[0; 32]);
        states.extend_from_slice(&record);
    }
    assert!(states.len() + 4 <= STATES_SIZE, "too many segments");
    let scratch = (0..SCRATCH_SIZE / 8)
        .flat_map(|_| rng.next().to_le_bytes())
        .collect();
    Program::assemble(parts, states, scratch)
}

impl Program {
    fn assemble(segments: Vec<Segment>, states: Vec<u8>, scratch: Vec<u8>) -> Program {
        let n = segments.len();
        let mut code = vec![0u8; 4 * (1 + n)];
        code[..4].copy_from_slice(&(n as u32).to_le_bytes());
        for (i, seg) in segments.iter().enumerate() {
            let off = code.len() as u32;
            code[4 + 4 * i..8 + 4 * i].copy_from_slice(&off.to_le_bytes());
            code.extend_from_slice(&seg.head);
            seg.insns.iter().for_each(|b| code.extend_from_slice(b));
            code.extend_from_slice(&seg.tail);
        }
        assert!(code.len() <= CODE_SIZE, "program too large");
        let random_insns = segments.iter().map(|s| s.insns.len()).sum();
        Program {
            code,
            segments,
            states,
            scratch,
            random_insns,
        }
    }

    /// The instructions `insns` in Intel syntax, after the input record
    /// `rec` (32 bytes).
    pub fn show(insns: &[Vec<u8>], rec: &[u8]) -> String {
        use iced_x86::{Formatter, IntelFormatter};
        let word = |i: usize| u32::from_le_bytes(rec[4 * i..4 * i + 4].try_into().unwrap());
        let mut out = format!(
            "segment input: eax {:08x} ecx {:08x} edx {:08x} ebx {:08x} eflags {:08x} ebp {:08x} esi {:08x} edi {:08x}\n",
            word(0), word(1), word(2), word(3), word(4), word(5), word(6), word(7)
        );
        let mut f = IntelFormatter::new();
        for b in insns {
            let mut d = Decoder::new(
                32,
                b,
                DecoderOptions::NO_MPFX_0FBC | DecoderOptions::NO_MPFX_0FBD,
            );
            for insn in &mut d {
                let mut t = String::new();
                f.format(&insn, &mut t);
                out += &format!("  {t}\n");
            }
        }
        out
    }

    /// The program cut after the first `m` random instructions of
    /// segment `k` (for finding the instruction where two machines
    /// part).
    pub fn truncated(&self, k: usize, m: usize) -> Program {
        let mut segs: Vec<Segment> = self.segments[..=k].to_vec();
        segs[k].insns.truncate(m);
        Program::assemble(
            segs,
            self.states[..64 * (k + 1)].to_vec(),
            self.scratch.clone(),
        )
    }
}

/// Writes the harness ELF with `program` patched in to `out`.
pub fn write_elf(harness: &std::path::Path, program: &Program, out: &std::path::Path) {
    super::randgen::patch_elf(
        harness,
        &[
            (CODE_BASE, &program.code),
            (STATES_BASE, &program.states),
            (SCRATCH_BASE, &program.scratch),
        ],
        out,
    );
}

/// Segment `k` of `program`: its input record and its instructions in
/// Intel syntax (for reproducing a failure).
pub fn show_segment(program: &Program, k: usize) -> String {
    use iced_x86::{Formatter, IntelFormatter};
    let word = |b: &[u8], i: usize| u32::from_le_bytes(b[4 * i..4 * i + 4].try_into().unwrap());
    let n = word(&program.code, 0) as usize;
    let start = word(&program.code, 1 + k) as usize;
    let end = if k + 1 < n {
        word(&program.code, 2 + k) as usize
    } else {
        program.code.len()
    };
    let rec = &program.states[64 * k..64 * k + 32];
    let mut out = format!(
        "segment {k}: in eax {:08x} ecx {:08x} edx {:08x} ebx {:08x} eflags {:08x} ebp {:08x} esi {:08x} edi {:08x}\n",
        word(rec, 0), word(rec, 1), word(rec, 2), word(rec, 3), word(rec, 4), word(rec, 5), word(rec, 6), word(rec, 7)
    );
    let mut d = Decoder::with_ip(
        32,
        &program.code[start..end],
        u64::from(CODE_BASE) + start as u64,
        DecoderOptions::NO_MPFX_0FBC | DecoderOptions::NO_MPFX_0FBD,
    );
    let mut f = IntelFormatter::new();
    for insn in &mut d {
        let mut t = String::new();
        f.format(&insn, &mut t);
        out += &format!("  {:08x} {t}\n", insn.ip32());
    }
    out
}
