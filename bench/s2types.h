/* SPDX-License-Identifier: GPL-2.0 */
/*
 * s2types.h - the kernel's names for fixed-width integers, for the bench's
 * headers that user-space programs share with s2bench.ko (s2wr.h) or with
 * the unit tests (s2stat.h).
 */
#ifndef S2TYPES_H
#define S2TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
/* as the kernel has them (u64: unsigned long long); s2probe.h repeats them */
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
#endif

#endif /* S2TYPES_H */
