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
    let objdump = "arm-linux-gnueabihf-objdump";
    common::build_guests(); // checks the cross toolchain is there
    let program = randgen::generate(0xd15a_55e3, 20, 200);
    let dir = common::root().join("target/test-elves");
    std::fs::create_dir_all(&dir).unwrap();
    let raw = dir.join("disasm.bin");
    let bytes: Vec<u8> = program.code.iter().flat_map(|w| w.to_le_bytes()).collect();
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
    assert!(compared > 4000, "only {compared} instructions compared");
    assert!(
        differ.is_empty(),
        "{} of {compared} differ:\n{}",
        differ.len(),
        differ[..differ.len().min(40)].join("\n")
    );
}
