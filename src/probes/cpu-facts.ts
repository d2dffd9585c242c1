// The processor facts as ansible-core's Linux hardware collector (get_cpu_facts) computes them from
// /proc/cpuinfo: processor_count is the number of sockets, processor_cores the cores per socket,
// processor_vcpus their product with the threads per core, processor_nproc the CPUs this process may
// run on. facts.ts's one awk reads /proc/cpuinfo with these rules (no program of its own) and prints
// the counts on one `cpu=` line; cpuFacts does the arithmetic, quirks included, as Ansible does.
import { code } from '../shell/index.js'

/**
 * Rules for the facts' awk (which also reads /proc/self/status: Cpus_allowed_list). As Ansible:
 * "physical id" and "core id" start out as a key no line can name (its integer 0), "cpu cores"
 * sets the current socket's cores and "siblings" the current core's. Only the first key of each
 * and how many there are matter, so awk tracks those, in c_ names (the facts' awk has names of its
 * own). Ansible adds a core id only when it is not also a socket's id; that changes no answer, as
 * such a key holds 1 either way. The awk's -v `cpuinfo` names the file, and `xen` is set on a Xen
 * guest (CPUINFO_SETUP).
 */
export const CPUINFO_RULES = code(`BEGIN { c_phys = c_core = SUBSEP }
FILENAME == cpuinfo {
  c_seen = 1; c_p = index($0, ":"); c_k = $0; c_v = ""; if (c_p) { c_k = substr($0, 1, c_p - 1); c_v = substr($0, c_p + 1) }
  gsub(/^[ \\t]+|[ \\t]+$/, "", c_k); gsub(/^[ \\t]+|[ \\t]+$/, "", c_v)
  if (xen && c_k == "flags" && index(c_v, "vme") == 0) c_xenpv = 1
  if (c_k == "model name" || c_k == "Processor" || c_k == "vendor_id" || c_k == "cpu" || c_k == "Vendor" || c_k == "processor") {
    c_i++; if (c_k == "vendor_id") c_vid++; if (c_k == "model name") c_mn++; if (c_k == "processor") c_po++
  } else if (c_k == "physical id") { c_phys = c_v; if (!(c_v in c_sock)) { if (!c_nsock++) c_sock0 = c_v; c_sock[c_v] = 1 } }
  else if (c_k == "core id") { c_core = c_v; if (!(c_v in c_cores) && !c_ncore++) c_core0 = c_v; c_cores[c_v] = 1 }
  else if (c_k == "cpu cores") { if (!(c_phys in c_sock) && !c_nsock++) c_sock0 = c_phys; c_sock[c_phys] = c_v + 0 }
  else if (c_k == "siblings") { if (!(c_core in c_cores) && !c_ncore++) c_core0 = c_core; c_cores[c_core] = c_v + 0 }
  else if (c_k == "# processors") { c_nps = 1; c_np = c_v + 0 }
  else if (c_k == "ncpus active") c_i = c_v + 0
  next
}
FILENAME == "/proc/self/status" && /^Cpus_allowed_list:/ { print "cpus_allowed="$2 }
END {
  if (c_seen) print "cpu=" c_i+0 "|" c_vid+0 "|" c_mn+0 "|" c_po+0 "|" c_nsock+0 "|" (c_nsock ? c_sock[c_sock0] : 0) "|" c_ncore+0 "|" (c_ncore ? c_cores[c_core0] : 0) "|" c_xenpv+0 "|" (c_nps ? c_np : "")
}`)

/** Sets `xen` and `cpuinfo` (the file, or /dev/null when it cannot be read) for the awk's -v. */
export const CPUINFO_SETUP =
  code(`xen=0; if [ -e /proc/xen ]; then xen=1; elif [ -r /sys/hypervisor/type ] && read -r t </sys/hypervisor/type && [ "$t" = xen ]; then xen=1; fi
cpuinfo=/proc/cpuinfo; [ -r "$cpuinfo" ] || cpuinfo=/dev/null`)

/** How many CPUs a list such as `0-3,8,10-11` names. */
function countCpus(list: string): number {
  return list
    .split(',')
    .filter((r) => r !== '')
    .reduce((n, r) => {
      const [a, b] = r.split('-').map(Number)
      return n + (b === undefined ? 1 : b - a! + 1)
    }, 0)
}

/** Ansible's processor_* facts from the awk's `cpu=` line; none when /proc/cpuinfo was not read. */
export function cpuFacts(line: string | undefined, allowed: string | undefined, arch: string): Record<string, number> {
  if (line === undefined) return {}
  const fields = line.split('|')
  const [entries, vendorIds, modelNames, processors, sockets, firstSocketCores, coreKeys, firstCoreSiblings, xenParavirt] = fields.map(Number) as number[]
  let i = entries!
  if (vendorIds! > 0 && vendorIds === modelNames) i = vendorIds!
  if (/^(armv|aarch|ppc)/.test(arch)) i = processors!
  // s390x: only its "# processors" line, as the cores; the other architectures overwrite that below.
  if (arch === 's390x') return fields[9] ? { processor_cores: Number(fields[9]) } : {}
  if (xenParavirt) return { processor_count: i, processor_cores: i, processor_threads_per_core: 1, processor_vcpus: i }
  const count = sockets! > 0 ? sockets! : i
  const cores = sockets! > 0 && firstSocketCores ? firstSocketCores : 1
  const threads = Math.floor((coreKeys! > 0 ? firstCoreSiblings! : 1) / cores)
  return {
    processor_count: count,
    processor_cores: cores,
    processor_threads_per_core: threads,
    processor_vcpus: threads * count * cores,
    processor_nproc: allowed ? countCpus(allowed) : processors!,
  }
}
