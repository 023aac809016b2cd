// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* See waiter.h and bpf/waiter.bpf.c. */
#include "waiter.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "waiter.skel.h"

/* A kernel stack is THREAD_SIZE: 16 KiB on x86-64 (without KASAN) and on
 * ppc64.  An on-stack csd (smp_call_function_single(wait=1)) lies in it. */
#define KSTACK_SIZE (16u << 10)

static const char *const smp_names[] = {
	"smp_call_function_many_cond", "smp_call_function_single", "smp_call_function_many",
	"smp_call_function", "smp_call_function_any", "generic_exec_single",
	"on_each_cpu_cond_mask", "csd_lock_wait",
};

/* Byte offset of member name in struct type id, looking into anonymous
 * struct and union members (randomized_struct_fields_start is one when
 * the layout is randomized); 0 if not found (no member of interest is at
 * offset 0). */
static uint32_t member_off(const struct btf *btf, uint32_t id, const char *name, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;

	if (!t || depth > 4 || !(btf_is_struct(t) || btf_is_union(t)))
		return 0;
	m = btf_members(t);
	for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);
		uint32_t bit = btf_member_bit_offset(t, i), sub;

		if (mn && !strcmp(mn, name))
			return bit / 8;
		if ((!mn || !*mn) &&
		    (sub = member_off(btf, btf__resolve_type(btf, m->type), name, depth + 1)))
			return bit / 8 + sub;
	}
	return 0;
}

uint32_t waiter_task_stack_off(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	uint32_t off = 0;

	if (btf) {
		int id = btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT);

		if (id > 0)
			off = member_off(btf, (uint32_t)id, "stack", 0);
		btf__free(btf);
	}
	return off;
}

int waiters_open(struct waiters *w, unsigned ncpus, const struct ksyms *ks)
{
	struct waiter_bpf *sk;
	uint32_t stack_off;

	memset(w, 0, sizeof(*w));
	w->ncpus = ncpus > IPT_WAITER_MAX_CPUS ? IPT_WAITER_MAX_CPUS : ncpus;
	/* task_struct.stack (where an on-stack csd's waiter is found) needs
	 * the running kernel's layout; without BTF the rest still works. */
	stack_off = waiter_task_stack_off();
	w->on_stack = stack_off != 0;
	sk = waiter_bpf__open();
	if (sk)
		sk->rodata->task_stack_off = stack_off;
	if (sk && ks) {
		unsigned n = 0;

		/* The BPF side keeps the newest sample that passes through
		 * these (one has no symbol of its own when always inlined). */
		for (size_t i = 0; i < sizeof(smp_names) / sizeof(smp_names[0]) &&
				   n < IPT_WAITER_RANGES; i++) {
			const struct ksym *k = ksyms_by_name(ks, smp_names[i]);
			uint64_t end;

			if (!k)
				continue;
			end = k->size ? k->addr + k->size : 0;
			if (!end) {	/* up to the next symbol */
				const struct ksym *nx = k + 1 < ks->syms + ks->n ? k + 1 : NULL;

				end = nx ? nx->addr : k->addr + 4096;
			}
			sk->rodata->smp_lo[n] = k->addr;
			sk->rodata->smp_hi[n] = end;
			n++;
		}
		sk->rodata->nsmp = n;
	}
	if (sk && waiter_bpf__load(sk)) {
		waiter_bpf__destroy(sk);
		sk = NULL;
	}
	if (!sk) {
		snprintf(w->why, sizeof(w->why), "its BPF program did not load: %s", strerror(errno));
		return -1;
	}
	w->skel = sk;
	w->pfd = xcalloc(w->ncpus ? w->ncpus : 1, sizeof(*w->pfd));
	w->links = xcalloc(w->ncpus ? w->ncpus : 1, sizeof(*w->links));
	for (unsigned c = 0; c < w->ncpus; c++)
		w->pfd[c] = -1;
	w->ok = 1;
	return 0;
}

int waiters_armed(const struct waiters *w, unsigned cpu)
{
	return w->ok && cpu < w->ncpus && w->pfd[cpu] >= 0;
}

int waiters_arm(struct waiters *w, unsigned cpu)
{
	struct waiter_bpf *sk = w->skel;
	struct perf_event_attr pa = {
		.size = sizeof(pa),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		/* A fixed period: a frequency (attr.freq) would make the
		 * kernel switch the tick's nohz dependency on every CPU. */
		.sample_period = 1000000,	/* ns: 1 kHz */
	};
	int fd, e;

	if (!w->ok || cpu >= w->ncpus)
		return -EINVAL;
	if (w->pfd[cpu] >= 0)
		return 0;
	fd = (int)syscall(SYS_perf_event_open, &pa, -1, (int)cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(w->last_err, sizeof(w->last_err), "perf_event_open(cpu-clock, CPU %u): %s",
			 cpu, strerror(e));
		w->arm_errors++;
		return -e;
	}
	w->links[cpu] = bpf_program__attach_perf_event(sk->progs.waiter_tick, fd);
	if (!w->links[cpu]) {
		e = errno;
		close(fd);
		snprintf(w->last_err, sizeof(w->last_err), "attaching to the perf event of CPU %u: %s",
			 cpu, strerror(e));
		w->links[cpu] = NULL;
		w->arm_errors++;
		return -e;
	}
	/* Samples from an earlier arming are not this one's. */
	sk->bss->wcpu[cpu].seq = 0;
	sk->bss->wcpu[cpu].hit_seq = 0;
	w->pfd[cpu] = fd;
	w->armed_total++;
	return 0;
}

void waiters_disarm(struct waiters *w, unsigned cpu)
{
	if (!waiters_armed(w, cpu))
		return;
	bpf_link__destroy(w->links[cpu]);	/* closes the perf event too */
	w->links[cpu] = NULL;
	w->pfd[cpu] = -1;
}

void waiters_close(struct waiters *w)
{
	if (w->ok)
		for (unsigned c = 0; c < w->ncpus; c++)
			waiters_disarm(w, c);
	waiter_bpf__destroy(w->skel);
	free(w->pfd);
	free(w->links);
	memset(w, 0, sizeof(*w));
}

/* The functions of kernel/smp.c a waiter spins in (csd_lock_wait() is
 * always inlined into them) and the thin wrappers around them. */
static int smp_frame(const char *name)
{
	for (size_t i = 0; i < sizeof(smp_names) / sizeof(smp_names[0]); i++)
		if (!strcmp(name, smp_names[i]))
			return 1;
	return 0;
}

/* Judge one sample: fill out, return 1 if it names the waiter (in smp.c's
 * wait, or its stack holds the csd). */
static void judge(const struct ipt_waiter_sample *s, uint64_t csd, const struct ksyms *ks,
		  int ks_ok, struct waiter_info *out)
{
	size_t len = 0;
	int last_smp = -1;

	memset(out, 0, sizeof(*out));
	out->have = 1;
	out->pid = s->pid;
	memcpy(out->comm, s->comm, sizeof(out->comm));
	out->comm[sizeof(out->comm) - 1] = 0;
	out->owns = s->stack_base && csd >= s->stack_base && csd - s->stack_base < KSTACK_SIZE;
	out->nr = s->nr > IPT_WAITER_FRAMES ? IPT_WAITER_FRAMES : s->nr;
	memcpy(out->ips, s->ips, out->nr * sizeof(out->ips[0]));
	for (unsigned i = 0; i < out->nr; i++) {
		const struct ksym *k = ks_ok ? ksyms_find(ks, out->ips[i], NULL) : NULL;
		char buf[160];

		if (k && smp_frame(k->name)) {
			out->in_smp = 1;
			last_smp = (int)i;
		}
		if (i < 8 && len < sizeof(out->stack) - 1) {
			int n = snprintf(out->stack + len, sizeof(out->stack) - len, "%s%s", i ? " < " : "",
					 ks_ok ? ksyms_fmt(ks, out->ips[i], buf, sizeof(buf)) : "?");

			if (n > 0)
				len += (size_t)n;
		}
	}
	/* The callsite is what called into smp.c: the frame after the
	 * outermost smp.c frame (as csd:csd_queue_cpu's _RET_IP_ names it). */
	if (last_smp >= 0 && (unsigned)last_smp + 1 < out->nr) {
		char buf[160];

		snprintf(out->callsite, sizeof(out->callsite), "%s",
			 ksyms_fmt(ks, out->ips[last_smp + 1], buf, sizeof(buf)));
	}
}

void waiters_read(const struct waiters *w, unsigned cpu, uint64_t csd,
		  const struct ksyms *ks, int ks_ok, struct waiter_info *out)
{
	const struct waiter_bpf *sk = w->skel;
	const struct ipt_waiter_cpu *wc;
	uint64_t seq;

	memset(out, 0, sizeof(*out));
	if (!w->ok || cpu >= w->ncpus)
		return;
	wc = &sk->bss->wcpu[cpu];
	seq = __atomic_load_n(&wc->seq, __ATOMIC_ACQUIRE);
	/* Newest first: the first sample that names the waiter, else the
	 * newest.  The program may be overwriting the oldest slot meanwhile;
	 * a torn copy only misnames a frame, and a slot overwritten during
	 * the copy (seq moved by a full lap) is skipped. */
	for (unsigned i = 0; i < IPT_WAITER_SLOTS && i < seq; i++) {
		struct ipt_waiter_sample s;
		struct waiter_info wi;

		memcpy(&s, (const void *)&wc->slot[(seq - 1 - i) % IPT_WAITER_SLOTS], sizeof(s));
		if (__atomic_load_n(&wc->seq, __ATOMIC_ACQUIRE) - seq + i + 1 > IPT_WAITER_SLOTS - 1)
			continue;
		judge(&s, csd, ks, ks_ok, &wi);
		if (!out->have)
			*out = wi;
		if (wi.in_smp || wi.owns) {
			*out = wi;
			return;
		}
	}
	/* None of the last few: the newest that was in smp.c's wait. */
	if (__atomic_load_n(&wc->hit_seq, __ATOMIC_ACQUIRE)) {
		struct ipt_waiter_sample s;
		struct waiter_info wi;
		uint64_t h = __atomic_load_n(&wc->hit_seq, __ATOMIC_ACQUIRE);

		memcpy(&s, (const void *)&wc->hit, sizeof(s));
		if (__atomic_load_n(&wc->hit_seq, __ATOMIC_ACQUIRE) != h)
			return;		/* being rewritten: the next read */
		judge(&s, csd, ks, ks_ok, &wi);
		if (wi.in_smp || wi.owns)
			*out = wi;
	}
}
