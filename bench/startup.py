# SPDX-License-Identifier: Apache-2.0
# startup.py - exec of `servebench serve` (random dataset) to its first request at the
# simulator (its --record arrival_ns, CLOCK_MONOTONIC = time.clock_gettime_ns here), 5 runs.
# Usage: python3 bench/startup.py build/servebench TOKENIZER_DIR
import subprocess, time, json, os, sys, tempfile
sb = sys.argv[1]; tok = sys.argv[2]
rec = tempfile.mktemp()
sim = subprocess.Popen([sb, "sim", "--port", "0", "--quiet", "--record", rec], stdout=subprocess.PIPE)
port = sim.stdout.readline().decode().strip().rsplit(":", 1)[1]
res = []
for i in range(5):
    t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    subprocess.call([sb, "serve", "--port", port, "--model", "sim", "--tokenizer", tok, "--dataset-name", "random",
                     "--num-prompts", "10", "--random-input-len", "128", "--random-output-len", "4",
                     "--request-id-prefix", "s%d-" % i], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    res.append(t0)
sim.terminate(); sim.wait()
first = {}
for l in open(rec):
    j = json.loads(l); p = j["request_id"].split("-")[0]
    first[p] = min(first.get(p, 1 << 62), j["arrival_ns"])
for i, t0 in enumerate(res):
    print("exec -> first request at the server: %.1f ms" % ((first["s%d" % i] - t0) / 1e6))
os.unlink(rec)
