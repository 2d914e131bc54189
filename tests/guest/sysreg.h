/* Access to the coprocessor system registers, for the guest programs that
 * program the MMU, the timer or the exception state. */
#ifndef SYSREG_H
#define SYSREG_H

#define MRC(crn, op1, crm, op2)                                                  \
    ({                                                                         \
        u32 v_;                                                                \
        __asm__ volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm ", " #op2    \
                         : "=r"(v_));                                          \
        v_;                                                                    \
    })
#define MCR(crn, op1, crm, op2, v)                                               \
    __asm__ volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm ", " #op2        \
                     "\n\tisb" ::"r"((u32)(v))                                 \
                     : "memory")
#define MRRC(op1, crm)                                                          \
    ({                                                                         \
        u32 lo_, hi_;                                                          \
        __asm__ volatile("mrrc p15, " #op1 ", %0, %1, " #crm                   \
                         : "=r"(lo_), "=r"(hi_));                              \
        ((u64)hi_ << 32) | lo_;                                                \
    })
#define MCRR(op1, crm, v)                                                       \
    __asm__ volatile("mcrr p15, " #op1 ", %0, %1, " #crm "\n\tisb" ::"r"(       \
                         (u32)(v)),                                            \
                     "r"((u32)((u64)(v) >> 32))                                \
                     : "memory")
#define DSB() __asm__ volatile("dsb" ::: "memory")

#endif
