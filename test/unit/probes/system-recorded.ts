// Probe outputs recorded on lab hosts (Debian 12, dash, sysv-init, no systemd) by running the
// probes' scripts over SSH:
//   rmsys2: apt-get update; jq/libjq1 1.6-2.1+deb12u3 and cron, supervisor installed (no recommends);
//           supervisor programs rmp-worker (numprocs 2, running) and rmp-single (stopped);
//           group rmp-app (2345), system group rmp-extra (999), user rmp-user in both, with a
//           crontab (PATH + "rmp job") and /etc/cron.d/rmp-test.
//   rmsys3: a fresh host (package lists never updated, no cron, no supervisor).
// The systemd outputs are not from the lab (it has no systemd): they follow `systemctl show`'s
// Key=Value format on a Debian 12 systemd host and are marked as such.
import type { ProbeOutput } from '../../../src/modules/types.js'

const o = (stdout: string, code = 0): ProbeOutput => ({ stdout, code })

export const APT = {
  installed: o(
    '@@head\nnow=1795955384\ncache_time=1795955261\nlists=3\n@@dpkg\ncron\tamd64\tii \t3.0pl1-162\njq\tamd64\tii \t1.6-2.1+deb12u3\nlibjq1\tamd64\tii \t1.6-2.1+deb12u3\n@@policy\njq:\n  Installed: 1.6-2.1+deb12u3\n  Candidate: 1.6-2.1+deb12u3\n  Version table:\n *** 1.6-2.1+deb12u3 500\n        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages\n        100 /var/lib/dpkg/status\n     1.6-2.1+deb12u2 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\nlibjq1:\n  Installed: 1.6-2.1+deb12u3\n  Candidate: 1.6-2.1+deb12u3\n  Version table:\n *** 1.6-2.1+deb12u3 500\n        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages\n        100 /var/lib/dpkg/status\n     1.6-2.1+deb12u2 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\ntree:\n  Installed: (none)\n  Candidate: 2.1.0-1\n  Version table:\n     2.1.0-1 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\ncron:\n  Installed: 3.0pl1-162\n  Candidate: 3.0pl1-162\n  Version table:\n *** 3.0pl1-162 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n        100 /var/lib/dpkg/status\n@@autoremove\n@@upgrade\nInst perl-base [5.36.0-7+deb12u3] (5.36.0-7+deb12u4 Debian-Security:12/oldstable-security [amd64])\nInst libpam-modules-bin [1.5.2-6+deb12u2] (1.5.2-6+deb12u3 Debian-Security:12/oldstable-security [amd64]) [libpam-modules:amd64 on libpam-modules-bin:amd64] [libpam-modules:amd64 ]\nInst python3.11 [3.11.2-6+deb12u8] (3.11.2-6+deb12u9 Debian-Security:12/oldstable-security [amd64]) []\nInst ca-certificates [20230311+deb12u1] (20250419~deb12u2 Debian-Security:12/oldstable-security [all])\n@@end\n',
  ),
  deb: o('@@head\nnow=1795955387\ncache_time=1795955261\nlists=3\n@@dpkg\n@@policy\n@@deb\nPackage: tree\nVersion: 2.1.0-1\nArchitecture: amd64\n@@end\n'),
  debMissing: o('@@head\nnow=1795955388\ncache_time=1795955261\nlists=3\n@@dpkg\n@@policy\n@@deb\nmissing\n@@end\n'),
  /** rmsys3: lists never updated; dpkg remembers cron as "un" (not installed) from the base image. */
  fresh: o(
    '@@head\nnow=1795955402\ncache_time=0\nlists=0\n@@dpkg\ncron\t\tun \t\n@@policy\ncron:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n@@autoremove\n@@upgrade\n@@end\n',
  ),
}

export const SERVICE = {
  cronRunning: o('init=sysvinit\nexists=1\nstatus=0\nlink=/etc/rc2.d/S01cron\nlink=/etc/rc3.d/S01cron\nlink=/etc/rc4.d/S01cron\nlink=/etc/rc5.d/S01cron\n'),
  /** After `service cron stop; update-rc.d cron disable` (recorded the same way). */
  cronStoppedDisabled: o(
    'init=sysvinit\nexists=1\nstatus=3\nlink=/etc/rc2.d/K01cron\nlink=/etc/rc3.d/K01cron\nlink=/etc/rc4.d/K01cron\nlink=/etc/rc5.d/K01cron\n',
  ),
  missing: o('init=sysvinit\nexists=0\n'),
  withPattern: o(
    'init=sysvinit\nexists=1\nstatus=0\nlink=/etc/rc2.d/S01cron\nlink=/etc/rc3.d/S01cron\nlink=/etc/rc4.d/S01cron\nlink=/etc/rc5.d/S01cron\npattern=1\n',
  ),
  /** systemd format, not recorded in the lab. */
  systemdActive: o(
    'init=systemd\nId=nginx.service\nDescription=A high performance web server and a reverse proxy server\nLoadState=loaded\nActiveState=active\nSubState=running\nFragmentPath=/lib/systemd/system/nginx.service\nUnitFileState=enabled\nMainPID=812\nNeedDaemonReload=no\nis_enabled=enabled\n',
  ),
  systemdStopped: o(
    'init=systemd\nId=nginx.service\nDescription=A high performance web server and a reverse proxy server\nLoadState=loaded\nActiveState=inactive\nSubState=dead\nFragmentPath=/lib/systemd/system/nginx.service\nUnitFileState=disabled\nMainPID=0\nNeedDaemonReload=yes\nis_enabled=disabled\n',
  ),
  systemdMasked: o(
    'init=systemd\nId=nginx.service\nDescription=nginx.service\nLoadState=masked\nActiveState=inactive\nSubState=dead\nFragmentPath=\nUnitFileState=masked\nMainPID=0\nNeedDaemonReload=no\nis_enabled=masked\n',
  ),
  systemdStatic: o(
    'init=systemd\nId=systemd-journald.service\nDescription=Journal Service\nLoadState=loaded\nActiveState=active\nSubState=running\nFragmentPath=/lib/systemd/system/systemd-journald.service\nUnitFileState=static\nMainPID=200\nNeedDaemonReload=no\nis_enabled=static\n',
  ),
  systemdMissing: o(
    'init=systemd\nId=nosuch.service\nDescription=nosuch.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nFragmentPath=\nUnitFileState=\nMainPID=0\nNeedDaemonReload=no\nis_enabled=\n',
  ),
}

const WORKER_CONF_B64 =
  'OyB3cml0dGVuIGJ5IHJtLXBsYXkgKHN1cGVydmlzb3IgbW9kdWxlKTogY2hhbmdlcyBtYWRlIGhlcmUgYXJlIG92ZXJ3cml0dGVuCltwcm9ncmFtOnJtcC13b3JrZXJdCmNvbW1hbmQ9L2Jpbi9zbGVlcCAxMDAwCnByb2Nlc3NfbmFtZT0lKHByb2dyYW1fbmFtZSlzXyUocHJvY2Vzc19udW0pMDJkCm51bXByb2NzPTIKYXV0b3Jlc3RhcnQ9dHJ1ZQpzdGFydHNlY3M9MAplbnZpcm9ubWVudD1BUFBfRU5WPSJwcm8lJWQiLERCX1BBU1NXT1JEPSJzM2NyLGV0IixEQVRBQkFTRV9VUkw9InBvc3RncmVzcWw6Ly91OnB3QGxvY2FsaG9zdC9kYiIK'

export const SUPERVISOR = {
  running: o(
    `@@head\ninstalled=1\nstatus_rc=3\n@@status\nrmp-single                       STOPPED   Nov 29 12:28 PM\nrmp-worker:rmp-worker_00         RUNNING   pid 843, uptime 0:01:07\nrmp-worker:rmp-worker_01         RUNNING   pid 846, uptime 0:01:07\n@@end\n`,
  ),
  noFile: o(
    '@@head\ninstalled=1\nstatus_rc=3\n@@status\nrmp-single                       STOPPED   Nov 29 12:28 PM\nrmp-worker:rmp-worker_00         RUNNING   pid 843, uptime 0:01:08\nrmp-worker:rmp-worker_01         RUNNING   pid 846, uptime 0:01:08\n@@end\n',
  ),
  down: o(`@@head\ninstalled=1\nstatus_rc=4\n@@status\nunix:///var/run/supervisor.sock no such file\n@@end\n`),
  notInstalled: o('@@head\ninstalled=0\n@@end\n'),
}

/** The worker definition the recorded file holds. */
export const WORKER_CONF = Buffer.from(WORKER_CONF_B64, 'base64').toString('utf8')

export const ACCOUNTS = {
  user: o(
    '@@passwd\nrmp-user:x:2345:2345:RMP test:/home/rmp-user:/bin/bash\n@@shadow\n$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/\n@@member\nrmp-extra\n@@groups\nrmp-app:x:2345:\nrmp-extra:x:999:rmp-user\n-missing-\n-missing-\n@@primary\nrmp-app:x:2345:\n@@home\nyes\n@@end\n',
  ),
  userGroupQueries: ['rmp-app', 'rmp-extra', 'nosuchgroup', 'rmp-user'],
  noUser: o('@@passwd\n@@member\n@@groups\nusers:x:100:\n-missing-\n@@primary\n@@home\nno\n@@end\n'),
  noUserGroupQueries: ['users', 'nosuchuser'],
  group: o('rmp-app:x:2345:\n'),
  noGroup: o(''),
}

export const HASH = '$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/'

export const CRON = {
  user: o('crontab=1\nuser=1\nexists=1\n@@content\nUEFUSD0vdXNyL2JpbjovYmluCiNBbnNpYmxlOiBybXAgam9iCiovNSAqICogKiAqIC9iaW4vdHJ1ZSBybXAK\n'),
  none: o('crontab=1\nuser=1\nexists=0\n'),
  noUser: o('crontab=1\nuser=0\nexists=0\n'),
  file: o('crontab=1\ndir=1\nexists=1\n@@content\nI0Fuc2libGU6IHJtcCBkYWlseQpAZGFpbHkgcm1wLXVzZXIgL2Jpbi90cnVlIGRhaWx5Cg==\n'),
  /** rmsys3: no cron package. */
  notInstalled: o('crontab=0\nuser=0\nexists=0\n'),
  fileNotInstalled: o('crontab=0\ndir=1\nexists=0\n'),
}
