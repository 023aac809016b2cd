// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc/interrupts parsing: x86's named rows, powerpc's IPI irq rows. */
#include "procint.h"
#include "unit.h"

/* Read off the Debian 12 ppc64le guest (qemu pseries POWER9, XIVE). */
static const char ppc_xive[] =
"           CPU0       CPU1       CPU2       CPU3       \n"
" 16:        205        117        172         86  XIVE-IPI   0 Edge      IPI-0\n"
" 20:          0          0          0          0  XIVE-IRQ 4352 Edge      hvc_console\n"
" 29:          0          0          0          1  pSeries-PCI-MSI 32772 Edge      virtio0-req.3\n"
"LOC:        441        455        297        294   Local timer interrupts for timer event device\n"
"BCT:          0          0          0          0   Broadcast timer interrupts for timer event device\n"
"LOC:          1          2          3          4   Local timer interrupts for others\n"
"WDG:         37         27         28          7   Watchdog soft-NMI interrupts\n"
"DBL:          3          0          0          0   Doorbell interrupts\n";

/* XICS names the action "IPI"; a device whose name merely starts with IPI
 * is not an IPI row. */
static const char ppc_xics[] =
"           CPU0       CPU1\n"
" 16:         10         20  XICS   0 Edge      IPI\n"
" 17:          5          5  XICS   1 Edge      IPIfoo\n"
"DBL:          0          0   Doorbell interrupts\n";

static const char x86[] =
"            CPU0       CPU1\n"
"   0:         10          0   IO-APIC   2-edge      timer\n"
" CAL:       1234       5678   Function call interrupts\n"
" RES:         11         22   Rescheduling interrupts\n"
" ERR:          0\n";

static void ppc_xive_ipi_row(void)
{
	struct procint pi;
	char err[128];

	CHECK(!procint_parse(ppc_xive, &pi, err, sizeof(err)), "%s", err);
	CHECK_EQ(procint_get(&pi, "IPI", 0), 205);
	CHECK_EQ(procint_get(&pi, "IPI", 3), 86);
	CHECK_EQ(procint_get(&pi, "DBL", 0), 3);
	/* Device irqs stay out. */
	CHECK(procint_get(&pi, "20", 0) < 0, "device row kept");
	/* The two LOC rows add up. */
	CHECK_EQ(procint_get(&pi, "LOC", 0), 442);
	CHECK_EQ(procint_get(&pi, "LOC", 3), 298);
	procint_free(&pi);
}

static void ppc_xics_ipi_row(void)
{
	struct procint pi;
	char err[128];

	CHECK(!procint_parse(ppc_xics, &pi, err, sizeof(err)), "%s", err);
	CHECK_EQ(procint_get(&pi, "IPI", 0), 10);
	CHECK_EQ(procint_get(&pi, "IPI", 1), 20);
	procint_free(&pi);
}

static void x86_rows_unchanged(void)
{
	struct procint pi;
	char err[128];

	CHECK(!procint_parse(x86, &pi, err, sizeof(err)), "%s", err);
	CHECK_EQ(procint_get(&pi, "CAL", 1), 5678);
	CHECK_EQ(procint_get(&pi, "RES", 0), 11);
	CHECK_EQ(procint_get(&pi, "ERR", 0), 0);
	CHECK(procint_get(&pi, "IPI", 0) < 0, "no IPI row on x86");
	procint_free(&pi);
}

UNIT_MAIN(CASE(ppc_xive_ipi_row), CASE(ppc_xics_ipi_row), CASE(x86_rows_unchanged))
