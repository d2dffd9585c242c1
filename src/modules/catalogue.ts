// Every module rm-play ships, one import per file. Add a module here to make it usable.
import { assert } from './assert.js'
import { apt } from './apt.js'
import { cron } from './cron.js'
import { dnf } from './dnf.js'
import { group } from './group.js'
import { service } from './service.js'
import { supervisor } from './supervisor.js'
import { systemd } from './systemd.js'
import { user } from './user.js'
import { blockinfile } from './blockinfile.js'
import { copy } from './copy.js'
import { file } from './file.js'
import { lineinfile } from './lineinfile.js'
import { stat } from './stat.js'
import { template } from './template.js'
import { command } from './command.js'
import { debug } from './debug.js'
import { fail } from './fail.js'
import { git } from './git.js'
import { getUrl } from './get-url.js'
import { includeVars } from './include-vars.js'
import { meta } from './meta.js'
import { pkg } from './package.js'
import { pause } from './pause.js'
import { ping } from './ping.js'
import { pip } from './pip.js'
import { setFact } from './set-fact.js'
import { shell } from './shell.js'
import type { Module } from './types.js'
import { unarchive } from './unarchive.js'
import { uri } from './uri.js'
import { waitFor } from './wait-for.js'
import { postgresDb } from './postgres-db.js'
import { postgresPrivs } from './postgres-privs.js'
import { postgresQuery } from './postgres-query.js'
import { postgresUser } from './postgres-user.js'
import { ufw } from './ufw.js'
import { aptRepository } from './apt-repository.js'
import { aptKey } from './apt-key.js'
import { iniFile } from './ini-file.js'
import { sysctl } from './sysctl.js'
import { tempfile } from './tempfile.js'
import { localeGen } from './locale-gen.js'
import { setup } from './setup.js'

export const catalogue = [
  assert,
  apt,
  cron,
  dnf,
  group,
  service,
  supervisor,
  systemd,
  user,
  blockinfile,
  copy,
  file,
  lineinfile,
  stat,
  template,
  command,
  debug,
  fail,
  git,
  getUrl,
  includeVars,
  meta,
  pkg,
  pause,
  ping,
  pip,
  setFact,
  shell,
  unarchive,
  uri,
  waitFor,
  postgresDb,
  postgresPrivs,
  postgresQuery,
  postgresUser,
  ufw,
  aptRepository,
  aptKey,
  iniFile,
  sysctl,
  tempfile,
  localeGen,
  setup,
] as Module[]
