/* Machine-mode entry for QEMU `virt` with `-bios none` (see ../link.ld): a stack, a zeroed
 * .bss, then main(); main's return value ends QEMU through the SiFive test device. */
    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, __stack_top
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sw zero, 0(t0)
    addi t0, t0, 4
    j 1b
2:  call main
    li t0, 0x100000
    bnez a0, 3f
    li t1, 0x5555
    sw t1, 0(t0)
3:  slli a0, a0, 16
    li t1, 0x3333
    or a0, a0, t1
    sw a0, 0(t0)
4:  j 4b
