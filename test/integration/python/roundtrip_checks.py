"""Checks shared by the round-trip scripts: what a consumer saw versus what was produced.

`seen` holds {"p": partition, "o": offset, "k": key, "v": value} per consumed record;
values end in "-<index>" and keys are "k<index % 10>".
"""


def check_roundtrip(seen, n, result):
    values = sorted(int(s["v"].rsplit("-", 1)[1]) for s in seen)
    result["values_match"] = values == list(range(n))
    result["keys_match"] = all(s["k"] == "k%d" % (int(s["v"].rsplit("-", 1)[1]) % 10) for s in seen)
    # Same key, same partition, and offsets in order within each partition.
    by_key = {}
    for s in seen:
        by_key.setdefault(s["k"], set()).add(s["p"])
    result["key_partition_stable"] = all(len(p) == 1 for p in by_key.values())
    per_partition = {}
    for s in seen:
        per_partition.setdefault(s["p"], []).append(s["o"])
    result["ordered"] = all(o == sorted(o) for o in per_partition.values())
