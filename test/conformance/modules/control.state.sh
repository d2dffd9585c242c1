# The end state of control.yml: the files the commands left.
cd /srv/ctl 2>/dev/null || exit 0
for f in $(ls -A | LC_ALL=C sort); do printf '%s: %s\n' "$f" "$(cat "$f")"; done
