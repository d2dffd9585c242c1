# The end state of system.yml: packages, groups, users, crontabs.
for p in tree cron nano; do printf '%s %s\n' "$p" "$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null)"; done
grep -E '^(mc|users)' /etc/group | LC_ALL=C sort
grep -E '^mc' /etc/passwd | LC_ALL=C sort
grep -E '^mc' /etc/shadow | cut -d: -f1,2 | LC_ALL=C sort
grep -E '^mc' /etc/gshadow | LC_ALL=C sort
ls -la /home | grep mc | awk '{print $1, $3, $4, $NF}'
for h in /home/mc* /srv/mcsvc-home; do if [ -e "$h" ]; then find "$h" -printf '%M %u %g %p\n' | LC_ALL=C sort; fi; done
for u in root mcuser; do echo "crontab $u"; crontab -u "$u" -l 2>/dev/null; done
ls -l /etc/cron.d | grep mc | awk '{print $1, $3, $NF}'
cat /etc/cron.d/mc-jobs 2>/dev/null
