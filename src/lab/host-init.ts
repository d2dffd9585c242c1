// The script that becomes pid 1 of a host. It runs in the host's own mount, pid and UTS namespaces
// (and its network namespace), so every mount it makes lives and dies with the host: a killed host
// leaves no mount behind on the controller. It ends by exec'ing sshd, which stays pid 1 and reaps
// the daemons that services started through ssh leave behind.
import { sh } from '../shell/index.js'

export interface InitInput {
  hostname: string
  base: string
  upper: string
  work: string
  root: string
}

export function renderInitScript(i: InitInput): string {
  // The comment line holds the host name too: a name with a line break would end the comment.
  if (/[\n\r]/.test(i.hostname)) throw new Error(`host name with a line break: ${JSON.stringify(i.hostname)}`)
  return sh`#!/bin/sh
# pid 1 of lab host ${i.hostname}; written by rm-play lab on every start
set -e
R=${i.root}
mount -t overlay overlay -o ${`lowerdir=${i.base},upperdir=${i.upper},workdir=${i.work}`} "$R"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
# /proc/sys read-only but its net/ part (the host's own network namespace): vm.*, kernel.*, fs.* are
# the controller's, and a playbook's sysctl must not change them
mount --bind "$R/proc/sys" "$R/proc/sys"
mount --bind "$R/proc/sys/net" "$R/proc/sys/net"
mount -o remount,bind,ro,nosuid,nodev,noexec "$R/proc/sys"
# read-only: a host sees its own network devices here but must not change the controller's
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
# /dev is the image's (its nodes are the usual ones), with a pty instance of the host's own (ssh -t)
# and /dev/shm for PostgreSQL; few commands, since 50 hosts starting at once share 2 cores
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$R/dev/pts"
mount --bind "$R/dev/pts/ptmx" "$R/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
# /run starts empty on every start, as on a booted machine: no stale pid files
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
mkdir "$R/run/sshd"
mkdir -m 1777 "$R/run/lock"
printf '%s\\n' ${i.hostname} > /proc/sys/kernel/hostname
cd "$R"
exec chroot "$R" /usr/sbin/sshd -D -e
`.text
}
