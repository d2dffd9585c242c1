// rm-play lab: throwaway Debian hosts on this machine (network namespace + overlay root + sshd).
export { labUp, type LabUpOptions, type LabInfo, type LabHostInfo } from './up.js'
export { labDown, type LabDownOptions } from './down.js'
export { labReset, findLabOfHost, type LabResetOptions } from './reset.js'
export { labStatus, listLabs, type LabStatus, type HostStatus, type HostRunState } from './status.js'
export { sshArgs } from './ssh.js'
export { findLeftovers, type Leftovers } from './leftovers.js'
export { readState, type LabState, type HostState } from './state.js'
export { STATE_ROOT, DEFAULT_LAB, labPaths } from './paths.js'
