# The end state of files.yml: every path under /srv/mc with its type, mode, owner, size and bytes.
cd /srv/mc 2>/dev/null || exit 0
find . | LC_ALL=C sort | while read -r p; do
  printf '%s %s\n' "$p" "$(stat -c '%F %a %U:%G %s %h' "$p")"
  if [ -L "$p" ]; then readlink "$p"; elif [ -f "$p" ]; then od -c "$p" | head -40; fi
done
