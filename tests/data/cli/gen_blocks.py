#!/usr/bin/python3
# Writes the expected result blocks for tests/test_report.c with the
# reference's own Python format strings (reference doc section 7) and numpy,
# from the hand-made record set of test_report.c (same as test_metrics.c):
#   R0 ttft 100 ms, e2el 400, itl 100,100,100, 4 tokens, prompt 10
#   R1 ttft 200, e2el 800, itl 300,300, 3 tokens, prompt 20
#   R2 ttft 50, e2el 50, 1 token, prompt 5;  R3 failed;  duration 2 s
# Run from this folder: /usr/bin/python3 gen_blocks.py
import numpy as np

ttfts = [0.1, 0.2, 0.05]
tpots = [0.1, 0.3]
itls = [0.1, 0.1, 0.1, 0.3, 0.3]
e2els = [0.4, 0.8, 0.05]
queues = [0.0, 0.1, 0.0]  # R1 waited 100 ms for a concurrency slot
e2el_q = [0.4, 0.9, 0.05]
dur = 2.0


def block(f, max_conc=None, rate=float("inf"), goodput=None, metrics="ttft,tpot,itl",
          pcts=(99.0,), tok=True, pooling=False):
    gen = not pooling
    p = lambda *a: print(*a, file=f)
    p("{s:{c}^{n}}".format(s=" Serving Benchmark Result ", n=50, c="="))
    p("{:<40} {:<10}".format("Successful requests:", 3))
    p("{:<40} {:<10}".format("Failed requests:", 1))
    if max_conc is not None:
        p("{:<40} {:<10}".format("Maximum request concurrency:", max_conc))
    if rate != float("inf"):
        p("{:<40} {:<10.2f}".format("Request rate configured (RPS):", rate))
    p("{:<40} {:<10.2f}".format("Benchmark duration (s):", dur))
    p("{:<40} {:<10}".format("Total input tokens:", 35))
    if gen and tok:
        p("{:<40} {:<10}".format("Total generated tokens:", 8))
    p("{:<40} {:<10.2f}".format("Request throughput (req/s):", 3 / dur))
    if goodput is not None:
        p("{:<40} {:<10.2f}".format("Request goodput (req/s):", goodput))
    if gen and tok:
        p("{:<40} {:<10.2f}".format("Output token throughput (tok/s):", 8 / dur))
        p("{:<40} {:<10.2f}".format("Peak output token throughput (tok/s):", 5.0))
    if gen:
        p("{:<40} {:<10.2f}".format("Peak concurrent requests:", 2))
    if tok:
        # pooling: total token throughput = input tokens / duration
        p("{:<40} {:<10.2f}".format("Total token throughput (tok/s):", (35 if pooling else 43) / dur))
    sel = metrics.split(",")

    def one(attr, name, header, vals):
        if attr not in sel:
            return
        p("{s:{c}^{n}}".format(s=header, n=50, c="-"))
        p("{:<40} {:<10.2f}".format(f"Mean {name} (ms):", np.mean(vals) * 1000))
        p("{:<40} {:<10.2f}".format(f"Median {name} (ms):", np.median(vals) * 1000))
        for q in pcts:
            w = str(int(q)) if int(q) == q else str(q)
            p("{:<40} {:<10.2f}".format(f"P{w} {name} (ms):", np.percentile(vals, q) * 1000))

    if gen and tok:
        one("ttft", "TTFT", "Time to First Token", ttfts)
        one("tpot", "TPOT", "Time per Output Token (excl. 1st token)", tpots)
        one("itl", "ITL", "Inter-token Latency", itls)
    one("e2el", "E2EL", "End-to-end Latency", e2els)
    if max_conc is not None:
        one("client_queue_time", "Client Queue Time", "Client-side Queueing", queues)
    if max_conc is not None and rate != float("inf"):
        one("e2el_including_client_queue", "E2EL incl. Client Queue",
            "Queue-inclusive End-to-end Latency", e2el_q)
    p("=" * 50)


with open("block_default.txt", "w") as f:
    block(f)
with open("block_full.txt", "w") as f:
    block(f, max_conc=10, rate=8.0, goodput=1.0, metrics="ttft,tpot,itl,e2el",
          pcts=(95.0, 99.0, 99.9))
with open("block_notok.txt", "w") as f:
    block(f, metrics="ttft,e2el", pcts=(50.0, 12.5), tok=False)
with open("block_pooling.txt", "w") as f:
    block(f, metrics="e2el", pooling=True)
with open("block_queue.txt", "w") as f:
    block(f, max_conc=2, rate=4.0,
          metrics="e2el,client_queue_time,e2el_including_client_queue", pcts=(50.0, 99.0))
