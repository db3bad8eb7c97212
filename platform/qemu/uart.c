// SPDX-License-Identifier: MIT
/*
 * The console: an Arm PL011 UART (PrimeCell UART (PL011) Technical Reference Manual, DDI 0183:
 * UARTDR at 0x00, UARTFR at 0x18 with TXFF bit 5 and RXFE bit 4), which both boards have as
 * UART0 — virt at the address its DTB gives, raspi3b at 0x3f201000. Polled, no interrupts. QEMU's
 * model needs no set-up; on hardware the firmware's baud rate and pin muxing are kept.
 * arch_console_write of the arch interface (printk) lands here; what is written before the UART
 * is mapped waits in a small buffer.
 */
#include "kernel.h"

#include <kmm/arch.h>

#define UARTDR 0x00
#define UARTFR 0x18
#define UARTFR_RXFE (1u << 4)
#define UARTFR_TXFF (1u << 5)

static volatile uint32_t *uart;
static char early_buf[4096];
static size_t early_len;

static void put(char c)
{
	while (uart[UARTFR / 4] & UARTFR_TXFF)
		;
	uart[UARTDR / 4] = (uint8_t)c;
}

void arch_console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!uart) {
			if (early_len < sizeof(early_buf))
				early_buf[early_len++] = s[i];
			continue;
		}
		if (s[i] == '\n')
			put('\r');
		put(s[i]);
	}
}

void uart_init(paddr_t pa, vaddr_t va)
{
	uart = (volatile uint32_t *)(va + (pa & 0xfff));
	arch_console_write(early_buf, early_len);
	early_len = 0;
}

int uart_getc(void)
{
	while (uart[UARTFR / 4] & UARTFR_RXFE)
		;
	return (int)(uart[UARTDR / 4] & 0xff);
}
