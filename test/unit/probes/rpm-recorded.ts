// What the dnf probe's script prints on a Rocky Linux 9 host (x86_64) with nginx installed and jq
// and tree not. NOT recorded on a host (no RPM host or mirror is reachable from this project's
// lab): written from the documented formats of `rpm -q --qf` (rpm(8): the query format's tags;
// "package NAME is not installed" for a missing one; %{EPOCH} prints "(none)" when a package has no
// epoch) and of dnf 4's `repoquery --qf` (dnf(8): one line per package, %{epoch} is 0 when unset),
// with versions as Rocky 9's repositories name them.
export const DNF_PROBE = {
  /** state present, names nginx jq tree: jq and tree are looked up (jq also as i686, multilib). */
  present: `@@arch
x86_64
@@rpm
nginx 1 1.20.1 14.el9_2.1 x86_64
package jq is not installed
package tree is not installed
@@available
jq 0 1.6 17.el9 i686 appstream
jq 0 1.6 17.el9 x86_64 appstream
tree 0 1.8.0 10.el9 x86_64 baseos
@@end
`,
  /** state latest, names nginx: the repositories have a newer nginx. */
  latest: `@@arch
x86_64
@@rpm
nginx 1 1.20.1 14.el9_2.1 x86_64
@@available
@@upgrades
nginx 1 1.20.1 16.el9_4.1 x86_64 appstream
@@end
`,
  /** names nginx jq tree, all installed (what the host holds after the present run). */
  allInstalled: `@@arch
x86_64
@@rpm
nginx 1 1.20.1 14.el9_2.1 x86_64
jq (none) 1.6 17.el9 x86_64
tree (none) 1.8.0 10.el9 x86_64
@@available
@@end
`,
  /** A name no enabled repository has. */
  unknown: `@@arch
x86_64
@@rpm
package rmp-no-such-package is not installed
@@available
@@end
`,
}
