#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# VM identity with real libvirt (issue 24): Debian's libvirtd in L1 runs a
# domain with the ivshmem BAR passed through (<hostdev> vfio-pci,
# managed='no'); the s2probe command finds the VM by the domain's name and
# UUID (from /run/libvirt/qemu) and names the vfio BAR in check.
# Needs the libvirt root (scripts/lab/run --libvirt, scripts/lab/libvirt-root).
. "$(dirname "$0")/lib/common.sh"

DOM=s2lab-guest
UUID=5215c0de-0000-4000-8000-000000000080
R=/tmp/lvroot
# the libvirt root: a disk labelled s2lv
lvdev=$(blkid -L s2lv 2>/dev/null) ||
	{ echo "t-80: skipped: no libvirt root (scripts/lab/run --libvirt)"; exit 0; }
# the lab's root has busybox's mount only
command -v mount >/dev/null || mount() { busybox mount "$@"; }
command -v umount >/dev/null || umount() { busybox umount "$@"; }
t_start=$(cut -d' ' -f1 /proc/uptime)

bdf=$(basename "$(ivshmem_dev)")
[ -n "$bdf" ] || { not_ok lv-ivshmem "no ivshmem device"; exit 0; }
rel=$(uname -r)
case "$rel" in
6.1.*) want=DEVICE_nGnRE; pol=device; uc=""; cst=9 ;;
6.12.*) want=NORMAL_NC; pol=any-uncached; uc=+uc; cst=0 ;;
*) want=NORMAL_NC; pol=cacheable-pfnmap; uc=+uc; cst=0 ;;
esac

# The chroot: the libvirt root (writes go to QEMU's snapshot in L0), with
# L1's /run (so libvirt's state is where the command looks by default,
# /run/libvirt/qemu), /proc, /sys, /dev (/dev/kvm, /dev/vfio) and /job (the
# L2 kernel and initramfs)
mkdir -p $R
mount "$lvdev" $R || { not_ok lv-root-mount "mount $lvdev failed"; exit 0; }
for m in proc sys dev run job; do
	mount --bind /$m $R/$m || { not_ok lv-root-mount "bind of /$m failed"; exit 0; }
done
mount -t tmpfs tmpfs $R/tmp
ok lv-root-mount
lv() {
	chroot $R /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C "$@"
}
cleanup() {
	if [ -S /run/libvirt/libvirt-sock ]; then
		lv virsh -c qemu:///system destroy $DOM >/dev/null 2>&1
		lv virsh -c qemu:///system undefine $DOM >/dev/null 2>&1
	fi
	[ -z "${lvpid:-}" ] || kill "$lvpid" 2>/dev/null
	sleep 1
	cp $R/var/log/libvirt/libvirtd.log $R/var/log/libvirt/qemu/$DOM.log \
		$R/tmp/$DOM.console $OUT/ 2>/dev/null
	for m in tmp job run dev sys proc ""; do
		umount $R/$m 2>/dev/null || umount -l $R/$m 2>/dev/null
	done
}
trap cleanup EXIT

# what libvirt's maintainer scripts would have set up (none ran: the root
# was unpacked with mmdebstrap --variant=extract), and a QEMU driver
# without what this root lacks: no cgroups mounted, no mount namespace or
# security driver, root's own QEMU, its output in a plain file (no virtlogd)
# (the QEMU driver resolves its built-in user and group, libvirt-qemu,
# before it reads qemu.conf: the postinst's adduser makes them)
for u in 'root:x:0:0:root:/root:/bin/bash' \
	'libvirt-qemu:x:64055:108:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin'; do
	grep -q "^${u%%:*}:" $R/etc/passwd 2>/dev/null || echo "$u" >>$R/etc/passwd
done
for g in root:x:0: kvm:x:104: libvirt:x:107: libvirt-qemu:x:108:; do
	grep -q "^${g%%:*}:" $R/etc/group 2>/dev/null || echo "$g" >>$R/etc/group
done
mkdir -p $R/root $R/var/lib/libvirt/images
cat >$R/etc/libvirt/qemu.conf <<'EOF'
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
stdio_handler = "file"
EOF
cat >$R/etc/libvirt/libvirtd.conf <<'EOF'
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF

# the BAR to vfio-pci, as the passthrough scenario does it (scripts/lab/vm/l2)
grp=$($LAB/bin/l2 --bind-only --vfio "$bdf" 2>&1)
expect_eq lv-vfio-bound "vfio-pci" "$(basename "$(readlink /sys/bus/pci/devices/$bdf/driver)")"
echo "vfio: $grp"

phase libvirtd
lv libvirtd --version
chroot $R /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
	libvirtd >/tmp/libvirtd.out 2>&1 &
lvpid=$!
n=0
while [ ! -S /run/libvirt/libvirt-sock ] && [ $n -lt 600 ] && kill -0 $lvpid 2>/dev/null; do
	sleep 0.1
	n=$((n + 1))
done
if [ -S /run/libvirt/libvirt-sock ]; then
	ok lv-libvirtd-started
else
	not_ok lv-libvirtd-started "no /run/libvirt/libvirt-sock: $(tail -n 3 /tmp/libvirtd.out | tr '\n' ' ')"
	exit 0
fi
V="virsh -c qemu:///system"

# the guest: the lab's L2 kernel and initramfs, and appended to the
# initramfs (the kernel unpacks one archive after the other) an /init of
# its own: no disks to wait for, it writes the BAR (s2wc --verify of one
# sequence: its WQE to the BAR's first page, read back), says so, holds
G=$R/var/lib/libvirt/images
mkdir -p /tmp/ginit
cp $BUILD/s2wc /tmp/ginit/s2wc
cat >/tmp/ginit/init <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() {
	echo "S2GUEST: $*" >/dev/console
}
bdf=""
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor)" = 0x1af4 ] && [ "$(cat $d/device)" = 0x1110 ] && bdf=${d##*/}
done
say "init at $(cut -d' ' -f1 /proc/uptime)s bar=$bdf"
echo 1 >/sys/bus/pci/devices/$bdf/enable
/s2wc --dev /sys/bus/pci/devices/$bdf --bar 2 --verify --only db-kernel >/tmp/s2wc.txt 2>&1
say "s2wc_rc=$? $(grep -c '=ok$' /tmp/s2wc.txt) ok"
say "s2wc done at $(cut -d' ' -f1 /proc/uptime)s"
say ready
sleep 900
poweroff -f
EOF
chmod +x /tmp/ginit/init /tmp/ginit/s2wc
cp $LAB/l2/initrd.gz $G/initrd
# the next archive's header on a 4-byte boundary (zeros between are skipped)
sz=$(stat -c %s $G/initrd)
truncate -s $(((sz + 511) / 512 * 512)) $G/initrd
(cd /tmp/ginit && find . | busybox cpio -o -H newc 2>/dev/null) >>$G/initrd

# the domain: the lab's L2 kernel, -M virt, KVM, the BAR as a
# managed='no' vfio hostdev, on the root bus as scripts/lab/vm/l2's QEMU has it
# (libvirt would add a PCIe root port and a PCIe-to-PCI bridge for it)
b=${bdf#*:}
cat >$R/tmp/$DOM.xml <<EOF
<domain type='kvm'>
  <name>$DOM</name>
  <uuid>$UUID</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='aarch64' machine='virt'>hvm</type>
    <kernel>/job/lab/l2/vmlinuz</kernel>
    <initrd>/var/lib/libvirt/images/initrd</initrd>
    <cmdline>console=ttyAMA0 loglevel=4 panic=-1</cmdline>
  </os>
  <features><gic version='3'/></features>
  <cpu mode='host-passthrough'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-aarch64</emulator>
    <hostdev mode='subsystem' type='pci' managed='no'>
      <source>
        <address domain='0x${bdf%%:*}' bus='0x${b%%:*}' slot='0x$(echo "$b" | cut -d: -f2 | cut -d. -f1)' function='0x${bdf##*.}'/>
      </source>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </hostdev>
    <serial type='file'>
      <source path='/tmp/$DOM.console'/>
      <target port='0'/>
    </serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF

# libvirt probes every QEMU binary it finds (about 17 s each under
# emulation): leave it the one the domain uses
rm -f $R/usr/bin/qemu-system-arm
phase define
if lv $V define /tmp/$DOM.xml >/tmp/lv-define.out 2>&1; then
	ok lv-define
else
	not_ok lv-define "$(tr '\n' ' ' </tmp/lv-define.out)"
	exit 0
fi
expect_eq lv-domuuid "$UUID" "$(lv $V domuuid $DOM 2>&1 | grep .)"
phase start
if lv $V start $DOM >/tmp/lv-start.out 2>&1; then
	ok lv-start
else
	not_ok lv-start "$(tr '\n' ' ' </tmp/lv-start.out)"
	exit 0
fi
expect_eq lv-domstate running "$(lv $V domstate $DOM 2>&1 | grep .)"
qpid=$(cat /run/libvirt/qemu/$DOM.pid 2>/dev/null)
echo "QEMU pid $qpid: $(tr '\0' ' ' </proc/$qpid/cmdline 2>/dev/null | cut -c1-400)"

phase guest
if wait_for $R/tmp/$DOM.console 'S2GUEST: ready' 600; then
	ok lv-guest-ready
	tr -d '\r' <$R/tmp/$DOM.console
else
	not_ok lv-guest-ready "no 'S2GUEST: ready' in 600 s: $(tail -n 3 $R/tmp/$DOM.console | tr '\n' ' ')"
	exit 0
fi

phase s2probe
load_s2probe
S=$LAB/bin/s2probe
$S vms >/tmp/lv-vms.txt 2>&1
cat /tmp/lv-vms.txt
line=$(awk -v p="$qpid" '$2 == p' /tmp/lv-vms.txt)
vm=${line%% *}
names="guest=$DOM uuid=$UUID domain=$DOM domain_uuid=$UUID"
expect_eq lv-vms-names "$names" "$(echo "$line" | cut -d' ' -f11-)"
$S show $DOM >/tmp/lv-show.txt 2>&1
bar=$(grep " pci=$bdf bar=2" /tmp/lv-show.txt)
echo "BAR ranges: $bar"
expect_eq lv-show-bar-type "$want" "$(echo "$bar" | awk '{ print $5 }' | sort -u | tr '\n' ' ' | sed 's/ $//')"
expect_eq lv-show-bar-backing "pfnmap pci=$bdf bar=2" \
	"$(echo "$bar" | sed 's/.* \(pfnmap pci=[^ ]* bar=[0-9]*\).*/\1/' | sort -u | tr '\n' ' ' | sed 's/ $//')"
case "$cst" in
0) v="  write-combining possible: Normal-NC at stage 2: a guest's write-combining mapping stays Normal-NC; whether writes combine only the device shows (mlx5's self-test, bench/)" ;;
*) v="  write-combining impossible: Device at stage 2: this kernel's KVM maps all device memory Device (Normal-NC for VMAs with VM_ALLOW_ANY_UNCACHED came with Linux 6.9)" ;;
esac
# (and the advice, after a Device verdict only)
a=""
[ "$cst" = 0 ] ||
	a="  tell the guest's drivers write-combining cannot work on this BAR: mlx5 BlueFlame off (rdma-core: MLX5_SHUT_UP_BF=1; DPDK mlx5: tx_db_nc=1)"
for who in $DOM $UUID; do
	st=0
	$S check "$who" >/tmp/lv-check.txt 2>&1 || st=$?
	echo "s2probe check $who (exit status $st):"
	cat /tmp/lv-check.txt
	cp /tmp/lv-check.txt "$OUT/lv-check-${who%%-*}.txt"
	k=check-by-${who%%-*}
	expect_eq "lv-$k-status" "$cst" "$st"
	expect_eq "lv-$k-bar" "$vm $names pci=$bdf bar=2 id=1af4:1110 driver=vfio-pci stage2=$want expected=$want vma=DEVICE_nGnRnE$uc policy=$pol" \
		"$(sed -n 1p /tmp/lv-check.txt | sed 's/ ipa=0x[^ ]* mapped=[^ ]*//')"
	expect_eq "lv-$k-verdict" "$v" "$(sed -n 2p /tmp/lv-check.txt)"
	expect_eq "lv-$k-advice" "$a" "$(sed -n 3p /tmp/lv-check.txt)"
done
cp /tmp/lv-vms.txt /tmp/lv-show.txt $OUT/ 2>/dev/null

phase destroy
lv $V destroy $DOM >/tmp/lv-destroy.out 2>&1 && ok lv-destroy ||
	not_ok lv-destroy "$(tr '\n' ' ' </tmp/lv-destroy.out)"
lv $V undefine $DOM >/tmp/lv-undefine.out 2>&1 && ok lv-undefine ||
	not_ok lv-undefine "$(tr '\n' ' ' </tmp/lv-undefine.out)"
# the guest wrote its BAR page and read it back (one sequence, two maps)
expect_eq lv-guest-bar-written "S2GUEST: s2wc_rc=0 2 ok" \
	"$(tr -d '\r' <$R/tmp/$DOM.console | grep -a '^S2GUEST: s2wc_rc=')"
# the domain gone, its name no longer resolves (exit 6: no such VM)
st=0
$S check $DOM >/dev/null 2>&1 || st=$?
expect_eq lv-gone-status 6 "$st"
unload_s2probe
dmesg_clean lv-dmesg-clean
echo "t-80 took $(awk -v a="$t_start" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", b - a }') s"
