# shellcheck shell=bash
# Sourced by the Kotlin consumer and shrink tests: the sample NGO's
# repository, published by the real waymark-pack, and served on loopback.
# Needs $target (the cargo target directory) and a built waymark-pack.

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
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$target/debug/waymark-pack" serve "$dir/repo" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
  SAMPLE_SERVER_PID=$!
  trap 'kill "$SAMPLE_SERVER_PID" 2>/dev/null || true' EXIT
  SAMPLE_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return; fi
    kill -0 "$SAMPLE_SERVER_PID" 2>/dev/null || { echo "waymark-pack serve exited" >&2; return 1; }
    sleep 0.1
  done
  echo "waymark-pack serve did not start" >&2
  return 1
}
