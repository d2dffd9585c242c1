# The end state of services.yml: units, supervisor programs, ufw rules, PostgreSQL roles and grants.
for u in cron mc-demo supervisor postgresql; do printf '%s %s %s\n' "$u" "$(systemctl is-enabled $u 2>/dev/null)" "$(systemctl is-active $u 2>/dev/null)"; done
supervisorctl status mc 2>&1 | awk '{print $1, $2}'
cat /etc/supervisor/conf.d/mc.conf
grep -E '^(### tuple|DEFAULT_INPUT)' /etc/ufw/user.rules /etc/default/ufw
cd / && runuser -u postgres -- psql -X -A -t -c "SELECT rolname, rolcreatedb, rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname LIKE 'mc%' ORDER BY 1" \
  -c "SELECT datname, pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datacl FROM pg_database WHERE datname LIKE 'mc%'" 2>&1
runuser -u postgres -- psql -X -A -t -d mc_db -c "SELECT relname, relacl FROM pg_class WHERE relname = 't'" 2>&1
runuser -u postgres -- psql -X -A -t -d mc_db -c "SELECT x, count(*) FROM t GROUP BY x ORDER BY x" 2>&1
