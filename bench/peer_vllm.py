#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""peer_vllm.py - the measuring path of `vllm bench serve`, reimplemented minimally.

This is NOT vLLM's code (vllm cannot be installed here). It is written from the
reference description (/work/shared/reference/vllm-bench-serve.md sections 3.3,
3.5, 3.6, 5, 5.1, 5.2, 6) so that servebench can be measured beside the client a
user would otherwise run: one aiohttp ClientSession with the reference's
connector settings, one asyncio task per request, an asyncio.Semaphore for
--max-concurrency, perf_counter() taken just before the POST, the byte-chunk SSE
parser (iter_any, "\\n\\n" splitting, json.loads) with one timestamp per message,
and TTFT / ITL / latency as the reference defines them. It is deliberately not
optimised: the point is to see how a Python asyncio client measures itself
under load.

Deviation kept on purpose: TTFT uses the same clock reading `t` as the ITL
(the [newest] behaviour, PR #55508) instead of May 2026's second clock call.

Per request one JSON line goes to --result-jsonl: request_id, start (perf_counter
seconds; on Linux this is CLOCK_MONOTONIC, the simulator's clock), ttft, itl,
latency, success, output_tokens, messages, error. A summary JSON line (duration,
messages, CPU seconds of this process) goes to stdout at the end.
"""
import argparse
import asyncio
import codecs
import json
import resource
import sys
import time
import traceback

import aiohttp
import numpy as np

NEVER_MSG = ("Never received a valid chunk to calculate TTFT."
             "This response will be marked as failed!")


class Out:
    """RequestFuncOutput (section 3.6), only the fields the comparison needs."""
    __slots__ = ("request_id", "success", "start_time", "ttft", "itl",
                 "latency", "output_tokens", "messages", "error", "text")

    def __init__(self, request_id):
        self.request_id = request_id
        self.success = False
        self.start_time = 0.0
        self.ttft = 0.0
        self.itl = []
        self.latency = 0.0
        self.output_tokens = 0
        self.messages = 0
        self.error = ""
        self.text = ""


def split_messages(buf, piece, decoder):
    """Section 3.5 steps 1-4: returns (messages, remaining buffer)."""
    piece = piece.strip()
    if not piece:
        return [], buf
    buf += decoder.decode(piece)
    msgs = []
    while "\n\n" in buf:
        head, buf = buf.split("\n\n", 1)
        head = head.strip()
        if head:
            msgs.append(head)
    if buf.startswith("data: "):
        rest = buf[len("data: "):].strip()
        complete = rest == "[DONE]"
        if not complete:
            try:
                json.loads(rest)
                complete = True
            except ValueError:
                complete = False
        if complete:
            msgs.append(buf)
            buf = ""
    return msgs, buf


async def completions_request(session, url, body, headers, out):
    """The completions request function: start before the POST, parse, time."""
    st = time.perf_counter()
    out.start_time = st
    most_recent = st
    try:
        async with session.post(url=url, json=body, headers=headers) as resp:
            if resp.status != 200:
                out.error = resp.reason or ""
                return out
            first = True
            buf = ""
            decoder = codecs.getincrementaldecoder("utf-8")()
            async for piece in resp.content.iter_any():
                msgs, buf = split_messages(buf, piece, decoder)
                for msg in msgs:
                    if msg.startswith(":"):
                        continue
                    if msg.startswith("data: "):
                        msg = msg[len("data: "):]
                    if msg == "[DONE]":
                        continue
                    data = json.loads(msg)
                    if data.get("choices"):
                        t = time.perf_counter()
                        out.messages += 1
                        if first:
                            out.ttft = t - st
                            first = False
                        else:
                            out.itl.append(t - most_recent)
                        most_recent = t
                        out.text += data["choices"][0].get("text") or ""
                    elif data.get("usage"):
                        out.output_tokens = data["usage"].get("completion_tokens")
            if first:
                out.error = NEVER_MSG
            else:
                out.success = True
                out.latency = most_recent - st
    except Exception:
        out.success = False
        out.error = traceback.format_exc()
    return out


def send_offsets(n, rate, burstiness, seed):
    """Section 5.1 without ramp-up: cumulative gaps, rescaled so the last is N/rate."""
    if rate == float("inf"):
        return [0.0] * n
    rng = np.random.RandomState(seed)
    if burstiness == float("inf"):
        gaps = [1.0 / rate] * n
    else:
        gaps = rng.gamma(shape=burstiness, scale=1.0 / (rate * burstiness), size=n)
    offs = np.cumsum(gaps)
    if offs[-1] != 0:
        offs = offs * ((n / rate) / offs[-1])
    return list(offs)


def make_body(args):
    """Completions body, keys in the reference's order (section 3.3)."""
    body = {
        "model": args.model,
        "prompt": " ".join(["hello"] * args.input_len),
        "repetition_penalty": 1.0,
        "max_tokens": args.output_len,
        "logprobs": None,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if args.ignore_eos:
        body["ignore_eos"] = True
    return body


async def run(args):
    conc = args.max_concurrency or 0
    connector = aiohttp.TCPConnector(
        limit=conc, limit_per_host=conc, ttl_dns_cache=300,
        use_dns_cache=True, keepalive_timeout=60,
        enable_cleanup_closed=True, force_close=False, ssl=False)
    timeout = aiohttp.ClientTimeout(total=6 * 60 * 60)
    url = args.base_url.rstrip("/") + args.endpoint
    body = make_body(args)
    sem = asyncio.Semaphore(conc) if conc else None
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     trust_env=True) as session:

        async def limited(i):
            out = Out(f"{args.request_id_prefix}{i}")
            headers = {"x-request-id": out.request_id}
            if sem is None:
                return await completions_request(session, url, body, headers, out)
            async with sem:
                return await completions_request(session, url, body, headers, out)

        offsets = send_offsets(args.num_prompts, args.request_rate,
                               args.burstiness, args.seed)
        t0 = time.perf_counter()
        s0 = time.time()
        tasks = []
        for i, off in enumerate(offsets):
            if off > 0:
                delay = s0 + off - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(limited(i)))
        outs = await asyncio.gather(*tasks)
        duration = time.perf_counter() - t0
    return outs, duration


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base-url", required=True)
    p.add_argument("--endpoint", default="/v1/completions")
    p.add_argument("--model", default="sim")
    p.add_argument("--num-prompts", type=int, default=100)
    p.add_argument("--max-concurrency", type=int, default=None)
    p.add_argument("--request-rate", type=float, default=float("inf"))
    p.add_argument("--burstiness", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--input-len", type=int, default=16, help="prompt words")
    p.add_argument("--output-len", type=int, default=128)
    p.add_argument("--ignore-eos", action="store_true")
    p.add_argument("--request-id-prefix", default="peer-")
    p.add_argument("--result-jsonl", default=None)
    args = p.parse_args()

    r0 = resource.getrusage(resource.RUSAGE_SELF)
    outs, duration = asyncio.run(run(args))
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    if args.result_jsonl:
        with open(args.result_jsonl, "w") as f:
            for o in outs:
                f.write(json.dumps({
                    "request_id": o.request_id, "start": o.start_time,
                    "ttft": o.ttft, "itl": o.itl, "latency": o.latency,
                    "success": o.success, "output_tokens": o.output_tokens,
                    "messages": o.messages,
                    "error": " | ".join(o.error.strip().splitlines()[-2:]) if o.error else "",
                }) + "\n")
    ok = sum(1 for o in outs if o.success)
    msgs = sum(o.messages for o in outs)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(json.dumps({
        "clock": time.get_clock_info("perf_counter").implementation,
        "requests": len(outs), "completed": ok, "failed": len(outs) - ok,
        "duration": duration, "messages": msgs,
        "messages_per_s": msgs / duration if duration > 0 else 0.0,
        "cpu_s": cpu, "cpu_frac": cpu / duration if duration > 0 else 0.0,
    }))
    return 0 if ok == len(outs) else 1


if __name__ == "__main__":
    sys.exit(main())
