// SPDX-License-Identifier: GPL-2.0
/*
 * s2map - a lab-only test module: maps a PCI BAR's pages into user space
 * with each page protection and VMA flag a VMM can hand KVM, so that a
 * test VMM can make a memslot of each and s2probe show what stage-2 type
 * KVM chose (tests/lab/t-28-policy.sh, Documentation/abi.rst "policy").
 *
 * One misc device per mapping kind, /dev/s2map-<kind>; mmap() of it maps
 * the BAR (module parameters bdf=, bar=) from the mmap offset on, as a
 * VM_PFNMAP | VM_IO mapping (io_remap_pfn_range()), with:
 *   dev         pgprot_device()         Device-nGnRE (a sysfs resource file)
 *   nocache     pgprot_noncached()      Device-nGnRnE
 *   nocache-uc  pgprot_noncached() and VM_ALLOW_ANY_UNCACHED (vfio-pci)
 *   wc          pgprot_writecombine()   Normal-NC (a sysfs resource_wc file)
 *   wc-uc       pgprot_writecombine() and VM_ALLOW_ANY_UNCACHED
 *   cached      the VMA's own, cacheable (Normal-WB): device memory passed
 *               through as cacheable (nvgrace-gpu's device memory)
 * VM_ALLOW_ANY_UNCACHED exists from Linux 6.9 on; before, the -uc kinds
 * map as their plain ones.
 *
 * It claims nothing and checks nothing of the device: load it only in the
 * lab, on a BAR whose pages are plain memory (QEMU's ivshmem).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>

static char *bdf = "";
module_param(bdf, charp, 0444);
MODULE_PARM_DESC(bdf, "the PCI device, DDDD:BB:DD.F");
static int bar = 2;
module_param(bar, int, 0444);
MODULE_PARM_DESC(bar, "its memory BAR");

enum s2map_kind { K_DEV, K_NOCACHE, K_NOCACHE_UC, K_WC, K_WC_UC, K_CACHED, NR_KINDS };

static const char * const s2map_names[NR_KINDS] = {
	[K_DEV] = "s2map-dev", [K_NOCACHE] = "s2map-nocache",
	[K_NOCACHE_UC] = "s2map-nocache-uc", [K_WC] = "s2map-wc",
	[K_WC_UC] = "s2map-wc-uc", [K_CACHED] = "s2map-cached",
};

static struct miscdevice s2map_devs[NR_KINDS];
static resource_size_t s2map_start, s2map_len;

static pgprot_t s2map_prot(enum s2map_kind k, pgprot_t prot)
{
	switch (k) {
	case K_DEV:
		return pgprot_device(prot);
	case K_NOCACHE:
	case K_NOCACHE_UC:
		return pgprot_noncached(prot);
	case K_WC:
	case K_WC_UC:
		return pgprot_writecombine(prot);
	default:
		return prot;
	}
}

static void s2map_allow_uc(struct vm_area_struct *vma)
{
#ifdef VM_ALLOW_ANY_UNCACHED
	vm_flags_set(vma, VM_ALLOW_ANY_UNCACHED);
#endif
}

static int s2map_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct miscdevice *md = file->private_data;
	enum s2map_kind k = md - s2map_devs;
	unsigned long size = vma->vm_end - vma->vm_start;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;

	if (off >= s2map_len || size > s2map_len - off)
		return -EINVAL;
	vma->vm_page_prot = s2map_prot(k, vma->vm_page_prot);
	if (k == K_NOCACHE_UC || k == K_WC_UC)
		s2map_allow_uc(vma);
	return io_remap_pfn_range(vma, vma->vm_start, PHYS_PFN(s2map_start + off), size,
				  vma->vm_page_prot);
}

static const struct file_operations s2map_fops = {
	.owner = THIS_MODULE,
	.mmap = s2map_mmap,
};

static int s2map_find_bar(void)
{
	unsigned int dom, bus, dev, fn;
	struct pci_dev *pdev;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4 || bar < 0 ||
	    bar >= PCI_STD_NUM_BARS) {
		pr_err("bdf=%s bar=%d: give bdf=DDDD:BB:DD.F and a BAR 0-5\n", bdf, bar);
		return -EINVAL;
	}
	pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(dev, fn));
	if (!pdev) {
		pr_err("no PCI device %s\n", bdf);
		return -ENODEV;
	}
	if (pci_resource_flags(pdev, bar) & IORESOURCE_MEM) {
		s2map_start = pci_resource_start(pdev, bar);
		s2map_len = pci_resource_len(pdev, bar);
	}
	pci_dev_put(pdev);
	if (!s2map_len || !PAGE_ALIGNED(s2map_start) || s2map_len < PAGE_SIZE) {
		pr_err("%s BAR %d is not a page-aligned memory BAR\n", bdf, bar);
		return -EINVAL;
	}
	return 0;
}

static int __init s2map_init(void)
{
	int i, ret;

	ret = s2map_find_bar();
	if (ret)
		return ret;
	for (i = 0; i < NR_KINDS; i++) {
		s2map_devs[i].minor = MISC_DYNAMIC_MINOR;
		s2map_devs[i].name = s2map_names[i];
		s2map_devs[i].fops = &s2map_fops;
		s2map_devs[i].mode = 0600;
		ret = misc_register(&s2map_devs[i]);
		if (ret) {
			while (i--)
				misc_deregister(&s2map_devs[i]);
			return ret;
		}
	}
	pr_info("%s BAR %d (%pa, %pa bytes) at /dev/s2map-*\n", bdf, bar, &s2map_start,
		&s2map_len);
	return 0;
}

static void __exit s2map_exit(void)
{
	int i;

	for (i = 0; i < NR_KINDS; i++)
		misc_deregister(&s2map_devs[i]);
}

module_init(s2map_init);
module_exit(s2map_exit);
MODULE_DESCRIPTION("s2probe lab: a PCI BAR mapped with each page protection");
MODULE_LICENSE("GPL");
