// The spellings of yes and no (Ansible's boolean()): one list for argument specs, keywords, the
// bool filter and the configuration file. A leaf, so that modules/ and playbook/ share it.

export const TRUE: ReadonlySet<string> = new Set(['yes', 'on', '1', 'true', 'y', 't'])
export const FALSE: ReadonlySet<string> = new Set(['no', 'off', '0', 'false', 'n', 'f'])
