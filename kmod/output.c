// SPDX-License-Identifier: GPL-2.0
/*
 * output.c: /sys/kernel/debug/iommutrace/, one root-only (0400) text file per table, in the
 * versioned format of docs/KMOD.md: version, hooks, counters, devices, domains, faults. Per-CPU
 * statistics are summed at read time; the hot path never waits for a reader.
 */
#include "iommutrace_kmod.h"

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

static struct dentry *dir;

/* Names never contain blanks in the output: the format is whitespace-separated. */
static void put_name(struct seq_file *m, const char *s)
{
	if (!s || !*s) {
		seq_puts(m, " -");
		return;
	}
	seq_putc(m, ' ');
	for (; *s; s++)
		seq_putc(m, *s == ' ' || *s == '\t' || *s == '\n' ? '_' : *s);
}

static void sum_u64(u64 *dst, size_t off, size_t n)
{
	int cpu;
	size_t i;

	memset(dst, 0, n * sizeof(u64));
	for_each_possible_cpu(cpu)
	{
		const u64 *src = (const u64 *)((const char *)per_cpu_ptr(itk_pcpu, cpu) + off);

		for (i = 0; i < n; i++)
			dst[i] += READ_ONCE(src[i]);
	}
}

static int version_show(struct seq_file *m, void *v)
{
	seq_printf(m, "iommutrace-kmod format %d\n", IT_KMOD_FORMAT);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(version);

static int hooks_show(struct seq_file *m, void *v)
{
	u64 hits[ITK_H_NR];
	struct it_kmod_fault_view fv;
	int h;

	sum_u64(hits, offsetof(struct it_kmod_pcpu, hits), ITK_H_NR);
	seq_printf(m, "# iommutrace-kmod hooks format %d: hook NAME SYMBOL|- HITS MISSED\n",
		   IT_KMOD_FORMAT);
	for (h = 0; h < ITK_H_NR; h++) {
		seq_printf(m, "hook %s", itk_hooks[h].name);
		put_name(m, itk_hooks[h].symbol);
		seq_printf(m, " %llu %lu\n", hits[h], itk_hook_missed(h));
	}
	itk_faults_copy(NULL, &fv);
	seq_printf(m, "fault_decode %s", fv.decode_on ? "on" : "off");
	put_name(m, fv.decode_on ? NULL : fv.decode_note);
	seq_putc(m, '\n');
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hooks);

static const char *const counter_names[ITK_C_NR] = {
    [ITK_C_DEV_OVERFLOW] = "device_overflow",
    [ITK_C_DOM_OVERFLOW] = "domain_overflow",
    [ITK_C_FAULT_IRQ] = "fault_irqs",
    [ITK_C_FAULT_RECORDS] = "fault_records",
    [ITK_C_FAULT_UNREAD] = "fault_unread",
    [ITK_C_FAULT_HW_OVERFLOW] = "fault_hw_overflow",
    [ITK_C_FAULT_REGS_TRUNC] = "fault_regs_truncated",
};

static int counters_show(struct seq_file *m, void *v)
{
	u64 c[ITK_C_NR];
	int i;

	sum_u64(c, offsetof(struct it_kmod_pcpu, counters), ITK_C_NR);
	seq_printf(m, "# iommutrace-kmod counters format %d: counter NAME VALUE\n", IT_KMOD_FORMAT);
	for (i = 0; i < ITK_C_NR; i++)
		seq_printf(m, "counter %s %llu\n", counter_names[i], c[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counters);

#define DEV_FIELDS (sizeof(struct it_kmod_dev_stats) / sizeof(u64))
#define DOM_FIELDS (sizeof(struct it_kmod_dom_stats) / sizeof(u64))

static int devices_show(struct seq_file *m, void *v)
{
	u64 st[DEV_FIELDS];
	size_t k;
	int i;

	seq_printf(m,
		   "# iommutrace-kmod devices format %d: dev SLOT NAME DRIVER map map_bytes unmap "
		   "unmap_bytes map_sg map_sg_nents map_sg_bytes unmap_sg unmap_sg_nents\n",
		   IT_KMOD_FORMAT);
	for (i = 0; i < IT_KMOD_DEVS; i++) {
		if (i && !smp_load_acquire(&itk_devs[i].ready))
			continue;
		sum_u64(st, offsetof(struct it_kmod_pcpu, dev[i]), DEV_FIELDS);
		seq_printf(m, "dev %d", i);
		put_name(m, i ? itk_devs[i].name : NULL);
		put_name(m, i ? itk_devs[i].driver : NULL);
		for (k = 0; k < DEV_FIELDS; k++)
			seq_printf(m, " %llu", st[k]);
		seq_putc(m, '\n');
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(devices);

static int domains_show(struct seq_file *m, void *v)
{
	u64 st[DOM_FIELDS];
	size_t k;
	int i;

	seq_printf(m,
		   "# iommutrace-kmod domains format %d: dom SLOT DEVSLOT|- allocs alloc_fail "
		   "alloc_pages cache_misses flush_retries frees free_pages\n",
		   IT_KMOD_FORMAT);
	for (i = 0; i < IT_KMOD_DOMS; i++) {
		int dev = READ_ONCE(itk_doms[i].dev);

		if (i && !READ_ONCE(itk_doms[i].iovad))
			continue;
		sum_u64(st, offsetof(struct it_kmod_pcpu, dom[i]), DOM_FIELDS);
		seq_printf(m, "dom %d", i);
		if (i && dev > 0)
			seq_printf(m, " %d", dev);
		else
			seq_puts(m, " -");
		for (k = 0; k < DOM_FIELDS; k++)
			seq_printf(m, " %llu", st[k]);
		seq_putc(m, '\n');
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(domains);

static int faults_show(struct seq_file *m, void *v)
{
	struct it_kmod_fault *recs = kmalloc_array(IT_KMOD_RING, sizeof(*recs), GFP_KERNEL);
	struct it_kmod_fault_view fv;
	unsigned int n, i;

	if (!recs)
		return -ENOMEM;
	n = itk_faults_copy(recs, &fv);
	seq_printf(m,
		   "# iommutrace-kmod faults format %d: fault SEQ TS_NS SID ADDR read|write "
		   "REASON PASID|- FSTS\n",
		   IT_KMOD_FORMAT);
	seq_printf(m, "decode %s", fv.decode_on ? "on" : "off");
	put_name(m, fv.decode_on ? NULL : fv.decode_note);
	seq_printf(m, "\nseq %llu\nring %d\n", fv.seq, IT_KMOD_RING);
	for (i = 0; i < fv.nsids; i++)
		seq_printf(m, "source %04x %llu\n", fv.sids[i], fv.sid_count[i]);
	seq_printf(m, "source other %llu\n", fv.sid_count[IT_KMOD_SIDS]);
	for (i = 0; i < n; i++) {
		const struct it_kmod_fault *f = &recs[i];

		seq_printf(m, "fault %llu %llu %04x 0x%llx %s 0x%02x", f->seq, f->ts_ns, f->sid,
			   f->addr, f->write ? "write" : "read", f->reason);
		if (f->pasid == 0xffffffffu)
			seq_puts(m, " -");
		else
			seq_printf(m, " %u", f->pasid);
		seq_printf(m, " 0x%x\n", f->fsts);
	}
	kfree(recs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(faults);

int itk_debugfs_init(void)
{
	dir = debugfs_create_dir("iommutrace", NULL);
	if (IS_ERR(dir)) {
		pr_err("iommutrace: cannot create debugfs directory (is debugfs enabled?)\n");
		return PTR_ERR(dir);
	}
	debugfs_create_file("version", 0400, dir, NULL, &version_fops);
	debugfs_create_file("hooks", 0400, dir, NULL, &hooks_fops);
	debugfs_create_file("counters", 0400, dir, NULL, &counters_fops);
	debugfs_create_file("devices", 0400, dir, NULL, &devices_fops);
	debugfs_create_file("domains", 0400, dir, NULL, &domains_fops);
	debugfs_create_file("faults", 0400, dir, NULL, &faults_fops);
	return 0;
}

void itk_debugfs_exit(void)
{
	/* Waits for readers inside a show function (debugfs file removal is synchronous). */
	debugfs_remove_recursive(dir);
	dir = NULL;
}
