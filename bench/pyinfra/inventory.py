"""
pyinfra inventory of the benchmark: the hosts of an rm-play lab, read from the inventory that
`rm-play lab up` wrote (BENCH_LAB_INVENTORY, a hosts.yml), limited to BENCH_HOSTS (comma-separated
names, in that order). Same user, key and known_hosts as the other tools, host keys checked.
"""

import os
import shlex

import yaml

with open(os.environ["BENCH_LAB_INVENTORY"], encoding="utf-8") as f:
    _all = yaml.safe_load(f)["all"]

_vars = _all["vars"]
_hosts = {}
for _group in (_all.get("children") or {}).values():
    _hosts.update(_group.get("hosts") or {})

_opts = dict(
    a.split("=", 1) for a in shlex.split(_vars.get("ansible_ssh_common_args", "")) if "=" in a
)


def _data(name):
    return {
        "ssh_hostname": _hosts[name]["ansible_host"],
        "ssh_user": _vars["ansible_user"],
        "ssh_key": _vars["ansible_ssh_private_key_file"],
        "ssh_known_hosts_file": _opts["UserKnownHostsFile"],
        "ssh_strict_host_key_checking": _opts.get("StrictHostKeyChecking", "yes"),
    }


bench = [(n, _data(n)) for n in os.environ["BENCH_HOSTS"].split(",")]
