#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_tls.sh - https:// against a local TLS front (tests/helpers/tls_front.py)
# of the simulator, with certificates made here by openssl: a certificate from
# our CA works with --ca-bundle and with SSL_CERT_FILE; expired, wrong-host
# and self-signed ones, and no CA at all, stop the run at once (exit 1) with
# a message saying why and what to do; --insecure works and warns; https://
# at the simulator's plain-HTTP port fails the handshake in seconds, not
# after the 600 s stall timeout.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
fronts=()
trap 'for f in "${fronts[@]}"; do kill "$f" 2>/dev/null; done; [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
source "$(dirname "$0")/helpers/sim.sh"
command -v openssl >/dev/null || { echo "serve_tls: needs openssl"; exit 1; }
cd "$tmp"

# --- certificates: a CA, a good leaf, a wrong-host leaf, an expired leaf, a self-signed one
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj /CN=servebench-test-ca 2>/dev/null
leaf() { # name san
    openssl req "${ec[@]}" -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null
    printf 'subjectAltName=%s\n' "$2" > "$1.ext"
}
leaf good "DNS:localhost,IP:127.0.0.1"
openssl x509 -req -in good.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile good.ext -out good.pem 2>/dev/null
leaf wronghost "DNS:other.example"
openssl x509 -req -in wronghost.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile wronghost.ext -out wronghost.pem 2>/dev/null
# expired: `openssl ca` is the tool of OpenSSL 3.0 that takes explicit dates
leaf expired "IP:127.0.0.1"
mkdir -p ca.db && : > ca.db/index.txt && echo 1000 > ca.db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = d
[d]
database = ca.db/index.txt
serial = ca.db/serial
new_certs_dir = ca.db
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = p
copy_extensions = none
[p]
commonName = supplied
CNF
openssl ca -batch -config ca.cnf -in expired.csr -out expired.pem -notext \
    -startdate 20200101000000Z -enddate 20200102000000Z -extfile expired.ext 2>/dev/null
openssl req -x509 "${ec[@]}" -keyout self.key -out self.pem -days 2 -subj /CN=self \
    -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null

sim_start --ttft-ms 1 --itl-ms 1
declare -A P
for c in good wronghost expired self; do
    python3 "$SB_SOURCE_DIR/tests/helpers/tls_front.py" $c.pem $c.key "$port" > front-$c.out &
    fronts+=($!)
done
for c in good wronghost expired self; do
    for _ in $(seq 600); do grep -q listening front-$c.out && break; sleep 0.05; done
    P[$c]=$(awk '{print $2}' front-$c.out)
    [ -n "${P[$c]}" ] || { echo "FAIL: TLS front $c did not start"; exit 1; }
done

run() { # name base-url [flags...]: exit status in $rc, output in name.out/name.err
    local name=$1 base=$2
    shift 2
    rc=0
    timeout 60 "$SB_BIN" serve --base-url "$base" --model sim --tokenizer "$SB_TEST_DATA/tokenizers/gpt2" \
        --random-input-len 8 --random-output-len 4 --num-prompts 5 --disable-tqdm "$@" \
        > "$name.out" 2> "$name.err" || rc=$?
    [ "$rc" -ne 124 ] || { echo "FAIL $name: hung"; exit 1; }
}
want_ok() {
    [ "$rc" -eq 0 ] || { echo "FAIL $1: exit $rc"; cat "$1.err"; tail "$1.out"; exit 1; }
    grep -Eq '^Successful requests: +5 +$' "$1.out" || { echo "FAIL $1: not all succeeded"; cat "$1.out"; exit 1; }
}
want_refused() { # name pattern
    [ "$rc" -eq 1 ] || { echo "FAIL $1: want exit 1, got $rc"; cat "$1.err"; exit 1; }
    grep -q "TLS handshake with 127.0.0.1:[0-9]* failed" "$1.err" &&
        grep -Eqi -- "$2" "$1.err" || { echo "FAIL $1: message does not say why ($2)"; cat "$1.err"; exit 1; }
    ! grep -q 'Serving Benchmark Result' "$1.out" || { echo "FAIL $1: the run went ahead"; exit 1; }
}

run valid "https://127.0.0.1:${P[good]}" --ca-bundle ca.pem;          want_ok valid
run localhost "https://localhost:${P[good]}" --ca-bundle ca.pem;      want_ok localhost
SSL_CERT_FILE=$tmp/ca.pem run envca "https://127.0.0.1:${P[good]}";  want_ok envca
run noca "https://127.0.0.1:${P[good]}";                              want_refused noca "certificate.*--ca-bundle"
run expired "https://127.0.0.1:${P[expired]}" --ca-bundle ca.pem;     want_refused expired "expired"
run wronghost "https://127.0.0.1:${P[wronghost]}" --ca-bundle ca.pem; want_refused wronghost "match|subject"
run self "https://127.0.0.1:${P[self]}" --ca-bundle ca.pem;           want_refused self "self.signed"
run insecure "https://127.0.0.1:${P[expired]}" --insecure;            want_ok insecure
grep -q 'warning: --insecure' insecure.err || { echo "FAIL: --insecure does not warn"; cat insecure.err; exit 1; }

# https:// at a plain-HTTP port: a handshake failure within seconds
start=$(date +%s)
run plain "https://127.0.0.1:$port"
[ $(( $(date +%s) - start )) -le 20 ] || { echo "FAIL plain: took more than 20 s"; exit 1; }
want_refused plain "plain-HTTP"

# a missing --ca-bundle file is bad usage
run missing "https://127.0.0.1:${P[good]}" --ca-bundle "$tmp/nope.pem"
[ "$rc" -eq 2 ] && grep -q -- '--ca-bundle .*nope.pem' missing.err || { echo "FAIL missing bundle: $rc"; cat missing.err; exit 1; }
echo "serve_tls: ok"
