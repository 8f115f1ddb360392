"""Turn bench/out/raw-<scale>.txt into the results table (stdout and a file)."""
import re
import sys

raw = open(sys.argv[1]).read().splitlines()
kv = {}
for line in raw:
    words = line.split()
    if not words or not re.fullmatch(r"m\d[ts]?", words[0]):
        continue
    key = words[0]
    fields = words[1:]
    if key in ("m4", "m4t", "m8"):               # several lines each
        key += ":" + fields[0]
        fields = fields[1:]
    d = kv.setdefault(key, {})
    for i in range(0, len(fields) - 1, 2):
        d[fields[i]] = fields[i + 1]
    d["_line"] = " ".join(words[1:])

def f(key, name):
    try:
        return float(kv[key][name])
    except (KeyError, ValueError):
        return float("nan")

def verdict(ok):
    return "hit" if ok else "missed"

rows = []
r, b = f("m1", "recompute_ms"), f("m1", "bare_scan_ms")
rows.append(("1", "`prio.recompute()` of everyone", f"{r:.0f} ms", f"bare scan {b:.0f} ms", f"{r / b:.2f}×", "≤ 2.0×", verdict(r / b <= 2.0)))
s = f("m2", "plain_sql_ms")
rows.append(("2", "plain-SQL pipeline (CTEs, percentile_cont, windows) vs prio", f"prio {r:.0f} ms", f"plain SQL {s:.0f} ms",
             f"prio {s / r:.2f}× faster", "prio ≥ 3× faster", verdict(s / r >= 3) + f"; tiers agree {kv.get('m2', {}).get('tier_agreement', '?')} %"))
p, q = f("m3", "pandas_ms"), f("m3", "prio_ms")
rows.append(("3", "RFM scores: pandas from a CSV export vs prio in SQL", f"prio {q:.0f} ms", f"pandas {p:.0f} ms (export included)",
             f"prio {p / q:.2f}× faster", "prio faster", verdict(q < p) + f"; scores differ {kv.get('m3', {}).get('scores_differ', '?')}"))
for c in ("clients=1", "clients=8"):
    tp, tb = f("m4:" + c, "prio_tps"), f("m4:" + c, "plain_tps")
    rows.append(("4", f"single-row INSERT, pgbench, {c.replace('=', ' ')}", f"{tp:.0f} tps", f"no triggers {tb:.0f} tps",
                 f"{tp / tb:.2f}", "≥ 0.6 (goal 0.75)", verdict(tp / tb >= 0.6)))
# 4t: the same into an application's uuid-keyed table tracked by prio.track(), beside the
# same table without prio; target: its ratio no more than 10 % below prio's own tables' (row 4)
for c in ("clients=1", "clients=8"):
    tt, tb = f("m4t:" + c, "tracked_tps"), f("m4t:" + c, "plain_tps")
    own = f("m4:" + c, "prio_tps") / f("m4:" + c, "plain_tps")
    rows.append(("4t", f"single-row INSERT into a tracked table (uuid key), pgbench, {c.replace('=', ' ')}", f"{tt:.0f} tps",
                 f"same table, no prio {tb:.0f} tps", f"{tt / tb:.2f} (row 4: {own:.2f})", "≥ 0.9 × row 4's",
                 verdict(tt / tb >= 0.9 * own)))
cp, cb = f("m5", "prio_ms"), f("m5", "plain_ms")
rows.append(("5", f"COPY of {kv.get('m5', {}).get('copy_rows', '?')} activities", f"{cp:.0f} ms", f"no triggers {cb:.0f} ms", f"{cp / cb:.2f}×", "≤ 1.5×", verdict(cp / cb <= 1.5)))
# 5t: throughput no more than 10 % below row 5's, so a time ratio at most row 5's / 0.9
ct, ctb = f("m5t", "tracked_ms"), f("m5t", "plain_ms")
rows.append(("5t", f"COPY of {kv.get('m5t', {}).get('copy_rows', '?')} activities into a tracked table (uuid key)", f"{ct:.0f} ms",
             f"same table, no prio {ctb:.0f} ms", f"{ct / ctb:.2f}× (row 5: {cp / cb:.2f}×)", "≤ row 5's / 0.9",
             verdict(ct / ctb <= (cp / cb) / 0.9)))
# 5t on a slimmer events table (no key of its own, one foreign key): cheaper bare, so the same
# prio part is a larger ratio
cs, csb = f("m5s", "tracked_ms"), f("m5s", "plain_ms")
if cs == cs:
    rows.append(("5t", f"the same into a slimmer tracked table (no key, one foreign key)", f"{cs:.0f} ms",
                 f"same table, no prio {csb:.0f} ms", f"{cs / csb:.2f}× (row 5: {cp / cb:.2f}×)", "≤ row 5's / 0.9",
                 verdict(cs / csb <= (cp / cb) / 0.9)))
for line in raw:
    m = re.match(r"m6 followup_(\w+) p95_ms ([\d.]+) median_ms ([\d.]+)", line)
    if m:
        what = {"owner": "`WHERE owner = $1 LIMIT 50`",
                "clustered": "`WHERE owner = $1 LIMIT 50`, after `CLUSTER customer_state USING customer_state_owner_idx`",
                "all": "`LIMIT 50`, no filter (clustered)"}[m.group(1)]
        rows.append(("6", f"`prio.followup` {what}", f"p95 {m.group(2)} ms", f"median {m.group(3)} ms", "—", "p95 ≤ 5 ms", verdict(float(m.group(2)) <= 5)))
rm = f("m7", "refresh_ms")
cust = f("m7", "customers")
written = kv.get("m7", {}).get("_line", "").split("rows_written ")[-1].split(" customers")[0].split()
per100k = rm * 100000 / cust / 1000
rows.append(("7", "`prio.refresh()` with nothing due", f"{rm:.0f} ms ({per100k:.2f} s per 100k)", f"rows written: {', '.join(written)}",
             "—", "0 rows, ≤ 0.5 s per 100k", verdict(all(w == "0" for w in written) and per100k <= 0.5)))
for agg in ("prio.rfm", "prio.intent"):
    pa, se = f("m8:" + agg, "parallel_ms"), f("m8:" + agg, "serial_ms")
    same = kv.get("m8:" + agg, {}).get("same_result", "?")
    rows.append(("8", f"`{agg}` over all activities, 2 workers", f"{pa:.0f} ms", f"workers off {se:.0f} ms", f"{se / pa:.2f}× faster",
                 "≥ 1.5×, same result", verdict(se / pa >= 1.5 and same == "True") + f"; same result: {same}"))
pa, se = f("m8:count", "parallel_ms"), f("m8:count", "serial_ms")
rows.append(("8", "reference: PostgreSQL's own `count(*), sum(amount)`, same rows, 2 workers", f"{pa:.0f} ms", f"workers off {se:.0f} ms",
             f"{se / pa:.2f}× faster", "—", "what the machine gives a built-in aggregate"))
m9 = re.search(r"recompute_peak_rss (\S+ \S+) activities (\d+) recompute_ns_per_activity ([\d.]+)",
               kv.get("m9", {}).get("_line", ""))
rows.append(("9", "peak RSS of the backend during `prio.recompute()` (VmHWM: includes the shared buffers it touched)",
             m9.group(1) if m9 else "?", f"{float(m9.group(3)):.0f} ns per activity" if m9 else "?",
             "—", "bounded; large ≤ 1.3× medium per activity", "see README"))

# 10: prio.followup with owners of 500-2,000 customers assigned at random (issue 19)
def rows_followup_random(raw):
    out = []
    sizes = re.search(r"m10 owners (\d+) min_customers (\d+) max_customers (\d+)", "\n".join(raw))
    who = f"{sizes.group(1)} owners of {sizes.group(2)}-{sizes.group(3)} customers, at random" if sizes else "owners at random"
    for line in raw:
        m = re.match(r"m10 followup_(\w+) p95_ms ([\d.]+) median_ms ([\d.]+) n (\d+)", line)
        if m:
            what, target = {"random_owner": (f"`WHERE owner = $1 LIMIT 50`, a random owner each time ({who})", 5),
                            "team": ("`LIMIT 50`, no filter (the same owners)", 20)}[m.group(1)]
            out.append(("10", f"`SELECT * FROM prio.followup` {what}", f"p95 {m.group(2)} ms",
                        f"median {m.group(3)} ms, {m.group(4)} queries", "—", f"p95 ≤ {target} ms",
                        verdict(float(m.group(2)) <= target)))
    return out

rows += rows_followup_random(raw)

# MEASURES: the subset bench/inside.sh ran (row 1 always runs)
import os
ALL = "1 2 3 4 5 6 7 8 9 10".split()
wanted = os.environ.get("MEASURES", " ".join(ALL)).split() + ["1"]
rows = [r for r in rows if r[0].rstrip("t") in wanted]
head = [l for l in raw if not re.match(r"m\d", l)]
out = ["| # | measure | prio | baseline (same run) | ratio | target | verdict |", "|---|---|---|---|---|---|---|"]
out += ["| " + " | ".join(r) + " |" for r in rows]
text = "\n".join(["```"] + head + ["```", ""] + out) + "\n"
print(text)
scale = re.search(r"scale=(\w+)", raw[0]).group(1)
dest = "bench/results.md" if scale == "medium" and set(wanted) >= set(ALL) else f"bench/out/results-{scale}.md"
with open(dest, "w") as fh:
    fh.write(f"# prio benchmark, SCALE={scale}\n\nProduced by `make bench SCALE={scale}`; medians of repeated runs, "
             "each beside its baseline measured in the same run.\n\n" + text)
print("written to", dest)
