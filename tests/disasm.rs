//! The A32 disassembler against GNU objdump, over the random-instruction
//! tester's programs: every instruction must read the same.

mod common;

use common::randgen;
use lockstep_jit::frontend::arm::disasm::disassemble_at;
use std::process::Command;

fn normalize(s: &str) -> String {
    let s = s.split(['@', ';']).next().unwrap_or("");
    // Case differs between GNU's printers (it writes ROR in some places).
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(", ", ",")
        .to_lowercase()
}

#[test]
fn disassembly_matches_objdump() {
    let program = randgen::generate(0xd15a_55e3, 20, 200);
    compare_a32("disasm", &program.code, 4000);
}

#[test]
fn vfp_disassembly_matches_objdump() {
    let program = common::randgen_vfp::generate_a32(0xd15a_f10a, 20, 200);
    compare_a32("disasm-vfp", &program.code, 3000);
    let program = common::randgen_vfp::generate_t32(0xd15a_f10b, 20, 200);
    compare_t32("disasm-vfp-t32", &program.code, 3000);
}

/// Disassembles A32 `words` with objdump and with Lockstep; at least
/// `min` instructions must be compared, and all must read the same.
fn compare_a32(name: &str, words: &[u32], min: usize) {
    let objdump = "arm-linux-gnueabihf-objdump";
    common::build_guests(); // checks the cross toolchain is there
    let dir = common::root().join("target/test-elves");
    std::fs::create_dir_all(&dir).unwrap();
    let raw = dir.join(format!("{name}.bin"));
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    std::fs::write(&raw, bytes).unwrap();
    let out = Command::new(objdump)
        .args([
            "-D",
            "-b",
            "binary",
            "-marm",
            "-M",
            "reg-names-std",
            "--adjust-vma=0x40200000",
        ])
        .arg(&raw)
        .output()
        .expect("run objdump");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let mut compared = 0;
    let mut differ = Vec::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.splitn(3, '\t').collect();
        let Some(addr) = parts[0]
            .trim()
            .strip_suffix(':')
            .and_then(|a| u32::from_str_radix(a, 16).ok())
        else {
            continue;
        };
        if parts.len() < 3 {
            continue;
        }
        let word = u32::from_str_radix(parts[1].trim(), 16).unwrap();
        // GNU prints the ASR #32 of SSAT/USAT (imm5 = 0) as "asr #0".
        let theirs = normalize(parts[2]).replace("asr #0", "asr #32");
        let ours = normalize(&disassemble_at(word, addr));
        compared += 1;
        if ours != theirs {
            differ.push(format!(
                "{addr:08x} {word:08x}: ours '{ours}', objdump '{theirs}'"
            ));
        }
    }
    assert!(compared > min, "only {compared} instructions compared");
    assert!(
        differ.is_empty(),
        "{} of {compared} differ:\n{}",
        differ.len(),
        differ[..differ.len().min(40)].join("\n")
    );
}

#[test]
fn neon_disassembly_matches_objdump() {
    let program = common::randgen_neon::generate_a32(0xd15a_5e0e, 20, 200);
    compare_a32("disasm-neon", &program.code, 3000);
    let program = common::randgen_neon::generate_t32(0xd15a_5e0f, 20, 200);
    compare_t32("disasm-neon-t32", &program.code, 3000);
}

#[test]
fn thumb_disassembly_matches_objdump() {
    let program = common::randgen_t32::generate(0x7d15_a55e, 20, 200);
    compare_t32("disasm-t32", &program.code, 4000);
}

/// Disassembles the Thumb code of a generated program (`words`, which
/// start with the ARM instruction that enters it) with objdump and with
/// Lockstep, in sequence, IT blocks included.
fn compare_t32(name: &str, words: &[u32], min: usize) {
    use lockstep_jit::frontend::arm::{decode_t32, disasm_t32, lift::t32::advance};
    let objdump = "arm-linux-gnueabihf-objdump";
    common::build_guests();
    let bytes: Vec<u8> = words[1..].iter().flat_map(|w| w.to_le_bytes()).collect();
    let base = common::randgen::CODE_BASE + 4;
    let dir = common::root().join("target/test-elves");
    std::fs::create_dir_all(&dir).unwrap();
    let raw = dir.join(format!("{name}.bin"));
    std::fs::write(&raw, &bytes).unwrap();
    let out = Command::new(objdump)
        .args([
            "-D",
            "-b",
            "binary",
            "-marm",
            "-M",
            "force-thumb,reg-names-std",
        ])
        .arg(format!("--adjust-vma={base:#x}"))
        .arg(&raw)
        .output()
        .expect("run objdump");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    // Ours, decoded in sequence as objdump does, IT blocks included.
    let hw = |off: usize| u32::from(u16::from_le_bytes([bytes[off], bytes[off + 1]]));
    let mut ours = std::collections::HashMap::new();
    let (mut off, mut it) = (0, 0);
    while off + 1 < bytes.len() {
        let first = hw(off);
        let (insn, len) = if decode_t32::is_32bit(first) && off + 3 < bytes.len() {
            (first << 16 | hw(off + 2), 4)
        } else {
            (first, 2)
        };
        let pc = base + off as u32;
        ours.insert(
            pc,
            normalize(&disasm_t32::disassemble_at(insn, len, pc, it)),
        );
        it = if len == 2 && first & 0xff00 == 0xbf00 && first & 0xf != 0 {
            first & 0xff
        } else {
            advance(it)
        };
        off += len as usize;
    }
    let mut compared = 0;
    let mut differ = Vec::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.splitn(3, '\t').collect();
        let Some(addr) = parts[0]
            .trim()
            .strip_suffix(':')
            .and_then(|a| u32::from_str_radix(a, 16).ok())
        else {
            continue;
        };
        if parts.len() < 3 || parts[2].contains("UNDEFINED") {
            continue;
        }
        let theirs = normalize(parts[2]);
        let Some(mine) = ours.get(&addr) else {
            continue;
        };
        compared += 1;
        if *mine != theirs {
            differ.push(format!(
                "{addr:08x} {}: ours '{mine}', objdump '{theirs}'",
                parts[1].trim()
            ));
        }
    }
    assert!(compared > min, "only {compared} instructions compared");
    assert!(
        differ.is_empty(),
        "{} of {compared} differ:\n{}",
        differ.len(),
        differ[..differ.len().min(60)].join("\n")
    );
}
