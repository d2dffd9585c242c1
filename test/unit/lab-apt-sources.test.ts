import { expect } from 'chai'
import { renderAcngConf } from '../../src/lab/apt-proxy.js'
import { debianMirrors, parseDeb822Sources, parseOneLineSources } from '../../src/lab/apt-sources.js'

const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main

Enabled: no
Types: deb
URIs: http://old.example/debian
Suites: bookworm
Components: main
`

describe('lab apt sources', () => {
  it('reads deb822 stanzas, skipping deb-src and disabled ones', () => {
    const s = parseDeb822Sources(DEB822)
    expect(s.map((x) => x.uri)).to.deep.equal(['http://deb.debian.org/debian', 'http://deb.debian.org/debian-security', 'https://deb.nodesource.com/node_20.x'])
    expect(s[0]!.suites).to.deep.equal(['bookworm', 'bookworm-updates'])
  })

  it('reads one-line sources with options and comments', () => {
    const s = parseOneLineSources(
      '# comment\ndeb [arch=amd64 signed-by=/k.gpg] https://mirror.example/debian bookworm main contrib\ndeb-src http://x/debian bookworm main\n',
    )
    expect(s).to.deep.equal([{ uri: 'https://mirror.example/debian', suites: ['bookworm'], components: ['main', 'contrib'] }])
  })

  it("turns the controller's Debian lines into the hosts' lines, over plain http", () => {
    const m = debianMirrors([...parseDeb822Sources(DEB822), ...parseOneLineSources('deb https://m.example/debian bookworm-backports main\n')], 'bookworm')!
    expect(m.main).to.equal('http://deb.debian.org/debian/')
    expect(m.security).to.equal('http://deb.debian.org/debian-security/')
    expect(m.hostLines).to.deep.equal([
      'deb http://deb.debian.org/debian/ bookworm main',
      'deb http://deb.debian.org/debian/ bookworm-updates main',
      'deb http://deb.debian.org/debian-security/ bookworm-security main',
      'deb http://m.example/debian/ bookworm-backports main',
    ])
  })

  it('has no mirror when the controller has no line for the release', () => {
    expect(debianMirrors(parseOneLineSources('deb http://deb.debian.org/debian trixie main\n'), 'bookworm')).to.equal(undefined)
  })

  it("points apt-cacher-ng's Debian and security remaps at the controller's mirrors", () => {
    const conf = renderAcngConf(debianMirrors(parseDeb822Sources(DEB822), 'bookworm')!)
    expect(conf).to.match(/^BindAddress: 10\.231\.0\.1$/m)
    expect(conf).to.match(/^Remap-debrep: .* deb\.debian\.org\/debian ; file:backends_debian$/m)
    expect(conf).to.match(/^Remap-secdeb: .* ; http:\/\/deb\.debian\.org\/debian-security\/$/m)
  })
})
