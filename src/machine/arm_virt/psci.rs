//! PSCI 1.0 (the Power State Coordination Interface) for one CPU, answered
//! by the machine where firmware would answer on hardware. The guest calls
//! it with HVC (the conduit the device tree declares): function ID in r0,
//! arguments in r1–r3, result in r0 (SMC Calling Convention, 32-bit).

/// PSCI_VERSION.
pub const VERSION: u32 = 0x8400_0000;
/// CPU_SUSPEND (32-bit).
pub const CPU_SUSPEND: u32 = 0x8400_0001;
/// CPU_OFF.
pub const CPU_OFF: u32 = 0x8400_0002;
/// CPU_ON (32-bit).
pub const CPU_ON: u32 = 0x8400_0003;
/// AFFINITY_INFO (32-bit).
pub const AFFINITY_INFO: u32 = 0x8400_0004;
/// MIGRATE (32-bit).
pub const MIGRATE: u32 = 0x8400_0005;
/// MIGRATE_INFO_TYPE.
pub const MIGRATE_INFO_TYPE: u32 = 0x8400_0006;
/// SYSTEM_OFF.
pub const SYSTEM_OFF: u32 = 0x8400_0008;
/// SYSTEM_RESET.
pub const SYSTEM_RESET: u32 = 0x8400_0009;
/// PSCI_FEATURES.
pub const FEATURES: u32 = 0x8400_000a;

/// Return codes.
pub mod ret {
    /// Success.
    pub const SUCCESS: i32 = 0;
    /// The function is not implemented.
    pub const NOT_SUPPORTED: i32 = -1;
    /// A parameter is wrong (e.g. a CPU that does not exist).
    pub const INVALID_PARAMETERS: i32 = -2;
    /// CPU_ON for a CPU that is already on.
    pub const ALREADY_ON: i32 = -4;
}

/// PSCI 1.0 as `major << 16 | minor`.
const PSCI_1_0: u32 = 0x0001_0000;
/// MIGRATE_INFO_TYPE: no Trusted OS, migration not needed.
const NO_TRUSTED_OS: u32 = 2;

/// What a call asks of the machine beyond its return value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing: continue with r0 set.
    Return(u32),
    /// Power the system off.
    SystemOff,
    /// Reset the system.
    SystemReset,
    /// Suspend the CPU until an interrupt (a standby power state), then
    /// return success.
    Suspend,
}

/// The calling CPU's MPIDR affinity (CPU 0, cluster 0).
const SELF_AFFINITY: u32 = 0;

/// Answers one PSCI call. `args` are r0–r3.
pub fn call(args: [u32; 4]) -> Effect {
    let r = |v: i32| Effect::Return(v as u32);
    match args[0] {
        VERSION => Effect::Return(PSCI_1_0),
        CPU_SUSPEND => Effect::Suspend,
        // The only CPU switching itself off would leave nothing running:
        // refuse, as firmware does for the last CPU.
        CPU_OFF => r(ret::NOT_SUPPORTED),
        CPU_ON => {
            if args[1] & 0x00ff_ffff == SELF_AFFINITY {
                r(ret::ALREADY_ON)
            } else {
                r(ret::INVALID_PARAMETERS)
            }
        }
        AFFINITY_INFO => {
            if args[1] & 0x00ff_ffff == SELF_AFFINITY {
                r(0) // ON
            } else {
                r(ret::INVALID_PARAMETERS)
            }
        }
        MIGRATE_INFO_TYPE => Effect::Return(NO_TRUSTED_OS),
        SYSTEM_OFF => Effect::SystemOff,
        SYSTEM_RESET => Effect::SystemReset,
        FEATURES => match args[1] {
            VERSION | CPU_SUSPEND | CPU_OFF | CPU_ON | AFFINITY_INFO | MIGRATE_INFO_TYPE
            | SYSTEM_OFF | SYSTEM_RESET | FEATURES => r(ret::SUCCESS),
            _ => r(ret::NOT_SUPPORTED),
        },
        _ => r(ret::NOT_SUPPORTED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_as_psci_1_0_for_one_cpu() {
        assert_eq!(call([VERSION, 0, 0, 0]), Effect::Return(0x1_0000));
        assert_eq!(
            call([CPU_ON, 1, 0x4000_0000, 0]),
            Effect::Return(ret::INVALID_PARAMETERS as u32)
        );
        assert_eq!(
            call([CPU_ON, 0, 0, 0]),
            Effect::Return(ret::ALREADY_ON as u32)
        );
        assert_eq!(call([AFFINITY_INFO, 0, 0, 0]), Effect::Return(0));
        assert_eq!(call([SYSTEM_OFF, 0, 0, 0]), Effect::SystemOff);
        assert_eq!(call([FEATURES, SYSTEM_RESET, 0, 0]), Effect::Return(0));
        assert_eq!(
            call([FEATURES, 0xc400_0003, 0, 0]),
            Effect::Return(ret::NOT_SUPPORTED as u32)
        );
        assert_eq!(
            call([0x8400_0012, 0, 0, 0]),
            Effect::Return(u32::MAX),
            "unknown calls are NOT_SUPPORTED"
        );
    }
}
