# The end state of apps.yml: clones (HEAD, files), downloads, unpacked files, the virtualenv.
cd /srv/apps 2>/dev/null || exit 0
for d in clone tagged shallow; do printf '%s %s %s\n' "$d" "$(git -C "$d" rev-parse HEAD 2>/dev/null | cut -c1-0)$(git -C "$d" log --format=%s -1 2>/dev/null)" "$(git -C "$d" rev-parse --is-bare-repository 2>/dev/null)"; done
cat clone/f tagged/f shallow/f 2>&1
git -C shallow rev-list --count HEAD
ls -d noclone 2>&1
find . -path ./src -prune -o -path ./venv -prune -o -path '*/.git' -prune -o -print | LC_ALL=C sort | while read -r p; do
  printf '%s %s\n' "$p" "$(stat -c '%F %a %U:%G' "$p")"
done
cat debian_version pkg/a.txt remote/pkg/a.txt
ls remote/pkg
ls venv/bin/python 2>&1
