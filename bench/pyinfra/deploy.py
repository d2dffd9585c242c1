"""
The benchmark deploy for pyinfra 3: bench/playbook.yml task for task, in pyinfra's own idiom.
The bench checks that the two agree: rm-play after this deploy changes nothing, and this deploy
after rm-play's playbook changes nothing.

How each kind of task maps:
  gather_facts        -> the facts pyinfra reads on demand (hostname, distribution, arch, kernel);
                         rm-play reads ~20 facts in one round trip, pyinfra one command per fact
  file (directory)    -> files.directory
  copy (content)      -> files.put from a StringIO (pyinfra compares checksums and mode)
  lineinfile (regexp) -> files.line: `line` is the regexp, `replace` the wanted line
  command + creates   -> run_unless_exists below: the File fact, then the command if needed
  stat                -> stat below: the File fact
  apt present         -> apt.packages (reads dpkg's list, installs nothing here)
  set_fact / debug    -> report below (Python)
  read-only shell     -> read_only below: the Command fact (server.shell always counts as a change)
The small operations below read their facts when they run, as Ansible's tasks do: a fact read in
the deploy file itself is read before any operation runs, when /opt/bench may not exist yet.
"""

from io import StringIO

from pyinfra import host
from pyinfra.api import operation
from pyinfra.facts.files import File
from pyinfra.facts.server import Arch, Command, Hostname, Kernel, LinuxDistribution
from pyinfra.operations import apt, files

BENCH_VALUE = 42
registered = {}  # (host, name) -> what a stat read, like Ansible's `register`


@operation()
def run_unless_exists(command, creates):
    if host.get_fact(File, path=creates) is None:
        yield command


@operation()
def stat(path, register):
    registered[(host.name, register)] = host.get_fact(File, path=path)
    return
    yield


@operation()
def read_only(command):
    host.get_fact(Command, command=command)
    return
    yield


@operation()
def report():
    size = lambda r: (registered.get((host.name, r)) or {}).get("size", 0)
    host.noop(f"sum {size('st1') + size('st2')}")
    return
    yield


for fact in (Hostname, LinuxDistribution, Arch, Kernel):
    host.get_fact(fact)

files.directory(name="base directory", path="/opt/bench", mode="755")

for i in range(1, 11):
    files.put(
        name=f"config file {i}",
        src=StringIO(f"setting_{i} = {BENCH_VALUE}\n"),
        dest=f"/opt/bench/conf{i}.ini",
        mode="644",
    )

for i in range(1, 6):
    files.line(
        name=f"line {i}",
        path="/opt/bench/lines.conf",
        line=f"^key{i} ",
        replace=f"key{i} = value{i}",
    )

for i in range(1, 6):
    run_unless_exists(
        name=f"one-off command {i}",
        command=f"touch /opt/bench/done{i}",
        creates=f"/opt/bench/done{i}",
    )

for i in range(1, 4):
    stat(name=f"stat {i}", path=f"/opt/bench/conf{i}.ini", register=f"st{i}")

apt.packages(name="a package that is there", packages=["procps"])

for i in range(1, 4):
    read_only(name=f"read-only check {i}", command="test -d /opt/bench && echo ok")

report(name="report")
