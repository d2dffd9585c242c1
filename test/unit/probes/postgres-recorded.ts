// Outputs of the postgres probes, recorded on a lab host (Debian bookworm, PostgreSQL 15): roles
// (SCRAM and md5 passwords, as superuser and not), databases, ACLs, and the usual failures.
import type { ProbeOutput } from '../../../src/modules/types.js'

export const PG: Record<string, ProbeOutput> = {
  roleWithPassword: {
    code: 0,
    stdout:
      '{"superuser" : true, "role" : {"name" : "rmpg_rec", "superuser" : false, "inherit" : true, "createrole" : false, "createdb" : true, "login" : true, "replication" : false, "bypassrls" : false, "conn_limit" : 5, "valid_until" : "2030-01-01 00:00:00+00", "expires_same" : true, "comment" : "recorded role", "password" : "SCRAM-SHA-256$4096:LUkB7eVHHQF7ZksxYGLcjQ==$+HrciVWTAkaGx5CMBl287tnuyo3wVzkCTA/HMeNY8yU=:Zg+1By50qvefR/26oTOmmAdQjcwGcDrNczXMnLySGng=", "password_readable" : true}}\n',
  },
  roleMd5: {
    code: 0,
    stdout:
      '{"superuser" : true, "role" : {"name" : "rmpg_md5", "superuser" : false, "inherit" : true, "createrole" : false, "createdb" : false, "login" : true, "replication" : false, "bypassrls" : false, "conn_limit" : -1, "valid_until" : null, "expires_same" : null, "comment" : null, "password" : "md595a1d6a5a0b5d7eb0e53e32e715824af", "password_readable" : true}}\n',
  },
  roleNoLogin: {
    code: 0,
    stdout:
      '{"superuser" : true, "role" : {"name" : "rmpg_nopw", "superuser" : false, "inherit" : true, "createrole" : false, "createdb" : false, "login" : false, "replication" : false, "bypassrls" : false, "conn_limit" : -1, "valid_until" : null, "expires_same" : null, "comment" : null, "password" : null, "password_readable" : true}}\n',
  },
  roleAbsent: { code: 0, stdout: '{"superuser" : true, "role" : null}\n' },
  roleAsNonSuperuser: {
    code: 0,
    stdout:
      '{"superuser" : false, "role" : {"name" : "rmpg_rec", "superuser" : false, "inherit" : true, "createrole" : false, "createdb" : true, "login" : true, "replication" : false, "bypassrls" : false, "conn_limit" : 5, "valid_until" : "2030-01-01 00:00:00+00", "expires_same" : null, "comment" : "recorded role", "password" : null, "password_readable" : false}}\n',
  },
  roleWrongPassword: {
    code: 2,
    stdout:
      '\n@@RMP_PSQL_ERROR@@\npsql: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "rmpg_rec"\nconnection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "rmpg_rec"\n',
  },
  roleNoDatabase: {
    code: 2,
    stdout:
      '\n@@RMP_PSQL_ERROR@@\npsql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database "rmpg_nodb" does not exist\n',
  },
  roleNoPsql: { code: 127, stdout: '\n@@RMP_PSQL_ERROR@@\nenv: ‘psql’: No such file or directory\n' },
  dbPresent: {
    code: 0,
    stdout:
      '{"db" : {"name" : "rmpg_pdb", "owner" : "postgres", "encoding" : "UTF8", "lc_collate" : "C.UTF-8", "lc_ctype" : "C.UTF-8", "conn_limit" : -1, "tablespace" : "pg_default"}, "target" : false, "roles" : ["rmpg_app"]}\n',
  },
  dbAbsent: { code: 0, stdout: '{"db" : null, "target" : true, "roles" : []}\n' },
  privsDatabase: {
    code: 0,
    stdout:
      '{"serverVersion" : 150020, "roles" : ["rmpg_app", "rmpg_reader"], "objects" : [{"name" : "rmpg_pdb", "ident" : null, "acl" : [["PUBLIC", "TEMPORARY", false], ["PUBLIC", "CONNECT", false], ["postgres", "CREATE", false], ["postgres", "TEMPORARY", false], ["postgres", "CONNECT", false], ["rmpg_app", "CREATE", false], ["rmpg_app", "TEMPORARY", false], ["rmpg_app", "CONNECT", false]]}]}\n',
  },
  privsTablesAll: {
    code: 0,
    stdout:
      '{"serverVersion" : 150020, "roles" : ["rmpg_reader"], "objects" : [{"name" : "qt", "ident" : null, "acl" : [["postgres", "INSERT", false], ["postgres", "SELECT", false], ["postgres", "UPDATE", false], ["postgres", "DELETE", false], ["postgres", "TRUNCATE", false], ["postgres", "REFERENCES", false], ["postgres", "TRIGGER", false]]}, {"name" : "t1", "ident" : null, "acl" : [["postgres", "INSERT", false], ["postgres", "SELECT", false], ["postgres", "UPDATE", false], ["postgres", "DELETE", false], ["postgres", "TRUNCATE", false], ["postgres", "REFERENCES", false], ["postgres", "TRIGGER", false], ["rmpg_reader", "SELECT", false]]}, {"name" : "t2", "ident" : null, "acl" : [["postgres", "INSERT", false], ["postgres", "SELECT", false], ["postgres", "UPDATE", false], ["postgres", "DELETE", false], ["postgres", "TRUNCATE", false], ["postgres", "REFERENCES", false], ["postgres", "TRIGGER", false], ["rmpg_reader", "SELECT", false]]}]}\n',
  },
  privsTablesSome: {
    code: 0,
    stdout:
      '{"serverVersion" : 150020, "roles" : ["rmpg_reader"], "objects" : [{"name" : "t1", "ident" : null, "acl" : [["postgres", "INSERT", false], ["postgres", "SELECT", false], ["postgres", "UPDATE", false], ["postgres", "DELETE", false], ["postgres", "TRUNCATE", false], ["postgres", "REFERENCES", false], ["postgres", "TRIGGER", false], ["rmpg_reader", "SELECT", false]]}]}\n',
  },
  privsSequence: {
    code: 0,
    stdout:
      '{"serverVersion" : 150020, "roles" : ["rmpg_app"], "objects" : [{"name" : "t1_id_seq", "ident" : null, "acl" : [["postgres", "SELECT", false], ["postgres", "UPDATE", false], ["postgres", "USAGE", false], ["rmpg_app", "USAGE", true]]}]}\n',
  },
  privsFunction: {
    code: 0,
    stdout:
      '{"serverVersion" : 150020, "roles" : [], "objects" : [{"name" : "add1(int,int)", "ident" : "public.add1(a integer, b integer)", "acl" : [["postgres", "EXECUTE", false]]}]}\n',
  },
  privsSchema: {
    code: 0,
    stdout:
      '{"serverVersion" : 150020, "roles" : ["rmpg_app", "rmpg_reader"], "objects" : [{"name" : "public", "ident" : null, "acl" : [["pg_database_owner", "USAGE", false], ["pg_database_owner", "CREATE", false], ["PUBLIC", "USAGE", false]]}, {"name" : "s1", "ident" : null, "acl" : [["postgres", "USAGE", false], ["postgres", "CREATE", false], ["rmpg_app", "USAGE", false], ["rmpg_reader", "USAGE", false]]}]}\n',
  },
  privsGroup: {
    code: 0,
    stdout:
      '{"serverVersion" : 150020, "roles" : ["rmpg_reader"], "objects" : [{"name" : "rmpg_app", "ident" : null, "acl" : [["rmpg_reader", "MEMBER", false]]}]}\n',
  },
  roleServerStopped: {
    code: 2,
    stdout:
      '\n@@RMP_PSQL_ERROR@@\npsql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: No such file or directory\n\tIs the server running locally and accepting connections on that socket?\n',
  },
}
