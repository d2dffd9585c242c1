// The script that becomes pid 1 of a host. It runs in the host's own mount, pid and UTS namespaces
// (and its network namespace), so every mount it makes lives and dies with the host: a killed host
// leaves no mount behind on the controller. It ends by exec'ing sshd, which stays pid 1 and reaps
// the daemons that services started through ssh leave behind.

export interface InitInput {
  hostname: string
  base: string
  upper: string
  work: string
  root: string
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

export function renderInitScript(i: InitInput): string {
  return `#!/bin/sh
# pid 1 of lab host ${i.hostname}; written by rm-play lab on every start
set -e
R=${q(i.root)}
mount -t overlay overlay -o ${q(`lowerdir=${i.base},upperdir=${i.upper},workdir=${i.work}`)} "$R"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
# read-only: a host sees its own network devices here but must not change the controller's
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
# a /dev of its own: the usual nodes, its own pty instance (ssh -t), /dev/shm for PostgreSQL
mount -t tmpfs -o mode=755,nosuid,size=1m tmpfs "$R/dev"
mknod -m 666 "$R/dev/null" c 1 3
mknod -m 666 "$R/dev/zero" c 1 5
mknod -m 666 "$R/dev/full" c 1 7
mknod -m 666 "$R/dev/random" c 1 8
mknod -m 666 "$R/dev/urandom" c 1 9
mknod -m 666 "$R/dev/tty" c 5 0
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
mkdir "$R/dev/pts" "$R/dev/shm" "$R/dev/mqueue"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
mount -t mqueue -o nosuid,nodev,noexec mqueue "$R/dev/mqueue" 2>/dev/null || true
# /run starts empty on every start, as on a booted machine: no stale pid files
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
mkdir -p "$R/run/sshd" "$R/run/lock"
chmod 1777 "$R/run/lock"
echo ${q(i.hostname)} > /proc/sys/kernel/hostname
cd "$R"
exec chroot "$R" /usr/sbin/sshd -D -e
`
}
