# shellcheck shell=bash
# Sourced by the Kotlin consumer and shrink tests: the sample NGO's
# repository, published by the real waymark-pack, and served on loopback;
# a WebDAV server (wsgidav) for the remote backup. Needs $target (the cargo
# target directory) and a built waymark-pack.

# The servers started here, stopped when the calling script exits.
SAMPLE_PIDS=()
trap 'kill "${SAMPLE_PIDS[@]}" 2>/dev/null || true' EXIT

# free_port: a free loopback port.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT PID WHAT: waits until PORT accepts connections.
wait_port() {
  local port=$1 pid=$2 what=$3
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return; fi
    kill -0 "$pid" 2>/dev/null || { echo "$what exited" >&2; return 1; }
    sleep 0.1
  done
  echo "$what did not start" >&2
  return 1
}

# publish_sample DIR: builds, signs and publishes the SAMPLE mediterranean
# pack into DIR/repo (publisher.json, bundles/, metadata/, targets/), once.
publish_sample() {
  local dir=$1 pack="$target/debug/waymark-pack"
  if [[ -f "$dir/repo/bundles/sample-mediterranean.wmbundle" ]]; then return; fi
  rm -rf "$dir" && mkdir -p "$dir"
  "$pack" build content/samples/mediterranean --out "$dir/mediterranean.wmpack" >/dev/null
  "$pack" keygen --out "$dir/keys" >/dev/null
  "$pack" publish "$dir/mediterranean.wmpack" --repo "$dir/repo" --keys "$dir/keys" >/dev/null
}

# serve_sample DIR: serves DIR/repo on a free loopback port until the
# calling script exits; sets SAMPLE_URL.
serve_sample() {
  local dir=$1 port
  port=$(free_port)
  "$target/debug/waymark-pack" serve "$dir/repo" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
  SAMPLE_PIDS+=($!)
  SAMPLE_URL="http://127.0.0.1:$port"
  wait_port "$port" "$!" "waymark-pack serve"
}

# wsgidav_bin: the WebDAV server, WAYMARK_WSGIDAV or $target/wsgidav (a
# venv installed from PyPI when missing, as scripts/test installs it).
wsgidav_bin() {
  if [[ -n "${WAYMARK_WSGIDAV:-}" ]]; then echo "$WAYMARK_WSGIDAV"; return; fi
  if ! "$target/wsgidav/bin/python3" -c 'import wsgidav, cheroot' >/dev/null 2>&1; then
    echo "== wsgidav 4.4.0 on cheroot, a WebDAV server (venv in $target/wsgidav)" >&2
    python3 -m venv "$target/wsgidav"
    "$target/wsgidav/bin/python3" -m pip install --quiet --disable-pip-version-check \
      "wsgidav==4.4.0" "cheroot==11.1.2" >&2
  fi
  echo "$target/wsgidav/bin/wsgidav"
}

# serve_webdav DIR: serves an empty WebDAV folder (DIR/root, user alice,
# password s3cret, Basic auth, as core/tests/servers/mod.rs does) on a free
# loopback port until the calling script exits; sets WEBDAV_URL.
serve_webdav() {
  local dir=$1 port exe
  exe=$(wsgidav_bin)
  port=$(free_port)
  rm -rf "$dir" && mkdir -p "$dir/root"
  cat > "$dir/wsgidav.yaml" <<YAML
host: 127.0.0.1
port: $port
server: cheroot
provider_mapping:
  "/": $dir/root
http_authenticator:
  domain_controller: null
  accept_basic: true
  accept_digest: false
  default_to_digest: false
simple_dc:
  user_mapping:
    "*":
      alice:
        password: "s3cret"
verbose: 0
logging:
  enable: false
YAML
  "$exe" --config "$dir/wsgidav.yaml" >/dev/null 2>&1 &
  SAMPLE_PIDS+=($!)
  WEBDAV_URL="http://127.0.0.1:$port"
  wait_port "$port" "$!" "wsgidav"
}
