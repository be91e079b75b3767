#!/usr/bin/env bash
# Starts and stops the servers the scale-out tests use: clickhouse-server and nats-server (JetStream), as plain
# background processes on 127.0.0.1 with all data in a temp folder. No systemd, no system-wide state.
#
#   eval "$(bash .ci/services.sh start)"   # prints export lines for CANDOR_TEST_CLICKHOUSE_URL / _NATS_URL
#   bash .ci/services.sh stop
#
# Ports can be set with CANDOR_CI_CLICKHOUSE_HTTP_PORT, CANDOR_CI_CLICKHOUSE_TCP_PORT and CANDOR_CI_NATS_PORT.
set -euo pipefail

STATE="${CANDOR_CI_SERVICES_STATE:-${TMPDIR:-/tmp}/candor-ci-services.state}"
CH_HTTP_PORT="${CANDOR_CI_CLICKHOUSE_HTTP_PORT:-18123}"
CH_TCP_PORT="${CANDOR_CI_CLICKHOUSE_TCP_PORT:-19000}"
NATS_PORT="${CANDOR_CI_NATS_PORT:-14222}"

log() { echo "services: $*" >&2; }

find_binary() {
  local name="$1" dir
  for dir in ${PATH//:/ } /usr/sbin /usr/local/sbin /sbin; do
    if [ -x "$dir/$name" ]; then echo "$dir/$name"; return 0; fi
  done
  return 1
}

# True when something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp, so no curl or nc needed).
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

clickhouse_ready() {
  local reply
  reply="$( (exec 3<>"/dev/tcp/127.0.0.1/$CH_HTTP_PORT" && printf 'GET /ping HTTP/1.0\r\n\r\n' >&3 && cat <&3) 2>/dev/null || true)"
  [[ "$reply" == *"Ok."* ]]
}

wait_until() {
  local what="$1" check="$2" tries=300
  while ! "$check"; do
    tries=$((tries - 1))
    if [ "$tries" -le 0 ]; then log "$what did not come up within 60 s"; return 1; fi
    sleep 0.2
  done
  log "$what is up"
}

start() {
  if [ -f "$STATE" ]; then
    log "already started (state in $STATE); run stop first"
    return 1
  fi
  local clickhouse nats dir
  clickhouse="$(find_binary clickhouse-server)" || { log "clickhouse-server not installed (apt-get install -y clickhouse-server)"; return 1; }
  nats="$(find_binary nats-server)" || { log "nats-server not installed (apt-get install -y nats-server)"; return 1; }
  for port in "$CH_HTTP_PORT" "$CH_TCP_PORT" "$NATS_PORT"; do
    if port_open "$port"; then log "port $port on 127.0.0.1 is already in use"; return 1; fi
  done

  dir="$(mktemp -d "${TMPDIR:-/tmp}/candor-ci-services.XXXXXX")"
  mkdir -p "$dir/clickhouse/"{log,data,tmp,user_files,format_schemas} "$dir/nats"
  cat >"$dir/clickhouse/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>$dir/clickhouse/log/clickhouse-server.log</log>
    <errorlog>$dir/clickhouse/log/clickhouse-server.err.log</errorlog>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$CH_HTTP_PORT</http_port>
  <tcp_port>$CH_TCP_PORT</tcp_port>
  <path>$dir/clickhouse/data/</path>
  <tmp_path>$dir/clickhouse/tmp/</tmp_path>
  <user_files_path>$dir/clickhouse/user_files/</user_files_path>
  <format_schema_path>$dir/clickhouse/format_schemas/</format_schema_path>
  <users_config>$dir/clickhouse/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
XML
  cat >"$dir/clickhouse/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML

  (cd "$dir/clickhouse" && exec setsid "$clickhouse" --config-file="$dir/clickhouse/config.xml" \
    >"$dir/clickhouse/log/stdout.log" 2>&1 </dev/null) &
  local clickhouse_pid=$!
  (exec setsid "$nats" -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$dir/nats" >"$dir/nats/nats.log" 2>&1 </dev/null) &
  local nats_pid=$!
  printf 'DIR=%q\nCLICKHOUSE_PID=%s\nNATS_PID=%s\n' "$dir" "$clickhouse_pid" "$nats_pid" >"$STATE"

  nats_ready() { port_open "$NATS_PORT"; }
  if ! wait_until "clickhouse-server on 127.0.0.1:$CH_HTTP_PORT" clickhouse_ready \
    || ! wait_until "nats-server on 127.0.0.1:$NATS_PORT" nats_ready; then
    tail -n 20 "$dir/clickhouse/log/"*.log "$dir/nats/nats.log" >&2 2>/dev/null || true
    stop
    return 1
  fi
  echo "export CANDOR_TEST_CLICKHOUSE_URL=http://127.0.0.1:$CH_HTTP_PORT"
  echo "export CANDOR_TEST_NATS_URL=nats://127.0.0.1:$NATS_PORT"
}

stop_pid() {
  local name="$1" pid="$2" tries=100
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    tries=$((tries - 1))
    if [ "$tries" -le 0 ]; then log "$name did not stop in 20 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; break; fi
    sleep 0.2
  done
  log "$name stopped"
}

stop() {
  if [ ! -f "$STATE" ]; then log "nothing to stop"; return 0; fi
  local DIR="" CLICKHOUSE_PID="" NATS_PID=""
  # shellcheck disable=SC1090
  . "$STATE"
  stop_pid clickhouse-server "$CLICKHOUSE_PID"
  stop_pid nats-server "$NATS_PID"
  [ -n "$DIR" ] && rm -rf "$DIR"
  rm -f "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
