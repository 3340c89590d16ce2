#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# VM discovery: a VM created by a non-leader thread with its own file table
# is listed under KVM's own name (<tid>-<fd>); a VM destroyed and created
# again with the same fd number is listed again under the same name, its
# directory works, and nothing warns.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/layout.sh"

phase t22-start
t0=$(cut -d' ' -f1 /proc/uptime)
load_s2probe
dmesg_before=$(dmesg | wc -l)

SLOTS=("1:anon4k:0x40000000:2M" "2:thp:0x40200000:4M")
TOUCHES=("0x40000000:write:2" "0x40100000:read" "0x40400000:write")
args=()
for s in "${SLOTS[@]}"; do args+=(--slot "$s"); done
for t in "${TOUCHES[@]}"; do args+=(--touch "$t"); done

# --- a VM whose fd lives only in a non-leader thread's file table ---
if start_vmm discovery-vm-in-thread "${args[@]}" --vm-in-thread; then
	tid=$(sed -n 's/^S2VMM vmthread tid=\([0-9]*\)$/\1/p' $VMM_OUT)
	name=$tid-$fd
	echo "vm-in-thread: pid $pid tid $tid vmfd $fd; KVM's name: $(ls /sys/kernel/debug/kvm/ | grep "^$tid-" | tr '\n' ' ')"
	check discovery-kvm-names-it-tid-fd test -d /sys/kernel/debug/kvm/$name
	line=$(awk -v n="$name" '$1 == n' $DBG/vms)
	echo "vms: $line"
	expect_eq discovery-vm-in-thread-listed "$name $fd" "$(echo "$line" | awk '{ print $1, $3 }')"
	if [ -d $DBG/$name ]; then
		cat $DBG/$name/pages >/tmp/thread.pages
		expect_eq discovery-vm-in-thread-pages "$(model_pages)" "$(got_pages /tmp/thread.pages)"
	else
		not_ok discovery-vm-in-thread-pages "no directory $DBG/$name"
	fi
	stop_vmm
fi
phase vm-in-thread-done

# recreate_vm: SIGUSR1 makes s2vmm close its VM and create another on the
# same fd; wait (30 s at most) until it says ready a second time.
recreate_vm() {
	local n=0
	kill -USR1 $vmm
	while [ $n -lt 300 ] && [ "$(grep -c '^S2VMM ready' $VMM_OUT)" -lt 2 ]; do
		sleep 0.1
		n=$((n + 1))
	done
}

# --- destroyed and created again under the same name ---
if start_vmm discovery-recreate "${args[@]}" --recreate-on-signal; then
	name=$pid-$fd
	cat $DBG/$name/pages >/dev/null
	recreate_vm
	expect_eq discovery-recreate-same-fd "S2VMM recreated pid=$pid vmfd=$fd" \
		"$(grep '^S2VMM recreated' $VMM_OUT)"
	line=$(awk -v n="$name" '$1 == n' $DBG/vms)
	echo "vms after recreate: $line"
	expect_eq discovery-recreate-listed "$name" "$(echo "$line" | awk '{ print $1 }')"
	if cat $DBG/$name/pages >/tmp/recreate.pages 2>/tmp/recreate.err; then
		expect_eq discovery-recreate-pages "$(model_pages)" "$(got_pages /tmp/recreate.pages)"
	else
		not_ok discovery-recreate-pages "$(cat /tmp/recreate.err)"
	fi
	stop_vmm
fi
new=$(dmesg | tail -n +$((dmesg_before + 1)))
bad=$(echo "$new" | grep -iE "EEXIST|already exists|parent 's2probe' already present|error -17|s2probe.*(fail|cannot)|WARNING" | head -n 3)
expect_eq discovery-recreate-no-warning "" "$bad"
phase recreate-done

# --- the same, while a reader holds a file of the old VM open: the old VM
# (a reference held) outlives its fd, so the new one is a different VM ---
dmesg_before=$(dmesg | wc -l)
if start_vmm discovery-recreate-held "${args[@]}" --recreate-on-signal; then
	name=$pid-$fd
	exec 7<$DBG/$name/ranges
	recreate_vm
	line=$(awk -v n="$name" '$1 == n' $DBG/vms)
	echo "vms after recreate, old VM held: $line"
	expect_eq discovery-recreate-held-listed "$name" "$(echo "$line" | awk '{ print $1 }')"
	if cat $DBG/$name/pages >/tmp/recreate.pages 2>/tmp/recreate.err; then
		expect_eq discovery-recreate-held-pages "$(model_pages)" "$(got_pages /tmp/recreate.pages)"
	else
		not_ok discovery-recreate-held-pages "$(cat /tmp/recreate.err)"
	fi
	exec 7<&-
	stop_vmm
fi
# s2probe's own directory must not collide (KVM's may: the old VM is alive)
bad=$(dmesg | tail -n +$((dmesg_before + 1)) |
	grep -iE "parent 's2probe' already present|s2probe.*(EEXIST|error -17|fail|cannot)" | head -n 3)
expect_eq discovery-recreate-held-no-eexist "" "$bad"
dmesg | tail -n +$((dmesg_before + 1)) | grep -i 'already present' | sed 's/^/note: /'
phase recreate-held-done

unload_s2probe
dmesg_clean discovery-dmesg-clean
echo "t22_seconds=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { print b - a }')"
