//! A32 disassembly for traces, through the yaxpeax-arm decoder.

use yaxpeax_arch::{Decoder, U8Reader};
use yaxpeax_arm::armv7::InstDecoder;

/// The assembler text of `word` (an A32 encoding), or a placeholder for
/// encodings the disassembler does not know.
pub fn disassemble(word: u32) -> String {
    let bytes = word.to_le_bytes();
    let mut reader = U8Reader::new(&bytes);
    match InstDecoder::armv7().decode(&mut reader) {
        Ok(insn) => insn.to_string(),
        Err(_) => format!(".inst 0x{word:08x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_encodings() {
        assert!(disassemble(0xe0810002).starts_with("add r0, r1, r2"));
        assert!(disassemble(0xe12fff1e).starts_with("bx lr"));
    }
}
