//! The flattened device tree `arm-virt` hands a Linux kernel, generated
//! with vm-fdt from the devices the board actually has. Node names, the
//! compatible strings and the interrupt numbering follow QEMU's `virt`
//! board, so a kernel that boots there finds the same hardware here.

use super::{
    GIC_CPU_BASE, GIC_DIST_BASE, RAM_BASE, RTC_BASE, RTC_SPI, UART_BASE, UART_SPI, VIRTIO_BASE,
    VIRTIO_SLOTS, VIRTIO_SLOT_SIZE, VIRTIO_SPI_BASE,
};
use lockstep_devices::gic::{GIC_CPU_SIZE, GIC_DIST_SIZE};
use lockstep_runtime::arm::{pmu, timer};
use vm_fdt::{Error as FdtError, FdtWriter};

/// What the device tree describes.
#[derive(Clone, Debug)]
pub struct BoardDescription {
    /// Guest RAM size in bytes (at [`RAM_BASE`]).
    pub memory: u64,
    /// The kernel command line.
    pub bootargs: String,
    /// The initial RAM disk's physical range, if there is one.
    pub initrd: Option<(u64, u64)>,
}

const PHANDLE_GIC: u32 = 1;
const PHANDLE_CLOCK: u32 = 2;

/// GIC interrupt specifier types.
const GIC_SPI: u32 = 0;
const GIC_PPI: u32 = 1;
/// Interrupt trigger flags.
const IRQ_EDGE_RISING: u32 = 1;
const IRQ_LEVEL_HIGH: u32 = 4;

fn reg(base: u64, size: u64) -> Vec<u64> {
    vec![base, size]
}

/// Builds the device tree blob.
pub fn build(desc: &BoardDescription) -> Result<Vec<u8>, FdtError> {
    let mut fdt = FdtWriter::new()?;
    let root = fdt.begin_node("")?;
    fdt.property_string("compatible", "linux,dummy-virt")?;
    fdt.property_string("model", "Lockstep arm-virt")?;
    fdt.property_u32("#address-cells", 2)?;
    fdt.property_u32("#size-cells", 2)?;
    fdt.property_u32("interrupt-parent", PHANDLE_GIC)?;

    let chosen = fdt.begin_node("chosen")?;
    fdt.property_string("bootargs", &desc.bootargs)?;
    fdt.property_string("stdout-path", &format!("/pl011@{UART_BASE:x}"))?;
    if let Some((start, end)) = desc.initrd {
        fdt.property_u64("linux,initrd-start", start)?;
        fdt.property_u64("linux,initrd-end", end)?;
    }
    fdt.end_node(chosen)?;

    let memory = fdt.begin_node(&format!("memory@{RAM_BASE:x}"))?;
    fdt.property_string("device_type", "memory")?;
    fdt.property_array_u64("reg", &reg(RAM_BASE, desc.memory))?;
    fdt.end_node(memory)?;

    let cpus = fdt.begin_node("cpus")?;
    fdt.property_u32("#address-cells", 1)?;
    fdt.property_u32("#size-cells", 0)?;
    let cpu = fdt.begin_node("cpu@0")?;
    fdt.property_string("device_type", "cpu")?;
    fdt.property_string("compatible", "arm,cortex-a15")?;
    fdt.property_u32("reg", 0)?;
    fdt.end_node(cpu)?;
    fdt.end_node(cpus)?;

    // Firmware services through HVC, answered by the machine.
    let psci = fdt.begin_node("psci")?;
    fdt.property_string_list(
        "compatible",
        vec![
            "arm,psci-1.0".into(),
            "arm,psci-0.2".into(),
            "arm,psci".into(),
        ],
    )?;
    fdt.property_string("method", "hvc")?;
    fdt.property_u32("cpu_suspend", super::psci::CPU_SUSPEND)?;
    fdt.property_u32("cpu_off", super::psci::CPU_OFF)?;
    fdt.property_u32("cpu_on", super::psci::CPU_ON)?;
    fdt.property_u32("migrate", super::psci::MIGRATE)?;
    fdt.end_node(psci)?;

    let gic = fdt.begin_node(&format!("intc@{GIC_DIST_BASE:x}"))?;
    fdt.property_string("compatible", "arm,cortex-a15-gic")?;
    fdt.property_u32("#interrupt-cells", 3)?;
    fdt.property_null("interrupt-controller")?;
    fdt.property_array_u64(
        "reg",
        &[GIC_DIST_BASE, GIC_DIST_SIZE, GIC_CPU_BASE, GIC_CPU_SIZE],
    )?;
    fdt.property_phandle(PHANDLE_GIC)?;
    fdt.end_node(gic)?;

    // PPIs of the architected timer, in the binding's order: secure
    // physical, non-secure physical, virtual, hypervisor. The CPU mask
    // (bits 15:8) names the one CPU.
    let ppi = |id: u32| [GIC_PPI, id - 16, 1 << 8 | IRQ_LEVEL_HIGH];
    let timer_node = fdt.begin_node("timer")?;
    fdt.property_string("compatible", "arm,armv7-timer")?;
    let mut cells = Vec::new();
    for id in [29, timer::PHYS_PPI, timer::VIRT_PPI, 26] {
        cells.extend_from_slice(&ppi(id));
    }
    fdt.property_array_u32("interrupts", &cells)?;
    fdt.property_null("always-on")?;
    fdt.end_node(timer_node)?;

    // The Cortex-A15's PMU and its overflow interrupt. QEMU leaves this
    // node empty for a 32-bit core, so Linux does not probe its PMU
    // there; here it does (see docs/architecture.md).
    let pmu_node = fdt.begin_node("pmu")?;
    fdt.property_string("compatible", "arm,cortex-a15-pmu")?;
    fdt.property_array_u32("interrupts", &ppi(pmu::PPI))?;
    fdt.end_node(pmu_node)?;

    let clock = fdt.begin_node("apb-pclk")?;
    fdt.property_string("compatible", "fixed-clock")?;
    fdt.property_u32("#clock-cells", 0)?;
    fdt.property_u32("clock-frequency", 24_000_000)?;
    fdt.property_string("clock-output-names", "clk24mhz")?;
    fdt.property_phandle(PHANDLE_CLOCK)?;
    fdt.end_node(clock)?;

    let uart = fdt.begin_node(&format!("pl011@{UART_BASE:x}"))?;
    fdt.property_string_list(
        "compatible",
        vec!["arm,pl011".into(), "arm,primecell".into()],
    )?;
    fdt.property_array_u64("reg", &reg(UART_BASE, 0x1000))?;
    fdt.property_array_u32("interrupts", &[GIC_SPI, UART_SPI, IRQ_LEVEL_HIGH])?;
    fdt.property_array_u32("clocks", &[PHANDLE_CLOCK, PHANDLE_CLOCK])?;
    fdt.property_string_list("clock-names", vec!["uartclk".into(), "apb_pclk".into()])?;
    fdt.end_node(uart)?;

    let rtc = fdt.begin_node(&format!("pl031@{RTC_BASE:x}"))?;
    fdt.property_string_list(
        "compatible",
        vec!["arm,pl031".into(), "arm,primecell".into()],
    )?;
    fdt.property_array_u64("reg", &reg(RTC_BASE, 0x1000))?;
    fdt.property_array_u32("interrupts", &[GIC_SPI, RTC_SPI, IRQ_LEVEL_HIGH])?;
    fdt.property_u32("clocks", PHANDLE_CLOCK)?;
    fdt.property_string("clock-names", "apb_pclk")?;
    fdt.end_node(rtc)?;

    // Every virtio-mmio slot is described, as on QEMU's board; empty ones
    // report device ID 0 and the driver skips them. Listed from the top
    // slot down, as QEMU does, so the first drive ends up as vda.
    for slot in (0..VIRTIO_SLOTS).rev() {
        let base = VIRTIO_BASE + slot * VIRTIO_SLOT_SIZE;
        let node = fdt.begin_node(&format!("virtio_mmio@{base:x}"))?;
        fdt.property_string("compatible", "virtio,mmio")?;
        fdt.property_array_u64("reg", &reg(base, VIRTIO_SLOT_SIZE))?;
        fdt.property_array_u32(
            "interrupts",
            &[GIC_SPI, VIRTIO_SPI_BASE + slot as u32, IRQ_EDGE_RISING],
        )?;
        fdt.property_null("dma-coherent")?;
        fdt.end_node(node)?;
    }

    fdt.end_node(root)?;
    fdt.finish()
}

/// Checks that `blob` looks like a flattened device tree (magic, sizes
/// within the blob, a supported version), so a malformed `--dtb` is an
/// error naming what is wrong rather than a kernel that hangs.
pub fn validate(blob: &[u8]) -> Result<(), String> {
    let be32 = |off: usize| -> Option<u32> {
        blob.get(off..off + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    if be32(0) != Some(0xd00d_feed) {
        return Err("not a flattened device tree (bad magic at offset 0)".into());
    }
    let total = be32(4).ok_or("truncated header")? as usize;
    if total > blob.len() {
        return Err(format!(
            "header says {total} bytes (offset 4) but the file has {}",
            blob.len()
        ));
    }
    for (name, off) in [("structure", 8usize), ("strings", 12)] {
        let start = be32(off).ok_or("truncated header")? as usize;
        if start > total {
            return Err(format!(
                "{name} block offset {start} (header offset {off}) is past the end"
            ));
        }
    }
    let version = be32(20).ok_or("truncated header")?;
    if !(16..=17).contains(&version) {
        return Err(format!(
            "unsupported device tree version {version} (offset 20)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_valid_tree_with_the_board_devices() {
        let blob = build(&BoardDescription {
            memory: 256 << 20,
            bootargs: "console=ttyAMA0".into(),
            initrd: Some((0x4800_0000, 0x4810_0000)),
        })
        .unwrap();
        validate(&blob).unwrap();
        let text = String::from_utf8_lossy(&blob);
        for needle in [
            "arm,cortex-a15-gic",
            "arm,armv7-timer",
            "arm,pl011",
            "arm,pl031",
            "arm,psci-1.0",
            "virtio,mmio",
            "console=ttyAMA0",
            "linux,initrd-start",
        ] {
            assert!(text.contains(needle), "{needle} missing");
        }
    }

    #[test]
    fn malformed_blobs_are_named() {
        assert!(validate(b"hello").unwrap_err().contains("magic"));
        let mut blob = build(&BoardDescription {
            memory: 1 << 20,
            bootargs: String::new(),
            initrd: None,
        })
        .unwrap();
        blob.truncate(64);
        assert!(validate(&blob).unwrap_err().contains("offset 4"));
    }
}
