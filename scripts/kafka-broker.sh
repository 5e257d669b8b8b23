#!/usr/bin/env bash
# Single-node Apache Kafka broker (KRaft, combined broker+controller) for tests and
# local development, run straight from Maven Central jars (no Docker, no tarball).
#
#   scripts/kafka-broker.sh start [--dir DIR] [--sasl]
#       Start a fresh broker on two free loopback ports (four with --sasl). DIR (default: mktemp -d)
#       must be missing or empty. On success prints exactly one line to stdout:
#         KAFKA_BROKERS=127.0.0.1:<port> KAFKA_DIR=<dir>
#       so callers can `eval "$(scripts/kafka-broker.sh start)"`. Progress goes to stderr.
#       --sasl also opens two SCRAM listeners (SCRAM-SHA-512 and SCRAM-SHA-256) on two
#       more free loopback ports, one SASL_PLAINTEXT and one SASL_SSL (a self-signed
#       certificate for 127.0.0.1 made with keytool; its PEM is DIR/tls/ca.pem), and
#       appends them to the line:
#         ... KAFKA_SASL_BROKERS=127.0.0.1:<port> KAFKA_SASL_SSL_BROKERS=127.0.0.1:<port>
#       The one SCRAM user, created when the storage is formatted, is "coffeebuddy" with
#       password "coffeebuddy-local-password" (SASL_USER / SASL_PASSWORD below). The
#       PLAINTEXT listener stays as it is, without authentication.
#   scripts/kafka-broker.sh stop --dir DIR [--keep]
#       TERM the broker (KILL after 20 s) and remove DIR unless --keep.
#   scripts/kafka-broker.sh restart-same --dir DIR
#       Stop the broker, keep its data, start it again on the same ports.
#       Prints the same one line as start.
#   scripts/kafka-broker.sh fetch
#       Only fetch the jars into the cache (CI warm-up).
#
# Environment:
#   KAFKA_JAR_CACHE      jar cache dir (default: $HOME/.cache/coffeebuddy/kafka-jars)
#   KAFKA_START_TIMEOUT  seconds to wait for the broker to be ready (default: 90)
#   KAFKA_JAVA           java binary (default: java)
#   KAFKA_HEAP           max heap (default: 512m)
#   KAFKA_CDS            0 = never dump a class-data (AppCDS) archive (default: 1)
#
# Files in DIR: server.properties, log4j.properties, broker.log, broker.pid, logs/ (data),
# and with --sasl tls/ (broker.p12 keystore, ca.pem).
# The cache also holds an AppCDS archive (kafka-*.jsa, ~45 MB) made by the first broker.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
POM="$REPO_ROOT/scripts/kafka/pom.xml"
CACHE="${KAFKA_JAR_CACHE:-$HOME/.cache/coffeebuddy/kafka-jars}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
JAVA="${KAFKA_JAVA:-java}"
HEAP="${KAFKA_HEAP:-512m}"
STOP_TIMEOUT=20
# First line of every server.properties this script writes; `stop` only deletes
# directories that carry it.
MARKER="# written by scripts/kafka-broker.sh"
READY_MSG="Kafka Server started"
# The SCRAM user of --sasl brokers (test and local credentials, not a secret).
SASL_USER=coffeebuddy
SASL_PASSWORD=coffeebuddy-local-password
# Password of the --sasl broker's PKCS12 keystore (local, self-signed).
KEYSTORE_PASSWORD=coffeebuddy-local-keystore

usage() {
  cat >&2 <<'EOF'
usage: kafka-broker.sh start [--dir DIR] [--sasl]
       kafka-broker.sh stop --dir DIR [--keep]
       kafka-broker.sh restart-same --dir DIR
       kafka-broker.sh fetch

start         start a fresh single-node KRaft broker on free loopback ports; prints
              "KAFKA_BROKERS=127.0.0.1:<port> KAFKA_DIR=<dir>" on stdout; --sasl adds
              SCRAM listeners, printed as KAFKA_SASL_BROKERS= and KAFKA_SASL_SSL_BROKERS=
stop          stop the broker in DIR and delete DIR (keep it with --keep)
restart-same  stop the broker in DIR and start it again on the same ports and data
fetch         only download the jars into the cache (KAFKA_JAR_CACHE, default
              ~/.cache/coffeebuddy/kafka-jars); start and restart-same do it too
EOF
}

log() { printf 'kafka-broker: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

now_ms() {
  local t; t="$(date +%s%3N 2>/dev/null || true)"
  if [[ "$t" =~ ^[0-9]+$ ]]; then echo "$t"; else node -e 'process.stdout.write(String(Date.now()))'; fi
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# --- jars ---------------------------------------------------------------------------

jars_cached() {
  [[ -f "$CACHE/.fetched" && "$(cat "$CACHE/.fetched")" == "$(sha256 "$POM")" ]]
}

fetch_jars() {
  jars_cached && return 0
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to fetch the Kafka jars)"
  mkdir -p "$CACHE"
  local t0; t0=$(now_ms)
  (
    # Serialise concurrent first runs that share the cache.
    if command -v flock >/dev/null 2>&1; then flock 9; fi
    if jars_cached; then exit 0; fi
    log "fetching Kafka jars into $CACHE"
    rm -f "$CACHE"/*.jar "$CACHE"/*.jsa "$CACHE/.fetched"
    mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
      -DoutputDirectory="$CACHE" >&2 || die "mvn dependency:copy-dependencies failed"
    sha256 "$POM" >"$CACHE/.fetched"
    log "fetched jars in $(( $(now_ms) - t0 )) ms"
  ) 9>"$CACHE/.lock"
}

# --- helpers ------------------------------------------------------------------------

# Prints "<port> ... <cluster id>": COUNT distinct free loopback ports (all bound at
# once, then released) and a Kafka Uuid (16 random bytes, base64url without padding,
# not starting with '-', as kafka.tools.StorageTool random-uuid makes it, without
# starting a JVM for it).
pick_ports_and_id() {
  # shellcheck disable=SC2016  # JavaScript template literal, not shell
  node -e '
    const net = require("net"), crypto = require("crypto");
    const listen = () => new Promise((ok, ko) => {
      const s = net.createServer(); s.once("error", ko);
      s.listen(0, "127.0.0.1", () => ok(s));
    });
    (async () => {
      const servers = [];
      for (let i = 0; i < Number(process.argv[1]); i++) servers.push(await listen());
      let id; do { id = crypto.randomBytes(16).toString("base64url"); } while (id.startsWith("-"));
      process.stdout.write(`${servers.map((s) => s.address().port).join(" ")} ${id}\n`);
      for (const s of servers) s.close();
    })().catch((e) => { console.error(e); process.exit(1); });
  ' "$1"
}

# AppCDS archive of the classes a broker loads; it cuts JVM start-up by a third to a
# half (~1.8 s -> ~1.1 s to ready here). Keyed by the pom and the java binary, since an
# archive only fits the jars and the JVM that made it. The first broker started
# without one dumps it at exit (-XX:ArchiveClassesAtExit, ~2 s extra once, at stop),
# and `stop` / `restart-same` move it into the cache.
cds_archive() {
  local java_path key
  java_path="$(command -v "$JAVA" || echo "$JAVA")"
  java_path="$(readlink -f "$java_path" 2>/dev/null || echo "$java_path")"
  key="$(cut -c1-12 "$CACHE/.fetched" 2>/dev/null)-$(printf '%s' "$java_path" | cksum | cut -d' ' -f1)"
  echo "$CACHE/kafka-$key.jsa"
}

# JVM flags, one a line. MODE is "broker" (may dump a CDS archive) or "tool".
java_opts() {
  local dir="$1" mode="$2" jsa
  printf '%s\n' \
    "-Xmx$HEAP" -Xms64m -Xss512k \
    -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -Djava.awt.headless=true \
    "-Dlog4j.configuration=file:$dir/log4j.properties" \
    "-Dkafka.logs.dir=$dir"
  jsa="$(cds_archive)"
  if [[ -f "$jsa" ]]; then
    printf '%s\n' "-XX:SharedArchiveFile=$jsa"
  elif [[ "$mode" == broker && "${KAFKA_CDS:-1}" == 1 ]]; then
    printf '%s\n' "-XX:ArchiveClassesAtExit=$dir/cds.jsa" '-Xlog:cds*=off'
    printf '%s\n' "$jsa" >"$dir/cds.target"
  fi
}

# After a clean exit, move the broker's freshly dumped CDS archive into the cache.
adopt_cds_archive() {
  local dir="$1" target tmp
  [[ -f "$dir/cds.target" ]] || return 0
  target="$(cat "$dir/cds.target")"
  rm -f "$dir/cds.target"
  if [[ -s "$dir/cds.jsa" && ! -e "$target" && -d "$(dirname "$target")" ]]; then
    tmp="$target.tmp.$$"
    if cp "$dir/cds.jsa" "$tmp" 2>/dev/null && mv -f "$tmp" "$target"; then
      log "saved class-data archive $target"
    else
      rm -f "$tmp"
    fi
  fi
  rm -f "$dir/cds.jsa"
}

# Is PID running? A zombie counts as gone: once `start` has exited, the broker is
# reparented to init, which may take a second or more to reap it after it exits.
pid_alive() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state="$(ps -o stat= -p "$1" 2>/dev/null || true)"
  [[ -n "$state" && "$state" != Z* ]]
}

# Is PID a live broker JVM started from DIR?
is_our_broker() {
  local pid="$1" dir="$2" args
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  args="$(ps -p "$pid" -o args= 2>/dev/null || true)"
  [[ "$args" == *kafka.Kafka* && "$args" == *"$dir/server.properties"* ]]
}

# Port of LISTENER (default PLAINTEXT) in DIR's server.properties; empty if it has none.
broker_port_of() {
  local listener="${2:-PLAINTEXT}"
  sed -n 's|^advertised.listeners=.*|&,|p' "$1/server.properties" |
    sed -n "s|.*[=,]$listener://127.0.0.1:\([0-9]*\),.*|\1|p"
}

tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

check_dir_name() {
  # Keep the printed line safe to eval and to split on spaces.
  [[ "$1" =~ ^[A-Za-z0-9_./+@:,-]+$ ]] || die "unsupported characters in dir path: $1"
}

abs_dir() { mkdir -p "$1" && (cd "$1" && pwd -P); }

# write_configs DIR PORT CPORT [SASL_PORT SASL_SSL_PORT]
write_configs() {
  local dir="$1" port="$2" cport="$3" sport="${4:-}" tport="${5:-}"
  local listeners="PLAINTEXT://127.0.0.1:$port" map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [[ -n "$sport" ]]; then
    listeners+=",SASL_PLAINTEXT://127.0.0.1:$sport,SASL_SSL://127.0.0.1:$tport"
    map+=",SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"
  fi
  cat >"$dir/server.properties" <<EOF
$MARKER
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=$listeners,CONTROLLER://127.0.0.1:$cport
advertised.listeners=$listeners
controller.listener.names=CONTROLLER
listener.security.protocol.map=$map
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/logs
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
group.initial.rebalance.delay.ms=0
num.partitions=3
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=4
EOF
  if [[ -n "$sport" ]]; then
    local jaas="org.apache.kafka.common.security.scram.ScramLoginModule required;" listener mechanism
    {
      echo "# SCRAM on the SASL listeners; the users live in the metadata log (format --add-scram)."
      echo "sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256"
      for listener in sasl_plaintext sasl_ssl; do
        for mechanism in scram-sha-512 scram-sha-256; do
          echo "listener.name.$listener.$mechanism.sasl.jaas.config=$jaas"
        done
      done
      echo "listener.name.sasl_ssl.ssl.keystore.type=PKCS12"
      echo "listener.name.sasl_ssl.ssl.keystore.location=$dir/tls/broker.p12"
      echo "listener.name.sasl_ssl.ssl.keystore.password=$KEYSTORE_PASSWORD"
    } >>"$dir/server.properties"
  fi
  cat >"$dir/log4j.properties" <<'EOF'
# Broker log: warnings and errors, plus the server's start/stop lines.
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
EOF
}

# A self-signed certificate for 127.0.0.1 in DIR/tls/broker.p12 (the SASL_SSL
# listener's keystore) and its PEM in DIR/tls/ca.pem (what clients trust).
make_keystore() {
  local dir="$1" out keytool
  # The keytool beside the java binary in use, else the one on PATH.
  keytool="$(dirname "$(readlink -f "$(command -v "$JAVA" || echo "$JAVA")" 2>/dev/null || echo .)")/keytool"
  [[ -x "$keytool" ]] || keytool=keytool
  mkdir -p "$dir/tls"
  if ! out="$("$keytool" -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC -genkeypair -alias broker \
        -keyalg EC -groupname secp256r1 -validity 3650 -dname CN=127.0.0.1 \
        -ext SAN=ip:127.0.0.1,dns:localhost -storetype PKCS12 -keystore "$dir/tls/broker.p12" \
        -storepass "$KEYSTORE_PASSWORD" -keypass "$KEYSTORE_PASSWORD" 2>&1 &&
      "$keytool" -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC -exportcert -rfc -alias broker \
        -keystore "$dir/tls/broker.p12" -storepass "$KEYSTORE_PASSWORD" -file "$dir/tls/ca.pem" 2>&1)"; then
    printf '%s\n' "$out" >&2
    log "error: keytool failed to make the SASL_SSL listener's certificate"
    return 1
  fi
}

format_storage() {
  local dir="$1" cluster_id="$2" out scram=()
  if [[ -n "$(broker_port_of "$dir" SASL_PLAINTEXT)" ]]; then
    scram=(--add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SASL_PASSWORD]"
           --add-scram "SCRAM-SHA-256=[name=$SASL_USER,password=$SASL_PASSWORD]")
  fi
  # Static controller.quorum.voters => plain format (no --standalone / --initial-controllers).
  # shellcheck disable=SC2046
  if ! out="$("$JAVA" $(java_opts "$dir" tool) -cp "$CACHE/*" kafka.tools.StorageTool format \
        -t "$cluster_id" -c "$dir/server.properties" ${scram[@]+"${scram[@]}"} 2>&1)"; then
    printf '%s\n' "$out" >&2
    log "error: kafka-storage format failed"
    return 1
  fi
}

# Start the JVM for an already formatted DIR and wait until it is ready.
launch_and_wait() {
  local dir="$1" port log_offset pid t0 deadline
  port="$(broker_port_of "$dir")"
  [[ -n "$port" ]] || die "no broker port in $dir/server.properties"
  touch "$dir/broker.log"
  log_offset=$(( $(wc -c <"$dir/broker.log") + 1 ))
  t0=$(now_ms)
  rm -f "$dir/cds.target" "$dir/cds.jsa"
  # shellcheck disable=SC2046
  "$JAVA" $(java_opts "$dir" broker) -cp "$CACHE/*" kafka.Kafka "$dir/server.properties" \
    </dev/null >>"$dir/broker.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/broker.pid"
  # Don't leave a half-started broker behind if we are interrupted while waiting.
  # shellcheck disable=SC2064
  trap "kill -TERM $pid 2>/dev/null; exit 130" INT TERM HUP
  log "broker pid $pid on 127.0.0.1:$port, waiting for it to be ready (log: $dir/broker.log)"

  deadline=$(( SECONDS + START_TIMEOUT ))
  while :; do
    if ! pid_alive "$pid"; then
      log "broker exited before it was ready; last lines of $dir/broker.log:"
      tail -n 40 "$dir/broker.log" >&2 || true
      rm -f "$dir/broker.pid" "$dir/cds.target" "$dir/cds.jsa"
      trap - INT TERM HUP
      return 1
    fi
    if tail -c "+$log_offset" "$dir/broker.log" | grep -q "$READY_MSG" && tcp_open "$port"; then
      break
    fi
    if (( SECONDS >= deadline )); then
      log "broker not ready after ${START_TIMEOUT}s; last lines of $dir/broker.log:"
      tail -n 40 "$dir/broker.log" >&2 || true
      stop_pid "$pid" "$dir" || true
      rm -f "$dir/broker.pid" "$dir/cds.target" "$dir/cds.jsa"
      trap - INT TERM HUP
      return 1
    fi
    sleep 0.2
  done
  trap - INT TERM HUP
  log "ready in $(( $(now_ms) - t0 )) ms"
  local sport tport extra=""
  sport="$(broker_port_of "$dir" SASL_PLAINTEXT)"
  tport="$(broker_port_of "$dir" SASL_SSL)"
  [[ -z "$sport" ]] || extra+=" KAFKA_SASL_BROKERS=127.0.0.1:$sport"
  [[ -z "$tport" ]] || extra+=" KAFKA_SASL_SSL_BROKERS=127.0.0.1:$tport"
  printf 'KAFKA_BROKERS=127.0.0.1:%s KAFKA_DIR=%s%s\n' "$port" "$dir" "$extra"
}

# TERM, wait up to STOP_TIMEOUT s, then KILL. Returns 1 if KILL was needed.
stop_pid() {
  local pid="$1" dir="$2" i
  is_our_broker "$pid" "$dir" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for (( i = 0; i < STOP_TIMEOUT * 10; i++ )); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  log "broker $pid still running after ${STOP_TIMEOUT}s, sending KILL"
  kill -KILL "$pid" 2>/dev/null || true
  for (( i = 0; i < 50; i++ )); do
    pid_alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}

stop_broker_in() {
  local dir="$1" pid
  [[ -f "$dir/broker.pid" ]] || return 0
  pid="$(cat "$dir/broker.pid")"
  if stop_pid "$pid" "$dir"; then
    adopt_cds_archive "$dir"
  else
    rm -f "$dir/cds.target" "$dir/cds.jsa"
  fi
  rm -f "$dir/broker.pid"
}

# --- subcommands --------------------------------------------------------------------

cmd_start() {
  local dir="" created=0 sasl=0
  while (( $# )); do
    case "$1" in
      --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; dir="$2"; shift 2 ;;
      --sasl) sasl=1; shift ;;
      *) usage; exit 2 ;;
    esac
  done
  if [[ -z "$dir" ]]; then
    dir="$(mktemp -d "${TMPDIR:-/tmp}/kafka-broker.XXXXXX")"
    created=1
  else
    [[ ! -e "$dir" || -d "$dir" ]] || die "$dir is not a directory"
    [[ ! -d "$dir" || -z "$(ls -A "$dir")" ]] || die "$dir is not empty (use restart-same for an existing broker dir)"
  fi
  dir="$(abs_dir "$dir")"
  check_dir_name "$dir"

  fetch_jars
  local ports port cport sport="" tport="" cluster_id keystore_pid="" ok=1
  if (( sasl )); then
    ports="$(pick_ports_and_id 4)"
    read -r port cport sport tport cluster_id <<<"$ports"
  else
    ports="$(pick_ports_and_id 2)"
    read -r port cport cluster_id <<<"$ports"
  fi
  write_configs "$dir" "$port" "$cport" "$sport" "$tport"
  # keytool (a JVM of its own) runs while the storage is formatted.
  if (( sasl )); then make_keystore "$dir" & keystore_pid=$!; fi
  format_storage "$dir" "$cluster_id" || ok=0
  if [[ -n "$keystore_pid" ]]; then wait "$keystore_pid" || ok=0; fi
  if (( ! ok )) || ! launch_and_wait "$dir"; then
    if (( created )); then rm -rf "$dir"; fi
    exit 1
  fi
}

cmd_stop() {
  local dir="" keep=0
  while (( $# )); do
    case "$1" in
      --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; dir="$2"; shift 2 ;;
      --keep) keep=1; shift ;;
      *) usage; exit 2 ;;
    esac
  done
  [[ -n "$dir" ]] || { usage; exit 2; }
  [[ -d "$dir" ]] || { log "$dir does not exist, nothing to stop"; return 0; }
  dir="$(cd "$dir" && pwd -P)"
  [[ "$(head -n 1 "$dir/server.properties" 2>/dev/null)" == "$MARKER" ]] ||
    die "$dir is not a broker dir made by this script; not touching it"
  local t0; t0=$(now_ms)
  stop_broker_in "$dir"
  log "stopped in $(( $(now_ms) - t0 )) ms"
  if (( ! keep )); then rm -rf "$dir"; fi
}

cmd_restart_same() {
  local dir=""
  while (( $# )); do
    case "$1" in
      --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; dir="$2"; shift 2 ;;
      *) usage; exit 2 ;;
    esac
  done
  [[ -n "$dir" ]] || { usage; exit 2; }
  [[ -d "$dir" ]] || die "$dir does not exist"
  dir="$(cd "$dir" && pwd -P)"
  [[ "$(head -n 1 "$dir/server.properties" 2>/dev/null)" == "$MARKER" ]] ||
    die "$dir is not a broker dir made by this script"
  fetch_jars
  local t0; t0=$(now_ms)
  stop_broker_in "$dir"
  log "stopped in $(( $(now_ms) - t0 )) ms, starting again on the same ports"
  launch_and_wait "$dir"
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    restart-same) cmd_restart_same "$@" ;;
    fetch) fetch_jars ;;
    -h|--help|help) usage ;;
    *) usage; exit 2 ;;
  esac
}

main "$@"
