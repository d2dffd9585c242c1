import { execFileSync } from 'node:child_process'
import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { renderInitScript } from '../../src/lab/host-init.js'
import { launchScript } from '../../src/lab/host-process.js'
import { renderInventory } from '../../src/lab/inventory.js'
import { renderKnownHosts } from '../../src/lab/keys.js'
import { hostNetworkScript } from '../../src/lab/network.js'
import { loadInventory } from '../../src/playbook/inventory.js'
import { VarScope } from '../../src/playbook/vars.js'
import { parseKnownHosts, hostMatches } from '../../src/connection/known-hosts.js'

const INV = {
  lab: 'lab',
  bridgeAddress: '10.231.7.1',
  keyPath: '/var/lib/rm-play/lab/lab/id_ed25519',
  knownHostsPath: '/var/lib/rm-play/lab/lab/known_hosts',
  hosts: [
    { name: 'lab1', address: '10.231.7.11' },
    { name: 'lab2', address: '10.231.7.12' },
  ],
}

describe('lab renderings', () => {
  it("writes an inventory the project's own loader reads: group runmaster, key, known_hosts", () => {
    const text = renderInventory(INV)
    expect(text.split('\n')[0]).to.match(/^# written by 'rm-play lab up' for lab 'lab'/)
    const dir = mkdtempSync(join(tmpdir(), 'rmp-labinv-'))
    const file = join(dir, 'hosts.yml')
    writeFileSync(file, text)
    const inv = loadInventory([file])
    const v = new VarScope(inv.varLayers('lab2')).toObject() as Record<string, unknown>
    expect(v.ansible_host).to.equal('10.231.7.12')
    expect(v.ansible_user).to.equal('root')
    expect(v.ansible_ssh_private_key_file).to.equal(INV.keyPath)
    expect(v.ansible_ssh_common_args).to.equal(`-o UserKnownHostsFile=${INV.knownHostsPath} -o StrictHostKeyChecking=yes`)
    expect(v.lab_git_url).to.equal('git://10.231.7.1/')
    expect(v.rm_play_lab).to.equal('lab')
    rmSync(dir, { recursive: true, force: true })
  })

  it("names the lab's ACME server and the CA files to trust for it, when the lab has one", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-labinv-'))
    const file = join(dir, 'hosts.yml')
    const ca = ['/var/lib/rm-play/lab/lab/acme/listener-ca.pem', '/var/lib/rm-play/lab/lab/acme/issuer-root.pem']
    writeFileSync(file, renderInventory({ ...INV, acmeDirectory: 'https://10.231.7.1:14000/dir', acmeCaFiles: ca }))
    const v = new VarScope(loadInventory([file]).varLayers('lab1')).toObject() as Record<string, unknown>
    expect(v.lab_acme_directory).to.equal('https://10.231.7.1:14000/dir')
    expect(v.lab_acme_ca_files).to.deep.equal(ca)
    expect(renderInventory(INV)).to.not.include('lab_acme')
    rmSync(dir, { recursive: true, force: true })
  })

  it("names the lab's package index when it serves one", () => {
    expect(renderInventory({ ...INV, pipIndexUrl: 'http://10.231.7.1:3141/simple/' })).to.include('lab_pip_index_url: http://10.231.7.1:3141/simple/\n')
    expect(renderInventory(INV)).to.not.include('lab_pip_index_url')
    // whether the index is whole decides the prodlab's pip path (inventory/prodlab zz-lab.yml)
    expect(renderInventory({ ...INV, pipIndexUrl: 'http://10.231.7.1:3141/simple/' })).to.include('lab_pip_index_complete: false\n')
    expect(renderInventory({ ...INV, pipIndexUrl: 'http://10.231.7.1:3141/simple/', pipIndexComplete: true })).to.include('lab_pip_index_complete: true\n')
  })

  it('lists each host in known_hosts under its name and its address', () => {
    const text = renderKnownHosts([
      { name: 'lab1', address: '10.231.7.11', publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOzeM1oZVTGFNjlEZVcWvPNz6bksBIyrfQKva6f7VcEA root@lab1' },
    ])
    expect(text).to.equal('lab1,10.231.7.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOzeM1oZVTGFNjlEZVcWvPNz6bksBIyrfQKva6f7VcEA\n')
    const [e] = parseKnownHosts(text)
    expect(hostMatches(e!.hosts, '10.231.7.11')).to.equal(true)
    expect(hostMatches(e!.hosts, 'lab1')).to.equal(true)
  })

  it("mounts everything inside the host's own namespaces and ends as sshd", () => {
    const s = renderInitScript({ hostname: 'lab1', base: '/b', upper: "/s/it's/upper", work: '/s/w', root: '/s/root' })
    expect(s).to.include(`-o 'lowerdir=/b,upperdir=/s/it'\\''s/upper,workdir=/s/w' "$R"`)
    expect(s).to.include('mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"')
    expect(s).to.include('newinstance')
    expect(s).to.include('mount --bind "$R/dev/pts/ptmx" "$R/dev/ptmx"')
    expect(s.trim().split('\n').pop()).to.equal('exec chroot "$R" /usr/sbin/sshd -D -e')
  })

  it('wires all hosts in one root-namespace ip batch plus one per host inside', () => {
    // The batches travel as data: run the script with an `ip` that prints its arguments and its input.
    const script = hostNetworkScript([{ netns: 'rmp-lab-h1', veth: 'rmp-lab-1', address: '10.231.7.11' }], 'rmp-lab', '10.231.7.1').text
    const s = execFileSync('/bin/sh', ['-c', `ip() { echo "ip $*"; cat; }\n${script.replaceAll('/proc/sys', '/nonexistent')}`], { encoding: 'utf8' })
    expect(s).to.include('ip -batch -\nnetns add rmp-lab-h1\n')
    expect(s).to.include('ip -n rmp-lab-h1 -batch -\nlink set lo up\n')
    expect(s).to.include('link add rmp-lab-1 type veth peer name eth0 address 02:52:0a:e7:07:0b netns rmp-lab-h1')
    expect(s).to.include('link set rmp-lab-1 master rmp-lab up')
    expect(s).to.include('route add default via 10.231.7.1')
    expect(hostNetworkScript([], 'b', 'g').text).to.equal('')
  })

  it('launches each host detached, with a clean environment, and echoes its pid', () => {
    const s = launchScript([{ name: 'lab1', netns: 'rmp-lab-h1', initScript: '/s/init.sh', log: '/s/sshd.log' }])
    expect(s).to.match(
      /^env -i PATH=\S+ LANG=C\.UTF-8 setsid ip netns exec rmp-lab-h1 unshare --mount --uts --ipc --pid --fork --propagation private \/bin\/sh -- \/s\/init\.sh >\/s\/sshd\.log 2>&1 <\/dev\/null & echo lab1 \$!$/,
    )
  })
})
