#!/usr/bin/env python3
"""Prints a Markdown table of a generated weights.rs: call, base time, time per component,
reads, writes, proof size. Reads our template (`impl WeightInfo for SubstrateWeight<T>`) and
FRAME's default one (`impl pallet_x::WeightInfo for WeightInfo<T>`)."""
import re
import sys

text = open(sys.argv[1]).read()
head = re.search(r"impl<T: frame_system::Config> [\w:]*WeightInfo for (SubstrateWeight|WeightInfo)<T> \{", text)
impl = text[head.end():].split("impl WeightInfo for ()", 1)[0]
print("| call | base time (µs) | per component (µs) | reads | writes | proof (bytes) |")
print("|---|---|---|---|---|---|")
for m in re.finditer(r"fn (\w+)\(([^)]*)\) -> Weight \{(.*?)\n\t\}", impl, re.S):
    name, body = m.group(1), m.group(3)
    base = re.search(r"Weight::from_parts\(([\d_]+), (\d+)\)\n", body)
    base_us = int(base.group(1).replace("_", "")) / 1e6 if base else 0
    proof = base.group(2) if base else "0"
    if proof == "0":  # FRAME's template adds the proof size separately
        extra = re.search(r"from_parts\(0, (\d+)\)\)", body)
        proof = extra.group(1) if extra else "0"
    slopes = [f"{c}: {int(s.replace('_', '')) / 1e6:.3f}" for s, c in
              re.findall(r"from_parts\(([\d_]+), 0\)\.saturating_mul\((\w+)\.into\(\)\)", body)]
    reads = re.search(r"reads\((\d+)(?:_u64)?\)", body)
    writes = re.search(r"writes\((\d+)(?:_u64)?\)", body)
    rslopes = [f"+{s}·{c}" for s, c in re.findall(r"reads\(\((\d+)_u64\)\.saturating_mul\((\w+)", body) if s != "0"]
    wslopes = [f"+{s}·{c}" for s, c in re.findall(r"writes\(\((\d+)_u64\)\.saturating_mul\((\w+)", body) if s != "0"]
    print(f"| {name} | {base_us:.1f} | {', '.join(slopes) or '-'} | "
          f"{reads.group(1) if reads else 0}{''.join(rslopes)} | "
          f"{writes.group(1) if writes else 0}{''.join(wslopes)} | {proof} |")
