#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cross-check kmm's emulated MMU against QEMU on a real Linux kernel's page tables.

For each configuration: boot an arm64 Linux kernel under qemu-system-aarch64 (TCG), wait until it
has built its page tables, stop the VM, read the translation registers over QEMU's gdbstub, dump
RAM, and ask QEMU to translate a few thousand chosen VAs (monitor command gva2gpa). Then translate
the same VAs with `kmm-sim walk` over the dump and compare: the same PA where QEMU translates, a
fault where QEMU does not.

Two kinds of QEMU answers, each compared with kmm-sim walk asked the same question:
- gva2gpa (monitor): a debug walk with the CPU's current registers and regime (EL0, EL1, or EL1
  with PSTATE.PAN), as a data read that checks permissions but not the Access flag, and writes
  nothing. Compared with `kmm-sim walk --el <EL> --access read`: the same PA, or a fault of any
  kind where QEMU says "Unmapped".
- AT (the AT probe below): AT S1E1R, S1E1W, S1E0R and S1E0W executed by the guest CPU, PAR_EL1
  read back: the PA's page, or the fault's type and level. Compared with --el 1/0 and
  --access read/write: the same page, or the same fault at the same level.
Where the two still answer different questions (the Access flag, which gva2gpa does not check),
the answer is counted as skipped, never as agreeing. PSTATE.PAN (passed as --pan for gva2gpa at
EL1) and FEAT_E0PD are modelled by kmm and compared.

Exit status: 0 when every translation agrees (and there was at least one), 1 on a mismatch,
2 when a setup step failed (the message names the step).

This file is driven by scripts/linux-crosscheck.sh, which installs QEMU, gdb-multiarch and the
kernel; run it directly only with everything in place (see --help).
"""

import argparse
import collections
import json
import mmap
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import time

RAM_BASE = 0x40000000  # RAM of QEMU's virt machine
READY_PANIC = "end Kernel panic"
READY_USER = "kmm-xchk-ready"

# name: QEMU CPU, RAM size, extra kernel command line, whether /init runs a user process.
CONFIGS = {
    # KASLR (the virt board's DT has a kaslr-seed), KPTI, rodata=full: a 4K-page linear map.
    "a72": dict(cpu="cortex-a72", mem=1 << 30, append="", user=False),
    # No KASLR, rodata=on: the linear map in 1G and 2M blocks (2G of RAM for a whole 1G block).
    "a72-blocks": dict(cpu="cortex-a72", mem=2 << 30, append="rodata=on nokaslr", user=False),
    # A user process spinning at EL0: its TTBR0 tables (4K pages and THP blocks); TTBR1 is
    # KPTI's trampoline table then.
    "a72-user": dict(cpu="cortex-a72", mem=1 << 30, append="", user=True),
    # FEAT_HAFDBS (TCR.HA/HD, DBM), PAN, E0PD, BTI, CnP; pauth-impdef keeps TCG fast.
    "max": dict(cpu="max,pauth-impdef=on", mem=1 << 30, append="", user=False),
    "max-user": dict(cpu="max,pauth-impdef=on", mem=1 << 30, append="", user=True),
}

REGS = ["pc", "sp", "cpsr"] + ["x%d" % i for i in range(31)] + [
    "TCR_EL1", "TTBR0_EL1", "TTBR1_EL1", "SCTLR", "SCTLR_EL1", "MAIR_EL1", "SP_EL0", "SP_EL1",
    "VBAR", "VBAR_EL1", "ELR_EL1", "FAR_EL1", "ID_AA64MMFR0_EL1"]

# The registers an AT probe reports (QEMU names SCTLR_EL1 and VBAR_EL1 "SCTLR" and "VBAR").
AT_REGS = ["pc", "cpsr", "TCR_EL1", "TTBR0_EL1", "TTBR1_EL1", "SCTLR", "SCTLR_EL1", "VBAR",
           "VBAR_EL1"]

PARANGE_BITS = {0: 32, 1: 36, 2: 40, 3: 42, 4: 44, 5: 48, 6: 52}


class SetupError(Exception):
    """A step of the setup failed: the message names the step."""

    def __init__(self, step, msg):
        super().__init__("%s: %s" % (step, msg))
        self.step = step


# ---------------------------------------------------------------------------------------------
# The user-space program and initramfs of the *-user configurations.

def a64_movz(rd, imm, hw=0):
    return 0xD2800000 | (hw << 21) | (imm << 5) | rd


def a64_add_imm(rd, rn, imm12, lsl12=False):
    return 0x91000000 | (int(lsl12) << 22) | (imm12 << 10) | (rn << 5) | rd


def a64_subs_imm(rd, rn, imm12):
    return 0xF1000000 | (imm12 << 10) | (rn << 5) | rd


def a64_str_zr(rn):
    return 0xF9000000 | (rn << 5) | 31  # STR XZR, [Xn]


def a64_bne(offset):
    return 0x54000000 | (((offset >> 2) & 0x7FFFF) << 5) | 1


def a64_adr(rd, offset):
    return 0x10000000 | ((offset & 3) << 29) | (((offset >> 2) & 0x7FFFF) << 5) | rd


A64_SVC0 = 0xD4000001
A64_B_SELF = 0x14000000

USER_BASE = 0x400000  # the program's text (read-only, executable), then its .bss at + 4K
USER_BSS_PAGES = 3 * 512 + 255  # 4K pages up to 0x600000, then three 2M THP candidates
# Parts of the .bss made interesting after the first write to every page:
USER_FREED = (0x500000, 0x40000)  # MADV_FREE: old and clean (AF clear; DBM with AP[2] set)
USER_NONE = (0x540000, 0x10000)  # PROT_NONE: present to Linux, invalid to the MMU
USER_RDONLY = (0x550000, 0x10000)  # PROT_READ: AP[2] set without DBM

SYS_WRITE, SYS_MPROTECT, SYS_MADVISE = 64, 226, 233
MADV_FREE, PROT_NONE, PROT_READ = 8, 0, 1


def a64_syscall(nr, *args):
    """mov x0.., x8 = nr; svc #0, for arguments that are 64K multiples or below 64K."""
    code = []
    for i, v in enumerate(args):
        code.append(a64_movz(i, v >> 16, hw=1) if v >= 1 << 16 else a64_movz(i, v))
    return code + [a64_movz(8, nr), A64_SVC0]


def user_program():
    """A static AArch64 ELF: write every page of its .bss, change some with madvise and
    mprotect, say READY_USER on fd 1, then spin at EL0."""
    hdr_size = 64 + 2 * 56
    msg = (READY_USER + "\n").encode()
    code = [
        a64_movz(3, USER_BASE >> 16, hw=1),  # x3 = first page of .bss
        a64_add_imm(3, 3, 1, lsl12=True),
        a64_movz(4, USER_BSS_PAGES),
        a64_str_zr(3),  # loop: write a zero to each page
        a64_add_imm(3, 3, 1, lsl12=True),
        a64_subs_imm(4, 4, 1),
        a64_bne(-12),
    ]
    code += a64_syscall(SYS_MADVISE, USER_FREED[0], USER_FREED[1], MADV_FREE)
    code += a64_syscall(SYS_MPROTECT, USER_NONE[0], USER_NONE[1], PROT_NONE)
    code += a64_syscall(SYS_MPROTECT, USER_RDONLY[0], USER_RDONLY[1], PROT_READ)
    code += [a64_movz(0, 1), None, a64_movz(2, len(msg)), a64_movz(8, SYS_WRITE), A64_SVC0,
             A64_B_SELF]
    adr_at = code.index(None)  # adr x1, msg
    code[adr_at] = a64_adr(1, (len(code) - adr_at) * 4)
    text = b"".join(struct.pack("<I", c) for c in code) + msg
    filesz = hdr_size + len(text)
    ehdr = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, b"\0" * 7,
                       2, 183, 1, USER_BASE + hdr_size, 64, 0, 0, 64, 56, 2, 0, 0, 0)
    # PT_LOAD R+X for the text, PT_LOAD R+W with no file bytes for the .bss.
    text_ph = struct.pack("<IIQQQQQQ", 1, 5, 0, USER_BASE, USER_BASE, filesz, filesz, 0x1000)
    bss = USER_BASE + 0x1000
    bss_ph = struct.pack("<IIQQQQQQ", 1, 6, 0x1000, bss, bss, 0, USER_BSS_PAGES * 0x1000, 0x1000)
    return ehdr + text_ph + bss_ph + text


def cpio_entry(name, mode, data=b"", rdev=(0, 0), ino=1):
    """One entry of a newc cpio archive."""
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    out = b"070701" + b"".join(b"%08X" % f for f in fields) + name.encode() + b"\0"
    out += b"\0" * (-len(out) % 4) + data
    return out + b"\0" * (-len(out) % 4)


def make_initramfs(path):
    arc = cpio_entry("dev", 0o40755, ino=1)
    arc += cpio_entry("dev/console", 0o20600, rdev=(5, 1), ino=2)
    arc += cpio_entry("init", 0o100755, user_program(), ino=3)
    arc += cpio_entry("TRAILER!!!", 0, ino=0)
    with open(path, "wb") as f:
        f.write(arc)


# ---------------------------------------------------------------------------------------------
# QEMU: the VM, its QMP monitor, its gdbstub.

class Qmp:
    """A QMP client on a unix socket."""

    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.f = self.sock.makefile("rwb")
        self._reply()  # the greeting
        self.cmd("qmp_capabilities")

    def _reply(self):
        while True:
            line = self.f.readline()
            if not line:
                raise OSError("QMP connection closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def send(self, name, **args):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        self.f.write(json.dumps(req).encode() + b"\n")
        self.f.flush()

    def cmd(self, name, **args):
        self.send(name, **args)
        reply = self._reply()
        if "error" in reply:
            raise OSError("QMP %s: %s" % (name, reply["error"].get("desc", reply["error"])))
        return reply["return"]

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})

    def close(self):
        self.sock.close()


class Vm:
    """One qemu-system-aarch64 process of a configuration."""

    def __init__(self, args, cfg, work):
        self.work = work
        self.log = os.path.join(work, "serial.log")
        self.qmp_path = os.path.join(work, "qmp.sock")
        self.gdb_path = os.path.join(work, "gdb.sock")
        for p in (self.qmp_path, self.gdb_path):
            if os.path.exists(p):
                os.unlink(p)
        append = "console=ttyAMA0 panic=0 " + cfg["append"]
        cmd = [args.qemu, "-M", "virt", "-cpu", cfg["cpu"], "-m", "%dM" % (cfg["mem"] >> 20),
               "-smp", "1", "-accel", "tcg", "-nographic", "-seed", str(args.seed),
               "-kernel", args.kernel,
               "-append", append.strip(),
               "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
               "-gdb", "unix:%s,server=on,wait=off" % self.gdb_path]
        if cfg["user"]:
            initrd = os.path.join(work, "initramfs.cpio")
            make_initramfs(initrd)
            cmd += ["-initrd", initrd]
        self.cmdline = " ".join(cmd)
        self.qmp = None
        try:
            with open(self.log, "wb") as out:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            raise SetupError("boot", "cannot run %s: %s" % (args.qemu, e))

    def serial(self):
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_for(self, pattern, timeout):
        """Wait until @pattern appears on the serial console; the seconds it took."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if pattern in self.serial():
                return time.monotonic() - start
            if self.proc.poll() is not None:
                raise SetupError("boot", "QEMU exited with status %d: %s\n%s" %
                                 (self.proc.returncode, self.cmdline, self.serial()[-800:]))
            time.sleep(0.1)
        raise SetupError("boot", "no '%s' on the serial console after %d s: %s\n%s" %
                         (pattern, timeout, self.cmdline, self.serial()[-800:]))

    def connect(self, timeout):
        try:
            self.qmp = Qmp(self.qmp_path, timeout)
        except OSError as e:
            raise SetupError("monitor", "cannot talk QMP on %s: %s" % (self.qmp_path, e))

    def stop(self):
        self.qmp.cmd("stop")
        status = self.qmp.cmd("query-status")
        if status.get("running"):
            raise SetupError("stop", "the VM still runs after 'stop': %s" % status)

    def close(self):
        if self.qmp:
            # No waiting for the answer: it comes after every event queued so far (a STOP and a
            # RESUME per AT probe), and QEMU may exit before it has written them all.
            try:
                self.qmp.send("quit")
            except OSError:
                pass
            self.qmp.close()
        try:
            self.proc.wait(timeout=10 if self.qmp else 0)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


# gdb ends with `disconnect`, not `detach`: QEMU's gdbstub resumes the VM on a detach.
GDB_SCRIPT = """set pagination off
set confirm off
target remote %s
python
for name in %r:
    try:
        print("REG %%s 0x%%x" %% (name, int(gdb.parse_and_eval("$" + name)) & (2**64 - 1)))
    except gdb.error:
        pass
end
disconnect
"""


def read_registers(gdb, vm, work):
    """The CPU's registers through QEMU's gdbstub (its system-registers feature)."""
    script = os.path.join(work, "regs.gdb")
    with open(script, "w") as f:
        f.write(GDB_SCRIPT % (vm.gdb_path, REGS))
    try:
        out = subprocess.run([gdb, "-batch", "-nx", "-x", script], capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SetupError("registers", "gdb: %s" % e)
    regs = {}
    for m in re.finditer(r"^REG (\S+) (0x[0-9a-f]+)$", out.stdout, re.M):
        regs[m.group(1)] = int(m.group(2), 16)
    if "cpsr" in regs:
        regs["cpsr"] &= 0xFFFFFFFF  # gdb's cpsr is a signed 32-bit int
    for alias, name in (("SCTLR", "SCTLR_EL1"), ("VBAR", "VBAR_EL1")):
        if name not in regs and alias in regs:
            regs[name] = regs[alias]
    missing = [r for r in ("TCR_EL1", "TTBR0_EL1", "TTBR1_EL1", "SCTLR_EL1", "cpsr", "pc")
               if r not in regs]
    if missing:
        raise SetupError("registers", "gdb did not give %s; its output:\n%s%s" %
                         (", ".join(missing), out.stdout[-1500:], out.stderr[-1500:]))
    return regs


# The AT probe: QEMU's own answer with fault type and level, for reads and writes at EL1 and EL0.
# A block of code written over the page the CPU executes at EL1 runs AT S1E1R, S1E1W, S1E0R and
# S1E0W on x0 and copies PAR_EL1 after each into x1..x4 (ARM ARM C5.5 "AT instructions",
# D19.2 PAR_EL1); gdb sets x0 and pc per VA and runs it to a breakpoint on the last instruction.
AT_OPS = [("S1E1R", 1, "read"), ("S1E1W", 1, "write"), ("S1E0R", 0, "read"),
          ("S1E0W", 0, "write")]


def a64_at(op2, rt):
    return 0xD5087800 | (op2 << 5) | rt  # SYS #0, C7, C8, #op2, Xt


A64_ISB = 0xD5033FDF


def a64_mrs_par(rt):
    return 0xD5387400 | rt  # MRS Xt, PAR_EL1 (S3_0_C7_C4_0)


def at_code():
    code = []
    for i in range(len(AT_OPS)):
        code += [a64_at(i, 0), A64_ISB, a64_mrs_par(1 + i)]
    return code + [A64_B_SELF]


AT_SCRIPT = """set pagination off
set confirm off
target remote %(sock)s
python
import json
M = 2**64 - 1
job = json.load(open(%(job)r))

def reg(name):
    return int(gdb.parse_and_eval("$" + name)) & M

def el():
    return (reg("cpsr") >> 2) & 3

def run_to(addrs):
    gdb.execute("continue", to_string=True)
    if reg("pc") not in addrs:
        raise gdb.GdbError("stopped at pc 0x%%x, EL%%d, not at a breakpoint" %% (reg("pc"), el()))

def reg_any(*names):
    for name in names:
        try:
            return reg(name)
        except gdb.error:
            pass
    raise gdb.GdbError("no register " + " or ".join(names))

vbar = reg_any("VBAR_EL1", "VBAR")
if el() == 0:
    # A timer interrupt takes the CPU to EL1 (IRQ from a lower EL at VBAR_EL1 + 0x480).
    gdb.execute("tbreak *0x%%x" %% (vbar + 0x480), to_string=True)
    run_to([vbar + 0x480])
if el() != 1:
    raise gdb.GdbError("the CPU is at EL%%d, not EL1" %% el())
regs = {}
for name in job["regs"]:
    try:
        regs[name] = reg(name)
    except gdb.error:
        pass
code = reg("pc") & ~0xFFF  # the page being executed: executable at EL1
end = code + 4 * (len(job["code"]) - 1)
# Mask interrupts (DAIF) and clear PSTATE.BTYPE: the probe is not a branch target.
gdb.execute("set $cpsr = 0x%%x" %% ((reg("cpsr") | 0x3C0) & ~0xC00), to_string=True)
for i, word in enumerate(job["code"]):
    gdb.execute("set {unsigned int}0x%%x = 0x%%x" %% (code + 4 * i, word), to_string=True)
for i, word in enumerate(job["code"]):
    if int(gdb.parse_and_eval("{unsigned int}0x%%x" %% (code + 4 * i))) & 0xFFFFFFFF != word:
        raise gdb.GdbError("the probe code did not stick at 0x%%x" %% code)
gdb.execute("break *0x%%x" %% end, to_string=True)
gdb.execute("break *0x%%x" %% (vbar + 0x200), to_string=True)  # an exception at EL1
pars = []
for va in job["vas"]:
    gdb.execute("set $x0 = 0x%%x" %% va, to_string=True)
    gdb.execute("set $pc = 0x%%x" %% code, to_string=True)
    run_to([end])
    pars.append([reg("x%%d" %% (1 + i)) for i in range(%(nops)d)])
json.dump({"regs": regs, "code": code, "pars": pars}, open(%(out)r, "w"))
end
disconnect
"""


def at_probe(gdb, vm, work, vas):
    """PAR_EL1 after each AT_OPS for each VA (and the registers the probe ran with)."""
    job = os.path.join(work, "at-job.json")
    out = os.path.join(work, "at-out.json")
    script = os.path.join(work, "at.gdb")
    with open(job, "w") as f:
        json.dump({"vas": vas, "code": at_code(), "regs": AT_REGS}, f)
    with open(script, "w") as f:
        f.write(AT_SCRIPT % dict(sock=vm.gdb_path, job=job, out=out, nops=len(AT_OPS)))
    if os.path.exists(out):
        os.unlink(out)
    try:
        r = subprocess.run([gdb, "-batch", "-nx", "-x", script], capture_output=True, text=True,
                           timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SetupError("at-probe", "gdb: %s" % e)
    if not os.path.exists(out):
        raise SetupError("at-probe", "gdb gave no answers; its output:\n%s%s" %
                         (r.stdout[-1500:], r.stderr[-1500:]))
    with open(out) as f:
        res = json.load(f)
    for alias, name in (("SCTLR", "SCTLR_EL1"), ("VBAR", "VBAR_EL1")):
        if alias in res["regs"]:
            res["regs"][name] = res["regs"][alias]
    return res


FST_TYPES = {0: "address_size", 1: "translation", 2: "access_flag", 3: "permission",
             5: "external_abort"}


def par_answer(par):
    """PAR_EL1 as (pa page, None) or (None, (fault type, level))."""
    if not par & 1:
        return (par & ((1 << 48) - 1) & ~0xFFF, None)
    fst = (par >> 1) & 0x3F
    return (None, (FST_TYPES.get(fst >> 2, "FST 0x%x" % fst), fst & 3))


# ---------------------------------------------------------------------------------------------
# The translation tables in the dump, read only to choose VAs and to show descriptors.

class Dump:
    def __init__(self, path, base):
        self.f = open(path, "rb")
        self.m = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_READ)
        self.base = base

    def table(self, pa, n):
        off = pa - self.base
        if off < 0 or off + 8 * n > len(self.m):
            return None
        return struct.unpack_from("<%dQ" % n, self.m, off)

    def close(self):
        self.m.close()
        self.f.close()


class Half:
    """One half (TTBR0 or TTBR1) of the EL1&0 regime as TCR_EL1 sets it (ARM ARM D8.2)."""

    def __init__(self, sel, tcr, ttbr):
        self.sel = sel
        tsz = (tcr >> (16 if sel else 0)) & 0x3F
        tg = (tcr >> (30 if sel else 14)) & 3
        gbits = {0: {0: 12, 1: 16, 2: 14}, 1: {1: 14, 2: 12, 3: 16}}[sel].get(tg, 12)
        self.g = gbits
        self.epd = bool(tcr >> (23 if sel else 7) & 1)
        self.bits = 64 - tsz
        self.stride = gbits - 3
        self.start = 4 - -(-(self.bits - gbits) // self.stride)
        self.base_va = (1 << 64) - (1 << self.bits) if sel else 0
        top_entries = 1 << (self.bits - self.shift(self.start))
        self.root = ttbr & ((1 << 48) - 1) & ~(top_entries * 8 - 1)
        self.top_entries = top_entries

    def shift(self, level):
        return self.g + (3 - level) * self.stride

    def entries(self, level):
        return self.top_entries if level == self.start else 1 << self.stride

    def kind(self, level, d):
        """'invalid', 'table', 'page' or 'block' (4K: blocks at levels 1, 2; else level 2)."""
        if not d & 1:
            return "invalid"
        if d & 2:
            return "table" if level < 3 else "page"
        blocks = (1, 2) if self.g == 12 else (2,)
        return "block" if level in blocks else "invalid"

    def oa(self, level, d):
        shift = self.g if self.kind(level, d) in ("table", "page") else self.shift(level)
        return d & ((1 << 48) - 1) & ~((1 << shift) - 1)

    def enumerate(self, dump, limit=2000):
        """Leaves [(va, size, level, pa, desc)] and invalid slots [(va, size, level, desc)]."""
        leaves, holes = [], []
        stack = [(self.root, self.start, self.base_va)]
        while stack and limit:
            table, level, va0 = stack.pop()
            limit -= 1
            descs = dump.table(table, self.entries(level))
            if descs is None:
                continue
            size = 1 << self.shift(level)
            for i, d in enumerate(descs):
                va = va0 + i * size
                kind = self.kind(level, d)
                if kind == "table":
                    stack.append((self.oa(level, d), level + 1, va))
                elif kind == "invalid":
                    holes.append((va, size, level, d))
                else:
                    leaves.append((va, size, level, self.oa(level, d), d))
        return leaves, holes

    def trace(self, dump, va):
        """The descriptors a walk of @va reads: [(level, slot PA, desc or None)]."""
        out, table = [], self.root
        for level in range(self.start, 4):
            idx = (va >> self.shift(level)) & (self.entries(level) - 1)
            slot = table + 8 * idx
            t = dump.table(slot, 1)
            d = t[0] if t else None
            out.append((level, slot, d))
            if d is None or self.kind(level, d) != "table":
                break
            table = self.oa(level, d)
        return out


def region_of(va, vabits, kimage):
    """A name for the part of Linux's arm64 address space @va is in (for the report only)."""
    if va >> 63 == 0:
        return "ttbr0"
    page_end = (1 << 64) - (1 << (vabits - 1))  # _PAGE_END: linear map below, vmalloc above
    vmemmap = (1 << 64) - (1 << (vabits - 6))  # VMEMMAP_START (struct page is 64 bytes)
    if va < page_end:
        return "linear"
    if va < page_end + (128 << 20):
        return "modules"
    if va >= vmemmap:
        return "vmemmap"
    if va >= vmemmap - (1 << 30):
        return "fixmap/pci-io"
    if kimage[0] <= va < kimage[1]:
        return "kimage"
    return "vmalloc"


# ---------------------------------------------------------------------------------------------
# Choosing the VAs.

class Picker:
    def __init__(self, rng, regs, halves, dump, ram_size):
        self.rng = rng
        self.vas = collections.OrderedDict()  # va -> why
        self.halves = halves
        self.bits1 = halves[1].bits
        vbar = regs.get("VBAR_EL1", regs["pc"])
        text = vbar & ~((2 << 20) - 1)  # the vectors are in the image's text
        self.kimage = (text - (32 << 20), text + (64 << 20))
        self.ram_size = ram_size
        self.leaves, self.holes = [], []
        for h in halves:
            if not h.epd:
                lv, ho = h.enumerate(dump)
                self.leaves += lv
                self.holes += ho

    def region(self, va):
        return region_of(va, self.bits1, self.kimage)

    def add(self, va, why):
        va &= (1 << 64) - 1
        self.vas.setdefault(va, why)

    def offsets(self, size):
        """A random byte and the last of a leaf; for a block also its first and a middle one."""
        out = [self.rng.randrange(size), size - 1]
        return out + [0, size // 2 + self.rng.randrange(size // 4)] if size > 4096 else out

    def from_registers(self, regs):
        names = ["pc", "sp", "SP_EL0", "SP_EL1", "VBAR_EL1", "ELR_EL1", "FAR_EL1"]
        for name in names + ["x%d" % i for i in range(31)]:
            v = regs.get(name)
            if v and (v >> 48) in (0, 0xFFFF) and v > 0xFFFF:
                self.add(v, "register " + name)

    def from_leaves(self, per_group):
        groups = collections.defaultdict(list)
        for leaf in self.leaves:
            groups[(self.region(leaf[0]), leaf[2])].append(leaf)
        for (region, level), leaves in sorted(groups.items()):
            for va, size, _, _, _ in self.rng.sample(leaves, min(per_group, len(leaves))):
                for off in self.offsets(size):
                    self.add(va + off, "%s L%d %s" % (region, level, sizestr(size)))

    def edges_of_runs(self, count):
        """The bytes just outside runs of contiguous leaves, and their first and last bytes."""
        runs = []
        for va, size, _, _, _ in sorted(self.leaves):
            if runs and runs[-1][1] == va:
                runs[-1][1] = va + size
            else:
                runs.append([va, va + size])
        for start, end in self.rng.sample(runs, min(count, len(runs))):
            for va in (start - 1, start, end - 1, end):
                self.add(va, "%s run edge" % self.region(start))

    def holes_in_tables(self, per_level):
        """Invalid entries of tables in use; those with other bits set (Linux's PROT_NONE and
        other software states) apart."""
        by_level = collections.defaultdict(list)
        for hole in self.holes:
            by_level[(hole[2], hole[0] >> 63, hole[3] != 0)].append(hole)
        for (level, _, nonzero), holes in sorted(by_level.items()):
            for va, size, _, _ in self.rng.sample(holes, min(per_level, len(holes))):
                self.add(va + self.rng.randrange(size), "%s %sinvalid L%d" %
                         (self.region(va), "non-zero " if nonzero else "", level))

    def attribute_kinds(self, per_kind):
        """Leaves of every kind of descriptor: AF, AP, DBM, PXN, UXN, contiguous, AttrIndx."""
        kinds = collections.defaultdict(list)
        for leaf in self.leaves:
            d = leaf[4]
            kinds[(leaf[0] >> 63, leaf[2], (d >> 2) & 0x3FF, (d >> 51) & 0xF)].append(leaf)
        for (_, level, low, high), leaves in sorted(kinds.items()):
            for va, size, _, _, _ in self.rng.sample(leaves, min(per_kind, len(leaves))):
                self.add(va + self.rng.randrange(size), "%s L%d attrs 0x%x/0x%x" %
                         (self.region(va), level, low << 2, high << 51))

    def linear_map(self, count):
        """VAs of the linear map spread over all of RAM (the offset from its leaves)."""
        offs = collections.Counter(va - pa for va, _, _, pa, _ in self.leaves
                                   if self.region(va) == "linear")
        if not offs:
            return
        off = offs.most_common(1)[0][0]
        slice_ = self.ram_size // count
        for k in range(count):
            pa = RAM_BASE + k * slice_ + self.rng.randrange(slice_)
            self.add(pa + off, "linear across RAM")

    def random(self, counts):
        top = 1 << 64
        b0, b1 = self.halves[0].bits, self.bits1
        page_end = top - (1 << (b1 - 1))
        vmemmap = top - (1 << (b1 - 6))
        ranges = {
            "random ttbr1": (top - (1 << b1), top),
            "random ttbr0": (0, 1 << b0),
            "random modules": (page_end, page_end + (128 << 20)),
            "random kimage": self.kimage,
            "random vmalloc": (page_end + (128 << 20), vmemmap - (1 << 30)),
            "random vmemmap": (vmemmap, vmemmap + (1 << 36)),
            "random fixmap/pci-io": (vmemmap - (1 << 30), vmemmap),
            "non-canonical": (1 << b0, top - (1 << b1)),
        }
        for why, n in counts.items():
            lo, hi = ranges[why]
            for _ in range(n):
                self.add(self.rng.randrange(lo, hi), why)

    def tagged(self, count):
        """Mapped VAs with another top byte: TCR.TBIn decides whether that byte is ignored."""
        for va, size, _, _, _ in self.rng.sample(self.leaves, min(count, len(self.leaves))):
            inside = va + self.rng.randrange(size)
            tag = self.rng.randrange(256) << 56
            self.add((inside & ((1 << 56) - 1)) | tag, "tagged %s" % self.region(va))


def sizestr(size):
    for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return "%d%s" % (size >> shift, unit)
    return str(size)


def choose_vas(rng, regs, halves, dump, ram_size):
    p = Picker(rng, regs, halves, dump, ram_size)
    p.from_registers(regs)
    p.from_leaves(per_group=40)
    p.edges_of_runs(40)
    p.holes_in_tables(per_level=40)
    p.attribute_kinds(per_kind=6)
    p.linear_map(64)
    p.random({"random ttbr1": 120, "random ttbr0": 40, "random modules": 20,
              "random kimage": 60, "random vmalloc": 60, "random vmemmap": 30,
              "random fixmap/pci-io": 30, "non-canonical": 10})
    p.tagged(30)
    return p


# ---------------------------------------------------------------------------------------------
# Both answers and their comparison.

def qemu_translate(qmp, vas):
    out = {}
    for va in vas:
        text = qmp.hmp("gva2gpa 0x%x" % va).strip()
        m = re.match(r"gpa: (0x[0-9a-f]+)$", text)
        if m:
            out[va] = int(m.group(1), 16)
        elif text == "Unmapped":
            out[va] = None
        else:
            raise SetupError("gva2gpa", "unexpected answer for 0x%x: %r" % (va, text))
    return out


def walk_command(kmm_sim, dump_path, regs, el, access, pa_bits, pan):
    return [kmm_sim, "walk", "--mem", "%s@0x%x" % (dump_path, RAM_BASE),
            "--tcr", "0x%x" % regs["TCR_EL1"], "--ttbr0", "0x%x" % regs["TTBR0_EL1"],
            "--ttbr1", "0x%x" % regs["TTBR1_EL1"], "--sctlr", "0x%x" % regs["SCTLR_EL1"],
            "--el", str(el), "--access", access, "--pa-bits", str(pa_bits), "--json"] + \
        (["--pan"] if pan else [])


def kmm_translate(base, vas):
    """kmm-sim walk's answers for @vas: {va: JSON object}."""
    out = {}
    vas = list(vas)
    for i in range(0, len(vas), 1000):
        chunk = vas[i:i + 1000]
        try:
            r = subprocess.run(base + ["0x%x" % v for v in chunk], capture_output=True,
                               text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise SetupError("kmm-sim", str(e))
        if r.returncode != 0:
            raise SetupError("kmm-sim", "exit %d: %s" % (r.returncode, r.stderr.strip()[-2000:]))
        try:
            answers = json.loads(r.stdout)
        except ValueError as e:
            raise SetupError("kmm-sim", "bad JSON (%s): %s" % (e, r.stdout[:500]))
        if not isinstance(answers, list) or len(answers) != len(chunk):
            raise SetupError("kmm-sim", "expected a JSON array of %d answers" % len(chunk))
        for va, a in zip(chunk, answers):
            if int(a["va"], 16) != va:
                raise SetupError("kmm-sim", "answer for %s where 0x%x was asked" % (a["va"], va))
            out[va] = a
    return out


class Check:
    """One kind of QEMU answer for every VA: gva2gpa, or one AT operation."""

    def __init__(self, label, el, access, answers):
        self.label, self.el, self.access = label, el, access
        self.qemu = answers  # va -> ("pa", pa) | ("page", pa) | ("fault", type, level)
        self.kmm = {}  # va -> kmm-sim walk's JSON answer
        self.cmd = []  # the kmm-sim walk command, without the VAs


def gva2gpa_answer(pa):
    return ("pa", pa) if pa is not None else ("fault", None, None)


def at_answer(par):
    pa, fault = par_answer(par)
    return ("page", pa) if fault is None else ("fault",) + fault


def verdict(check, va, regs):
    """'ok', 'mismatch', or 'skip: ' and why the two do not answer the same question."""
    q, k = check.qemu[va], check.kmm[va]
    kf = k["fault"]
    if q[0] != "fault":
        if kf is None:
            kpa = int(k["pa"], 16)
            return "ok" if (kpa if q[0] == "pa" else kpa & ~0xFFF) == q[1] else "mismatch"
        if kf["type"] == "access_flag" and check.label == "gva2gpa":
            return "skip: Access flag clear (QEMU's debug walk does not check it)"
        return "mismatch"
    if kf is None:
        return "mismatch"
    return "ok" if q[1] is None or (kf["type"], kf["level"]) == q[1:] else "mismatch"


def describe_qemu(q):
    if q[0] == "pa":
        return "pa 0x%x" % q[1]
    if q[0] == "page":
        return "pa 0x%x (the page)" % q[1]
    return "%s fault at level %d" % q[1:] if q[1] else "unmapped"


def describe_kmm(k):
    if k["fault"]:
        s = "%s fault at level %d" % (k["fault"]["type"], k["fault"]["level"])
    else:
        s = "pa 0x%x (level %d, %s)" % (int(k["pa"], 16), k["level"], sizestr(k["size"]))
    if k["attrs"]:
        s += " attrs " + " ".join("%s=%s" % kv for kv in k["attrs"].items())
    return s


def report_mismatch(check, va, why, halves, dump):
    print("MISMATCH %s EL%d %s va 0x%016x (%s)" % (check.label, check.el, check.access, va, why))
    print("  qemu: %s" % describe_qemu(check.qemu[va]))
    print("  kmm:  %s" % describe_kmm(check.kmm[va]))
    half = halves[(va >> 55) & 1]
    for level, slot, d in half.trace(dump, va):
        print("  L%d [0x%x] = %s" % (level, slot, "outside RAM" if d is None else "0x%016x" % d))
    print("  again: %s 0x%x" % (" ".join(check.cmd), va))


# ---------------------------------------------------------------------------------------------

def unsupported(regs):
    """Why kmm cannot model this configuration's translation regime, or None."""
    tcr = regs["TCR_EL1"]
    if tcr >> 59 & 1:
        return "TCR_EL1.DS is set (FEAT_LPA2, 52-bit addresses)"
    if ((tcr >> 32) & 7) == 6:
        return "TCR_EL1.IPS is 52 bits (FEAT_LPA)"
    for sel, shift in ((0, 0), (1, 16)):
        tsz = (tcr >> shift) & 0x3F
        if tsz < 16:
            return "T%dSZ %d: a VA range over 48 bits (FEAT_LVA)" % (sel, tsz)
    if tcr >> 41 & 3:
        return "TCR_EL1.HPD0/1 is set (hierarchical permissions disabled)"
    return None


def collect(vm, cfg, args, work, dump_path):
    """Stop the VM and take everything from QEMU: (regs, picker, checks), or None to skip."""
    vm.connect(30)
    vm.stop()
    regs = read_registers(args.gdb, vm, work)
    if vm.qmp.cmd("query-status").get("running"):
        raise SetupError("registers", "the VM runs again after gdb disconnected")
    el = (regs["cpsr"] >> 2) & 3
    print("   EL%d%s pc 0x%x; TCR_EL1 0x%x TTBR0_EL1 0x%x TTBR1_EL1 0x%x SCTLR_EL1 0x%x" %
          (el, " PAN" if regs["cpsr"] >> 22 & 1 else "", regs["pc"], regs["TCR_EL1"],
           regs["TTBR0_EL1"], regs["TTBR1_EL1"], regs["SCTLR_EL1"]))
    why = unsupported(regs)
    if why:
        print("   skipped: %s, which kmm does not model" % why)
        return None
    if el > 1:
        raise SetupError("registers", "the CPU stopped at EL%d, not in the EL1&0 regime" % el)
    try:
        vm.qmp.cmd("pmemsave", val=RAM_BASE, size=cfg["mem"], filename=dump_path)
    except OSError as e:
        raise SetupError("dump", str(e))
    dump = Dump(dump_path, RAM_BASE)
    halves = [Half(0, regs["TCR_EL1"], regs["TTBR0_EL1"]),
              Half(1, regs["TCR_EL1"], regs["TTBR1_EL1"])]
    picker = choose_vas(random.Random("%d-%s" % (args.seed, cfg["name"])), regs, halves, dump,
                        cfg["mem"])
    dump.close()
    vas = list(picker.vas)
    gpas = qemu_translate(vm.qmp, vas)
    checks = [Check("gva2gpa", el, "read", {va: gva2gpa_answer(gpas[va]) for va in vas})]
    if args.at:
        res = at_probe(args.gdb, vm, work, vas)
        for reg in ("TCR_EL1", "TTBR0_EL1", "TTBR1_EL1", "SCTLR_EL1"):
            if res["regs"].get(reg) != regs[reg]:
                raise SetupError("at-probe", "%s changed on the way to EL1" % reg)
        for i, (op, op_el, access) in enumerate(AT_OPS):
            answers = {va: at_answer(par[i]) for va, par in zip(vas, res["pars"])}
            checks.append(Check("AT " + op, op_el, access, answers))
    return regs, picker, halves, checks


def compare(regs, picker, halves, checks, dump_path):
    """Print the mismatches and a summary; (translations, mismatches)."""
    dump = Dump(dump_path, RAM_BASE)
    n = mism = 0
    skipped = collections.Counter()
    for check in checks:
        stats = collections.Counter()
        for va, q in check.qemu.items():
            v = verdict(check, va, regs)
            if v.startswith("skip"):
                skipped["%s: %s" % (check.label, v[6:])] += 1
                continue
            n += 1
            k = check.kmm[va]
            stats["fault" if q[0] == "fault" else "pa"] += 1
            if k["fault"] is None:
                stats["L%d %s" % (k["level"], sizestr(k["size"]))] += 1
            if v == "mismatch":
                mism += 1
                report_mismatch(check, va, picker.vas[va], halves, dump)
        print("   %-10s EL%d %-5s %s" % (check.label, check.el, check.access,
                                         ", ".join("%s %d" % kv for kv in sorted(stats.items()))))
    dump.close()
    for reason, count in sorted(skipped.items()):
        print("   skipped %d: %s" % (count, reason))
    return n, mism


def run_config(name, cfg, args):
    """Boot, collect and compare one configuration: (translations, mismatches)."""
    cfg = dict(cfg, name=name)
    work = os.path.join(args.work, name)
    os.makedirs(work, exist_ok=True)
    dump_path = os.path.join(work, "ram.bin")
    print("== %s: -cpu %s -m %dM, append '%s'%s" % (name, cfg["cpu"], cfg["mem"] >> 20,
          cfg["append"], ", /init spins at EL0" if cfg["user"] else ""))
    t0 = time.monotonic()
    vm = Vm(args, cfg, work)
    try:
        boot = vm.wait_for(READY_USER if cfg["user"] else READY_PANIC, args.boot_timeout)
        print("   booted in %.1f s" % boot)
        if cfg["user"]:
            time.sleep(0.2)
        got = collect(vm, cfg, args, work, dump_path)
    except OSError as e:
        raise SetupError("qemu", str(e))
    finally:
        vm.close()
    if got is None:
        return 0, 0
    regs, picker, halves, checks = got
    parange = regs.get("ID_AA64MMFR0_EL1", 5) & 0xF
    pa_bits = min(PARANGE_BITS.get(parange, 48), 48)
    for check in checks:
        # gva2gpa walks in the CPU's current regime, PSTATE.PAN included; AT S1E1R/W ignore PAN.
        pan = check.label == "gva2gpa" and check.el == 1 and regs["cpsr"] >> 22 & 1
        check.cmd = walk_command(args.kmm_sim, dump_path, regs, check.el, check.access, pa_bits,
                                 pan)
        check.kmm = kmm_translate(check.cmd, list(check.qemu))
    regions = collections.Counter(picker.region(va) for va in picker.vas)
    print("   %d VAs: %s" % (len(picker.vas), ", ".join("%s %d" % kv for kv in
                                                        sorted(regions.items()))))
    n, mism = compare(regs, picker, halves, checks, dump_path)
    took = time.monotonic() - t0
    print("   %s: %d translations, %d mismatches (%.1f s)" % (name, n, mism, took))
    if not args.keep and not mism:
        os.unlink(dump_path)
    return n, mism


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", required=True, help="the arm64 Linux Image (vmlinuz)")
    ap.add_argument("--kmm-sim", required=True, help="the kmm-sim binary")
    ap.add_argument("--work", required=True, help="directory for dumps, sockets and logs")
    ap.add_argument("--qemu", default="qemu-system-aarch64")
    ap.add_argument("--gdb", default="gdb-multiarch")
    ap.add_argument("--config", default=",".join(CONFIGS),
                    help="comma-separated configurations (default: all of %s)" % ", ".join(CONFIGS))
    ap.add_argument("--seed", type=int, default=1,
                    help="seed of QEMU's guest randomness (KASLR) and of the VA choice (default 1)")
    ap.add_argument("--boot-timeout", type=int, default=120)
    ap.add_argument("--keep", action="store_true", help="keep the RAM dumps")
    ap.add_argument("--no-at", dest="at", action="store_false",
                    help="compare with gva2gpa only, without the AT probe")
    args = ap.parse_args()

    names = [c for c in args.config.split(",") if c]
    bad = [c for c in names if c not in CONFIGS]
    if bad or not names:
        print("linux-crosscheck: unknown configuration %s (known: %s)" %
              (", ".join(bad) or "''", ", ".join(CONFIGS)), file=sys.stderr)
        return 2
    os.makedirs(args.work, exist_ok=True)
    total = mismatches = 0
    for name in names:
        try:
            n, m = run_config(name, CONFIGS[name], args)
        except SetupError as e:
            print("linux-crosscheck: setup failed in configuration %s at step %s" % (name, e),
                  file=sys.stderr)
            return 2
        total += n
        mismatches += m
    print("linux-crosscheck: %d translations, %d mismatches" % (total, mismatches))
    return 0 if total and not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
